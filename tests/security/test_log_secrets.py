"""Issue 12.2: a real ``topichub serve`` process, driven through HTTP, SSE and WebSocket
with credentials in the query string (API key, access token, stream ticket), logins,
refreshes and failed INSERTs (concurrent sign-ups with one email), writes no key, token,
ticket, password or password hash to its log — ours or a library's (uvicorn, SQLAlchemy),
at DEBUG level and in both log formats."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest
import websockets

from tests.scale.support import ServerProcess, server_env
from tests.support.factories import PASSWORD, bearer, unique_email
from topichub.kit.crypto import sha256_hex

ADMIN_PASSWORD = "Bootstrap-admin-secret-77"


async def _read_some_sse(client: httpx.AsyncClient, url: str, **kwargs: object) -> int:
    async with client.stream("GET", url, **kwargs) as response:  # type: ignore[arg-type]
        if response.status_code == 200:
            async for _chunk in response.aiter_bytes():
                break
        return response.status_code


async def _ws_touch(url: str, first_frame: str | None = None) -> None:
    """Open, optionally send a frame, read one frame or the close, and leave."""
    with contextlib.suppress(websockets.WebSocketException, OSError, TimeoutError):
        async with websockets.connect(url, open_timeout=10) as ws:
            if first_frame is not None:
                await ws.send(first_frame)
            await asyncio.wait_for(ws.recv(), timeout=1)


async def _drive(server: ServerProcess, secrets_used: list[str]) -> None:
    ws = server.ws_url
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        email = unique_email("logscan")
        signed = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 201, signed.text
        access, refresh = signed.json()["access_token"], signed.json()["refresh_token"]
        key_response = await client.post(
            "/api/v1/api-keys",
            json={"name": "k", "permissions": ["read", "write"]},
            headers=bearer(access),
        )
        assert key_response.status_code == 201, key_response.text
        api_key = key_response.json()["key"]
        secrets_used += [access, refresh, api_key, sha256_hex(api_key), sha256_hex(refresh)]

        # Failed INSERTs: the same email at once, many times.
        dup = unique_email("dup")
        await asyncio.gather(
            *(
                client.post("/auth/signup", json={"email": dup, "password": PASSWORD})
                for _ in range(8)
            )
        )
        wrong = await client.post("/auth/login", json={"email": email, "password": "Wrong-42-x"})
        assert wrong.status_code == 401
        secrets_used.append("Wrong-42-x")
        login = await client.post("/auth/login", params={"username": email, "password": PASSWORD})
        assert login.status_code == 200
        secrets_used.append(login.json()["access_token"])
        rotated = await client.post("/auth/refresh", json={"refresh_token": refresh})
        secrets_used.append(rotated.json()["refresh_token"])

        # Plain HTTP with credentials in the query string and the headers.
        for credential in (access, api_key):
            await client.get("/topics", params={"token": credential})
            await client.get("/topics", headers=bearer(credential))
            await client.get("/topics", headers={"X-API-Key": credential})
        await client.post(
            "/topics/events/publish", headers=bearer(api_key), json={"messages": [{"value": 1}]}
        )

        async def ticket() -> str:
            issued = await client.post("/stream-tickets", headers=bearer(access))
            assert issued.status_code == 200, issued.text
            value: str = issued.json()["ticket"]
            secrets_used.append(value)
            return value

        # SSE: ?token= (API key and JWT), ?ticket=, and a ticket used twice.
        for query in (f"token={api_key}", f"token={access}", f"ticket={await ticket()}"):
            await _read_some_sse(client, f"/topics/events/stream?from=beginning&{query}")
        used = await ticket()
        for _ in range(2):
            await _read_some_sse(client, f"/topics/events/stream?ticket={used}")

        # WebSocket: topic streams and chat, every way of presenting a credential.
        group = await client.post(
            "/api/v1/chat/groups", json={"name": "logs"}, headers=bearer(access)
        )
        assert group.status_code == 201, group.text
        group_id = group.json()["id"]
        await _ws_touch(f"{ws}/topics/events/ws?ticket={await ticket()}")
        await _ws_touch(f"{ws}/topics/events/ws?token={api_key}")
        await _ws_touch(f"{ws}/topics/events/ws?token={access}")
        for query in (f"token={access}", f"token={api_key}", f"ticket={await ticket()}"):
            await _ws_touch(f"{ws}/subscribe/{group_id}?{query}")
        await _ws_touch(f"{ws}/subscribe/{group_id}", f'{{"type": "auth", "token": "{access}"}}')
        await _ws_touch(f"{ws}/subscribe/{group_id}?token={access}x")

        # The session that made all of it ends; its password changes.
        changed = await client.patch(
            "/auth/me",
            json={"password": "Another-pass-phrase-9", "current_password": PASSWORD},
            headers=bearer(access),
        )
        assert changed.status_code in {200, 401, 422}
        secrets_used.append("Another-pass-phrase-9")
        await client.post("/auth/logout", json={"refresh_token": rotated.json()["refresh_token"]})


@pytest.mark.parametrize("log_json", ["true", "false"])
async def test_no_credential_reaches_the_server_log(
    own_database_url: str, tmp_path: Path, log_json: str
) -> None:
    env = server_env(
        database_url=own_database_url,
        kafka=None,
        redis_url=None,
        redis_prefix="logscan",
        data_dir=tmp_path / "data",
        log_level="DEBUG",
        log_json=log_json,
        migrate_on_start="true",
        admin_email=unique_email("admin"),
        admin_password=ADMIN_PASSWORD,
    )
    server = ServerProcess("logscan", env, tmp_path)
    secrets_used = [PASSWORD, ADMIN_PASSWORD, env["TOPICHUB_JWT_SECRET"]]
    try:
        await server.wait_ready()
        await _drive(server, secrets_used)
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "WebSocket /subscribe" in log or "/subscribe" in log, "the handshakes were logged"
    leaked = [s[:12] + "…" for s in secrets_used if s in log]
    assert not leaked, f"secrets in the server log: {leaked}"
    assert "$argon2" not in log
