"""Messages and bytes in and out of each topic, counted in this process.

In: what ``POST /topics/{name}/publish`` stored. Out: what streams delivered and the
message browser showed (what the outbound quota counts). Counting is a few list
additions on paths that already run per request or per delivery batch, never per
message; the figures come from counters, not from reading the log:

- ``window(topic, 60)`` and ``window(topic, 3600)``: the last minute (per-second
  buckets) and the last hour (per-minute buckets: the current minute and the 59 before).
- ``totals()``: since the process started, for ``/metrics``.

Like Prometheus counters, the figures are this process's: with several processes each
counts what passed through it (docs/browse-and-stats.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import REGISTRY, Collector

MESSAGES_IN, BYTES_IN, MESSAGES_OUT, BYTES_OUT = range(4)
MAX_TOPICS = 20_000
"""Topics tracked at once; past it the least recently added is forgotten (its totals are
kept in ``/metrics``)."""
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Figures:
    messages_in: int = 0
    bytes_in: int = 0
    messages_out: int = 0
    bytes_out: int = 0


class _Ring:
    """``size`` buckets of ``width`` seconds, each stamped with the period it counts."""

    __slots__ = ("counts", "stamps", "width")

    def __init__(self, size: int, width: int) -> None:
        self.width = width
        self.stamps = [-1] * size
        self.counts = [[0, 0, 0, 0] for _ in range(size)]

    def add(self, now: float, index: int, messages: int, nbytes: int) -> None:
        period = int(now // self.width)
        slot = period % len(self.stamps)
        counts = self.counts[slot]
        if self.stamps[slot] != period:
            self.stamps[slot] = period
            counts[0] = counts[1] = counts[2] = counts[3] = 0
        counts[index] += messages
        counts[index + 1] += nbytes

    def since(self, now: float, periods: int) -> list[int]:
        newest = int(now // self.width)
        out = [0, 0, 0, 0]
        for stamp, counts in zip(self.stamps, self.counts, strict=True):
            if newest - periods < stamp <= newest:
                for i in range(4):
                    out[i] += counts[i]
        return out


class _Topic:
    __slots__ = ("minutes", "seconds", "totals")

    def __init__(self) -> None:
        self.seconds = _Ring(60, 1)
        self.minutes = _Ring(60, 60)
        self.totals = [0, 0, 0, 0]


class TopicTraffic:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._topics: dict[str, _Topic] = {}
        self._forgotten: dict[str, list[int]] = {}
        self.labelled: dict[str, None] = {}
        """Topics with a series of their own in ``/metrics`` (first come, kept)."""
        self.max_labelled = 100

    def record_in(self, topic: str, messages: int, nbytes: int) -> None:
        self._record(topic, MESSAGES_IN, messages, nbytes)

    def record_out(self, topic: str, messages: int, nbytes: int) -> None:
        self._record(topic, MESSAGES_OUT, messages, nbytes)

    def _record(self, topic: str, index: int, messages: int, nbytes: int) -> None:
        if messages <= 0:
            return
        entry = self._topics.get(topic)
        if entry is None:
            if len(self._topics) >= MAX_TOPICS:
                self._forget(next(iter(self._topics)))
            entry = self._topics[topic] = _Topic()
            if len(self.labelled) < self.max_labelled:
                self.labelled[topic] = None
        now = self._clock()
        entry.seconds.add(now, index, messages, nbytes)
        entry.minutes.add(now, index, messages, nbytes)
        entry.totals[index] += messages
        entry.totals[index + 1] += nbytes

    def _forget(self, topic: str) -> None:
        entry = self._topics.pop(topic)
        label = topic if topic in self.labelled else OTHER
        kept = self._forgotten.setdefault(label, [0, 0, 0, 0])
        for i in range(4):
            kept[i] += entry.totals[i]

    def published(self, topic: str) -> int:
        """Messages this process has stored in ``topic`` (changes with every publish)."""
        entry = self._topics.get(topic)
        return 0 if entry is None else entry.totals[MESSAGES_IN]

    def window(self, topic: str, seconds: int) -> Figures:
        """The last minute (``seconds=60``) or hour (``3600``) of ``topic``."""
        entry = self._topics.get(topic)
        if entry is None:
            return Figures()
        now = self._clock()
        if seconds <= 60:
            counts = entry.seconds.since(now, seconds)
        else:
            counts = entry.minutes.since(now, seconds // 60)
        return Figures(*counts)

    def totals(self) -> Iterator[tuple[str, list[int]]]:
        """Cumulative figures by metrics label: a topic's own (up to ``max_labelled``
        topics, the first ones seen) or ``other`` for the rest, so the number of series
        stays bounded and every series only grows."""
        merged: dict[str, list[int]] = {k: list(v) for k, v in self._forgotten.items()}
        for topic, entry in self._topics.items():
            label = topic if topic in self.labelled else OTHER
            into = merged.setdefault(label, [0, 0, 0, 0])
            for i in range(4):
                into[i] += entry.totals[i]
        yield from merged.items()


TRAFFIC = TopicTraffic()
"""This process's counts (like the Prometheus counters, one per process)."""


class _Collector(Collector):
    def collect(self) -> Iterable[CounterMetricFamily]:
        messages = CounterMetricFamily(
            "topichub_topic_messages",
            "Messages per topic: in = stored by publish, out = delivered to streams or "
            "shown by the browser; at most TOPICHUB_TOPIC_METRICS_MAX_TOPICS topics have "
            'their own series, the rest add up under topic="other"',
            labels=["topic", "direction"],
        )
        nbytes = CounterMetricFamily(
            "topichub_topic_bytes",
            "Bytes per topic, counted as messages are (see topichub_topic_messages)",
            labels=["topic", "direction"],
        )
        for label, counts in TRAFFIC.totals():
            messages.add_metric([label, "in"], counts[MESSAGES_IN])
            messages.add_metric([label, "out"], counts[MESSAGES_OUT])
            nbytes.add_metric([label, "in"], counts[BYTES_IN])
            nbytes.add_metric([label, "out"], counts[BYTES_OUT])
        yield messages
        yield nbytes


REGISTRY.register(_Collector())
