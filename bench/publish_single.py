"""Single-message publish with an API key, limits on, through uvicorn.

requests/s of ``POST /api/v1/topics/events/publish`` with one small message and an
``X-API-Key``, as a ratio to a bare FastAPI no-op POST endpoint (``bench.apps noop``)
served by the same uvicorn setup in the same run. Closed loop on CONNECTIONS keep-alive
connections from a separate load process. Both servers run side by side and are measured
in alternation (ROUNDS rounds of a warm-up and a WINDOW_S window each), so a machine that
gets busier or quieter during the run moves both figures; the table shows medians.
Target: >= 0.5.

    uv run python -m bench.publish_single [--engine embedded|kafka]
"""

from __future__ import annotations

import json
from collections.abc import Sequence

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

NAME = "publish_single"
CONNECTIONS = 64
ROUNDS = 3
WARMUP_S = 1.0
WINDOW_S = 3.0
TARGET = 0.5
BODY = json.dumps({"messages": [{"value": {"n": 1, "text": "hello, topichub"}}]}).encode()


def _notes(what: str, results: Sequence[LoadResult]) -> list[str]:
    failed = [r for r in results if r.error_count]
    if not failed:
        return []
    r = failed[0]
    return [
        f"{what}: {sum(x.error_count for x in failed)} failed requests, e.g. {r.errors} "
        f"(disconnects {r.disconnects}) {r.sample_error!r}"
    ]


async def run_engine(bench: Bench, name: str) -> list[Row]:
    noop = await bench.baseline("noop")
    _, server = await bench.topichub(name)
    account = await provision(server)
    request = http_request(
        "POST",
        f"/api/v1/topics/{account.topic}/publish",
        BODY,
        {"X-API-Key": account.api_key},
    )
    noop_request = http_request("POST", "/noop", BODY)
    log(f"{NAME} [{name}]: {ROUNDS} rounds of no-op vs topichub, {CONNECTIONS} connections")
    base: list[LoadResult] = []
    ours: list[LoadResult] = []
    for _ in range(ROUNDS):
        for port, req, out in ((noop.port, noop_request, base), (server.port, request, ours)):
            out.append(
                await bench.load.run(http_load, port, req, CONNECTIONS, WARMUP_S, 1, WINDOW_S)
            )
    rate = median([r.rates[0] for r in ours])
    base_rate = median([r.rates[0] for r in base])
    r = ratio(rate, base_rate)
    return [
        Row(
            NAME,
            name,
            "requests/s",
            fmt_rate(rate),
            f"{fmt_rate(base_rate)} (no-op)",
            r,
            f">= {TARGET}",
            None if r is None else r >= TARGET,
            _notes("topichub", ours) + _notes("no-op", base),
        )
    ]


def main() -> None:
    cli_per_engine(
        __doc__ or NAME, run_engine, f"{NAME}: 1-message publish vs a FastAPI no-op, same uvicorn"
    )


if __name__ == "__main__":
    main()
