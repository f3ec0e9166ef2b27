"""Topic statistics: what ``GET /topics/{name}/stats`` costs over looking the topic up.

requests/s of ``GET /api/v1/topics/events/stats`` on a topic holding RECORDS messages,
as a ratio to ``GET /api/v1/topics/events`` (the same authentication and topic lookup,
no log access) on the same server in the same run. Closed loop on CONNECTIONS keep-alive
connections (a console polling many topics); the two are measured in alternation
(ROUNDS rounds of a warm-up and a WINDOW_S window each), the table shows medians. No
target: the figure says how many topics a console can poll per second and what the log
figures add (docs/browse-and-stats.md).

    uv run python -m bench.topic_stats [--engine embedded|kafka]
"""

from __future__ import annotations

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
    return [
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
        )
    ]


def main() -> None:
    cli_per_engine(
        __doc__ or NAME, run_engine, f"{NAME}: topic stats vs a topic lookup, same server"
    )


if __name__ == "__main__":
    main()
