"""Fetched record batches that survive a header name that is not UTF-8.

Kafka's protocol declares a header name a string, but brokers never check it, and a
client writing raw bytes (librdkafka's C API, a hand-built batch) can put anything there.
aiokafka decodes names strictly while it iterates a fetched batch, so one such record
raises ``UnicodeDecodeError`` out of ``getmany`` before the consumer's position moves:
the same fetch fails again forever, and every reader of that partition (a topic's live
reader, the audit consumer) stalls behind it.

``install()`` swaps the ``MemoryRecords`` aiokafka's fetcher builds with
``TolerantMemoryRecords``: batches are decoded by aiokafka's compiled decoder as before,
and only a batch that raises is decoded again, in Python, from the record after the last
one already handed out, with header names decoded with ``surrogateescape``. That form is
lossless: ``name.encode("utf-8", "surrogateescape")`` gives back the exact bytes, and an
undecodable byte ``0xNN`` shows as the lone surrogate ``U+DCNN`` (streams send it as the
JSON escape ``\\udcNN``). Everything else about a record is what aiokafka gives.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import aiokafka.consumer.fetcher as _fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import (
    DefaultRecordBatch,
    _DefaultRecordBatchPy,
    _DefaultRecordPy,
)
from aiokafka.record.legacy_records import LegacyRecordBatch, _LegacyRecordBatchPy
from aiokafka.record.util import decode_varint

_LENGTH_OFFSET = 8  # baseOffset int64, then batchLength int32
_LOG_OVERHEAD = 12
_MAGIC_OFFSET = 16  # ... partitionLeaderEpoch int32, then magic int8
_MIN_SLICE = _LOG_OVERHEAD + _LegacyRecordBatchPy.RECORD_OVERHEAD_V0


class _LenientBatch(_DefaultRecordBatchPy):  # type: ignore[misc]
    """aiokafka's pure-Python batch decoder, reading header names with surrogateescape."""

    def _read_msg(self, decode_varint: Any = decode_varint) -> _DefaultRecordPy:
        # Kept in step with aiokafka's _DefaultRecordBatchPy._read_msg (0.14); the only
        # change is the header name's error handler.
        buffer = self._buffer
        pos: int = self._pos  # type: ignore[has-type]
        length, pos = decode_varint(buffer, pos)
        start_pos = pos
        _, pos = decode_varint(buffer, pos)
        ts_delta, pos = decode_varint(buffer, pos)
        if self.timestamp_type == self.LOG_APPEND_TIME:
            timestamp = self.max_timestamp
        else:
            timestamp = self.first_timestamp + ts_delta
        offset_delta, pos = decode_varint(buffer, pos)
        offset = self.base_offset + offset_delta
        key_len, pos = decode_varint(buffer, pos)
        key = None
        if key_len >= 0:
            key = bytes(buffer[pos : pos + key_len])
            pos += key_len
        value_len, pos = decode_varint(buffer, pos)
        value = None
        if value_len >= 0:
            value = bytes(buffer[pos : pos + value_len])
            pos += value_len
        header_count, pos = decode_varint(buffer, pos)
        if header_count < 0:
            raise CorruptRecordException(f"Found invalid number of record headers {header_count}")
        headers: list[tuple[str, bytes | None]] = []
        for _ in range(header_count):
            name_len, pos = decode_varint(buffer, pos)
            if name_len < 0:
                raise CorruptRecordException(f"Invalid negative header key size {name_len}")
            name = bytes(buffer[pos : pos + name_len]).decode("utf-8", "surrogateescape")
            pos += name_len
            value_len, pos = decode_varint(buffer, pos)
            header_value = None
            if value_len >= 0:
                header_value = bytes(buffer[pos : pos + value_len])
                pos += value_len
            headers.append((name, header_value))
        if pos - start_pos != length:
            raise CorruptRecordException(
                f"Invalid record size: expected to read {length} bytes in record "
                f"payload, but instead read {pos - start_pos}"
            )
        self._pos = pos
        return _DefaultRecordPy(offset, timestamp, self.timestamp_type, key, value, headers)


class _TolerantBatch:
    """A v2 batch decoded by aiokafka's fast decoder until a header name is not UTF-8,
    then by ``_LenientBatch`` from the next record on. Everything the fetcher asks of
    a batch besides its records (CRC, control and transaction flags, offsets) is the
    fast batch's."""

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._fast: Any = DefaultRecordBatch(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fast, name)

    def __next__(self) -> Any:
        # The fetcher reads a control batch's one record with next() and no iter().
        return next(self._fast)

    def __iter__(self) -> Iterator[Any]:
        handed = 0
        try:
            for record in iter(self._fast):
                handed += 1
                yield record
        except UnicodeDecodeError:
            lenient = iter(_LenientBatch(self._data))
            for _ in range(handed):
                next(lenient)
            yield from lenient


class TolerantMemoryRecords:
    """aiokafka's ``MemoryRecords`` (one fetch response's bytes, batch by batch), whose
    v2 batches are ``_TolerantBatch`` es."""

    def __init__(self, data: bytes) -> None:
        self._buffer = data
        self._pos = 0
        self._next: memoryview | None = None
        self._remaining = 0
        self._cache_next()

    def _cache_next(self) -> None:
        remaining = len(self._buffer) - self._pos
        if remaining < _LOG_OVERHEAD:
            self._remaining, self._next = remaining, None
            return
        (length,) = struct.unpack_from(">i", self._buffer, self._pos + _LENGTH_OFFSET)
        end = self._pos + _LOG_OVERHEAD + length
        if end > len(self._buffer):
            # A partial batch at the end of a fetch: the fetcher asks for it again.
            self._remaining, self._next = remaining, None
            return
        self._next = memoryview(self._buffer)[self._pos : end]
        self._pos = end

    def size_in_bytes(self) -> int:
        return len(self._buffer)

    def has_next(self) -> bool:
        return self._next is not None

    def next_batch(self) -> Any:
        data = self._next
        if data is None:
            return None
        if len(data) < _MIN_SLICE:
            raise CorruptRecordException(
                f"Record size is less than the minimum record overhead ({_MIN_SLICE})"
            )
        self._cache_next()
        magic = data[_MAGIC_OFFSET]
        if magic >= 2:
            return _TolerantBatch(data)
        return LegacyRecordBatch(data, magic)  # magic 0 and 1 have no headers


def install() -> None:
    """Make every aiokafka consumer of this process decode fetches with
    ``TolerantMemoryRecords`` (idempotent)."""
    _fetcher.MemoryRecords = TolerantMemoryRecords
