"""Topic statistics: what ``GET /topics/{name}/stats`` costs over looking the topic up.

requests/s of ``GET /api/v1/topics/events/stats`` on a topic holding RECORDS messages,
as a ratio to ``GET /api/v1/topics/events`` (the same authentication and topic lookup,
no log access) on the same server in the same run. Closed loop on CONNECTIONS keep-alive
connections (a console polling many topics); the two are measured in alternation
(ROUNDS rounds of a warm-up and a WINDOW_S window each), the table shows medians. No
target: the figure says how many topics a console can poll per second and what the log
figures add (docs/browse-and-stats.md).

A second row times what a console polling a project of LIST_TOPICS topics pays per
refresh: ``GET /api/v1/topics`` (each topic with its headline figures) once the figures'
cache (``topics.stats.CACHE_TTL_S``) has expired, so every topic's figures are computed
again (medians of LIST_ROUNDS refreshes). Each topic holds a few messages.

    uv run python -m bench.topic_stats [--engine embedded|kafka]
"""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.common import (
    Bench,
    Row,
    cli_per_engine,
    fmt_rate,
    http_request,
    log,
    median,
    provision,
    ratio,
)
from bench.load import LoadResult, http_load

NAME = "topic_stats"
CONNECTIONS = 8
ROUNDS = 3
WARMUP_S = 1.0
WINDOW_S = 3.0
RECORDS = 10_000
BATCH = 500
LIST_TOPICS = 100
LIST_ROUNDS = 5
CACHE_TTL_S = 2.0  # topichub.topics.stats.CACHE_TTL_S (the server is another process)


async def _fill(base_url: str, topic: str, key: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        for start in range(0, RECORDS, BATCH):
            messages = [{"value": {"n": start + i, "text": "hello"}} for i in range(BATCH)]
            response = await client.post(
                f"/api/v1/topics/{topic}/publish",
                json={"messages": messages},
                headers={"X-API-Key": key},
            )
            response.raise_for_status()


async def run_engine(bench: Bench, name: str) -> list[Row]:
    _, server = await bench.topichub(name)
    account = await provision(server)
    await _fill(server.base_url, account.topic, account.api_key)
    headers = {"X-API-Key": account.api_key}
    stats = http_request("GET", f"/api/v1/topics/{account.topic}/stats", b"", headers)
    lookup = http_request("GET", f"/api/v1/topics/{account.topic}", b"", headers)
    log(f"{NAME} [{name}]: {ROUNDS} rounds of topic lookup vs stats, {CONNECTIONS} connections")
    base: list[LoadResult] = []
    ours: list[LoadResult] = []
    for _ in range(ROUNDS):
        for req, out in ((lookup, base), (stats, ours)):
            out.append(
                await bench.load.run(
                    http_load, server.port, req, CONNECTIONS, WARMUP_S, 1, WINDOW_S
                )
            )
    rate = median([r.rates[0] for r in ours])
    base_rate = median([r.rates[0] for r in base])
    errors = sum(r.error_count for r in ours + base)
    refresh_s = await _list_refresh(server.base_url, account.token)
    return [
        Row(
            NAME,
            name,
            f"GET /topics, {LIST_TOPICS} topics",
            f"{refresh_s:.2f} s",
            "none (figures' cache expired before each refresh)",
            None,
            "a few seconds",
            None,
            [],
        ),
        Row(
            NAME,
            name,
            "requests/s",
            fmt_rate(rate),
            f"{fmt_rate(base_rate)} (GET topic)",
            ratio(rate, base_rate),
            "none",
            None,
            [f"{errors} failed requests"] if errors else [],
        ),
    ]


async def _list_refresh(base_url: str, token: str) -> float:
    """Median seconds of ``GET /topics`` over LIST_TOPICS topics, cache expired."""
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0, headers=auth) as client:
        listed = (await client.get("/api/v1/topics")).json()["topics"]
        users = [t for t in listed if t["kind"] == "user"]
        for i in range(LIST_TOPICS - len(users)):
            name = f"polled-{i:03d}"
            response = await client.post("/api/v1/topics", json={"name": name})
            response.raise_for_status()
            response = await client.post(
                f"/api/v1/topics/{name}/publish",
                json={"messages": [{"value": {"n": n}} for n in range(5)]},
            )
            response.raise_for_status()
        seconds = []
        for _ in range(LIST_ROUNDS):
            await asyncio.sleep(CACHE_TTL_S + 0.2)
            started = time.perf_counter()
            response = await client.get("/api/v1/topics")
            response.raise_for_status()
            seconds.append(time.perf_counter() - started)
        return median(seconds)


def main() -> None:
    cli_per_engine(
        __doc__ or NAME, run_engine, f"{NAME}: topic stats vs a topic lookup, same server"
    )


if __name__ == "__main__":
    main()
