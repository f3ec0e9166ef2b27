"""The message browser and topic statistics (issue 17): every parameter, both orders,
paging to the end with ``next``, on SQLite, PostgreSQL and the Kafka broker."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import Account, create_key, signup
from tests.support.server import sse
from topichub.bus.port import OutRecord
from topichub.resources import Resources

COUNT = 30
PARTITIONS = 3
KEYS = 5


def base_ms() -> int:
    # Half an hour ago: inside the last hour, outside the last minute.
    return int(time.time() * 1000) - 30 * 60 * 1000


async def make_topic(client: httpx.AsyncClient, account: Account, name: str) -> str:
    response = await client.post(
        "/api/v1/topics", headers=account.headers, json={"name": name, "partitions": PARTITIONS}
    )
    assert response.status_code == 201, response.text
    return "th.t." + response.json()["id"].replace("-", "")


async def seed(app: FastAPI, client: httpx.AsyncClient, account: Account, name: str) -> int:
    """Record i: partition i % 3, key k{i % 5}, timestamp base + i seconds, value {"i": i}."""
    physical = await make_topic(client, account, name)
    base = base_ms()
    resources: Resources = app.state.resources
    await resources.bus.publish(
        physical,
        [
            OutRecord(
                value=json.dumps({"i": i}).encode(),
                key=f"k{i % KEYS}".encode(),
                partition=i % PARTITIONS,
                timestamp_ms=base + i * 1000,
            )
            for i in range(COUNT)
        ],
    )
    return base


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


async def browse_all(
    client: httpx.AsyncClient, account: Account, name: str, **params: Any
) -> list[int]:
    """Follow ``next`` to the end; the values (``i``) in the order they were shown."""
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = await client.get(
            f"/api/v1/topics/{name}/messages", headers=account.headers, params=query
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["messages"]) <= params.get("limit", 50)
        seen += [m["value"]["i"] for m in body["messages"]]
        cursor = body["next"]
        if cursor is None:
            return seen
    raise AssertionError("paging never ended")


async def check_browsing(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signup(client)
    base = await seed(app, client, account, "browse")
    everything = list(range(COUNT))
    assert await browse_all(client, account, "browse", limit=7) == everything
    assert await browse_all(client, account, "browse", limit=7, order="desc") == everything[::-1]
    assert await browse_all(client, account, "browse") == everything

    in_p1 = [i for i in everything if i % PARTITIONS == 1]
    assert await browse_all(client, account, "browse", partition=1, limit=3) == in_p1
    assert await browse_all(client, account, "browse", partition=1, offset=3) == in_p1[3:]
    assert (
        await browse_all(client, account, "browse", partition=1, offset=3, order="desc", limit=2)
        == in_p1[:4][::-1]
    )

    k2 = [i for i in everything if i % KEYS == 2]
    assert await browse_all(client, account, "browse", key="k2", limit=2) == k2
    assert await browse_all(client, account, "browse", key="k2", order="desc") == k2[::-1]
    assert await browse_all(client, account, "browse", key="absent") == []

    window = {"since": iso(base + 5000), "until": iso(base + 12000)}
    assert await browse_all(client, account, "browse", limit=3, **window) == list(range(5, 13))
    assert await browse_all(client, account, "browse", limit=3, order="desc", **window) == list(
        range(12, 4, -1)
    )
    assert await browse_all(client, account, "browse", key="k0", order="desc", **window) == [10, 5]

    page = (
        await client.get(
            "/api/v1/topics/browse/messages",
            headers=account.headers,
            params={"limit": 1, "order": "desc"},
        )
    ).json()
    (message,) = page["messages"]
    assert message["value"] == {"i": COUNT - 1}
    assert message["key"] == f"k{(COUNT - 1) % KEYS}"
    assert message["partition"] == (COUNT - 1) % PARTITIONS
    assert message["offset"] == (COUNT - 1) // PARTITIONS
    assert message["headers"] == {}
    assert message["size"] == len(json.dumps({"i": COUNT - 1}))
    assert message["timestamp"] == iso(base + (COUNT - 1) * 1000)


async def check_stats(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signup(client)
    base = await seed(app, client, account, "stats")
    response = await client.post(
        "/api/v1/topics/stats/publish",
        headers=account.headers,
        json={"messages": [{"value": "now", "partition": 0}, {"value": "too", "partition": 0}]},
    )
    assert response.status_code == 200, response.text
    response = await client.get("/api/v1/topics/stats/stats", headers=account.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["topic"] == "stats"
    assert stats["partitions"] == [
        {"partition": 0, "earliest_offset": 0, "next_offset": 12, "messages": 12},
        {"partition": 1, "earliest_offset": 0, "next_offset": 10, "messages": 10},
        {"partition": 2, "earliest_offset": 0, "next_offset": 10, "messages": 10},
    ]
    assert stats["messages_retained"] == COUNT + 2
    # Counted as published through topichub (the seed wrote straight into the log).
    assert stats["messages_last_minute"] == stats["messages_last_hour"] == 2
    assert stats["bytes_last_minute"] == stats["bytes_last_hour"] == len('"now""too"')
    assert stats["messages_out_last_minute"] == stats["messages_out_last_hour"] == 0
    assert stats["open_streams"] == 0
    published_at = response.json()["last_message_at"]
    assert published_at > iso(base + (COUNT - 1) * 1000)
    resources: Resources = app.state.resources
    if resources.bus.name == "embedded":
        assert stats["bytes_retained"] >= sum(len(json.dumps({"i": i})) for i in range(COUNT))
    else:
        assert stats["bytes_retained"] is None

    response = await client.get(
        "/api/v1/topics/stats/messages", headers=account.headers, params={"limit": 5}
    )
    shown = response.json()["messages"]
    stats = (await client.get("/api/v1/topics/stats/stats", headers=account.headers)).json()
    assert stats["messages_out_last_minute"] == stats["messages_out_last_hour"] == 5
    assert stats["bytes_out_last_minute"] == sum(m["size"] for m in shown)

    listed = await client.get("/api/v1/topics", headers=account.headers)
    assert listed.status_code == 200, listed.text
    headline = next(t for t in listed.json()["topics"] if t["name"] == "stats")["stats"]
    assert headline["messages_retained"] == COUNT + 2
    assert headline["last_message_at"] == published_at
    assert headline["messages_last_minute"] == 2
    assert headline["bytes_last_minute"] == len('"now""too"')
    assert headline["bytes_retained"] == stats["bytes_retained"]
    other = next(t for t in listed.json()["topics"] if t["name"] == "events")["stats"]
    assert other["messages_retained"] == 0
    assert other["last_message_at"] is None

    # A publish through this process shows at once (no wait for the figures' cache).
    response = await client.post(
        "/api/v1/topics/stats/publish", headers=account.headers, json={"messages": [{"value": 1}]}
    )
    assert response.status_code == 200, response.text
    stats = (await client.get("/api/v1/topics/stats/stats", headers=account.headers)).json()
    assert stats["messages_retained"] == COUNT + 3
    assert stats["messages_last_minute"] == 3


async def check_empty_and_deleted(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await make_topic(client, account, "empty")
    response = await client.get("/api/v1/topics/empty/messages", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"messages": [], "next": None}
    response = await client.get(
        "/api/v1/topics/empty/messages", headers=account.headers, params={"order": "desc"}
    )
    assert response.json() == {"messages": [], "next": None}
    stats = (await client.get("/api/v1/topics/empty/stats", headers=account.headers)).json()
    assert stats["messages_retained"] == 0
    assert stats["last_message_at"] is None
    assert [p["next_offset"] for p in stats["partitions"]] == [0] * PARTITIONS

    response = await client.delete("/api/v1/topics/empty", headers=account.headers)
    assert response.status_code in (200, 204), response.text
    for route in ("messages", "stats"):
        response = await client.get(f"/api/v1/topics/empty/{route}", headers=account.headers)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_browse_by_every_parameter_in_both_orders(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await check_browsing(app, client)


async def test_stats_match_what_was_published(app: FastAPI, client: httpx.AsyncClient) -> None:
    await check_stats(app, client)


async def test_an_empty_topic_and_a_deleted_one(client: httpx.AsyncClient) -> None:
    await check_empty_and_deleted(client)


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
async def test_browse_and_stats_on_kafka(kafka_app: FastAPI) -> None:
    async with client_for(kafka_app) as client:
        await check_browsing(kafka_app, client)
        await check_stats(kafka_app, client)
        await check_empty_and_deleted(client)


async def test_another_tenant_gets_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    await seed(app, client, owner, "private")
    for route in ("messages", "stats"):
        response = await client.get(f"/api/v1/topics/private/{route}", headers=other.headers)
        assert response.status_code == 404, response.text


async def test_a_key_of_another_project_gets_404(client: httpx.AsyncClient) -> None:
    # Every key permission includes read; what limits a key is its project.
    account = await signup(client)
    response = await client.post("/api/v1/projects", headers=account.headers, json={"name": "p2"})
    assert response.status_code == 201, response.text
    key = await create_key(client, account, ["read"], project_id=response.json()["id"])
    for route in ("messages", "stats"):
        response = await client.get(
            f"/api/v1/topics/events/{route}", headers={"X-API-Key": key["key"]}
        )
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"partition": 3}, "partition"),
        ({"partition": -1}, "partition"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"offset": 3}, "offset"),
        ({"cursor": "nonsense"}, "cursor"),
        ({"cursor": "7:0"}, "cursor"),
    ],
)
async def test_bad_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    account = await signup(client)
    await make_topic(client, account, "strict")
    response = await client.get(
        "/api/v1/topics/strict/messages", headers=account.headers, params=params
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in json.dumps(error["details"])


async def test_browsing_counts_as_outbound_usage(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await seed(app, client, account, "metered")
    before = (await client.get("/usage", headers=account.headers)).json()
    response = await client.get(
        "/api/v1/topics/metered/messages", headers=account.headers, params={"limit": 4}
    )
    assert response.status_code == 200
    shown = response.json()["messages"]
    after = (await client.get("/usage", headers=account.headers)).json()
    assert after["messages_out"]["used"] - before["messages_out"]["used"] == 4
    assert after["bytes_out"]["used"] - before["bytes_out"]["used"] == sum(m["size"] for m in shown)


async def test_records_show_in_the_streams_lossless_form(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signup(client)
    physical = await make_topic(client, account, "raw")
    resources: Resources = app.state.resources
    await resources.bus.publish(
        physical,
        [
            OutRecord(value=b"\xff\xfe", key=b"\xff", headers=(("d", b"1"), ("d", b"2"))),
            OutRecord(value=b"plain text"),
        ],
    )
    response = await client.get("/api/v1/topics/raw/messages", headers=account.headers)
    first, second = response.json()["messages"]
    assert (first["value"], first["value_encoding"]) == ("//4=", "base64")
    assert (first["key"], first["key_encoding"]) == ("/w==", "base64")
    assert first["headers"] == {"d": ["1", "2"]}
    assert first["size"] == 2
    assert (second["value"], second["value_encoding"]) == ("plain text", "text")


async def test_a_stream_continues_from_a_browsed_page(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    account = await signup(http)
    await seed(app, http, account, "resume")
    page = (
        await http.get(
            "/api/v1/topics/resume/messages", headers=account.headers, params={"limit": 10}
        )
    ).json()
    assert [m["value"]["i"] for m in page["messages"]] == list(range(10))
    url = f"/api/v1/topics/resume/stream?cursor={page['next']}"
    async with sse(http, url, headers=account.headers) as stream:
        rest = [(await stream.next(timeout=10)).json()["value"]["i"] for _ in range(COUNT - 10)]
        stats = (await http.get("/api/v1/topics/resume/stats", headers=account.headers)).json()
    assert sorted(rest) == list(range(10, COUNT))
    assert stats["open_streams"] == 1


async def test_browsing_stops_at_the_daily_outbound_quota(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, quota_user_messages_per_day=5
    )
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        await seed(app, client, account, "capped")
        url = "/api/v1/topics/capped/messages"
        shown = await client.get(url, headers=account.headers, params={"limit": 5})
        assert shown.status_code == 200, shown.text
        assert len(shown.json()["messages"]) == 5
        refused = await client.get(url, headers=account.headers, params={"limit": 5})
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "QUOTA_EXCEEDED"
