"""Fixtures for the bus tests: every contract test runs on every engine.

Engines: ``embedded-sqlite`` (a temporary SQLite file), ``embedded-postgres`` (a fresh
database on the local PostgreSQL, skipped when it is unreachable except in CI) and
``kafka`` (one private tansu broker per session; failing to start it fails the tests).
Topic names are unique per test, so engines and databases are shared per session.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.services import create_pg_database, drop_pg_database, unavailable
from tests.support.tansu import TansuBroker
from topichub.bus import BusOptions, EventBus, Reader, Record, create_bus
from topichub.kit.db import Base, create_engine
from topichub.models.bus import BUS_TABLES

ENGINES = [
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("kafka", marks=pytest.mark.kafka),
]

TEST_OPTIONS = BusOptions(
    publish_timeout_s=10.0,
    topic_scan_interval_s=0.5,
    # tansu completes a group join in about half the session timeout; real brokers
    # would refuse a session this short (group.min.session.timeout.ms).
    kafka_session_timeout_ms=1_000,
    kafka_heartbeat_interval_ms=200,
    kafka_request_timeout_ms=10_000,
)


def unique(prefix: str = "t") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


async def _create_bus_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=list(BUS_TABLES))


@pytest.fixture(scope="session")
async def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path: Path = tmp_path_factory.mktemp("bus") / "bus.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await _create_bus_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    try:
        url = await create_pg_database()
    except (OSError, Exception) as exc:
        unavailable("PostgreSQL", exc)
        raise
    engine = create_engine(url)
    try:
        await _create_bus_tables(engine)
        yield engine
    finally:
        await engine.dispose()
        await drop_pg_database(url)


@pytest.fixture(scope="session")
async def tansu() -> AsyncIterator[TansuBroker]:
    broker = await TansuBroker.start()
    try:
        yield broker
    finally:
        broker.stop()


@dataclass(frozen=True)
class Backend:
    kind: str
    bootstrap_servers: str | None = None
    engine: AsyncEngine | None = None
    broker: TansuBroker | None = None


@pytest.fixture(params=ENGINES)
def backend(request: pytest.FixtureRequest) -> Backend:
    # Resolved here, in a plain fixture, so only the services a test run selects start.
    kind: str = request.param
    if kind == "kafka":
        broker: TansuBroker = request.getfixturevalue("tansu")
        return Backend(kind, bootstrap_servers=broker.bootstrap_servers, broker=broker)
    fixture = "sqlite_engine" if kind == "embedded-sqlite" else "postgres_engine"
    return Backend(kind, engine=request.getfixturevalue(fixture))


BusFactory = Callable[..., Awaitable[EventBus]]


@pytest.fixture
async def new_bus(backend: Backend) -> AsyncIterator[BusFactory]:
    """Start another bus on the test's backend; every one is stopped at teardown."""
    created: list[EventBus] = []

    async def factory(**overrides: Any) -> EventBus:
        bus = create_bus(
            kafka_bootstrap_servers=backend.bootstrap_servers,
            engine=backend.engine,
            options=replace(TEST_OPTIONS, **overrides),
        )
        created.append(bus)
        await bus.start()
        return bus

    yield factory
    for bus in reversed(created):
        await bus.stop()


@pytest.fixture
async def bus(new_bus: BusFactory) -> EventBus:
    return await new_bus()


async def read_until(
    reader: Any, count: int, *, within: float = 15.0, step: float = 1.0
) -> list[Record]:
    """Read until ``count`` records arrived or ``within`` seconds passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    records: list[Record] = []
    while len(records) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        records += await reader.read(timeout=min(step, remaining))
    return records


async def read_from_beginning(bus: EventBus, topic: str, count: int) -> list[Record]:
    reader: Reader = bus.reader(topic, await bus.beginning_offsets(topic))
    try:
        return await read_until(reader, count)
    finally:
        await reader.close()
