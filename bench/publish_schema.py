"""Batch publish with a JSON Schema on the topic: what validation costs.

messages/s of ``POST /api/v1/topics/{name}/publish`` with 1,000 object messages of about
100 bytes per request, on a topic with a schema that checks every field (types, required
names, bounds, an enum, an array's items) against the same requests to a topic without
one, same server, same account, closed loop on CONCURRENCY connections, measured in
alternation (ROUNDS rounds, medians). Target: >= 0.75 (validation costs at most 25 %).

On a shared, loaded machine throughput is noisy, so a second row compares what the load
cannot distort as much: the server process's CPU time (utime + stime from /proc) per
request, with the schema against without. Target there: with <= 1.25 x without.

    uv run python -m bench.publish_batch --schema [--engine embedded|kafka]
"""

from __future__ import annotations

import json
import os
from typing import Any

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

NAME = "publish_batch --schema"
BATCH = 1_000
CONCURRENCY = 4
ROUNDS = 5
WARMUP_S = 1.0
WINDOW_S = 3.0
TARGET = 0.75
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["user", "action", "ts"],
    "properties": {
        "user": {"type": "string", "minLength": 1, "maxLength": 64},
        "action": {"enum": ["click", "view", "buy"]},
        "ts": {"type": "integer", "minimum": 0},
        "amount": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    },
    "additionalProperties": False,
}
VALUES = [
    {
        "user": f"user-{i:06d}",
        "action": ("click", "view", "buy")[i % 3],
        "ts": 1_767_225_600_000 + i,
        "amount": i / 4,
        "tags": ["a", "b"],
    }
    for i in range(BATCH)
]
BODY = json.dumps({"messages": [{"value": v} for v in VALUES]}).encode()


async def _topics(base_url: str, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
        for name in ("plain", "checked"):
            response = await client.post("/api/v1/topics", json={"name": name}, headers=auth)
            response.raise_for_status()
        response = await client.put(
            "/api/v1/topics/checked/schema", json={"schema": SCHEMA}, headers=auth
        )
        response.raise_for_status()
        for name in ("plain", "checked"):  # warm up: log partition, compiled validator
            response = await client.post(
                f"/api/v1/topics/{name}/publish",
                content=BODY,
                headers={**auth, "Content-Type": "application/json"},
            )
            response.raise_for_status()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


async def run_engine(bench: Bench, name: str) -> list[Row]:
    _, server = await bench.topichub(name)
    account = await provision(server)
    await _topics(server.base_url, account.token)
    key = {"X-API-Key": account.api_key}
    plain = http_request("POST", "/api/v1/topics/plain/publish", BODY, key)
    checked = http_request("POST", "/api/v1/topics/checked/publish", BODY, key)
    log(f"{NAME} [{name}]: {ROUNDS} rounds of a topic without a schema vs one with")
    base: list[LoadResult] = []
    ours: list[LoadResult] = []
    cpu: dict[bytes, list[float]] = {plain: [], checked: []}
    for _ in range(ROUNDS):
        for request, results in ((plain, base), (checked, ours)):
            before = _cpu_s(server.pid)
            result = await bench.load.run(
                http_load, server.port, request, CONCURRENCY, WARMUP_S, 1, WINDOW_S
            )
            results.append(result)
            cpu[request].append((_cpu_s(server.pid) - before) * 1000 / max(result.done, 1))
    cpu_plain, cpu_checked = median(cpu[plain]), median(cpu[checked])
    cpu_ratio = ratio(cpu_checked, cpu_plain)
    rate = median([r.rates[0] for r in ours]) * BATCH
    base_rate = median([r.rates[0] for r in base]) * BATCH
    r = ratio(rate, base_rate)
    failed = sum(x.error_count for x in base + ours)
    return [
        Row(
            NAME,
            name,
            "messages/s",
            fmt_rate(rate),
            f"{fmt_rate(base_rate)} (same publish, no schema)",
            r,
            f">= {TARGET}",
            None if r is None else r >= TARGET,
            [f"{failed} failed requests"] if failed else [],
        ),
        Row(
            NAME,
            name,
            "server CPU ms/request",
            f"{cpu_checked:.1f}",
            f"{cpu_plain:.1f} (same publish, no schema)",
            cpu_ratio,
            "<= 1.25",
            None if cpu_ratio is None else cpu_ratio <= 1.25,
            [],
        ),
    ]


def main() -> None:
    cli_per_engine(
        __doc__ or NAME,
        run_engine,
        f"{NAME}: {BATCH:,} object messages per request, schema-checked vs not",
    )


if __name__ == "__main__":
    main()
