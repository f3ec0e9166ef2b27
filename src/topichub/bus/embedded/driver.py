"""The group commit's statements, run on the database driver of one pooled connection
that the writer holds.

Why not through SQLAlchemy: a group commit is about a transaction per 30 concurrent
single-message publishes, and on the event loop's thread each statement through the
async adapter cost greenlet switches, a cache-key lookup or compile, an execution
context and a ``CursorResult``; aiosqlite took 3-4 hops to its thread per statement
(cursor, execute, fetch, close) and the pool's checkout a ``SELECT 1`` round trip on
PostgreSQL (``pool_pre_ping``). On the driver a transaction is 4 hops on aiosqlite
(select, insert, update, commit) and 5 round trips on asyncpg (begin, select ... for
update, insert, update, commit). Only the two drivers topichub supports (see
``topichub.kit.db``) are handled.

The connection comes from the engine's pool (same URL, options and ``connect`` hooks as
every other). It is discarded rather than returned, when it fails (its transaction
state is unknown) and when the writer stops (it may have been dropped under the writer
since its last commit).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from topichub.bus.port import BusError
from topichub.models.bus import BusPartition, BusRecord

_RECORD_COLUMNS = (
    "topic",
    "partition",
    "offset",
    "timestamp_ms",
    "key",
    "value",
    "headers",
    "size",
)

Row = tuple[Any, ...]


class LogConnection(ABC):
    """A connection held for the group commits. ``read`` opens a transaction and
    returns ``(topic, partition, next_offset)`` of the topics' partitions; ``write``
    inserts records, sets ``next_offset`` and commits."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        self._conn = conn
        self._driver = driver
        quote = conn.dialect.identifier_preparer.quote
        self._table = quote(BusRecord.__tablename__)
        self._columns = ", ".join(quote(c) for c in _RECORD_COLUMNS)
        self._partitions = quote(BusPartition.__tablename__)
        self._topic, self._partition = quote("topic"), quote("partition")
        self._next = quote("next_offset")

    @staticmethod
    async def open(engine: AsyncEngine) -> LogConnection:
        conn = await engine.connect()
        try:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            dialect: Dialect = conn.dialect
            if dialect.driver == "aiosqlite":
                return _SqliteLog(conn, driver)
            if dialect.driver == "asyncpg":
                return _PostgresLog(conn, driver)
            raise BusError(f"the embedded bus does not support the {dialect.driver} driver")
        except BaseException:
            await conn.close()
            raise

    @abstractmethod
    async def read(self, topics: Collection[str]) -> Sequence[Row]: ...

    @abstractmethod
    async def write(self, inserts: list[Row], updates: list[Row]) -> None:
        """Insert ``inserts`` (rows in ``_RECORD_COLUMNS`` order), apply ``updates``
        (``(next_offset, topic, partition)``), commit; with nothing to insert, only
        end the transaction ``read`` began."""

    async def discard(self) -> None:
        """Close the connection for good instead of pooling it: after a failure its
        transaction may still be open, or the connection dead. Errors closing it are
        dropped: the caller is already handling the failure that matters."""
        with contextlib.suppress(Exception):
            await self._conn.invalidate()
        with contextlib.suppress(Exception):
            await self._conn.close()


class _SqliteLog(LogConnection):
    """aiosqlite; sqlite3 begins the transaction itself before the insert (as it did
    under SQLAlchemy), and the bus's write lock keeps this process's writers apart."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        super().__init__(conn, driver)
        marks = ", ".join("?" for _ in _RECORD_COLUMNS)
        # Only constant names and placeholders: values are always bound parameters.
        self._insert = f"INSERT INTO {self._table} ({self._columns}) VALUES ({marks})"  # noqa: S608
        self._update = (
            f"UPDATE {self._partitions} SET {self._next} = ? "  # noqa: S608
            f"WHERE {self._topic} = ? AND {self._partition} = ?"
        )
        self._select = (
            f"SELECT {self._topic}, {self._partition}, {self._next} "  # noqa: S608
            f"FROM {self._partitions} WHERE {self._topic} IN "
        )

    async def read(self, topics: Collection[str]) -> Sequence[Row]:
        marks = ", ".join("?" for _ in topics)
        rows: Sequence[Row] = await self._driver.execute_fetchall(
            f"{self._select}({marks})", tuple(topics)
        )
        return rows

    async def write(self, inserts: list[Row], updates: list[Row]) -> None:
        if not inserts:
            return  # nothing was written, so no transaction began
        driver = self._driver
        await driver.executemany(self._insert, inserts)
        await driver.executemany(self._update, updates)
        await driver.commit()


class _PostgresLog(LogConnection):
    """asyncpg; the partitions' rows are locked (``FOR UPDATE``) so that a second
    writer, which the engine does not support, waits instead of colliding."""

    def __init__(self, conn: AsyncConnection, driver: Any) -> None:
        super().__init__(conn, driver)
        marks = ", ".join(f"${i}" for i in range(1, len(_RECORD_COLUMNS) + 1))
        self._insert = f"INSERT INTO {self._table} ({self._columns}) VALUES ({marks})"  # noqa: S608
        self._update = (
            f"UPDATE {self._partitions} SET {self._next} = $1 "  # noqa: S608
            f"WHERE {self._topic} = $2 AND {self._partition} = $3"
        )
        self._select = (
            f"SELECT {self._topic}, {self._partition}, {self._next} "  # noqa: S608
            f"FROM {self._partitions} WHERE {self._topic} = ANY($1::varchar[]) FOR UPDATE"
        )
        self._transaction: Any = None

    async def read(self, topics: Collection[str]) -> Sequence[Row]:
        self._transaction = self._driver.transaction()
        await self._transaction.start()
        rows: Sequence[Row] = await self._driver.fetch(self._select, list(topics))
        return rows

    async def write(self, inserts: list[Row], updates: list[Row]) -> None:
        driver = self._driver
        if inserts:
            await driver.executemany(self._insert, inserts)
            await driver.executemany(self._update, updates)
        transaction, self._transaction = self._transaction, None
        await transaction.commit()
