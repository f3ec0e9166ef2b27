"""What an operator looks at first when something is slow (the console's admin health
page): the database, the log engine, Redis, every process with its open streams, and this
process's request and message rates over the last hour.

Each component is asked once, with a timeout, in parallel; one that fails or times out is
reported ``down`` with the error's text, never as a failure of the page itself."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from topichub.admin import rates
from topichub.kit.time import utcnow
from topichub.limits import StoreUnavailable
from topichub.limits.store import RedisStore
from topichub.models import Topic
from topichub.resources import Resources

PROBE_TIMEOUT_S = 3.0

Status = Literal["ok", "down", "off"]


class ComponentOut(BaseModel):
    status: Status = Field(description="ok, down, or off (not configured)")
    latency_ms: float | None = Field(description="How long the probe took")
    error: str | None = None


class DatabaseOut(ComponentOut):
    dialect: str


class BrokerOut(BaseModel):
    node_id: int
    host: str
    port: int


class LogOut(ComponentOut):
    engine: str = Field(description="embedded (the database) or kafka")
    topics: int | None = Field(description="Topics registered in topichub")
    partitions: int | None = Field(description="Their partitions")
    brokers: list[BrokerOut] | None = Field(description="Kafka only: the cluster's brokers")
    cluster_topics: int | None = Field(description="Kafka only: topics in the cluster")
    cluster_partitions: int | None = Field(description="Kafka only: their partitions")


class RedisOut(ComponentOut):
    pass


class ProcessOut(BaseModel):
    process_id: str
    open_streams: int
    this_process: bool


class MinuteOut(BaseModel):
    minute: datetime
    requests: int
    messages_in: int
    messages_out: int


class RatesOut(BaseModel):
    scope: Literal["this process"] = "this process"
    since: datetime | None = Field(description="Figures start after this minute")
    minutes: list[MinuteOut] = Field(description="Oldest first; the last is the current minute")
    requests: int = Field(description="Requests answered in the window")
    messages_in: int = Field(description="Messages stored in the window")
    messages_out: int = Field(description="Messages delivered to streams in the window")


class HealthOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "checked_at": "2026-12-04T09:45:00Z",
                    "version": "0.1.0",
                    "database": {"status": "ok", "latency_ms": 0.8, "dialect": "postgresql"},
                    "log": {
                        "status": "ok",
                        "latency_ms": 2.1,
                        "engine": "kafka",
                        "topics": 12,
                        "partitions": 20,
                        "brokers": [{"node_id": 1, "host": "kafka-1", "port": 9092}],
                        "cluster_topics": 15,
                        "cluster_partitions": 23,
                    },
                    "redis": {"status": "ok", "latency_ms": 0.4},
                    "processes": [
                        {"process_id": "web-1:4121", "open_streams": 3, "this_process": True}
                    ],
                    "processes_error": None,
                    "rates": {
                        "scope": "this process",
                        "since": "2026-12-04T08:45:00Z",
                        "minutes": [
                            {
                                "minute": "2026-12-04T09:45:00Z",
                                "requests": 42,
                                "messages_in": 120,
                                "messages_out": 360,
                            }
                        ],
                        "requests": 42,
                        "messages_in": 120,
                        "messages_out": 360,
                    },
                }
            ]
        }
    )

    status: Literal["ok", "degraded"]
    checked_at: datetime
    version: str
    database: DatabaseOut
    log: LogOut
    redis: RedisOut
    processes: list[ProcessOut]
    processes_error: str | None = Field(
        description="Why only this process is listed (the shared registry is unreachable)"
    )
    rates: RatesOut


async def _timed(probe: Callable[[], Awaitable[Any]]) -> tuple[Any, float | None, str | None]:
    started = time.perf_counter()
    try:
        value = await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except TimeoutError:
        return None, None, f"no answer within {PROBE_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return None, None, str(exc) or type(exc).__name__
    return value, round((time.perf_counter() - started) * 1000, 1), None


async def _database(resources: Resources) -> DatabaseOut:
    _, latency, error = await _timed(resources.checks["database"])
    return DatabaseOut(
        status="down" if error else "ok",
        latency_ms=latency,
        error=error,
        dialect=resources.engine.dialect.name,
    )


async def _log(resources: Resources) -> LogOut:
    bus = resources.bus
    _, latency, error = await _timed(bus.check)

    async def registered() -> tuple[int, int]:
        async with resources.sessionmaker() as session:
            row = (
                await session.execute(
                    select(func.count(Topic.id), func.coalesce(func.sum(Topic.partitions), 0))
                )
            ).one()
        return int(row[0]), int(row[1])

    counts, _, count_error = await _timed(registered)
    cluster: dict[str, Any] | None = None
    describe = getattr(bus, "describe_cluster", None)
    if describe is not None and error is None:
        cluster, _, cluster_error = await _timed(describe)
        error = cluster_error
    return LogOut(
        status="down" if error else "ok",
        latency_ms=latency,
        error=error or count_error,
        engine=bus.name,
        topics=counts[0] if counts else None,
        partitions=counts[1] if counts else None,
        brokers=[BrokerOut(**b) for b in cluster["brokers"]] if cluster else None,
        cluster_topics=cluster["topics"] if cluster else None,
        cluster_partitions=cluster["partitions"] if cluster else None,
    )


async def _redis(resources: Resources) -> RedisOut:
    store = resources.limits_store
    if not isinstance(store, RedisStore):
        return RedisOut(status="off", latency_ms=None, error=None)

    async def ping() -> None:
        if not await store.ping():
            raise ConnectionError("Redis does not answer PING")

    _, latency, error = await _timed(ping)
    return RedisOut(status="down" if error else "ok", latency_ms=latency, error=error)


async def _processes(resources: Resources) -> tuple[list[ProcessOut], str | None]:
    me = resources.connections.process_id
    error = None
    try:
        streams = await asyncio.wait_for(resources.connections.list_active(), PROBE_TIMEOUT_S)
        counts = Counter(str(s.get("process_id")) for s in streams)
    except (StoreUnavailable, TimeoutError) as exc:
        error = f"The shared stream registry (Redis) is unreachable: {exc}".rstrip(": ")
        counts = Counter({me: len(resources.streams.list())})
    counts.setdefault(me, 0)
    processes = [
        ProcessOut(process_id=pid, open_streams=n, this_process=pid == me)
        for pid, n in sorted(counts.items(), key=lambda item: (item[0] != me, item[0]))
    ]
    return processes, error


def _rates() -> RatesOut:
    rates.HISTORY.sample()
    minutes = rates.HISTORY.rates()
    return RatesOut(
        since=rates.HISTORY.since(),
        minutes=[MinuteOut(**vars(m)) for m in minutes],
        requests=sum(m.requests for m in minutes),
        messages_in=sum(m.messages_in for m in minutes),
        messages_out=sum(m.messages_out for m in minutes),
    )


async def health(resources: Resources, version: str) -> HealthOut:
    database, log, redis, (processes, processes_error) = await asyncio.gather(
        _database(resources), _log(resources), _redis(resources), _processes(resources)
    )
    ok = all(c.status != "down" for c in (database, log, redis)) and processes_error is None
    return HealthOut(
        status="ok" if ok else "degraded",
        checked_at=utcnow(),
        version=version,
        database=database,
        log=log,
        redis=redis,
        processes=processes,
        processes_error=processes_error,
        rates=_rates(),
    )
