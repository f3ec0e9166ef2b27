"""Database plumbing: declarative base, column types and the async engine factory.

SQLite (aiosqlite) is the embedded default and PostgreSQL (asyncpg) the production
engine; everything here works on both.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from topichub.kit.time import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as timezone-aware UTC.

    SQLite has no timezone support and hands back naive values; this type makes both
    engines behave the same so no comparison ever mixes naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactJSON(TypeDecorator[Any]):
    """JSON that keeps integers exact on every engine.

    SQLite gives a column declared ``JSON`` numeric affinity, so a bare number stored as
    JSON text (``"2652528598121910586363084800000000"``) is converted to a REAL and loses
    digits. Integers are therefore stored wrapped, as ``{"int": "<digits>"}``, which is
    text to SQLite; reading unwraps them, and also accepts bare numbers written before.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"int": str(value)}
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dict) and value.keys() == {"int"} and isinstance(value["int"], str):
            return int(value["int"])
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, foreign keys and a busy timeout."""
    # Error messages would otherwise quote the statement's parameters: password hashes,
    # token hashes, message payloads.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_DIRTY = "topichub.wrote_watched_table"


def on_committed_writes(
    engine: AsyncEngine,
    tables: Iterable[str],
    callback: Callable[[], None],
    *,
    ignore: re.Pattern[str] | None = None,
) -> None:
    """Call ``callback`` whenever this process writes to one of ``tables``: once when the
    statement runs and once more when its connection goes back to the pool, i.e. after
    the commit (or rollback). The first call keeps caches from serving the old answer
    while the transaction is open; the second drops anything a concurrent request read
    in between. Watches the SQL itself, so ORM flushes, bulk updates and Core statements
    are all seen. Statements matching ``ignore`` (bookkeeping such as "last used at")
    do not count."""
    watched = frozenset(t.lower() for t in tables)
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _on_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement[:6].upper() == "SELECT":
            return
        match = _WRITE.match(statement)
        if match is None or match.group(1).lower() not in watched:
            return
        if ignore is not None and ignore.match(statement):
            return
        conn.info[_DIRTY] = True
        callback()

    @event.listens_for(sync_engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(_DIRTY, False):
            callback()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


Upsert = postgresql.Insert | sqlite.Insert


def upsert(session: AsyncSession | AsyncConnection, table: Any) -> Upsert:
    """An INSERT into ``table`` that takes ``on_conflict_do_nothing`` /
    ``on_conflict_do_update``, in the dialect of the session or connection (topichub
    runs on exactly PostgreSQL and SQLite, which spell those clauses the same way)."""
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert on {dialect}")  # pragma: no cover
