"""A stream as a group member (``/stream?group=G``, ``/ws?group=G``): disjoint shares,
rebalancing when a stream leaves, autocommit, and no start position of its own. Over
real HTTP (uvicorn), so that a client leaving is a real disconnect."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import make_settings, running_app
from tests.groups.support import describe, group_url, make_topic, publish
from tests.support.factories import Account, signup
from tests.support.server import SSEStream, serving, sse


async def _share(stream: SSEStream, into: list[dict[str, object]]) -> None:
    # One reader per stream for its whole life: a timeout inside the line iterator
    # would end it.
    while True:
        event = await stream.next(timeout=120)
        into.append(event.json() | {"id": event.id})


async def _wait_balanced(
    http: httpx.AsyncClient, account: Account, topic: str, members: int
) -> None:
    async with asyncio.timeout(20):
        while True:
            group = await describe(http, account, topic, "g")
            shares = [len(m["partitions"]) for m in group["members"]]
            if len(shares) == members and sum(shares) == 6 and max(shares) - min(shares) <= 1:
                return
            await asyncio.sleep(0.2)


async def test_two_group_streams_get_disjoint_shares_and_one_takes_over(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    topic = await make_topic(http, account)
    response = await http.put(group_url(topic, "g"), headers=account.headers, json={"lease_s": 2})
    assert response.status_code == 201, response.text
    url = f"/api/v1/topics/{topic}/stream"
    params = {"group": "g", "autocommit": "true"}
    a: list[dict[str, object]] = []
    b: list[dict[str, object]] = []
    async with sse(http, url, params=params, headers=account.headers) as stream_a:
        reader_a = asyncio.create_task(_share(stream_a, a))
        async with sse(http, url, params=params, headers=account.headers) as stream_b:
            reader_b = asyncio.create_task(_share(stream_b, b))
            await _wait_balanced(http, account, topic, 2)
            values = [f"v{i}" for i in range(60)]
            await publish(http, account, topic, values)
            async with asyncio.timeout(20):
                while len(a) + len(b) < 60:
                    await asyncio.sleep(0.1)
            reader_b.cancel()
            await asyncio.gather(reader_b, return_exceptions=True)
        assert sorted(str(e["value"]) for e in a + b) == sorted(values)
        parts_a = {e["partition"] for e in a}
        parts_b = {e["partition"] for e in b}
        assert parts_a
        assert parts_b
        assert parts_a.isdisjoint(parts_b)
        # An event's id is the record's own cursor (what a commit takes).
        assert all(e["id"] == f"{e['partition']}:{int(str(e['offset'])) + 1}" for e in a + b)
        # Autocommit: everything written is committed.
        async with asyncio.timeout(10):
            while (await describe(http, account, topic, "g"))["lag"] != 0:
                await asyncio.sleep(0.1)
        # B left: its partitions are A's at once (A picks them up on its next poll).
        await _wait_balanced(http, account, topic, 1)
        before = len(a)
        await publish(http, account, topic, [f"w{i}" for i in range(12)])
        async with asyncio.timeout(20):
            while len(a) < before + 12:
                await asyncio.sleep(0.1)
        reader_a.cancel()
        await asyncio.gather(reader_a, return_exceptions=True)
        assert {e["partition"] for e in a[before:]} == set(range(6))


async def test_a_websocket_group_member_receives_and_autocommits(
    http: httpx.AsyncClient, base_url: str
) -> None:
    await _websocket_member(http, base_url)


@pytest.mark.kafka
async def test_a_websocket_group_member_on_kafka(tmp_path: Path, kafka_bootstrap: str) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        await _websocket_member(client, url)


async def _websocket_member(http: httpx.AsyncClient, base_url: str) -> None:
    account = await signup(http)
    topic = await make_topic(http, account, partitions=2)
    await publish(http, account, topic, ["x", "y", "z"], partitions=2)
    ws_url = (
        base_url.replace("http", "ws", 1) + f"/api/v1/topics/{topic}/ws?group=g&autocommit=true"
    )
    got = []
    async with websockets.connect(ws_url, additional_headers=account.headers) as ws:
        async with asyncio.timeout(10):
            while len(got) < 3:
                frame = json.loads(await ws.recv())
                if frame.get("type") != "heartbeat":
                    got.append(frame)
    assert sorted(f["value"] for f in got) == ["x", "y", "z"]
    assert all(f["id"] == f"{f['partition']}:{f['offset'] + 1}" for f in got)
    async with asyncio.timeout(10):
        while (await describe(http, account, topic, "g"))["lag"] != 0:
            await asyncio.sleep(0.1)
    # Metered like any stream: the topic's outbound traffic counts what the member got.
    stats = (await http.get(f"/api/v1/topics/{topic}/stats", headers=account.headers)).json()
    assert stats["messages_out_last_minute"] == 3, stats


async def test_a_group_stream_takes_no_start_position_and_checks_the_name(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    topic = await make_topic(http, account, partitions=1)
    url = f"/api/v1/topics/{topic}/stream"
    response = await http.get(
        url, params={"group": "g", "from": "earliest"}, headers=account.headers
    )
    assert response.status_code == 422, response.text
    assert "from" in response.text
    response = await http.get(url, params={"group": "bad name"}, headers=account.headers)
    assert response.status_code == 422, response.text
    other = await signup(http)
    response = await http.get(url, params={"group": "g"}, headers=other.headers)
    assert response.status_code == 404
