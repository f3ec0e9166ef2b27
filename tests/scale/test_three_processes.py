"""Three real ``topichub serve`` processes — ``a`` with ``--workers 2``, ``b`` and ``c``
with one worker each — sharing one PostgreSQL database, one Redis prefix and one tansu
broker behave as one service.

The processes are started once for the module (starting them is most of its cost); each
test signs up its own users, so tests do not share tenants. The crash test kills ``c``
and therefore comes last in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from aiokafka.admin import AIOKafkaAdminClient

from tests.audit.support import wait_for_events
from tests.chat.support import make_group, next_frame, send, subscriber
from tests.scale.support import ADMIN_EMAIL, ADMIN_PASSWORD, Cluster, cluster, sql_value
from tests.support.factories import Account, signup
from tests.support.server import SSEEvent, SSEStream, sse
from topichub.audit.consumer import GROUP as AUDIT_GROUP

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.kafka,
    # The first test also pays for starting the processes (about 35 s here).
    pytest.mark.timeout(240),
]

WORKERS = {"a": 2, "b": 1, "c": 1}
"""Server name → ``--workers``: four application processes in all."""


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    async with cluster(
        tmp_path_factory.mktemp("scale"),
        WORKERS,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    ) as group:
        yield group


@pytest.fixture(scope="module")
async def clients(servers: Cluster) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(
                httpx.AsyncClient(base_url=server.url, timeout=30)
            )
            for name, server in servers.servers.items()
        }


@pytest.fixture(scope="module")
async def admin(clients: dict[str, httpx.AsyncClient]) -> dict[str, str]:
    """A platform admin's headers: the account every replica was told to ensure."""
    response = await clients["b"].post(
        "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def set_limits(
    client: httpx.AsyncClient, admin: dict[str, str], account: Account, **limits: Any
) -> None:
    response = await client.patch(
        f"/api/admin/tenants/{account.tenant_id}", json=limits, headers=admin
    )
    assert response.status_code == 200, response.text


async def publish(
    client: httpx.AsyncClient, account: Account, values: list[Any], topic: str = "events"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/topics/{topic}/publish",
        json={"messages": [{"value": v, "key": "k"} for v in values]},
        headers=account.headers,
    )


async def audit_members(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([AUDIT_GROUP])
        groups = response.groups
    finally:
        await admin.close()
    assert len(groups) == 1
    error_code, name, _state, _type, _protocol, members = groups[0]
    assert (error_code, name) == (0, AUDIT_GROUP)
    return len(members)


async def wait_for_members(bootstrap: str, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (found := await audit_members(bootstrap)) != expected:
        assert time.monotonic() < deadline, f"audit group has {found} members, not {expected}"
        await asyncio.sleep(0.2)


async def read_values(stream: SSEStream, count: int, timeout: float = 15.0) -> list[SSEEvent]:
    async with asyncio.timeout(timeout):
        return [await stream.next() for _ in range(count)]


async def more(stream: SSEStream, quiet_s: float) -> list[SSEEvent]:
    """Events still arriving until the stream has been quiet for ``quiet_s``."""
    extra = []
    with contextlib.suppress(TimeoutError):
        while True:
            extra.append(await stream.next(timeout=quiet_s))
    return extra


async def test_two_worker_process_starts_and_serves_on_the_shared_engines(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    """``a`` was started with ``topichub serve --workers 2``: both workers came up."""
    health = (await clients["a"].get("/health")).json()
    assert health["engines"] == {"database": "postgresql", "event_log": "kafka", "limits": "redis"}
    log = servers["a"].output(tail=1_000_000)
    assert "workers: 2" in " ".join(log.split())
    assert log.count("Application startup complete.") == 2
    account = await signup(clients["a"])
    for _ in range(4):  # whichever worker answers, the account is there
        response = await clients["a"].get("/auth/me", headers=account.headers)
        assert response.status_code == 200


async def test_replicas_started_together_create_the_configured_admin_once(
    servers: Cluster, admin: dict[str, str]
) -> None:
    """Four workers ran the TOPICHUB_ADMIN_EMAIL bootstrap at the same moment: one created
    the admin, the others found it (none failed on the unique email)."""
    logs = [s.output(tail=1_000_000) for s in servers.servers.values()]
    assert sum(log.count("created platform admin") for log in logs) == 1
    assert sum(log.count("kept platform admin") for log in logs) == sum(WORKERS.values()) - 1
    assert all(s.alive() for s in servers.servers.values())
    assert admin["Authorization"].startswith("Bearer ")


# -- limits ---------------------------------------------------------------------------


async def test_stream_limit_counts_streams_of_every_process(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    a, c = clients["a"], clients["c"]
    account = await signup(a)
    ws_headers = {"Authorization": f"Bearer {account.token}"}
    async with (
        sse(a, "/api/v1/topics/events/stream", headers=account.headers) as first,
        websockets.connect(
            f"{servers['b'].ws_url}/api/v1/topics/events/ws", additional_headers=ws_headers
        ) as second,
    ):
        await first.next(skip_comments=False)  # the stream is open on a
        # A WebSocket sends nothing until there is something to send: a refused one is
        # closed at once, so an open one is still open after a moment.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):
                await second.recv()

        refused = await c.get("/api/v1/topics/events/stream", headers=account.headers)
        assert refused.status_code == 429, refused.text
        assert refused.json()["detail"] == "Maximum 2 active stream connections allowed per user"
        async with websockets.connect(
            f"{servers['c'].ws_url}/api/v1/topics/events/ws", additional_headers=ws_headers
        ) as third:
            with pytest.raises(websockets.ConnectionClosed):
                async with asyncio.timeout(10):
                    await third.recv()
            assert third.close_code == 4029

    # Both slots were given back, whichever process held them.
    deadline = time.monotonic() + 10
    while True:
        async with c.stream("GET", "/api/v1/topics/events/stream", headers=account.headers) as r:
            if r.status_code == 200:
                break
        assert time.monotonic() < deadline, "the released slots were never seen as free"
        await asyncio.sleep(0.1)


async def test_rate_limit_budget_is_one_for_all_processes(
    clients: dict[str, httpx.AsyncClient], admin: dict[str, str]
) -> None:
    account = await signup(clients["a"])
    await set_limits(clients["a"], admin, account, rate_limits={"per_minute": 6})
    statuses = []
    for name in "abcabcabc":
        response = await clients[name].get("/api/v1/topics", headers=account.headers)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.headers["X-RateLimit-Limit"] == "6"
    assert statuses == [200] * 6 + [429] * 3


async def test_daily_quota_is_one_for_all_processes(
    clients: dict[str, httpx.AsyncClient], admin: dict[str, str]
) -> None:
    a, b, c = clients["a"], clients["b"], clients["c"]
    account = await signup(a)
    await set_limits(b, admin, account, quotas={"messages_per_day": 10})
    assert (await publish(a, account, [1, 2, 3, 4])).status_code == 200
    assert (await publish(b, account, [5, 6, 7, 8])).status_code == 200
    over = await publish(c, account, [9, 10, 11])
    assert over.status_code == 429, over.text
    assert "Retry-After" in over.headers
    assert (await publish(c, account, [9, 10])).status_code == 200
    assert (await publish(a, account, [11])).status_code == 429
    for client in (a, b, c):
        usage = (await client.get("/usage", headers=account.headers)).json()
        assert (usage["messages_in"]["used"], usage["messages_in"]["limit"]) == (10, 10)


# -- delivery across processes -----------------------------------------------------------


async def test_publish_on_one_process_is_streamed_by_sse_and_websocket_on_others(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    a, b = clients["a"], clients["b"]
    account = await signup(a)
    async with (
        sse(b, "/api/v1/topics/events/stream", headers=account.headers) as on_b,
        websockets.connect(
            f"{servers['c'].ws_url}/api/v1/topics/events/ws?from=earliest",
            additional_headers={"Authorization": f"Bearer {account.token}"},
        ) as on_c,
    ):
        await on_b.next(skip_comments=False)  # ": connected": b's stream is live
        published = await publish(a, account, [{"n": n} for n in range(5)])
        assert published.status_code == 200, published.text

        sse_events = await read_values(on_b, 5)
        assert [e.json()["value"]["n"] for e in sse_events] == [0, 1, 2, 3, 4]
        ws_frames: list[dict[str, Any]] = []
        async with asyncio.timeout(15):
            while len(ws_frames) < 5:
                frame = json.loads(await on_c.recv())
                if frame.get("type") != "heartbeat":
                    ws_frames.append(frame)
        assert [f["value"]["n"] for f in ws_frames] == [0, 1, 2, 3, 4]
        # Both transports give the same resumable cursors, whichever process serves them.
        assert [f["id"] for f in ws_frames] == [e.id for e in sse_events]


async def test_chat_message_sent_through_one_process_reaches_members_on_the_others(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    a, b, c = clients["a"], clients["b"], clients["c"]
    alice, bob, carol = await signup(a), await signup(b), await signup(c)
    group = await make_group(a, alice, {"member": bob, "member2": carol})
    async with (
        subscriber(servers["b"].url, group, bob) as bob_on_b,
        subscriber(servers["c"].url, group, carol) as carol_on_c,
    ):
        sent = await send(a, alice, group, "hello from a")
        for socket in (bob_on_b, carol_on_c):
            frame = await next_frame(socket, timeout=15)
            assert (frame["event"], frame["id"]) == ("message_created", sent["id"])
        reply = await send(c, carol, group, "hello from c")
        assert (await next_frame(bob_on_b, timeout=15))["id"] == reply["id"]
        assert (await next_frame(carol_on_c, timeout=15))["id"] == reply["id"]


# -- app events: outbox relays and the audit consumer group ------------------------------


async def test_every_process_joins_one_audit_consumer_group(servers: Cluster) -> None:
    await wait_for_members(servers.broker.bootstrap_servers, sum(WORKERS.values()))


async def test_app_event_is_stored_once_in_the_event_log_with_four_consumers(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    account = await signup(clients["a"])
    created = await clients["b"].post("/todos", json={"title": "once"}, headers=account.headers)
    assert created.status_code == 201, created.text
    events = await wait_for_events(clients["c"], account, 1, type="todo_created")
    # Give any second delivery (another relay, another consumer) time to land.
    await asyncio.sleep(2.0)
    events = await wait_for_events(clients["a"], account, 1, type="todo_created")
    assert len(events) == 1
    assert events[0]["payload"]["id"] == created.json()["id"]


async def test_todos_created_concurrently_on_all_processes_are_relayed_exactly_once(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    count = 60
    account = await signup(clients["a"])
    gate = asyncio.Semaphore(12)

    async def create(i: int) -> int:
        async with gate:
            client = clients["abc"[i % 3]]
            response = await client.post(
                "/todos", json={"title": f"todo {i}"}, headers=account.headers
            )
        assert response.status_code == 201, response.text
        todo_id: int = response.json()["id"]
        return todo_id

    ids = await asyncio.gather(*(create(i) for i in range(count)))

    events = await wait_for_events(clients["b"], account, count, timeout=30, type="todo_created")
    assert len(events) == count
    assert sorted(e["payload"]["id"] for e in events) == sorted(ids)
    assert len({e["event_id"] for e in events}) == count

    # The log itself holds each event once: the relays never published a row twice.
    async with sse(
        clients["c"], "/api/v1/topics/todos/stream?from=earliest", headers=account.headers
    ) as stream:
        records = [e.json()["value"] for e in await read_values(stream, count, timeout=20)]
        assert await more(stream, 1.5) == []
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert len({r["event_id"] for r in records}) == count
    pending = await sql_value(
        servers.database_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    )
    assert pending == 0


# -- a process dies -----------------------------------------------------------------------


async def test_sse_client_of_a_killed_process_resumes_on_another_without_gap_or_duplicate(
    servers: Cluster, clients: dict[str, httpx.AsyncClient]
) -> None:
    """SIGKILL ``c`` while its client streams and a publisher keeps publishing through
    ``a`` and ``b``; the client reconnects to ``b`` with its ``Last-Event-ID``. Then the
    audit group, down one member, still stores new app events."""
    a, b, c = clients["a"], clients["b"], clients["c"]
    account = await signup(a)
    attempted: list[int] = []
    acknowledged: list[int] = []
    received: list[int] = []
    stop = asyncio.Event()

    async def publisher() -> None:
        seq = 0
        while not stop.is_set():
            attempted.append(seq)
            response = await (a if seq % 2 else b).post(
                "/api/v1/topics/events/publish",
                json={"messages": [{"value": {"seq": seq}, "key": "k"}]},
                headers=account.headers,
            )
            assert response.status_code == 200, response.text
            acknowledged.append(seq)
            seq += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(publisher())
    last_id: str | None = None
    try:
        async with c.stream(
            "GET", "/api/v1/topics/events/stream?from=earliest", headers=account.headers
        ) as response:
            assert response.status_code == 200
            stream = SSEStream(response)
            async with asyncio.timeout(15):
                while len(received) < 20:
                    event = await stream.next()
                    received.append(event.json()["value"]["seq"])
                    last_id = event.id
            servers["c"].kill()
            # Whatever c had already sent before it died still counts as received.
            with contextlib.suppress(httpx.HTTPError, EOFError, TimeoutError):
                while True:
                    event = await stream.next(timeout=5)
                    received.append(event.json()["value"]["seq"])
                    last_id = event.id
        assert last_id is not None
        killed_at = len(received)
        # The client is away for a while: whatever is published meanwhile must come
        # back when it resumes.
        published_while_away = len(acknowledged) + 10
        async with asyncio.timeout(15):
            while len(acknowledged) < published_while_away:
                await asyncio.sleep(0.01)

        async with sse(
            b,
            "/api/v1/topics/events/stream",
            headers={**account.headers, "Last-Event-ID": last_id},
        ) as resumed:
            async with asyncio.timeout(15):
                while len(received) < killed_at + 30:
                    received.append((await resumed.next()).json()["value"]["seq"])
            stop.set()
            await asyncio.wait_for(task, 15)
            async with asyncio.timeout(15):
                while len(received) < len(acknowledged):
                    received.append((await resumed.next()).json()["value"]["seq"])
            received.extend(e.json()["value"]["seq"] for e in await more(resumed, 1.0))
    finally:
        stop.set()
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert not set(acknowledged) - set(received), "lost"
    assert not set(received) - set(attempted), "unexpected"
    assert len(received) == len(set(received)), "duplicates"
    assert received == sorted(received), "one key, one partition: order is kept"
    assert set(range(killed_at, published_while_away)) <= set(received[killed_at:])

    # c's audit consumer left the group (session timeout); the others took its share.
    await wait_for_members(servers.broker.bootstrap_servers, sum(WORKERS.values()) - 1)
    created = await a.post("/todos", json={"title": "after the crash"}, headers=account.headers)
    assert created.status_code == 201
    [event] = await wait_for_events(b, account, 1, timeout=20, type="todo_created")
    assert event["payload"]["id"] == created.json()["id"]
    assert not servers["c"].alive()
    assert servers["a"].alive()
    assert servers["b"].alive()
