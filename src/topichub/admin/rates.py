"""Request and message rates of this process over the last hour, for the admin health
page. The Prometheus counters the process already keeps (``http_requests_total``,
``topichub_messages_published_total``, ``topichub_messages_delivered_total``) are
snapshot every few seconds; the last snapshot of each minute is kept for an hour, and a
minute's figure is the difference from the snapshot before it. Counters are per process,
so these figures are too (the page says so)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter

from topichub.kit.periodic import Periodic
from topichub.metrics import HTTP_REQUESTS, MESSAGES_DELIVERED, MESSAGES_PUBLISHED

WINDOW_MINUTES = 60
SAMPLE_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Totals:
    requests: int
    messages_in: int
    messages_out: int


@dataclass(frozen=True)
class MinuteRate:
    minute: datetime
    """The start of the minute (UTC)."""
    requests: int
    messages_in: int
    messages_out: int


def _total(counter: Counter) -> int:
    return round(
        sum(
            sample.value
            for family in counter.collect()
            for sample in family.samples
            if sample.name.endswith("_total")
        )
    )


def current_totals() -> Totals:
    return Totals(
        requests=_total(HTTP_REQUESTS),
        messages_in=_total(MESSAGES_PUBLISHED),
        messages_out=_total(MESSAGES_DELIVERED),
    )


class RateHistory:
    """The last snapshot of each of the last ``minutes`` + 1 minutes."""

    def __init__(
        self,
        *,
        minutes: int = WINDOW_MINUTES,
        clock: Callable[[], float] = time.time,
        totals: Callable[[], Totals] = current_totals,
    ) -> None:
        self._minutes = minutes
        self._clock = clock
        self._totals = totals
        self._snapshots: dict[int, Totals] = {}

    def sample(self) -> None:
        minute = int(self._clock() // 60)
        self._snapshots[minute] = self._totals()
        for old in [m for m in self._snapshots if m < minute - self._minutes]:
            del self._snapshots[old]

    def since(self) -> datetime | None:
        """When the oldest snapshot kept was taken (its minute): figures start after it."""
        if not self._snapshots:
            return None
        return datetime.fromtimestamp(min(self._snapshots) * 60, UTC)

    def rates(self) -> list[MinuteRate]:
        """One entry per minute after the oldest snapshot, oldest first; the last one is
        the current minute so far. A minute without a snapshot of its own (the sampler did
        not run) reads 0, and the next minute carries its counts."""
        if not self._snapshots:
            return []
        first, last = min(self._snapshots), max(self._snapshots)
        out: list[MinuteRate] = []
        previous = self._snapshots[first]
        for minute in range(first + 1, last + 1):
            snapshot = self._snapshots.get(minute)
            if snapshot is None:
                out.append(MinuteRate(datetime.fromtimestamp(minute * 60, UTC), 0, 0, 0))
                continue
            out.append(
                MinuteRate(
                    minute=datetime.fromtimestamp(minute * 60, UTC),
                    requests=max(0, snapshot.requests - previous.requests),
                    messages_in=max(0, snapshot.messages_in - previous.messages_in),
                    messages_out=max(0, snapshot.messages_out - previous.messages_out),
                )
            )
            previous = snapshot
        return out


HISTORY = RateHistory()
"""One per process, like the counters it reads."""


async def _sample() -> None:
    HISTORY.sample()


def sampler(interval_s: float = SAMPLE_INTERVAL_S) -> Periodic:
    """The sampling task, from start to stop of the app. Several apps in one process
    (tests) share the history: a snapshot overwrites its minute's, so sampling twice is
    harmless."""
    return Periodic(_sample, interval_s, name="admin-rates", first_at_start=True)
