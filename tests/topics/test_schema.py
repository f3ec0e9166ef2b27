"""Schemas per topic (issue 17): accept, refuse (index and pointer, nothing stored),
forced replace, versions, the version header; on SQLite, PostgreSQL and the Kafka broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import Account, create_key, signup

ORDER: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["user", "amount"],
    "properties": {
        "user": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
STRICTER: dict[str, Any] = {**ORDER, "required": ["user", "amount", "currency"]}
LOOSER: dict[str, Any] = {**ORDER, "required": ["user"]}


async def make_topic(client: httpx.AsyncClient, account: Account, name: str) -> None:
    response = await client.post(
        "/api/v1/topics", headers=account.headers, json={"name": name, "partitions": 2}
    )
    assert response.status_code == 201, response.text


async def put_schema(
    client: httpx.AsyncClient, account: Account, name: str, schema: Any, **params: Any
) -> httpx.Response:
    return await client.put(
        f"/api/v1/topics/{name}/schema",
        headers=account.headers,
        json={"schema": schema},
        params=params,
    )


async def publish(
    client: httpx.AsyncClient, account: Account, name: str, values: list[Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/topics/{name}/publish",
        headers=account.headers,
        json={"messages": [{"value": v} for v in values]},
    )


async def stored(client: httpx.AsyncClient, account: Account, name: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/topics/{name}/messages", headers=account.headers, params={"limit": 500}
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return sorted(
        messages, key=lambda m: m["value"].get("n", 0) if isinstance(m["value"], dict) else 0
    )


async def check_accept_refuse_and_versions(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "orders")
    assert (await publish(client, account, "orders", [{"n": 0, "free": "form"}])).status_code == 200

    response = await put_schema(client, account, "orders", ORDER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["active"], body["forced"]) == (1, True, False)
    assert body["schema"] == ORDER
    got = await client.get("/api/v1/topics/orders/schema", headers=account.headers)
    assert got.status_code == 200
    assert got.json()["schema"] == ORDER
    topic = await client.get("/api/v1/topics/orders", headers=account.headers)
    assert topic.json()["schema_version"] == 1

    good = [{"n": 1, "user": "ann", "amount": 3}, {"n": 2, "user": "bob", "amount": 0.5}]
    response = await publish(client, account, "orders", good)
    assert response.status_code == 200, response.text

    # Index 2 is bad in two places, index 3 in one: the whole batch is refused.
    batch = [
        {"n": 3, "user": "cy", "amount": 1},
        {"n": 4, "user": "di", "amount": 2},
        {"n": 5, "user": "", "amount": 1, "tags": ["ok", 7]},
        {"n": 6, "user": "ed"},
    ]
    response = await publish(client, account, "orders", batch)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "index 2" in error["message"]
    assert "Nothing was stored" in error["message"]
    found = {(d["index"], d["pointer"]) for d in error["details"]}
    assert found == {(2, "/user"), (2, "/tags/1"), (3, "")}
    assert all(d["field"] == f"messages.{d['index']}.value" for d in error["details"])
    assert {d["schema_pointer"] for d in error["details"] if d["index"] == 2} == {
        "/properties/user/minLength",
        "/properties/tags/items/type",
    }

    messages = await stored(client, account, "orders")
    assert [m["value"]["n"] for m in messages] == [0, 1, 2]
    assert "topichub-schema-version" not in messages[0]["headers"]
    assert [m["headers"]["topichub-schema-version"] for m in messages[1:]] == ["1", "1"]

    # Stricter: refused without force, naming why; forced: a new version, marked so.
    response = await put_schema(client, account, "orders", STRICTER)
    assert response.status_code == 409, response.text
    assert "force=true" in response.json()["error"]["message"]
    assert any("currency" in r for r in response.json()["error"]["details"]["incompatibilities"])
    assert (await client.get("/api/v1/topics/orders/schema", headers=account.headers)).json()[
        "version"
    ] == 1
    response = await put_schema(client, account, "orders", STRICTER, force="true")
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["forced"]) == (2, True)
    assert (await publish(client, account, "orders", [good[0]])).status_code == 422
    response = await publish(client, account, "orders", [{**good[0], "n": 7, "currency": "EUR"}])
    assert response.status_code == 200, response.text

    # Looser needs no force; the same schema again is not a new version.
    response = await put_schema(client, account, "orders", LOOSER)
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["forced"]) == (3, False)
    again = await put_schema(client, account, "orders", LOOSER)
    assert again.status_code == 200
    assert again.json()["version"] == 3
    response = await publish(client, account, "orders", [{"n": 8, "user": "fay"}])
    assert response.status_code == 200, response.text

    # Delete: publishes are no longer checked, versions stay, numbers are not reused.
    response = await client.delete("/api/v1/topics/orders/schema", headers=account.headers)
    assert response.status_code == 204, response.text
    response = await client.get("/api/v1/topics/orders/schema", headers=account.headers)
    assert response.status_code == 404
    assert (
        await client.delete("/api/v1/topics/orders/schema", headers=account.headers)
    ).status_code == 404
    response = await publish(client, account, "orders", [{"n": 9}])
    assert response.status_code == 200, response.text
    versions = await client.get("/api/v1/topics/orders/schema/versions", headers=account.headers)
    assert versions.status_code == 200, versions.text
    assert versions.json()["active_version"] is None
    assert [v["version"] for v in versions.json()["versions"]] == [3, 2, 1]
    old = await client.get(
        "/api/v1/topics/orders/schema", headers=account.headers, params={"version": 2}
    )
    assert old.status_code == 200
    assert old.json()["schema"] == STRICTER
    assert old.json()["active"] is False
    response = await put_schema(client, account, "orders", ORDER)
    assert response.status_code == 200
    assert response.json()["version"] == 4

    messages = await stored(client, account, "orders")
    assert [m["value"]["n"] for m in messages] == [0, 1, 2, 7, 8, 9]
    versions_seen = [m["headers"].get("topichub-schema-version") for m in messages]
    assert versions_seen == [None, "1", "1", "2", "3", None]


async def test_accept_refuse_force_versions_and_header(client: httpx.AsyncClient) -> None:
    await check_accept_refuse_and_versions(client)


@pytest.fixture
async def kafka_app(tmp_path: Path, kafka_bootstrap: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    async with running_app(settings) as app:
        yield app


@pytest.mark.kafka
async def test_schemas_on_kafka(kafka_app: FastAPI) -> None:
    async with client_for(kafka_app) as client:
        await check_accept_refuse_and_versions(client)


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "strin"}, "strin"),
        ({"minimum": "zero"}, "number"),
        ({"$ref": "https://example.com/schema.json"}, "example.com"),
        ({"$ref": "#/$defs/missing"}, "missing"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "2020-12"),
        ({"pattern": "(?=lookahead)"}, "regex"),
        ([{"type": "string"}], None),
        ("a string", None),
    ],
)
async def test_a_schema_that_is_not_usable_is_422(
    client: httpx.AsyncClient, schema: Any, reason: str | None
) -> None:
    account = await signup(client)
    await make_topic(client, account, "bad-schema")
    response = await put_schema(client, account, "bad-schema", schema)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if reason is not None:
        assert reason in error["message"], error["message"]
    response = await client.get("/api/v1/topics/bad-schema/schema", headers=account.headers)
    assert response.status_code == 404


async def test_bad_requests_have_defined_answers(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "answers")
    for body in ({}, {"schema": {}, "extra": 1}, {"schema": None}):
        response = await client.put(
            "/api/v1/topics/answers/schema", headers=account.headers, json=body
        )
        assert response.status_code == 422, response.text
    response = await client.put(
        "/api/v1/topics/answers/schema", headers=account.headers, content=b"{not json"
    )
    assert response.status_code == 422, response.text
    for version in ("0", "x", str(2**40)):
        response = await client.get(
            "/api/v1/topics/answers/schema", headers=account.headers, params={"version": version}
        )
        assert response.status_code == 422, response.text
    response = await client.get(
        "/api/v1/topics/answers/schema", headers=account.headers, params={"version": 5}
    )
    assert response.status_code == 404, response.text
    response = await client.put(
        "/api/v1/topics/missing/schema", headers=account.headers, json={"schema": True}
    )
    assert response.status_code == 404, response.text


async def test_the_version_header_cannot_be_forged(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "forged")
    for header in ("topichub-schema-version", "TopicHub-Schema-Version"):
        response = await client.post(
            "/api/v1/topics/forged/publish",
            headers=account.headers,
            json={"messages": [{"value": 1}, {"value": 2, "headers": {header: "9"}}]},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["field"] == "messages.1.headers"


async def test_boolean_schemas(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "bools")
    assert (await put_schema(client, account, "bools", False)).status_code == 200
    response = await publish(client, account, "bools", [None])
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["pointer"] == ""
    # From false anything is looser: no force needed.
    assert (await put_schema(client, account, "bools", {"type": "integer"})).status_code == 200
    assert (await publish(client, account, "bools", [1, 2.0])).status_code == 200
    assert (await publish(client, account, "bools", [1.5])).status_code == 422
    assert (await put_schema(client, account, "bools", True)).status_code == 200


async def test_only_admins_set_schemas_and_app_topics_take_none(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await make_topic(client, account, "guarded")
    writer = await create_key(client, account, ["read", "write"])
    headers = {"X-API-Key": writer["key"]}
    response = await client.put(
        "/api/v1/topics/guarded/schema", headers=headers, json={"schema": True}
    )
    assert response.status_code == 403, response.text
    assert (await put_schema(client, account, "guarded", ORDER)).status_code == 200
    response = await client.delete("/api/v1/topics/guarded/schema", headers=headers)
    assert response.status_code == 403, response.text
    # Readers may read it and try values against it.
    assert (await client.get("/api/v1/topics/guarded/schema", headers=headers)).status_code == 200
    response = await put_schema(client, account, "todos", ORDER)
    assert response.status_code == 403, response.text


async def test_check_values_against_the_active_or_a_tried_schema(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await make_topic(client, account, "tried")
    url = "/api/v1/topics/tried/schema/check"
    response = await client.post(url, headers=account.headers, json={"values": [1]})
    assert response.status_code == 404, response.text
    response = await client.post(
        url, headers=account.headers, json={"schema": ORDER, "values": [{"user": "a"}]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    assert body["compatible"] is None
    assert body["version"] is None
    assert body["failures"][0]["index"] == 0
    assert (await put_schema(client, account, "tried", ORDER)).status_code == 200
    response = await client.post(
        url, headers=account.headers, json={"values": [{"user": "a", "amount": 1}, 3]}
    )
    body = response.json()
    assert (body["valid"], body["version"]) == (False, 1)
    assert [f["index"] for f in body["failures"]] == [1]
    response = await client.post(url, headers=account.headers, json={"schema": STRICTER})
    body = response.json()
    assert body["valid"] is True
    assert body["compatible"] is False
    assert body["incompatibilities"]
    response = await client.post(url, headers=account.headers, json={"schema": LOOSER})
    assert response.json()["compatible"] is True
    response = await client.post(url, headers=account.headers, json={"schema": {"type": 1}})
    assert response.status_code == 422, response.text
    response = await client.post(url, headers=account.headers, json={"values": [0] * 101})
    assert response.status_code == 422, response.text


async def test_another_tenant_cannot_see_or_set_a_schema(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    await make_topic(client, owner, "mine")
    assert (await put_schema(client, owner, "mine", ORDER)).status_code == 200
    assert (await put_schema(client, other, "mine", True)).status_code == 404
    for method, path in (
        ("GET", "schema"),
        ("GET", "schema/versions"),
        ("DELETE", "schema"),
    ):
        response = await client.request(
            method, f"/api/v1/topics/mine/{path}", headers=other.headers
        )
        assert response.status_code == 404, response.text
    got = await client.get("/api/v1/topics/mine/schema", headers=owner.headers)
    assert got.json()["version"] == 1


async def test_failures_quoting_large_values_are_cut_short(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "short")
    assert (await put_schema(client, account, "short", {"type": "integer"})).status_code == 200
    response = await publish(client, account, "short", ["x" * 60_000] * 30)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert len(details) == 20
    assert all(len(d["reason"]) <= 300 for d in details)
    assert len(response.content) < 20_000
    response = await put_schema(client, account, "short", {"pattern": "(" * 5000})
    assert response.status_code == 422, response.text
    assert len(response.json()["error"]["message"]) < 500


async def test_a_retry_of_a_stored_publish_replays_even_after_the_schema_tightened(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await make_topic(client, account, "retried")
    assert (await put_schema(client, account, "retried", ORDER)).status_code == 200
    body = {"messages": [{"value": {"n": 1, "user": "ann", "amount": 1}}]}
    headers = {**account.headers, "Idempotency-Key": "order-1"}
    first = await client.post("/api/v1/topics/retried/publish", headers=headers, json=body)
    assert first.status_code == 200, first.text
    response = await put_schema(client, account, "retried", STRICTER, force="true")
    assert response.status_code == 200, response.text
    again = await client.post("/api/v1/topics/retried/publish", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    # A new key is checked against the schema in force, and released when refused.
    headers = {**account.headers, "Idempotency-Key": "order-2"}
    refused = await client.post("/api/v1/topics/retried/publish", headers=headers, json=body)
    assert refused.status_code == 422, refused.text
    fixed = {"messages": [{"value": {"n": 2, "user": "ann", "amount": 1, "currency": "EUR"}}]}
    accepted = await client.post("/api/v1/topics/retried/publish", headers=headers, json=fixed)
    assert accepted.status_code == 200, accepted.text
    messages = await stored(client, account, "retried")
    assert [m["headers"]["topichub-schema-version"] for m in messages] == ["1", "2"]
    assert [m["headers"]["idempotency-key"] for m in messages] == ["order-1", "order-2"]
