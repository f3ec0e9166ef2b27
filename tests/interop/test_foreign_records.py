"""Issue 15 item 2 (and the issue's "what to build"): whatever a Kafka client writes into
a topic, every SSE and WebSocket stream delivers everything after it, and the audit
consumer stores the next event of another tenant and dead-letters the bad record.

Records are written by a real Kafka producer (aiokafka, see ``producer.py``) into the
topic's Kafka name as the API shows it (``kafka_topic_name``)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI
from sqlalchemy import select

from tests.audit.support import wait_for_events
from tests.interop.producer import RawName, produce
from tests.recommend.support import purchase, track
from tests.support.factories import Account, signup
from tests.support.server import serving, sse
from topichub.models import DeadLetter

pytestmark = pytest.mark.kafka

HUGE = b"\xfe" * (700 * 1024)
FOREIGN: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]] = [
    (b'"bad name"', None, [(RawName(b"\xff\xfename"), b"v"), ("ok", b"1")]),
    (b'"null header"', None, [("h", None)]),
    (None, b"gone", []),
    (b"not json", None, [(RawName(b"caf\xe9"), b"\xff")]),
    (HUGE, None, []),
]


async def _kafka_name(http: httpx.AsyncClient, account: Account, topic: str) -> str:
    response = await http.get(f"/api/v1/topics/{topic}", headers=account.headers)
    assert response.status_code == 200, response.text
    name: str = response.json()["kafka_topic_name"]
    return name


async def _publish(http: httpx.AsyncClient, account: Account, value: Any) -> None:
    response = await http.post(
        "/api/v1/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": value}]},
    )
    assert response.status_code == 200, response.text


def _check(payloads: list[dict[str, Any]]) -> None:
    values = [p["value"] for p in payloads]
    assert values[0] == "before"
    assert values[-1] == "after"
    bad_name, null_header, tombstone, not_json, huge = payloads[1:-1]
    # A name that is not UTF-8 arrives with each bad byte as U+DC<byte> (surrogateescape).
    assert bad_name["headers"] == {"\udcff\udcfename": "v", "ok": "1"}
    assert "\udcff\udcfename".encode("utf-8", "surrogateescape") == b"\xff\xfename"
    assert null_header["headers"] == {"h": None}
    assert tombstone["tombstone"] is True
    assert tombstone["key"] == "gone"
    assert not_json["value_encoding"] == "text"
    assert not_json["headers"] == {"caf\udce9": {"base64": "/w=="}}
    assert huge["value_encoding"] == "base64"
    assert base64.b64decode(huge["value"]) == HUGE
    offsets = [p["offset"] for p in payloads]
    assert offsets == list(range(offsets[0], offsets[0] + len(FOREIGN) + 2))


async def _sse_until_after(
    http: httpx.AsyncClient, account: Account, started: asyncio.Event
) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    path = "/api/v1/topics/events/stream?from=earliest"
    async with sse(http, path, headers=account.headers) as stream:
        started.set()
        while not payloads or payloads[-1]["value"] != "after":
            event = await stream.next(timeout=20)
            assert event.event is None, event
            payloads.append(event.json())
    return payloads


async def _ws_until_after(
    url: str, account: Account, started: asyncio.Event
) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    ws_url = url.replace("http", "ws", 1) + "/api/v1/topics/events/ws?from=earliest"
    async with websockets.connect(
        ws_url, additional_headers=account.headers, max_size=8 * 1024 * 1024
    ) as ws:
        started.set()
        while not payloads or payloads[-1]["value"] != "after":
            payloads.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
    return payloads


async def test_live_streams_deliver_everything_after_records_a_kafka_client_wrote(
    kafka_app: FastAPI, kafka_bootstrap: str
) -> None:
    async with serving(kafka_app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        account = await signup(http)
        await _publish(http, account, "before")
        sse_open, ws_open = asyncio.Event(), asyncio.Event()
        # Both streams are live when the records arrive: the topic's live reader reads them.
        sse_task = asyncio.create_task(_sse_until_after(http, account, sse_open))
        ws_task = asyncio.create_task(_ws_until_after(url, account, ws_open))
        await asyncio.wait_for(asyncio.gather(sse_open.wait(), ws_open.wait()), 20)
        await produce(kafka_bootstrap, await _kafka_name(http, account, "events"), FOREIGN)
        await _publish(http, account, "after")
        live_sse, live_ws = await asyncio.wait_for(asyncio.gather(sse_task, ws_task), 60)
        _check(live_sse)
        _check(live_ws)
        # A stream opened afterwards replays the same records the same way.
        replayed = await _sse_until_after(http, account, asyncio.Event())
        _check(replayed)


async def _make_todo(http: httpx.AsyncClient, account: Account, title: str) -> None:
    response = await http.post("/todos", json={"title": title}, headers=account.headers)
    assert response.status_code == 201, response.text


async def test_the_audit_consumer_dead_letters_a_foreign_record_and_stores_the_next_event(
    kafka_app: FastAPI, kafka_client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    alice, bob = await signup(kafka_client), await signup(kafka_client)
    await _make_todo(kafka_client, alice, "first")
    await wait_for_events(kafka_client, alice, 1, timeout=30)
    todos = await _kafka_name(kafka_client, alice, "todos")
    assert todos.startswith("th.app.")
    await produce(
        kafka_bootstrap,
        todos,
        [
            (b"\xff not an event", None, [(RawName(b"\xc3\x28event_id"), b"x")]),
            (
                json.dumps({"event": "todo_created", "event_id": str(uuid.uuid4())}).encode(),
                None,
                [(RawName(b"\xfftrace"), None), ("tenant_id", alice.tenant_id.encode())],
            ),
        ],
    )
    # Another tenant's next event is stored: the consumer did not stall on alice's topic.
    await _make_todo(kafka_client, bob, "after the foreign records")
    await wait_for_events(kafka_client, bob, 1, timeout=30)
    # The record that is no app event is parked with its bytes; the one that is (a stray
    # header name does not make an event invalid) is stored.
    deadline = time.monotonic() + 30
    while True:
        async with kafka_app.state.resources.sessionmaker() as session:
            dead = (
                await session.scalars(select(DeadLetter).where(DeadLetter.topic == todos))
            ).all()
        if dead or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert [(d.value, d.error) for d in dead] == [(b"\xff not an event", "value is not JSON")]
    await wait_for_events(kafka_client, alice, 2, timeout=30)


async def test_the_recommender_skips_a_foreign_record_and_applies_the_next_interactions(
    kafka_app: FastAPI, kafka_client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    consumer = kafka_app.state.resources.recommend_consumer
    account = await signup(kafka_client)
    interactions = await _kafka_name(kafka_client, account, "interactions")
    seen, skipped = consumer.seen, consumer.skipped
    await produce(
        kafka_bootstrap,
        interactions,
        [
            (
                b"\xff",
                None,
                [(RawName(b"\xfe\xffx"), b"1"), ("event_type", b"interaction_tracked")],
            )
        ],
    )
    await track(kafka_client, account, [purchase(f"u{k}", "x") for k in range(3)])
    deadline = time.monotonic() + 30
    while consumer.seen < seen + 3 or consumer.skipped < skipped + 1:
        assert time.monotonic() < deadline, "the recommender stalled"
        await asyncio.sleep(0.05)
