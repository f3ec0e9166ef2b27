"""Usage metering for billing (seed 003): API calls, errors, latency, recommendations
served and items indexed, per tenant and UTC day.

Counting is a dictionary update on the request path; a background task writes the deltas
in one transaction every few seconds (and on shutdown) with additive upserts, so several
processes add up without coordination. A flush that fails keeps its deltas for the next
one: a database blip delays metering, it does not lose it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.kit.db import upsert
from topichub.kit.periodic import Periodic
from topichub.kit.time import utctoday
from topichub.models.api_usage import ApiUsage

log = logging.getLogger(__name__)

FIELDS = (
    "api_calls",
    "errors",
    "client_errors",
    "streams",
    "latency_ms_total",
    "recommendations",
    "items_indexed",
)


@dataclass
class DayUsage:
    api_calls: int = 0
    errors: int = 0
    client_errors: int = 0
    streams: int = 0
    latency_ms_total: int = 0
    recommendations: int = 0
    items_indexed: int = 0

    def add(self, other: DayUsage) -> None:
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def average_latency_ms(self) -> float:
        """Of the requests that are not streams: a stream lasts as long as its client
        stays, which says nothing about how fast the API answers."""
        timed = self.api_calls - self.streams
        return round(self.latency_ms_total / timed, 2) if timed > 0 else 0.0


class ApiMeter:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, flush_interval_s: float = 5.0
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pending: defaultdict[tuple[uuid.UUID, date], DayUsage] = defaultdict(DayUsage)
        self._flusher = Periodic(self.flush, flush_interval_s, name="api-metering flush")

    def record_call(
        self, tenant_id: uuid.UUID, latency_ms: float, status: int, *, stream: bool = False
    ) -> None:
        usage = self._pending[(tenant_id, utctoday())]
        usage.api_calls += 1
        if stream:
            usage.streams += 1
        else:
            usage.latency_ms_total += round(latency_ms)
        if status >= 500:
            usage.errors += 1
        elif status >= 400:
            usage.client_errors += 1

    def record(self, tenant_id: uuid.UUID, *, recommendations: int = 0, items: int = 0) -> None:
        usage = self._pending[(tenant_id, utctoday())]
        usage.recommendations += recommendations
        usage.items_indexed += items

    async def flush(self) -> int:
        if not self._pending:
            return 0
        batch, self._pending = self._pending, defaultdict(DayUsage)
        try:
            async with self._sessionmaker() as session:
                for (tenant_id, day), usage in batch.items():
                    await session.execute(_upsert(session, tenant_id, day, usage))
                await session.commit()
        except Exception:
            for key, usage in batch.items():
                self._pending[key].add(usage)
            raise
        return len(batch)

    async def usage(self, tenant_id: uuid.UUID, day: date) -> DayUsage:
        """Stored counts plus what this process has not flushed yet."""
        async with self._sessionmaker() as session:
            row = await session.scalar(
                select(ApiUsage).where(ApiUsage.tenant_id == tenant_id, ApiUsage.day == day)
            )
        total = DayUsage(**{f: getattr(row, f) for f in FIELDS}) if row else DayUsage()
        pending = self._pending.get((tenant_id, day))
        if pending is not None:
            total.add(pending)
        return total

    async def start(self) -> None:
        self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()
        try:
            await self.flush()
        except Exception:
            log.warning("final metering flush failed", exc_info=True)


def _upsert(session: AsyncSession, tenant_id: uuid.UUID, day: date, usage: DayUsage) -> Executable:
    values = {"id": uuid.uuid4(), "tenant_id": tenant_id, "day": day} | {
        f: getattr(usage, f) for f in FIELDS
    }
    statement = upsert(session, ApiUsage).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "day"],
        set_={f: getattr(ApiUsage, f) + getattr(statement.excluded, f) for f in FIELDS},
    )
