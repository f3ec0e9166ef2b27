"""Browsing a topic's log: a bounded page of records, oldest or newest first, without a
live stream (``GET /topics/{name}/messages``).

A page is read through the bus port only (offsets, offsets-for-time and a group-less
reader), so it works the same on both engines. The ``next`` cursor has the stream
cursor's format (``"0:16,1:3"``); its meaning follows the order it was made for:

- ``asc``: the next offset to read per partition, exactly what a stream cursor means,
  so ``/stream?cursor=<next>`` continues live where the page ended;
- ``desc``: per partition, the offset *below which* the next (older) page starts.

Pages across partitions are a merge by timestamp that keeps each partition's offset
order, so a cursor never skips or repeats a record of any partition. Work per request
is bounded (``SCAN_BUDGET`` records read): a key filter that matches rarely answers a
short page with a ``next`` to continue from rather than reading the whole log.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from topichub.bus.port import EventBus, Positions, Record
from topichub.topics.stream.cursor import encode_cursor

SCAN_BUDGET = 2_000
"""Most records one request reads from the log, matched or not (bounds memory and time)."""

READ_TIMEOUT_S = 1.0
"""How long one read waits for records known to exist; an empty read ends the scan (the
page then carries a ``next`` so the client can continue)."""


@dataclass(frozen=True, slots=True)
class Query:
    partitions: list[int]
    order: str
    limit: int
    key: bytes | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    offset: int | None = None
    """A starting offset (inclusive) for the single partition in ``partitions``."""
    cursor: Positions | None = None

    def keeps(self, record: Record) -> bool:
        if self.key is not None and record.key != self.key:
            return False
        if self.since_ms is not None and record.timestamp_ms < self.since_ms:
            return False
        return self.until_ms is None or record.timestamp_ms <= self.until_ms


@dataclass(frozen=True, slots=True)
class Page:
    records: list[Record]
    next: Positions | None


@dataclass(slots=True)
class _Partition:
    matched: list[Record] = field(default_factory=list)
    scanned_to: int = 0
    """Everything below this offset was read (asc)."""
    done: bool = False


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


async def _scan(
    bus: EventBus,
    topic: str,
    starts: Positions,
    stops: Positions,
    keeps: Callable[[Record], bool],
    budget: _Budget,
    want: int | None,
) -> dict[int, _Partition]:
    """Read ``[starts[p], stops[p])`` of each partition with one reader, keeping what
    ``keeps`` accepts; a partition stops early once it has ``want`` matches."""
    state = {p: _Partition(scanned_to=starts[p]) for p in starts}
    for p, part in state.items():
        part.done = starts[p] >= stops[p]
    active = {p: starts[p] for p, part in state.items() if not part.done}
    if not active:
        return state
    reader = bus.reader(topic, active)
    try:
        while budget.left > 0 and not all(part.done for part in state.values()):
            records = await reader.read(timeout=READ_TIMEOUT_S, max_records=min(500, budget.left))
            budget.left -= len(records)
            for record in records:
                part = state[record.partition]
                if part.done or record.offset < part.scanned_to:
                    continue
                if record.offset >= stops[record.partition]:
                    part.done = True
                    continue
                if keeps(record):
                    part.matched.append(record)
                part.scanned_to = record.offset + 1
                if want is not None and len(part.matched) >= want:
                    part.done = True
            positions = reader.positions()
            for p, part in state.items():
                # Offsets need not be dense on Kafka (transaction markers, compaction):
                # the reader's position, not the last record, says a range was read.
                if not part.done and positions.get(p, 0) >= stops[p]:
                    part.scanned_to = stops[p]
                    part.done = True
            if not records:
                break
    finally:
        await reader.close()
    return state


def _merge(sequences: Iterable[list[Record]], newest_first: bool, limit: int) -> list[Record]:
    # heapq.merge compares only the heads, so each partition's own order survives even
    # when a producer's timestamps go backwards.
    sign = -1 if newest_first else 1
    merged = heapq.merge(
        *sequences, key=lambda r: (sign * r.timestamp_ms, r.partition, sign * r.offset)
    )
    out: list[Record] = []
    for record in merged:
        if len(out) >= limit:
            break
        out.append(record)
    return out


async def read_page(bus: EventBus, topic: str, query: Query) -> Page:
    """One page of ``topic``; ``TopicNotFound`` when the log has no such topic."""
    beginning = await bus.beginning_offsets(topic)
    end = await bus.end_offsets(topic)
    parts = [p for p in query.partitions if p in end]
    if query.order == "desc":
        return await _read_desc(bus, topic, query, parts, beginning, end)
    return await _read_asc(bus, topic, query, parts, beginning, end)


async def _read_asc(
    bus: EventBus,
    topic: str,
    query: Query,
    parts: list[int],
    beginning: Positions,
    end: Positions,
) -> Page:
    stops = {p: end[p] for p in parts}
    if query.until_ms is not None:
        after = await bus.offsets_for_time(topic, query.until_ms + 1)
        stops = {p: min(stops[p], after.get(p, stops[p])) for p in parts}
    if query.cursor is not None:
        starts = {p: query.cursor.get(p, beginning[p]) for p in parts}
    elif query.offset is not None:
        starts = dict.fromkeys(parts, query.offset)
    elif query.since_ms is not None:
        found = await bus.offsets_for_time(topic, query.since_ms)
        starts = {p: found.get(p, end[p]) for p in parts}
    else:
        starts = {p: beginning[p] for p in parts}
    starts = {p: min(max(starts[p], beginning[p]), max(stops[p], beginning[p])) for p in parts}
    state = await _scan(
        bus, topic, starts, stops, query.keeps, _Budget(SCAN_BUDGET), want=query.limit
    )
    records = _merge((state[p].matched for p in parts), newest_first=False, limit=query.limit)
    taken = _count(records)
    following: Positions = {}
    for p in parts:
        part, k = state[p], taken.get(p, 0)
        following[p] = part.matched[k].offset if k < len(part.matched) else part.scanned_to
    more = any(following[p] < stops[p] for p in parts)
    return Page(records, following if more else None)


async def _read_desc(
    bus: EventBus,
    topic: str,
    query: Query,
    parts: list[int],
    beginning: Positions,
    end: Positions,
) -> Page:
    floors = {p: beginning[p] for p in parts}
    if query.since_ms is not None:
        found = await bus.offsets_for_time(topic, query.since_ms)
        floors = {p: max(floors[p], found.get(p, end[p])) for p in parts}
    if query.cursor is not None:
        tops = {p: query.cursor.get(p, end[p]) for p in parts}
    elif query.offset is not None:
        tops = dict.fromkeys(parts, query.offset + 1)
    elif query.until_ms is not None:
        after = await bus.offsets_for_time(topic, query.until_ms + 1)
        tops = {p: after.get(p, end[p]) for p in parts}
    else:
        tops = dict(end)
    tops = {p: max(min(tops[p], end[p]), floors[p]) for p in parts}
    # Newest first: read backwards in windows; each window is read whole (its newest
    # records come last), and a window not read whole is not used.
    found_desc: dict[int, list[Record]] = {p: [] for p in parts}
    lowest = dict(tops)
    budget = _Budget(SCAN_BUDGET)
    window = max(query.limit, 50)
    while budget.left > 0:
        wanted = [p for p in parts if len(found_desc[p]) < query.limit and lowest[p] > floors[p]]
        if not wanted:
            break
        starts = {p: max(floors[p], lowest[p] - window) for p in wanted}
        state = await _scan(
            bus, topic, starts, {p: lowest[p] for p in wanted}, query.keeps, budget, want=None
        )
        progressed = False
        for p in wanted:
            part = state[p]
            if part.scanned_to < lowest[p]:
                continue
            found_desc[p].extend(reversed(part.matched))
            lowest[p] = starts[p]
            progressed = True
        if not progressed:
            break
    records = _merge((found_desc[p] for p in parts), newest_first=True, limit=query.limit)
    taken = _count(records)
    following: Positions = {}
    for p in parts:
        seen, k = found_desc[p], taken.get(p, 0)
        following[p] = seen[k].offset + 1 if k < len(seen) else lowest[p]
    more = any(following[p] > floors[p] for p in parts)
    return Page(records, following if more else None)


def _count(records: list[Record]) -> dict[int, int]:
    taken: dict[int, int] = {}
    for record in records:
        taken[record.partition] = taken.get(record.partition, 0) + 1
    return taken


def encode_next(positions: Positions | None) -> str | None:
    return encode_cursor(positions) if positions else None
