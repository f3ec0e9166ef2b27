"""What a stream sends: the close reasons (with their SSE reason and WebSocket code in
one table), the JSON payload of a record, the items a subscription yields (``Event``,
``Gap``, ``Closed``) and their SSE and WebSocket encodings.

Framing is where a payload could forge protocol: an SSE parser ends a field at CR, LF or
CRLF, so a data line holding ``"\\nid: 0:999"`` would set the client's ``Last-Event-ID``
and one holding ``"\\n\\nevent: close"`` would dispatch an event the server never sent.
``format_event`` therefore splits data on every line break into several ``data:`` lines
(the client rejoins them with LF) and refuses ids and event names that hold CR, LF or NUL.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from topichub.bus.port import ReadHeaders, Record

log = logging.getLogger(__name__)

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_FORBIDDEN_IN_FIELD = re.compile(r"[\r\n\x00]")


def _field(name: bytes, value: str) -> bytes:
    if _FORBIDDEN_IN_FIELD.search(value):
        raise ValueError(f"SSE {name.decode()} must not contain CR, LF or NUL")
    return name + b": " + value.encode()


def format_event(id: str | None, data: bytes, event: str | None = None) -> bytes:
    """One SSE event: optional ``id:`` and ``event:`` lines, then ``data:`` lines.

    ``data`` is split on CR, LF and CRLF so it can never start a field of its own; a
    client joins the lines with LF, so JSON (which never holds a raw line break inside a
    string) arrives unchanged. ``ValueError`` when ``id`` or ``event`` holds CR, LF or NUL.
    """
    lines = []
    if id is not None:
        lines.append(_field(b"id", id))
    if event is not None:
        lines.append(_field(b"event", event))
    lines.extend(b"data: " + line for line in _LINE_BREAK.split(data))
    return b"\n".join(lines) + b"\n\n"


def format_comment(text: str) -> bytes:
    """A comment block (ignored by clients); every line of ``text`` stays a comment."""
    body = b"\n".join(b": " + line for line in _LINE_BREAK.split(text.encode()))
    return body + b"\n\n"


class CloseReason(enum.StrEnum):
    """Why a stream ended; sent to SSE clients in ``event: close`` and mapped to a
    WebSocket close code by ``ws_close_code``."""

    SLOW_CONSUMER = "slow_consumer"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    REVOKED = "revoked"
    REMOVED = "removed"
    """The user was removed from the chat group it streams."""
    STREAM_LIMIT = "stream_limit"
    QUOTA_EXCEEDED = "quota_exceeded"
    TOPIC_DELETED = "topic_deleted"
    SHUTDOWN = "shutdown"
    CLOSED = "closed"
    """Ended by the server for no more specific reason."""
    CLIENT_GONE = "client_gone"
    """The client left; nothing is sent to it."""


WS_CLOSE_CODES: Final[Mapping[str, int]] = {
    CloseReason.SLOW_CONSUMER: 4008,
    CloseReason.UNAUTHENTICATED: 4001,
    CloseReason.FORBIDDEN: 4003,
    CloseReason.REVOKED: 4003,
    CloseReason.REMOVED: 4003,
    CloseReason.STREAM_LIMIT: 4029,
    CloseReason.QUOTA_EXCEEDED: 4029,
    CloseReason.TOPIC_DELETED: 4004,
    CloseReason.SHUTDOWN: 1001,
    CloseReason.CLOSED: 1000,
    CloseReason.CLIENT_GONE: 1000,
}
"""The one table of WebSocket close codes. 4xxx mirror the HTTP status a request would get
(4001 ~ 401, 4003 ~ 403, 4029 ~ 429); 4008 is the slow-consumer code; 1001 is "going away"."""


def ws_close_code(reason: str) -> int:
    return WS_CLOSE_CODES.get(reason, 1000)


def _json(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; re-encoding them would emit invalid JSON.
    raise ValueError(name)


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def _base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _header_value(raw: bytes | None) -> str | dict[str, str] | None:
    if raw is None:
        return None
    text = _text(raw)
    return {"base64": _base64(raw)} if text is None else text


def _headers(headers: ReadHeaders) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in headers:
        value = _header_value(raw)
        if name not in out:
            out[name] = value
        elif isinstance(seen := out[name], list):
            seen.append(value)
        else:
            out[name] = [seen, value]
    return out


def event_payload(record: Record) -> dict[str, Any]:
    """The JSON body of a delivered event (SSE ``data:``; WebSocket adds ``"id"``).

    Whatever a producer wrote is delivered, losslessly (documented in
    ``docs/streaming.md``): topichub's own records are UTF-8 JSON and arrive as
    ``"value": <that JSON>``; a foreign Kafka producer's value that is not JSON arrives as
    text with ``"value_encoding": "text"``, or as base64 with ``"value_encoding":
    "base64"`` when it is not UTF-8; a tombstone (null value) is ``"value": null`` with
    ``"tombstone": true``. A key that is not UTF-8 is base64 with ``"key_encoding":
    "base64"``. A header value is a string, ``null`` (Kafka allows a header with no value)
    or ``{"base64": ...}``; a header name written more than once maps to the list of its
    values in order.
    """
    payload: dict[str, Any] = {}
    raw = record.value
    if raw is None:
        payload["value"] = None
        payload["tombstone"] = True
    else:
        try:
            payload["value"] = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            text = _text(raw)
            if text is None:
                payload["value"] = _base64(raw)
                payload["value_encoding"] = "base64"
            else:
                payload["value"] = text
                payload["value_encoding"] = "text"
    key = record.key
    if key is None:
        payload["key"] = None
    elif (text := _text(key)) is not None:
        payload["key"] = text
    else:
        payload["key"] = _base64(key)
        payload["key_encoding"] = "base64"
    payload["headers"] = _headers(record.headers)
    payload["partition"] = record.partition
    payload["offset"] = record.offset
    moment = datetime.fromtimestamp(record.timestamp_ms / 1000, tz=UTC)
    payload["timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return payload


def _payload_json(record: Record) -> str:
    try:
        payload = event_payload(record)
        text = _json(payload)
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                # A JSON value may hold a lone surrogate (``"\\ud800"``), which UTF-8
                # cannot carry; escaped, it is valid JSON and round-trips exactly.
                text = json.dumps(payload, separators=(",", ":"))
        return text
    except Exception:
        # Nothing a producer writes may end a stream: a record that still cannot be
        # encoded (a timestamp out of range) is announced by its position so the client
        # knows what it did not get.
        log.warning(
            "stream record not encodable",
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
            exc_info=True,
        )
        return _json(
            {
                "value": None,
                "undecodable": True,
                "partition": record.partition,
                "offset": record.offset,
            }
        )


class Event:
    """A delivered record and the cursor after it.

    On the live path one ``Event`` is shared by every subscriber of the topic, so its
    encodings are computed at most once per record, on first use, whatever the number of
    subscribers.
    """

    __slots__ = ("_payload", "_sse", "_ws", "cursor", "record")

    def __init__(self, record: Record, cursor: str) -> None:
        self.record = record
        self.cursor = cursor
        self._payload: str | None = None
        self._sse: bytes | None = None
        self._ws: str | None = None

    @property
    def partition(self) -> int:
        return self.record.partition

    @property
    def offset(self) -> int:
        return self.record.offset

    def payload_json(self) -> str:
        if self._payload is None:
            self._payload = _payload_json(self.record)
        return self._payload

    def sse_frame(self) -> bytes:
        if self._sse is None:
            self._sse = format_event(self.cursor, self.payload_json().encode())
        return self._sse

    def ws_text(self) -> str:
        if self._ws is None:
            # Splicing instead of a second json.dumps: the cursor alphabet (digits, ":"
            # and ",") needs no escaping and the payload is always a non-empty object.
            self._ws = '{"id":"' + self.cursor + '",' + self.payload_json()[1:]
        return self._ws

    def __repr__(self) -> str:
        return f"Event({self.record.partition}:{self.record.offset}, cursor={self.cursor!r})"


@dataclass(frozen=True, slots=True)
class Gap:
    """Retention dropped offsets ``[requested, available)`` of ``partition`` before they
    could be delivered; the stream continues at ``available``. ``cursor`` resumes after
    the gap."""

    partition: int
    requested: int
    available: int
    cursor: str

    def _body(self) -> dict[str, int]:
        return {
            "partition": self.partition,
            "requested": self.requested,
            "available": self.available,
        }

    def sse_frame(self) -> bytes:
        return format_event(self.cursor, _json(self._body()).encode(), "gap")

    def ws_text(self) -> str:
        return _json({"type": "gap", "id": self.cursor, **self._body()})


@dataclass(frozen=True, slots=True)
class Closed:
    """The last item of every stream."""

    reason: str

    def sse_frame(self) -> bytes:
        return format_event(None, _json({"reason": self.reason}).encode(), "close")

    def ws_text(self) -> str:
        return _json({"type": "close", "reason": self.reason})


Item = Event | Gap | Closed


def record_size(record: Record) -> int:
    """The bytes a record counts for in metering: its value (a tombstone counts 0)."""
    return 0 if record.value is None else len(record.value)
