"""What every part of the embedded engine shares: topic-name rules, the header codec of
``bus_records.headers`` and the mapping of database failures to ``BusUnavailable``."""

from __future__ import annotations

import contextlib
import re
import struct
from collections.abc import AsyncIterator

from sqlalchemy.exc import SQLAlchemyError

from topichub.bus.port import BusError, BusUnavailable, Headers, TopicSpec
from topichub.models.bus import TOPIC_NAME_LENGTH

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_LENGTH = struct.Struct(">I")
_HEADERS_V1 = b"\x01"


def validate_topic_spec(spec: TopicSpec) -> None:
    """Reject what Kafka would reject, so a topic valid here is valid on both engines."""
    if not (0 < len(spec.name) <= TOPIC_NAME_LENGTH) or not _TOPIC_NAME.match(spec.name):
        raise BusError(f"invalid topic name {spec.name!r}: use 1-249 of [A-Za-z0-9._-]")
    if spec.name in {".", ".."}:
        raise BusError(f"invalid topic name {spec.name!r}")
    if spec.partitions < 1:
        raise BusError(f"a topic needs at least one partition, got {spec.partitions}")
    if spec.retention_ms is not None and spec.retention_ms < 0:
        raise BusError("retention_ms must be >= 0 or None")
    if spec.retention_bytes is not None and spec.retention_bytes < 0:
        raise BusError("retention_bytes must be >= 0 or None")


def encode_headers(headers: Headers) -> bytes | None:
    """Length-prefixed (name, value) pairs, order and repeated names preserved."""
    if not headers:
        return None
    out = bytearray(_HEADERS_V1)
    for name, value in headers:
        raw = name.encode()
        out += _LENGTH.pack(len(raw))
        out += raw
        out += _LENGTH.pack(len(value))
        out += value
    return bytes(out)


def decode_headers(data: bytes | None) -> Headers:
    if not data:
        return ()
    if data[:1] != _HEADERS_V1:
        raise BusError("unknown header encoding in bus_records")
    headers: list[tuple[str, bytes]] = []
    pos = 1
    while pos < len(data):
        (length,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        name = data[pos : pos + length].decode()
        pos += length
        (length,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        headers.append((name, data[pos : pos + length]))
        pos += length
    return tuple(headers)


@contextlib.asynccontextmanager
async def db_errors() -> AsyncIterator[None]:
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        raise BusUnavailable(f"database error: {exc}") from exc
