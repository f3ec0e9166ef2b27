"""Batch publish: 1,000 messages of 100 bytes per request.

messages/s of ``POST /api/v1/topics/events/publish`` (1,000 messages whose JSON value is
100 bytes each, so each stored record is 100 bytes), closed loop on CONCURRENCY
connections from a separate load process, as a ratio to the engine's own log written
directly with the same batches and the same concurrency, in the same run:

- kafka: aiokafka ``create_batch``/``send_batch`` straight to the same tansu broker
  (acks=all, idempotence off, topichub's batch size limit), one sender per partition
  building the next batch while the previous one is in flight (aiokafka queues one batch
  per partition, so more senders would only contend);
- embedded: ``EmbeddedBus.publish`` in-process on a fresh SQLite file of the same kind
  (topichub's pragmas and schema), i.e. the log without HTTP, auth, limits or JSON.

Baseline and topichub are measured in alternation (ROUNDS rounds); medians are shown.
Target: >= 0.25 (goal 0.5).

    uv run python -m bench.publish_batch [--engine embedded|kafka]

With ``--schema`` it measures what a topic's JSON Schema costs instead (bench/publish_schema.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from bench.common import (
    Bench,
    Engine,
    Row,
    cli_per_engine,
    fmt_rate,
    http_request,
    log,
    median,
    provision,
    ratio,
)
from bench.load import LoadResult, embedded_baseline, http_load, kafka_baseline

NAME = "publish_batch"
BATCH = 1_000
VALUE_BYTES = 100
CONCURRENCY = 4
ROUNDS = 3
WARMUP_S = 1.0
WINDOW_S = 3.0
TARGET = 0.25
GOAL = 0.5
# A JSON string of 98 characters: its encoding, which the log stores, is 100 bytes.
VALUE = "x" * (VALUE_BYTES - 2)
BODY = json.dumps({"messages": [{"value": VALUE}] * BATCH}).encode()
BASELINES = {
    "kafka": "aiokafka send_batch",
    "embedded": "EmbeddedBus.publish in-process",
}


def _notes(results: Sequence[LoadResult]) -> list[str]:
    failed = [r for r in results if r.error_count]
    if not failed:
        return []
    r = failed[0]
    return [f"{sum(x.error_count for x in failed)} failed requests, e.g. {r.sample_error!r}"]


async def _baseline(bench: Bench, eng: Engine, partitions: int) -> LoadResult:
    if eng.bootstrap_servers:
        return await bench.load.run(
            kafka_baseline,
            eng.bootstrap_servers,
            partitions,
            VALUE_BYTES,
            BATCH,
            WARMUP_S,
            1,
            WINDOW_S,
        )
    return await bench.load.run(
        embedded_baseline, partitions, VALUE_BYTES, BATCH, CONCURRENCY, WARMUP_S, 1, WINDOW_S
    )


async def run_engine(bench: Bench, name: str) -> list[Row]:
    eng, server = await bench.topichub(name)
    account = await provision(server)
    request = http_request(
        "POST",
        f"/api/v1/topics/{account.topic}/publish",
        BODY,
        {"X-API-Key": account.api_key},
    )
    log(f"{NAME} [{name}]: {ROUNDS} rounds of {BASELINES[name]} vs topichub")
    base: list[LoadResult] = []
    ours: list[LoadResult] = []
    for _ in range(ROUNDS):
        base.append(await _baseline(bench, eng, account.partitions))
        ours.append(
            await bench.load.run(
                http_load, server.port, request, CONCURRENCY, WARMUP_S, 1, WINDOW_S
            )
        )
    rate = median([r.rates[0] for r in ours]) * BATCH
    base_rate = median([r.rates[0] for r in base])
    r = ratio(rate, base_rate)
    return [
        Row(
            NAME,
            name,
            "messages/s",
            fmt_rate(rate),
            f"{fmt_rate(base_rate)} ({BASELINES[name]})",
            r,
            f">= {TARGET} (goal {GOAL})",
            None if r is None else r >= TARGET,
            _notes(ours),
        )
    ]


def main() -> None:
    if "--schema" in sys.argv:
        from bench import publish_schema

        sys.argv.remove("--schema")
        publish_schema.main()
        return
    cli_per_engine(
        __doc__ or NAME,
        run_engine,
        f"{NAME}: {BATCH:,} x {VALUE_BYTES}-byte messages per request vs the log written directly",
    )


if __name__ == "__main__":
    main()
