"""Records topichub did not write (a foreign Kafka producer, a raw bus write) never end a
stream: each arrives in the documented lossless form (docs/streaming.md) and everything
after it is delivered, over SSE and WebSocket, on the Kafka and the embedded engine."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from tests.conftest import make_settings, running_app
from tests.support.factories import Account, signup
from tests.support.server import serving, sse
from topichub.bus.port import OutRecord, Record
from topichub.resources import Resources
from topichub.topics.stream.frames import Event

# (value, key, headers) as a producer writes them, and what the stream must deliver.
FOREIGN: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]] = [
    (b'{"ok":1}', None, [("nothing", None)]),
    (b'""', None, []),
    (None, b"deleted-key", []),
    (b"plain text", None, []),
    (b"\xff\xfe", b"\xff", [("bin", b"\xff"), ("d", b"1"), ("d", b"2")]),
    (b'{"n": NaN}', None, []),
]
EXPECTED: list[dict[str, Any]] = [
    {"value": {"ok": 1}, "key": None, "headers": {"nothing": None}},
    {"value": "", "key": None, "headers": {}},
    {"value": None, "tombstone": True, "key": "deleted-key", "headers": {}},
    {"value": "plain text", "value_encoding": "text", "key": None, "headers": {}},
    {
        "value": "//4=",
        "value_encoding": "base64",
        "key": "/w==",
        "key_encoding": "base64",
        "headers": {"bin": {"base64": "/w=="}, "d": ["1", "2"]},
    },
    {"value": '{"n": NaN}', "value_encoding": "text", "key": None, "headers": {}},
]
FIELDS = ("value", "tombstone", "value_encoding", "key", "key_encoding", "headers")


def shape(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: payload[name] for name in FIELDS if name in payload}


async def publish(http: httpx.AsyncClient, account: Account, value: Any) -> None:
    response = await http.post(
        "/topics/events/publish", headers=account.headers, json={"messages": [{"value": value}]}
    )
    assert response.status_code == 200, response.text


async def physical_topic(http: httpx.AsyncClient, account: Account) -> str:
    topics = (await http.get("/topics", headers=account.headers)).json()["topics"]
    (topic,) = [t for t in topics if t["name"] == "events"]
    return "th.t." + topic["id"].replace("-", "")


@contextlib.asynccontextmanager
async def served(settings: Any) -> AsyncIterator[tuple[FastAPI, str, httpx.AsyncClient]]:
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield app, url, http


async def sse_until_after(http: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    async with sse(http, "/topics/events/stream?from=earliest", headers=account.headers) as s:
        while not payloads or payloads[-1]["value"] != "after":
            event = await s.next(timeout=10)
            assert event.event is None, event
            payloads.append(event.json())
    return payloads


async def ws_until_after(url: str, account: Account) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    ws_url = url.replace("http", "ws") + "/topics/events/ws?from=earliest"
    async with websockets.connect(ws_url, additional_headers=account.headers) as ws:
        while not payloads or payloads[-1]["value"] != "after":
            payloads.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return payloads


def check(payloads: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    # "before", the foreign records in order, then "after" published over HTTP.
    assert [shape(p) for p in payloads[1:-1]] == expected
    assert payloads[0]["value"] == "before"
    assert shape(payloads[-1]) == {"value": "after", "key": None, "headers": {}}
    offsets = [p["offset"] for p in payloads]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == len(offsets)


@pytest.mark.kafka
async def test_records_of_a_kafka_producer_never_end_a_stream(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    async with served(settings) as (_, url, http):
        account = await signup(http)
        await publish(http, account, "before")
        topic = await physical_topic(http, account)
        # One stream of each kind is open while the records arrive; two more read them
        # from the log afterwards (replay), so both the live and the catch-up paths see them.
        live_sse = asyncio.create_task(sse_until_after(http, account))
        live_ws = asyncio.create_task(ws_until_after(url, account))
        await asyncio.sleep(0.5)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            for value, key, headers in FOREIGN:
                await producer.send_and_wait(topic, value, key=key, headers=headers, partition=0)
        finally:
            await producer.stop()
        await publish(http, account, "after")
        for payloads in await asyncio.gather(live_sse, live_ws):
            check(payloads, EXPECTED)
        check(await sse_until_after(http, account), EXPECTED)
        check(await ws_until_after(url, account), EXPECTED)


async def test_records_written_straight_to_the_embedded_log_never_end_a_stream(
    tmp_path: Path,
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path)
    async with served(settings) as (app, url, http):
        account = await signup(http)
        await publish(http, account, "before")
        topic = await physical_topic(http, account)
        live_sse = asyncio.create_task(sse_until_after(http, account))
        live_ws = asyncio.create_task(ws_until_after(url, account))
        await asyncio.sleep(0.5)
        resources: Resources = app.state.resources
        # The embedded log stores bytes and never a null, so only the bytes cases apply.
        written = [
            OutRecord(
                value=v, key=k, headers=tuple((n, b) for n, b in h if b is not None), partition=0
            )
            for v, k, h in FOREIGN
            if v is not None and all(b is not None for _, b in h)
        ]
        await resources.bus.publish(topic, written)
        await publish(http, account, "after")
        expected = [
            e for e in EXPECTED if "tombstone" not in e and None not in e["headers"].values()
        ]
        for payloads in await asyncio.gather(live_sse, live_ws):
            check(payloads, expected)
        check(await sse_until_after(http, account), expected)


def test_a_record_that_cannot_be_encoded_is_announced_by_its_position() -> None:
    # A header name with a lone surrogate (what a lenient decoder makes of bytes that are
    # not UTF-8) cannot be written as UTF-8 JSON as it is.
    record = Record("t", 0, 7, 0, b"1", None, (("\udcff", b"x"),))
    payload = json.loads(Event(record, "0:8").payload_json())
    assert payload["headers"] == {"\udcff": "x"}
    broken = Record("t", 0, 8, 2**62, b"1")  # a timestamp no datetime holds
    event = Event(broken, "0:9")
    assert json.loads(event.payload_json()) == {
        "value": None,
        "undecodable": True,
        "partition": 0,
        "offset": 8,
    }
    assert event.sse_frame().startswith(b"id: 0:9\n")
