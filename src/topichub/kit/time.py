"""Time helpers: every timestamp in topichub is timezone-aware UTC."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def utctoday() -> date:
    return utcnow().date()


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch, the unit Kafka uses for timestamps."""
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
