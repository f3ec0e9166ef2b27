"""Seed 004's math service: the README's flow, exact results, bounds, history, events."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from tests.audit.support import wait_for_events
from tests.support.factories import PASSWORD, Account, bearer, create_key, signup


async def test_seed_004_register_token_add(client: httpx.AsyncClient) -> None:
    username = f"mathfan{id(client) % 100000}"
    registered = await client.post("/register", json={"username": username, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = await client.post("/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"
    headers = bearer(token.json()["access_token"])
    response = await client.get("/math/add?a=2&b=3", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"operation": "add", "a": 2, "b": 3, "result": 5}
    subtract = await client.get("/math/subtract", params={"a": 2, "b": 3}, headers=headers)
    assert subtract.json()["result"] == -1


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("add", {"a": "2", "b": "3"}, {"a": 2, "b": 3, "result": 5}),
        ("add", {"a": "0.1", "b": "0.2"}, {"a": 0.1, "b": 0.2, "result": 0.1 + 0.2}),
        ("subtract", {"a": "10", "b": "2.5"}, {"a": 10, "b": 2.5, "result": 7.5}),
        ("multiply", {"a": "-4", "b": "6"}, {"a": -4, "b": 6, "result": -24}),
        ("divide", {"a": "7", "b": "2"}, {"a": 7, "b": 2, "result": 3.5}),
        ("divide", {"a": "12", "b": "4"}, {"a": 12, "b": 4, "result": 3}),
        ("pow", {"a": "2", "b": "10"}, {"a": 2, "b": 10, "result": 1024}),
        ("pow", {"a": "2", "b": "-2"}, {"a": 2, "b": -2, "result": 0.25}),
        ("pow", {"a": "9", "b": "0.5"}, {"a": 9, "b": 0.5, "result": 3.0}),
        ("sqrt", {"a": "16"}, {"a": 16, "result": 4}),
        ("sqrt", {"a": "2"}, {"a": 2, "result": math.sqrt(2)}),
        ("factorial", {"n": "5"}, {"n": 5, "result": 120}),
        ("fibonacci", {"n": "10"}, {"n": 10, "result": 55}),
        ("fibonacci", {"n": "0"}, {"n": 0, "result": 0}),
    ],
)
async def test_operations_over_get_and_post(
    client: httpx.AsyncClient, operation: str, params: dict[str, str], expected: dict[str, Any]
) -> None:
    account = await signup(client)
    got = await client.get(f"/math/{operation}", params=params, headers=account.headers)
    assert got.status_code == 200, got.text
    assert got.json() == {"operation": operation, **expected}
    body = {k: v for k, v in expected.items() if k != "result"}
    posted = await client.post(f"/api/v1/math/{operation}", json=body, headers=account.headers)
    assert posted.status_code == 200, posted.text
    assert posted.json() == got.json()


async def test_integer_results_are_exact_at_any_allowed_size(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    big = 10**40 + 7
    product = await client.post(
        "/math/multiply", json={"a": big, "b": big}, headers=account.headers
    )
    assert product.json()["result"] == big * big
    factorial = await client.get("/math/factorial", params={"n": 1000}, headers=account.headers)
    assert factorial.json()["result"] == math.factorial(1000)
    fibonacci = await client.get("/math/fibonacci", params={"n": 10000}, headers=account.headers)
    assert len(str(fibonacci.json()["result"])) == 2090
    power = await client.get("/math/pow", params={"a": 3, "b": 5000}, headers=account.headers)
    assert power.json()["result"] == 3**5000
    # The stored history keeps every digit too (SQLite once turned these into floats).
    history = (await client.get("/math/history", headers=account.headers)).json()["items"]
    assert history[0]["result"] == 3**5000
    assert history[1]["result"] == fibonacci.json()["result"]
    assert history[2]["result"] == math.factorial(1000)
    assert history[3]["result"] == big * big


@pytest.mark.parametrize(
    ("operation", "params", "status", "detail"),
    [
        ("divide", {"a": "1", "b": "0"}, 400, "Division by zero is undefined"),
        ("divide", {"a": "1.5", "b": "0.0"}, 400, "Division by zero is undefined"),
        ("sqrt", {"a": "-4"}, 400, "The square root of a negative number is not a real number"),
        ("factorial", {"n": "1001"}, 400, "n must be at most 1000"),
        ("factorial", {"n": "-1"}, 400, "n must not be negative"),
        ("factorial", {"n": "2.5"}, 422, "Invalid n: must be a whole number"),
        ("fibonacci", {"n": "10001"}, 400, "n must be at most 10000"),
        ("pow", {"a": "10", "b": "100000"}, 400, "The result is too large"),
        ("pow", {"a": "0", "b": "-1"}, 400, "0 cannot be raised to a negative power"),
        ("pow", {"a": "-8", "b": "0.5"}, 400, "The result is not a real number"),
        ("pow", {"a": "1e300", "b": "2"}, 400, "The result is out of range"),
        ("multiply", {"a": "1e308", "b": "10"}, 400, "The result is out of range"),
        ("divide", {"a": "1" + "0" * 999, "b": "7"}, 400, "The result is out of range"),
        ("add", {"a": "nan", "b": "1"}, 422, "Invalid a: must be a number"),
        ("add", {"a": "inf", "b": "1"}, 422, "Invalid a: must be a number"),
        ("add", {"a": "1e999", "b": "1"}, 422, "Invalid a: must be a finite number"),
        ("add", {"a": "two", "b": "1"}, 422, "Invalid a: must be a number"),
        ("add", {"a": "1"}, 422, "Invalid b: is required"),
        ("add", {"a": "9" * 1001, "b": "1"}, 422, "Invalid a: has more than 1000 digits"),
        ("sqrt", {}, 422, "Invalid a: is required"),
        ("modulo", {"a": "1", "b": "2"}, 404, None),
    ],
)
async def test_bad_operands_are_4xx_with_a_clear_message(
    client: httpx.AsyncClient,
    operation: str,
    params: dict[str, str],
    status: int,
    detail: str | None,
) -> None:
    account = await signup(client)
    response = await client.get(f"/math/{operation}", params=params, headers=account.headers)
    assert response.status_code == status, response.text
    if detail is not None:
        assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    "body",
    [
        {"a": True, "b": 1},
        {"a": [1], "b": 1},
        {"a": {"x": 1}, "b": 1},
        {"a": 1, "b": 2, "c": 3},
        [1, 2],
        "1+2",
    ],
)
async def test_bad_json_bodies_are_422(client: httpx.AsyncClient, body: Any) -> None:
    account = await signup(client)
    response = await client.post("/math/add", json=body, headers=account.headers)
    assert response.status_code == 422, response.text


async def test_math_needs_a_jwt_or_an_api_key(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert (await client.get("/math/add?a=1&b=2")).status_code == 401
    assert (await client.get("/math/add?a=1&b=2", headers=bearer("nonsense"))).status_code == 401
    key = await create_key(client, account, ["read"])
    with_key = await client.get("/math/add?a=1&b=2", headers={"X-API-Key": key["key"]})
    assert with_key.json()["result"] == 3


async def calc(client: httpx.AsyncClient, account: Account, a: int, b: int) -> None:
    response = await client.get("/math/add", params={"a": a, "b": b}, headers=account.headers)
    assert response.status_code == 200


async def test_history_is_per_user_paged_and_deletable(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    for i in range(3):
        await calc(client, alice, i, 1)
    await calc(client, bob, 100, 1)
    history = (await client.get("/math/history", headers=alice.headers)).json()
    assert [item["inputs"] for item in history["items"]] == [
        {"a": 2, "b": 1},
        {"a": 1, "b": 1},
        {"a": 0, "b": 1},
    ]
    assert history["items"][0]["result"] == 3
    page = (
        await client.get(
            "/api/v1/math/history", params={"limit": 1, "offset": 1}, headers=alice.headers
        )
    ).json()
    assert (page["items"][0]["inputs"], page["has_more"]) == ({"a": 1, "b": 1}, True)
    bobs = (await client.get("/math/history", headers=bob.headers)).json()["items"]
    assert [item["result"] for item in bobs] == [101]

    entry = history["items"][0]["id"]
    refused = await client.delete(f"/math/history/{entry}", headers=bob.headers)
    assert refused.status_code == 404
    deleted = await client.delete(f"/math/history/{entry}", headers=alice.headers)
    assert deleted.status_code == 204
    again = await client.delete(f"/math/history/{entry}", headers=alice.headers)
    assert again.status_code == 404
    remaining = (await client.get("/math/history", headers=alice.headers)).json()["items"]
    assert len(remaining) == 2
    bad = await client.delete("/math/history/not-a-uuid", headers=alice.headers)
    assert bad.status_code == 422
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        response = await client.get("/math/history", params=params, headers=alice.headers)
        assert response.status_code == 422


async def test_every_call_is_an_event_on_logs(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await client.get("/math/pow", params={"a": 2, "b": 100}, headers=account.headers)
    await client.get("/math/divide", params={"a": 1, "b": 0}, headers=account.headers)  # refused
    [event] = await wait_for_events(client, account, 1, topic="logs")
    payload = event["payload"]
    assert event["type"] == "math_operation"
    assert payload["operation"] == "pow"
    assert payload["inputs"] == {"a": 2, "b": 100}
    assert payload["result"] == 2**100
    assert payload["user"] == account.email
    assert payload["user_id"] == account.user["id"]
    assert payload["time"].endswith("Z")
    other = await signup(client)
    assert (await client.get("/api/v1/events", headers=other.headers)).json()["items"] == []
