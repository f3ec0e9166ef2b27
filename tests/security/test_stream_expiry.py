"""Issue 12.20: a stream lives no longer than the credential that opened it. A stream
opened with an access token records that token's expiry and is closed (reason
``unauthenticated``, WebSocket 4001) once it passes; one opened with a stream ticket
lives at most an access token's lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
from fastapi import FastAPI

from tests.support.factories import signup
from topichub.kit.time import utcnow


async def test_a_stream_closes_when_its_access_token_expires(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    account = await signup(http)
    registry = app.state.resources.streams
    before = {stream.id for stream in registry.list()}
    async with http.stream("GET", "/topics/events/stream", headers=account.headers) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        await anext(lines)  # the connect comment: the stream is registered
        [entry] = [s for s in registry.list() if s.id not in before]
        exp = jwt.decode(account.token, options={"verify_signature": False})["exp"]
        assert entry.expires_at == datetime.fromtimestamp(exp, tz=UTC)
        # The token's time has come (rather than waiting out its 15 minutes).
        entry.expires_at = utcnow() - timedelta(seconds=1)
        assert await registry.check_now() >= 1
        rest = [line async for line in lines]
    assert "event: close" in rest
    assert any("unauthenticated" in line for line in rest), rest


async def test_a_ticket_stream_lives_at_most_an_access_token_lifetime(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    account = await signup(http)
    ticket = (await http.post("/stream-tickets", headers=account.headers)).json()["ticket"]
    registry = app.state.resources.streams
    before = {stream.id for stream in registry.list()}
    async with http.stream("GET", f"/topics/events/stream?ticket={ticket}") as response:
        assert response.status_code == 200
        await anext(response.aiter_lines())
        [entry] = [s for s in registry.list() if s.id not in before]
        ttl = app.state.resources.tokens.access_ttl_s
        assert entry.expires_at is not None
        assert entry.expires_at <= utcnow() + timedelta(seconds=ttl)
        entry.close("client_gone")
