"""Bad input and abuse: every one gets a clear 4xx, and the server answers the next
request. In-process through the ASGI app (SQLite and PostgreSQL: PostgreSQL refuses NUL
bytes in text and NaN in JSON, SQLite stores them, so both engines must be asked), and
over real HTTP where only a real server shows the behaviour (header blocks, raw bytes).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tests.conftest import client_for
from tests.support.factories import Account, create_key, signup
from topichub.models import User

PUBLISH = "/api/v1/topics/events/publish"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
async def account(app: FastAPI) -> AsyncIterator[Account]:
    async with client_for(app) as client:
        yield await signup(client)


async def assert_alive(client: httpx.AsyncClient, account: Account) -> None:
    """The server still answers, including a request that touches the database."""
    assert (await client.get("/health")).status_code == 200
    response = await client.get("/api/v1/topics", headers=account.headers)
    assert response.status_code == 200, response.text


def assert_4xx(response: httpx.Response, *statuses: int) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["error"]["code"]


def value_body(raw_value: bytes) -> bytes:
    return b'{"messages":[{"value":' + raw_value + b"}]}"


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("100k levels of [", value_body(b"[" * 100_000 + b"]" * 100_000)),
        ("5k levels of {", value_body(b'{"a":' * 5_000 + b"1" + b"}" * 5_000)),
        ("unclosed nesting", value_body(b"[" * 100_000)),
        ("invalid UTF-8", value_body(b'"\xff\xfe\xc3\x28"')),
        ("a 5,000-digit integer", value_body(b"9" * 5_000)),
        ("NaN", value_body(b"NaN")),
        ("Infinity", value_body(b"-Infinity")),
        ("a float that overflows to infinity", value_body(b"1e400")),
        ("not JSON", b"{'messages': [}"),
        ("empty", b""),
    ],
)
async def test_malformed_json_is_a_4xx(
    client: httpx.AsyncClient, account: Account, label: str, body: bytes
) -> None:
    response = await client.post(PUBLISH, content=body, headers={**account.headers, **JSON})
    assert_4xx(response, 400, 422)
    await assert_alive(client, account)


async def test_json_nested_within_the_parser_limit_is_stored(
    client: httpx.AsyncClient, account: Account
) -> None:
    body = value_body(b"[" * 500 + b"]" * 500)
    response = await client.post(PUBLISH, content=body, headers={**account.headers, **JSON})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", None],
)
async def test_wrong_content_type_is_a_4xx(
    client: httpx.AsyncClient, account: Account, content_type: str | None
) -> None:
    headers = dict(account.headers)
    if content_type:
        headers["content-type"] = content_type
    body = json.dumps({"messages": [{"value": 1}]}).encode()
    response = await client.post(PUBLISH, content=body, headers=headers)
    assert_4xx(response, 415, 422)
    multipart = await client.post(
        "/api/v1/todos", files={"title": ("t", b"x")}, headers=account.headers
    )
    assert_4xx(multipart, 415, 422)
    await assert_alive(client, account)


async def test_huge_batches_are_refused_quickly(
    client: httpx.AsyncClient, account: Account, app: FastAPI
) -> None:
    limit = app.state.resources.settings.max_batch_messages
    over = await client.post(
        PUBLISH, json={"messages": [{"value": 0}] * (limit + 1)}, headers=account.headers
    )
    assert_4xx(over, 422)
    assert f"at most {limit}" in over.json()["detail"]
    # As many messages as fit in the body limit: refused in bounded time.
    max_body = app.state.resources.settings.max_body_bytes
    count = (max_body - 20) // len('{"value":0},')
    body = json.dumps({"messages": [{"value": 0}] * count}, separators=(",", ":")).encode()
    assert len(body) <= max_body
    started = time.monotonic()
    response = await client.post(PUBLISH, content=body, headers={**account.headers, **JSON})
    assert_4xx(response, 422)
    assert time.monotonic() - started < 15
    await assert_alive(client, account)


async def test_oversized_publish_body_is_413(
    client: httpx.AsyncClient, account: Account, app: FastAPI
) -> None:
    limit = app.state.resources.settings.max_body_bytes
    value = "x" * limit
    response = await client.post(
        PUBLISH, json={"messages": [{"value": value}]}, headers=account.headers
    )
    assert_4xx(response, 413)
    await assert_alive(client, account)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/todos", {"limit": -1}),
        ("/api/v1/todos", {"limit": 10**30}),
        ("/api/v1/todos", {"offset": -1}),
        ("/api/v1/todos", {"offset": 2**70}),
        ("/api/v1/math/history", {"offset": 2**70}),
        ("/api/v1/events", {"limit": 10**12}),
        ("/api/v1/todos/99999999999999999999999", {}),
        ("/api/v1/todos/-5", {}),
        ("/api/v1/todos/0", {}),
        ("/api/v1/math/factorial", {"n": 10**9}),
        ("/api/v1/math/pow", {"a": 10, "b": 10**9}),
        ("/api/v1/math/multiply", {"a": "1e308", "b": "1e308"}),
        ("/api/v1/math/add", {"a": "9" * 5_000, "b": 1}),
        ("/api/v1/math/sqrt", {"a": -1}),
        ("/api/v1/math/divide", {"a": 1, "b": 0}),
        ("/api/v1/topics/events/stream", {"cursor": "0:" + "9" * 40}),
        ("/api/v1/topics/events/stream", {"since": "99999-01-01"}),
    ],
)
async def test_negative_and_huge_numbers_are_a_4xx(
    client: httpx.AsyncClient, account: Account, path: str, params: dict[str, Any]
) -> None:
    response = await client.get(path, params=params, headers=account.headers)
    assert_4xx(response)
    await assert_alive(client, account)


@pytest.mark.parametrize("partition", [-1, 2**31, 2**64, 10**30])
async def test_out_of_range_partitions_are_a_4xx(
    client: httpx.AsyncClient, account: Account, partition: int
) -> None:
    body = {"messages": [{"value": 1, "partition": partition}]}
    assert_4xx(await client.post(PUBLISH, json=body, headers=account.headers), 422)


async def test_admin_listing_offsets_are_bounded(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = await signup(client)
    async with app.state.resources.sessionmaker() as session:
        await session.execute(
            update(User).where(User.email == admin.email).values(is_platform_admin=True)
        )
        await session.commit()
    for path in ("/api/admin/tenants", "/api/admin/users"):
        response = await client.get(path, params={"offset": 2**70}, headers=admin.headers)
        assert_4xx(response, 422)
    nul = await client.post("/api/admin/tenants", json={"name": "t\x00"}, headers=admin.headers)
    assert_4xx(nul, 422)
    nul_owner = await client.post(
        "/api/admin/tenants", json={"name": "t", "owner_email": "a\x00@x.io"}, headers=admin.headers
    )
    assert_4xx(nul_owner, 422)
    await assert_alive(client, admin)


TRAVERSALS = [
    "..",
    "%2e%2e",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2fevents",
    "..%5c..%5cevents",
    "events%00",
    "a%00b",
    "%252e%252e%252f",
    "events%2F..%2Fevents",
]


@pytest.mark.parametrize("name", TRAVERSALS)
async def test_path_traversal_in_topic_names_finds_nothing(
    client: httpx.AsyncClient, account: Account, name: str
) -> None:
    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/publish", {"messages": [{"value": 1}]}),
        ("DELETE", "", None),
    ]:
        response = await client.request(
            method, f"/api/v1/topics/{name}{suffix}", json=body, headers=account.headers
        )
        assert_4xx(response, 404, 405, 422)
    # The default topic is still there.
    assert (await client.get("/api/v1/topics/events", headers=account.headers)).status_code == 200


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "a\\b", "a\x00b", ".hidden", "x" * 101, ""])
async def test_unsafe_topic_names_cannot_be_created(
    client: httpx.AsyncClient, account: Account, name: str
) -> None:
    response = await client.post("/api/v1/topics", json={"name": name}, headers=account.headers)
    assert_4xx(response, 422)


async def test_nul_bytes_are_a_4xx_on_every_engine(
    client: httpx.AsyncClient, account: Account
) -> None:
    """PostgreSQL refuses NUL in text; these were 500s there."""
    h = account.headers
    cases = [
        ("POST", "/api/v1/projects", {"json": {"name": "p", "description": "a\x00b"}}),
        ("POST", "/api/v1/api-keys", {"json": {"name": "k\x00", "permissions": ["read"]}}),
        ("POST", "/api/v1/todos", {"json": {"title": "a\x00b"}}),
        ("POST", "/api/v1/chat/groups", {"json": {"name": "g\x00"}}),
        ("GET", "/api/v1/events", {"params": {"type": "a\x00"}}),
        ("GET", "/api/v1/topics/events/stream", {"params": {"cursor": "0:\x00"}}),
    ]
    for method, path, kwargs in cases:
        response = await client.request(method, path, headers=h, **kwargs)
        assert_4xx(response, 422)
    logins = [
        ("/auth/login", {"json": {"email": "a\x00@example.com", "password": "x"}}),
        ("/auth/login", {"params": {"username": "a\x00", "password": "x"}}),
        ("/token", {"data": {"username": "a\x00", "password": "x"}}),
        ("/api/v1/auth/signup", {"json": {"email": "a\x00@example.com", "password": "x" * 12}}),
    ]
    for path, kwargs in logins:
        response = await client.post(path, **kwargs)
        assert_4xx(response, 401, 422)
    await assert_alive(client, account)


async def test_nul_bytes_inside_message_values_are_data(
    client: httpx.AsyncClient, account: Account
) -> None:
    """A message value is any JSON: a NUL inside a string is escaped, stored and returned."""
    message = {"value": {"text": "a\x00b"}, "key": "k\x00", "headers": {"h": "v\x00"}}
    response = await client.post(PUBLISH, json={"messages": [message]}, headers=account.headers)
    assert response.status_code == 200, response.text


async def test_non_standard_json_numbers_are_refused_where_stored(
    client: httpx.AsyncClient, account: Account
) -> None:
    """Python's parser accepts NaN and Infinity; no consumer's parser (and not
    PostgreSQL's json type) does."""
    item = b'{"items":[{"item_id":"i1","title":"t","metadata":{"score":NaN}}]}'
    response = await client.post("/api/v1/items", content=item, headers={**account.headers, **JSON})
    assert_4xx(response, 422)
    await assert_alive(client, account)


# -- over real HTTP ---------------------------------------------------------------------


async def test_oversized_header_blocks_are_431(base_url: str, http: httpx.AsyncClient) -> None:
    account = await signup(http)
    for headers in (
        {"X-Big": "a" * (1024 * 1024)},
        {f"X-H{i}": "v" * 10 for i in range(10_000)},
        {"Authorization": "Bearer " + "a" * (256 * 1024)},
    ):
        # A connection of its own: the server may close it after refusing the headers.
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            response = await client.get("/api/v1/topics", headers=headers)
        assert_4xx(response, 431)
        assert response.headers["x-content-type-options"] == "nosniff"
    ordinary = await http.get("/health", headers={"X-Ordinary": "a" * 8000})
    assert ordinary.status_code == 200
    await assert_alive(http, account)


async def _raw(base_url: str, data: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read(200)
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"\x00\x01\x02 garbage\r\n\r\n",
        b"GET /health?" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
        b"POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 99999999999999999999999\r\n\r\n{}",
    ],
    ids=["garbage", "1 MB URL", "NUL in a header", "negative length", "CL and TE", "huge length"],
)
async def test_malformed_http_is_a_4xx(
    base_url: str, http: httpx.AsyncClient, request_bytes: bytes
) -> None:
    answer = await _raw(base_url, request_bytes)
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer
    assert (await http.get("/health")).status_code == 200


async def test_a_key_survives_the_abuse(client: httpx.AsyncClient, account: Account) -> None:
    """After all of the above, an API key made now still publishes."""
    key = await create_key(client, account)
    response = await client.post(
        PUBLISH, json={"messages": [{"value": "still here"}]}, headers={"X-API-Key": key["key"]}
    )
    assert response.status_code == 200, response.text
