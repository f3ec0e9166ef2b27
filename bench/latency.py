"""End-to-end latency at low load: publish -> SSE receive.

One SSE subscriber (in its own process) on ``GET /api/v1/topics/events/stream``; this
process publishes COUNT one-message requests at RATE per second (after a few unmeasured
warm-up messages), each carrying its send time; the subscriber notes when each arrives.
Figures: p50 and p99 in milliseconds, as ratios to the naive broadcaster
(``bench.apps naive``) measured the same way in the same run. Lower is better.

    uv run python -m bench.latency [--engine embedded|kafka]
"""

from __future__ import annotations

from bench.common import Bench, Row, cli_per_engine, log, provision
from bench.fanout import rows_for
from bench.streaming import StreamResult, StreamTarget, measure

NAME = "latency"
SUBSCRIBERS = 1
RATE = 50.0
COUNT = 200
WARMUP = 20
DRAIN_S = 3.0


async def _run_one(target: StreamTarget) -> StreamResult:
    log(f"{NAME} [{target.label}]: {COUNT} messages at {RATE:.0f}/s to {SUBSCRIBERS} subscriber")
    result = await measure(
        target,
        subscribers=SUBSCRIBERS,
        rate=RATE,
        count=COUNT,
        warmup=WARMUP,
        drain_s=DRAIN_S,
    )
    log(
        f"{NAME} [{target.label}]: {result.delivered}/{result.expected} delivered, "
        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, max {result.max_ms:.2f} ms"
    )
    return result


async def run_engine(bench: Bench, name: str) -> list[Row]:
    async def measure_naive() -> StreamResult:
        server = await bench.baseline("naive")
        return await _run_one(
            StreamTarget("naive", server.port, server.pid, "/stream", "/publish", {})
        )

    naive = await bench.once(f"{NAME}-naive", measure_naive)
    _, server = await bench.topichub(name)
    account = await provision(server, stream=True)
    target = StreamTarget(
        name,
        server.port,
        server.pid,
        f"/api/v1/topics/{account.topic}/stream",
        f"/api/v1/topics/{account.topic}/publish",
        {"X-API-Key": account.api_key},
    )
    ours = await _run_one(target)
    return rows_for(NAME, name, ours, naive, fanout=False)


def main() -> None:
    cli_per_engine(
        __doc__ or NAME,
        run_engine,
        f"{NAME}: {SUBSCRIBERS} subscriber, {COUNT} messages at {RATE:.0f}/s, "
        "vs the naive broadcaster",
    )


if __name__ == "__main__":
    main()
