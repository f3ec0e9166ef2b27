"""Consumer groups: records/s through poll + commit with 1, 2 and 4 members, as a ratio
to a plain stream reading the same topic from the start, on the same server in the same
run.

A topic of PARTITIONS partitions is filled with RECORDS records. The baseline is one SSE
stream from ``from=earliest`` until it has delivered them all. Each subject is a fresh
group whose members (asyncio tasks of this process, one keep-alive connection each)
loop ``poll(max=500, wait_ms=1000)`` + ``commit(batch cursor)`` until the group has
received every record; the time runs from the first poll to the last commit. The
stream is measured before and after the groups; the table shows the median of the two.
No target: the figure says what sharing (leases and commits in the database, a log
reader per poll) costs against fan-out (docs/groups.md).

    uv run python -m bench.groups [--engine embedded|kafka]
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bench.common import Bench, Row, cli_per_engine, fmt_rate, log, median, provision, ratio

NAME = "groups"
PARTITIONS = 4
RECORDS = 20_000
BATCH = 500
MEMBERS = (1, 2, 4)


async def _fill(client: httpx.AsyncClient, topic: str, headers: dict[str, str]) -> None:
    for start in range(0, RECORDS, BATCH):
        messages = [
            {"value": {"n": start + i, "text": "hello"}, "partition": (start + i) % PARTITIONS}
            for i in range(BATCH)
        ]
        response = await client.post(
            f"/api/v1/topics/{topic}/publish", json={"messages": messages}, headers=headers
        )
        response.raise_for_status()


async def _stream(base_url: str, topic: str, headers: dict[str, str]) -> float:
    """Records/s of one SSE stream reading the topic from the start."""
    seen = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as client:
        started = time.monotonic()
        async with client.stream(
            "GET", f"/api/v1/topics/{topic}/stream", params={"from": "earliest"}, headers=headers
        ) as sse:
            sse.raise_for_status()
            async for line in sse.aiter_lines():
                if line.startswith("id:"):
                    seen += 1
                    if seen >= RECORDS:
                        break
        return RECORDS / (time.monotonic() - started)


async def _group(base_url: str, topic: str, headers: dict[str, str], members: int) -> float:
    """Records/s of a new group with ``members`` members polling and committing."""
    group = f"bench-{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/topics/{topic}/groups/{group}"
    received = 0
    done = asyncio.Event()

    async def member(index: int) -> None:
        nonlocal received
        async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as client:
            while not done.is_set():
                response = await client.post(
                    f"{url}/poll",
                    json={"member": f"m{index}", "max": BATCH, "wait_ms": 1000},
                    headers=headers,
                )
                response.raise_for_status()
                batch = response.json()
                if batch["cursor"]:
                    commit = await client.post(
                        f"{url}/commit", json={"cursor": batch["cursor"]}, headers=headers
                    )
                    commit.raise_for_status()
                    received += len(batch["records"])
                if received >= RECORDS:
                    done.set()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(member(i) for i in range(members))), 600)
    return received / (time.monotonic() - started)


async def run_engine(bench: Bench, name: str) -> list[Row]:
    _, server = await bench.topichub(name)
    account = await provision(server)
    topic = f"groups-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
        response = await client.post(
            "/api/v1/topics",
            json={"name": topic, "partitions": PARTITIONS},
            headers={"Authorization": f"Bearer {account.token}"},
        )
        response.raise_for_status()
        headers = {"X-API-Key": account.api_key}
        log(f"{NAME} [{name}]: filling {topic} with {RECORDS} records")
        await _fill(client, topic, headers)
    streams = [await _stream(server.base_url, topic, headers)]
    rates = {}
    for n in MEMBERS:
        log(f"{NAME} [{name}]: {n} member(s)")
        rates[n] = await _group(server.base_url, topic, headers, n)
    streams.append(await _stream(server.base_url, topic, headers))
    stream_rate = median(streams)
    return [
        Row(
            NAME,
            name,
            f"records/s, {n} member{'s' if n > 1 else ''}",
            fmt_rate(rate),
            f"{fmt_rate(stream_rate)} (1 stream)",
            ratio(rate, stream_rate),
            "none",
            None,
            [f"stream runs: {', '.join(fmt_rate(s) for s in streams)} records/s"]
            if n == MEMBERS[0]
            else [],
        )
        for n, rate in rates.items()
    ]


def main() -> None:
    cli_per_engine(
        __doc__ or NAME, run_engine, f"{NAME}: poll + commit vs a plain stream, same topic"
    )


if __name__ == "__main__":
    main()
