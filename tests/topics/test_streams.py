"""Live streams over real HTTP: SSE frames, resume, limits, revocation, WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import make_settings, running_app
from tests.support.factories import PASSWORD, Account, bearer, create_key, signup
from tests.support.server import serving, sse


async def publish(
    http: httpx.AsyncClient, account: Account, values: list[Any], topic: str = "events"
) -> list[dict[str, Any]]:
    response = await http.post(
        f"/topics/{topic}/publish",
        headers=account.headers,
        json={"messages": [{"value": v} for v in values]},
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["messages"]
    return result


async def test_seed_000_stream_example(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    async with sse(http, "/topics/events/stream", headers=account.headers) as stream:
        first = await stream._frame()
        assert first.comments, "a comment frame on connect"
        await publish(http, account, [{"test": "message"}])
        event = await stream.next()
    data = event.json()
    assert data["value"] == {"test": "message"}
    assert data["offset"] == 0
    datetime.fromisoformat(data["timestamp"])
    assert event.id == "0:1"


async def test_latest_start_sees_only_later_messages(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    await publish(http, account, ["before"])
    async with sse(http, "/topics/events/stream", headers=account.headers) as stream:
        await stream._frame()
        await publish(http, account, ["after"])
        event = await stream.next()
    assert event.json()["value"] == "after"


async def test_reconnect_with_last_event_id_resumes_without_gap_or_duplicate(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    await publish(http, account, list(range(5)))
    async with sse(
        http, "/topics/events/stream", params={"from": "earliest"}, headers=account.headers
    ) as stream:
        first = await stream.events(3)
    assert [e.json()["value"] for e in first] == [0, 1, 2]
    await publish(http, account, list(range(5, 8)))
    headers = {**account.headers, "Last-Event-ID": first[-1].id or ""}
    # The original URL says from=earliest; Last-Event-ID must win, as a browser resends both.
    async with sse(
        http, "/topics/events/stream", params={"from": "earliest"}, headers=headers
    ) as stream:
        rest = await stream.events(5)
    assert [e.json()["value"] for e in rest] == [3, 4, 5, 6, 7]


async def test_cursor_and_since_start_positions(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    await publish(http, account, ["a", "b"])
    moment = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await publish(http, account, ["c"])
    async with sse(
        http, "/topics/events/stream", params={"cursor": "0:1"}, headers=account.headers
    ) as stream:
        assert [e.json()["value"] for e in await stream.events(2)] == ["b", "c"]
    async with sse(
        http,
        "/topics/events/stream",
        params={"since": moment.isoformat()},
        headers=account.headers,
    ) as stream:
        assert (await stream.next()).json()["value"] == "c"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "middle"},
        {"cursor": "garbage"},
        {"cursor": "5:1"},
        {"cursor": "0:1", "since": "2026-01-01T00:00:00Z"},
        {"since": "2026-01-01T00:00:00"},
        {"since": "yesterday"},
    ],
)
async def test_bad_start_parameters_are_422(
    http: httpx.AsyncClient, params: dict[str, str]
) -> None:
    account = await signup(http)
    response = await http.get("/topics/events/stream", params=params, headers=account.headers)
    assert response.status_code == 422, response.text


async def test_stream_requires_authentication(http: httpx.AsyncClient) -> None:
    response = await http.get("/topics/events/stream")
    assert response.status_code == 401


async def test_another_tenants_topic_cannot_be_streamed(http: httpx.AsyncClient) -> None:
    owner, stranger = await signup(http), await signup(http)
    await http.post("/api/v1/topics", json={"name": "private"}, headers=owner.headers)
    response = await http.get("/topics/private/stream", headers=stranger.headers)
    assert response.status_code == 404


async def test_third_stream_is_refused_with_the_seed_message(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    async with (
        sse(http, "/topics/events/stream", headers=account.headers),
        sse(http, "/topics/events/stream", headers=account.headers),
    ):
        refused = await http.get("/topics/events/stream", headers=account.headers)
        assert refused.status_code == 429
        assert refused.json()["detail"] == ("Maximum 2 active stream connections allowed per user")
    # Slots are released when streams end.
    async with sse(http, "/topics/events/stream", headers=account.headers):
        pass


async def test_revoking_a_key_closes_its_stream(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    key = await create_key(http, account, ["read"])
    async with sse(http, "/topics/events/stream", headers=bearer(key["key"])) as stream:
        await stream._frame()
        revoke = await http.delete(f"/api-keys/{key['id']}", headers=account.headers)
        assert revoke.status_code == 204
        closing = await stream.next(timeout=3)
    assert closing.event == "close"
    assert closing.json()["reason"] == "revoked"


async def test_password_change_closes_the_users_streams(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    async with sse(http, "/topics/events/stream", headers=account.headers) as stream:
        await stream._frame()
        await http.patch(
            "/auth/me",
            json={"password": "Brand-new-pass-77", "current_password": PASSWORD},
            headers=account.headers,
        )
        closing = await stream.next(timeout=3)
    assert closing.event == "close"


async def test_platform_admin_lists_active_streams_and_others_are_refused(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        admin_email="root@example.com",
        admin_password=PASSWORD,
    )
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        login = await http.post(
            "/auth/login", json={"email": "root@example.com", "password": PASSWORD}
        )
        admin = bearer(login.json()["access_token"])
        account = await signup(http)
        refused = await http.get("/admin/active-streams", headers=account.headers)
        assert refused.status_code == 403
        async with sse(http, "/topics/events/stream", headers=account.headers) as stream:
            await stream._frame()
            listed = (await http.get("/admin/active-streams", headers=admin)).json()
            assert listed["count"] == 1
            assert listed["streams"][0]["topic"] == "events"
            assert listed["this_process"][0]["transport"] == "sse"
        # The server releases the slot once it has seen the client leave: not at once.
        for _ in range(50):
            after = (await http.get("/admin/active-streams", headers=admin)).json()
            if after["count"] == 0:
                break
            await asyncio.sleep(0.1)
        assert after["count"] == 0


async def test_websocket_stream_with_header_and_resume(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    await publish(http, account, ["x", "y"])
    url = base_url.replace("http", "ws") + "/topics/events/ws?from=earliest"
    async with websockets.connect(url, additional_headers=account.headers) as ws:
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    assert [f["value"] for f in frames] == ["x", "y"]
    assert frames[1]["id"] == "0:2"
    await publish(http, account, ["z"])
    resume = base_url.replace("http", "ws") + f"/topics/events/ws?cursor={frames[0]['id']}"
    async with websockets.connect(resume, additional_headers=account.headers) as ws:
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    assert [f["value"] for f in frames] == ["y", "z"]


async def test_websocket_ticket_is_single_use(http: httpx.AsyncClient, base_url: str) -> None:
    account = await signup(http)
    ticket = (await http.post("/api/v1/stream-tickets", headers=account.headers)).json()["ticket"]
    # From the earliest record: the socket's subscription may start after the publish.
    url = base_url.replace("http", "ws") + f"/topics/events/ws?from=earliest&ticket={ticket}"
    async with websockets.connect(url) as ws:
        await publish(http, account, ["hello"])
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["value"] == "hello"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001


async def test_websocket_first_frame_auth_and_bad_credentials(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    url = base_url.replace("http", "ws") + "/topics/events/ws"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": account.token}))
        await asyncio.sleep(0.2)
        await publish(http, account, ["authed"])
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["value"] == "authed"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "garbage"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001


async def test_websocket_from_a_foreign_origin_is_refused(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    url = base_url.replace("http", "ws") + "/topics/events/ws"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            url, additional_headers=account.headers, origin="https://evil.example"
        ):
            pass


async def test_slow_sse_consumer_is_closed_and_told_why(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, stream_buffer=4)
    frames = []
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        account = await signup(http)
        big = "x" * 60_000
        async with sse(http, "/topics/events/stream", headers=account.headers) as stream:
            # The client reads nothing while 12 MB are published: the server's buffer for
            # it overflows (socket buffers fill first) and it must be cut off.
            for _ in range(10):
                await publish(http, account, [big] * 20)
            with contextlib.suppress(EOFError, httpx.RemoteProtocolError):
                while True:
                    frames.append(await stream.next(timeout=10))
    assert frames
    last = frames[-1]
    assert last.event == "close"
    assert last.json()["reason"] == "slow_consumer"


async def test_login_password_is_not_the_stream_credential(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    response = await http.get(
        "/topics/events/stream", params={"ticket": PASSWORD}, headers=account.headers
    )
    assert response.status_code == 401


async def test_a_stream_open_does_not_bring_back_a_topic_deleted_behind_the_cache(
    app: Any, http: httpx.AsyncClient
) -> None:
    """Stream opens look topics up in the topic cache. Another process may delete a
    cached topic (and its log topic): an open must then answer 404 and leave the log
    alone, not recreate the deleted topic's log topic from the stale entry."""
    from topichub.bus import TopicNotFound

    resources = app.state.resources
    account = await signup(http)
    created = await http.post(
        "/api/v1/topics", json={"name": "deleted-elsewhere"}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    async with sse(http, "/topics/deleted-elsewhere/stream", headers=account.headers) as stream:
        await stream._frame()
    cache = resources.caches.topics
    stale = {key: entry for key, entry in cache._entries.items() if key[3] == "deleted-elsewhere"}
    assert stale, "the open filled the topic cache"
    [(_, ref)] = stale.values()
    physical = ref.physical_name
    deleted = await http.delete("/api/v1/topics/deleted-elsewhere", headers=account.headers)
    assert deleted.status_code == 204
    # Wait until this process's live reader of the topic is gone, as on the other process.
    for _ in range(200):
        if not resources.hub.is_live(physical):
            break
        await asyncio.sleep(0.05)
    with contextlib.suppress(TopicNotFound):
        await resources.bus.delete_topic(physical)
    # This process's cache still holds the topic, as another process's would.
    cache._entries.update({key: (time.monotonic() + 60, ref) for key in stale})

    opened = await http.get("/topics/deleted-elsewhere/stream", headers=account.headers)
    assert opened.status_code == 404, opened.text
    with pytest.raises(TopicNotFound):
        await resources.bus.partitions(physical)
