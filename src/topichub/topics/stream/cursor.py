"""The resumable stream cursor: the next offset of every partition of a topic.

A cursor is written after each delivered event, as ``"<partition>:<offset>"`` pairs in
partition order joined by commas: ``"0:16"`` or ``"0:16,1:3,2:0"``. It covers the *whole*
topic, not only the partition of the event, so resuming from it skips exactly what was
delivered before that event and nothing else: the stream is ordered per partition, and
the offsets only grow. The alphabet (digits, ``:`` and ``,``) is safe in URLs, in SSE
``id:`` lines and in the ``Last-Event-ID`` header, so a cursor needs no escaping.

Cursors come back from clients, so ``decode_cursor`` validates strictly and raises
``CursorError`` (a ``ValueError``; the API answers 422) for anything it did not write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from topichub.bus.port import Positions

MAX_PARTITIONS = 1024
"""Most partitions a cursor may name; bounds the work a client-supplied cursor causes."""

MAX_PARTITION = 2**31 - 1
"""Kafka partitions are int32."""

MAX_OFFSET = 2**63 - 1
"""Kafka offsets are int64."""

# Each pair is at most 10 + 1 + 19 characters, plus its separator.
MAX_CURSOR_LENGTH = MAX_PARTITIONS * 31

# ASCII digits only (``\d`` and ``str.isdigit`` accept other scripts' digits) and no
# leading zeros, so every position has exactly one spelling.
_PAIR = re.compile(r"(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,18})")


class CursorError(ValueError):
    """A cursor that topichub did not write (malformed, or not matching the topic)."""


def encode_cursor(positions: Mapping[int, int]) -> str:
    """Encode next offsets per partition; ``ValueError`` for positions no cursor can hold."""
    if not positions:
        raise ValueError("a cursor needs at least one partition")
    if len(positions) > MAX_PARTITIONS:
        raise ValueError(f"a cursor holds at most {MAX_PARTITIONS} partitions")
    for partition, offset in positions.items():
        if not 0 <= partition <= MAX_PARTITION or not 0 <= offset <= MAX_OFFSET:
            raise ValueError(f"position out of range: {partition}:{offset}")
    return ",".join(f"{p}:{positions[p]}" for p in sorted(positions))


def decode_cursor(text: str) -> Positions:
    """Decode a cursor written by ``encode_cursor``; raise ``CursorError`` otherwise."""
    if not text:
        raise CursorError("empty cursor")
    if len(text) > MAX_CURSOR_LENGTH:
        raise CursorError("cursor too long")
    pairs = text.split(",")
    if len(pairs) > MAX_PARTITIONS:
        raise CursorError(f"a cursor holds at most {MAX_PARTITIONS} partitions")
    positions: Positions = {}
    for pair in pairs:
        match = _PAIR.fullmatch(pair)
        if match is None:
            raise CursorError("malformed cursor")
        partition, offset = int(match[1]), int(match[2])
        if partition > MAX_PARTITION or offset > MAX_OFFSET:
            raise CursorError("cursor position out of range")
        if partition in positions:
            raise CursorError("cursor names a partition twice")
        positions[partition] = offset
    return positions
