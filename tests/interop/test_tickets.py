"""Issue 15 items 5 and 6: a used stream ticket stays used across a restart (burnt in the
database on the embedded defaults), and an SSE stream's ticket may reopen that same
stream — what a browser's EventSource does after a network blip — and nothing else."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
import websockets
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.conftest import make_settings, running_app
from tests.support.factories import Account, signup
from tests.support.server import serving, sse
from topichub.config import Settings
from topichub.identity.tickets import stream_binding
from topichub.identity.tokens import ALGORITHM, STREAM_TICKET_TYPE
from topichub.kit.time import utcnow
from topichub.models import StreamTicket
from topichub.resources import Resources


@contextlib.asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[tuple[FastAPI, str, httpx.AsyncClient]]:
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield app, url, http


async def _ticket(http: httpx.AsyncClient, account: Account) -> str:
    response = await http.post("/api/v1/stream-tickets", headers=account.headers)
    assert response.status_code == 200, response.text
    ticket: str = response.json()["ticket"]
    return ticket


async def _sse_status(http: httpx.AsyncClient, path: str, ticket: str) -> int:
    async with http.stream("GET", path, params={"ticket": ticket}) as response:
        return response.status_code


async def _ws_refused(url: str, path: str, ticket: str) -> int | None:
    ws_url = url.replace("http", "ws", 1) + f"{path}?ticket={ticket}"
    async with websockets.connect(ws_url) as ws:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.recv()
        return ws.close_code


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


async def test_a_ticket_used_before_a_restart_is_refused_after_it(settings: Settings) -> None:
    async with _served(settings) as (_, url, http):
        account = await signup(http)
        sse_ticket, ws_ticket = await _ticket(http, account), await _ticket(http, account)
        async with sse(http, "/api/v1/topics/events/stream", params={"ticket": sse_ticket}):
            pass
        ws_url = url.replace("http", "ws", 1) + f"/api/v1/topics/events/ws?ticket={ws_ticket}"
        async with websockets.connect(ws_url):
            pass
    # A new server process state on the same database: nothing is remembered in memory.
    async with _served(settings) as (_, url, http):
        assert await _ws_refused(url, "/api/v1/topics/events/ws", ws_ticket) == 4001
        # Used to open one SSE stream, the ticket never opens another one...
        assert await _sse_status(http, "/api/v1/topics/todos/stream", sse_ticket) == 401
        assert await _ws_refused(url, "/api/v1/topics/events/ws", sse_ticket) == 4001
        # ...and opens its own only while its record lasts.
        assert await _sse_status(http, "/api/v1/topics/events/stream", sse_ticket) == 200


async def test_an_sse_ticket_reopens_only_its_stream_and_only_until_it_lapses(
    app: FastAPI, http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    ticket = await _ticket(http, account)
    path = "/api/v1/topics/events/stream"
    for _ in range(3):  # the first open, then two reconnects of the browser
        assert await _sse_status(http, path, ticket) == 200
    assert await _sse_status(http, path + "?from=earliest", ticket) == 200  # same stream
    assert await _sse_status(http, "/topics/events/stream", ticket) == 401  # another path
    assert await _sse_status(http, "/api/v1/topics/logs/stream", ticket) == 401
    other = await signup(http)
    assert await _sse_status(http, path, await _ticket(http, other)) == 200
    # Once the stream has been gone for the ticket's lifetime, the ticket is dead.
    async with app.state.resources.sessionmaker() as session:
        await session.execute(
            update(StreamTicket).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert await _sse_status(http, path, ticket) == 401


def _ticket_issued(resources: Resources, access_token: str, ago: timedelta) -> tuple[str, str]:
    """A stream ticket for the token's user as if issued ``ago`` (a ticket's JWT has no
    other way back in time), and its id."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    issued = utcnow() - ago
    jti = uuid.uuid4().hex
    ticket = jwt.encode(
        {
            **{name: claims[name] for name in ("sub", "tid", "ver")},
            "type": STREAM_TICKET_TYPE,
            "iat": issued,
            "exp": issued + timedelta(seconds=resources.tickets.ttl_s),
            "jti": jti,
        },
        resources.settings.secret_key(),
        algorithm=ALGORITHM,
    )
    return ticket, jti


async def test_a_ticket_resumes_no_longer_than_an_access_token_lives(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    """A stream opened with a ticket closes when an access token bought with it would
    expire; EventSource then reconnects with the same ticket, and that must not start the
    clock again: a ticket serves an access token's lifetime from its issue, in all."""
    resources: Resources = app.state.resources
    account = await signup(http)
    path = "/api/v1/topics/events/stream"
    binding = stream_binding("sse", path, None)
    lifetime = timedelta(seconds=resources.tokens.access_ttl_s)
    for ago, status in ((lifetime - timedelta(minutes=1), 200), (lifetime, 401)):
        ticket, jti = _ticket_issued(resources, account.token, ago)
        # The record of a stream kept open until now (its keeper pushed the expiry on).
        async with resources.sessionmaker() as session:
            expires = utcnow() + timedelta(seconds=resources.tickets.ttl_s)
            session.add(StreamTicket(jti=jti, stream=binding, expires_at=expires))
            await session.commit()
        assert await _sse_status(http, path, ticket) == status, ago


async def test_a_password_change_ends_resuming(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    ticket = await _ticket(http, account)
    path = "/api/v1/topics/events/stream"
    assert await _sse_status(http, path, ticket) == 200
    changed = await http.patch(
        "/auth/me",
        json={"password": "Another-horse-43", "current_password": account.password},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    assert await _sse_status(http, path, ticket) == 401


async def test_expired_ticket_records_are_deleted(app: FastAPI, http: httpx.AsyncClient) -> None:
    resources = app.state.resources
    async with resources.sessionmaker() as session:
        session.add(StreamTicket(jti="x" * 32, stream=None, expires_at=utcnow() - timedelta(1)))
        await session.commit()
    resources.tickets._next_cleanup = 0.0  # the once-a-minute sweep is due
    account = await signup(http)
    assert (
        await _sse_status(http, "/api/v1/topics/events/stream", await _ticket(http, account)) == 200
    )
    async with resources.sessionmaker() as session:
        left = (await session.scalars(select(StreamTicket.jti))).all()
    assert "x" * 32 not in left


@pytest.mark.redis
async def test_with_redis_tickets_are_burnt_and_resumed_the_same_way(
    tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        redis_url=redis_url,
        redis_key_prefix=f"th-test-{tmp_path.name[-8:]}",
    )
    path = "/api/v1/topics/events/stream"
    async with _served(settings) as (_, url, http):
        account = await signup(http)
        sse_ticket, ws_ticket = await _ticket(http, account), await _ticket(http, account)
        assert await _sse_status(http, path, sse_ticket) == 200
        ws_url = url.replace("http", "ws", 1) + f"/api/v1/topics/events/ws?ticket={ws_ticket}"
        async with websockets.connect(ws_url):
            pass
    async with _served(settings) as (_, url, http):
        assert await _ws_refused(url, "/api/v1/topics/events/ws", ws_ticket) == 4001
        assert await _sse_status(http, "/api/v1/topics/logs/stream", sse_ticket) == 401
        assert await _sse_status(http, path, sse_ticket) == 200
