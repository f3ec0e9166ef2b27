"""SQL for ``usage_counters``: read rows, and write absolute counters in batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.db import upsert
from topichub.limits.values import CounterKey, Scope, Usage
from topichub.models.usage import UsageCounter

_COUNTS = ("messages_in", "bytes_in", "messages_out", "bytes_out")
_BATCH = 500


async def load_usage(session: AsyncSession, keys: Iterable[CounterKey]) -> dict[CounterKey, Usage]:
    """The stored counters of ``keys``; keys without a row are absent from the result."""
    wanted = list(dict.fromkeys(keys))
    found: dict[CounterKey, Usage] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        stmt = select(UsageCounter).where(
            or_(
                *(
                    and_(
                        UsageCounter.scope == k.scope,
                        UsageCounter.scope_id == k.scope_id,
                        UsageCounter.day == k.day,
                    )
                    for k in chunk
                )
            )
        )
        for row in (await session.scalars(stmt)).all():
            key = CounterKey(row.scope, row.scope_id, row.day)  # type: ignore[arg-type]
            found[key] = Usage(row.messages_in, row.bytes_in, row.messages_out, row.bytes_out)
    return found


async def load_usage_range(
    session: AsyncSession, scope: Scope, scope_id: str, first: date, last: date
) -> dict[date, Usage]:
    """The stored counters of one scope id from ``first`` to ``last`` (both included), by
    day; days without a row are absent from the result."""
    stmt = select(UsageCounter).where(
        UsageCounter.scope == scope,
        UsageCounter.scope_id == scope_id,
        UsageCounter.day.between(first, last),
    )
    return {
        row.day: Usage(row.messages_in, row.bytes_in, row.messages_out, row.bytes_out)
        for row in (await session.scalars(stmt)).all()
    }


async def store_usage(
    session: AsyncSession, counters: Sequence[tuple[CounterKey, Usage]], now: datetime
) -> None:
    """Upsert absolute counter values. A stored value only ever grows (``GREATEST``), so
    writing the same or an older snapshot twice, from any process, is harmless."""
    if not counters:
        return
    # SQLite's two-argument max() is PostgreSQL's greatest().
    postgres = session.get_bind().dialect.name == "postgresql"
    greatest: Any = func.greatest if postgres else func.max
    table = UsageCounter.__table__
    for start in range(0, len(counters), _BATCH):
        rows = [
            {
                "id": uuid.uuid4(),
                "scope": key.scope,
                "scope_id": key.scope_id,
                "day": key.day,
                "messages_in": usage.messages_in,
                "bytes_in": usage.bytes_in,
                "messages_out": usage.messages_out,
                "bytes_out": usage.bytes_out,
                "updated_at": now,
            }
            for key, usage in counters[start : start + _BATCH]
        ]
        stmt = upsert(session, table).values(rows)
        update = {name: greatest(table.c[name], stmt.excluded[name]) for name in _COUNTS}
        update["updated_at"] = stmt.excluded.updated_at
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["scope", "scope_id", "day"], set_=update)
        )
