"""What the sync and async clients share: request bodies, retry rules, backoff, the SSE
parser and the stream's resume state. Everything here is free of I/O."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from topichub_client.errors import (
    Conflict,
    ConnectionFailed,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TopichubError,
    Unavailable,
)
from topichub_client.models import (
    RESUMABLE_REASONS,
    WS_CLOSE_REASONS,
    Close,
    Gap,
    Message,
    Stored,
    StreamItem,
)

MAX_BATCH = 1000
"""The server's largest batch."""


def batches(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1 to {MAX_BATCH}")
    iterator = iter(values)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def message_body(
    value: Any,
    key: str | None,
    headers: Mapping[str, str] | None,
    partition: int | None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"value": value}
    if key is not None:
        message["key"] = key
    if headers:
        message["headers"] = dict(headers)
    if partition is not None:
        message["partition"] = partition
    return message


def new_idempotency_key() -> str:
    return f"topichub-client-{uuid.uuid4()}"


def stored(body: Mapping[str, Any]) -> list[Stored]:
    return [
        Stored(partition=m["partition"], offset=m["offset"], timestamp=m.get("timestamp"))
        for m in body["messages"]
    ]


def publish_retryable(error: TopichubError) -> bool:
    """Whether a publish may be sent again. Safe for every case below because the retry
    carries the first attempt's Idempotency-Key: the server replays a stored answer."""
    if isinstance(error, QuotaExceeded):
        return False  # used up until tomorrow: waiting is not the caller's intent
    if isinstance(error, ConnectionFailed | Unavailable | RateLimited):
        return True
    if isinstance(error, Conflict):
        return True  # the first attempt with this key is still running
    return isinstance(error, ServerError) and error.status_code in (502, 504)


def stream_open_retryable(error: TopichubError) -> bool:
    """Whether opening a stream is worth another try: the server is away or busy (a
    reconnect may also briefly meet its own previous connection's stream slot)."""
    if isinstance(error, QuotaExceeded):
        return False
    return isinstance(error, ConnectionFailed | Unavailable | RateLimited) or (
        isinstance(error, ServerError) and error.status_code in (502, 504)
    )


@dataclass
class Backoff:
    """Exponential backoff with full jitter; a server's ``Retry-After`` wins."""

    initial: float = 0.5
    maximum: float = 30.0
    attempt: int = 0

    def delay(self, retry_after: float | None = None) -> float:
        self.attempt += 1
        if retry_after is not None:
            return min(retry_after, self.maximum * 10)
        ceiling = min(self.maximum, self.initial * 2 ** (self.attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class SSEParser:
    """Server-Sent Events, line by line (the HTML standard's rules for the fields topichub
    sends); yields (event, id, data) per dispatched event."""

    _event: str = ""
    _id: str | None = None
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> tuple[str, str | None, str] | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            out = (self._event or "message", self._id, "\n".join(self._data))
            self._event, self._id, self._data = "", None, []
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\x00" not in value:
            self._id = value
        return None


@dataclass
class StreamState:
    """Where a stream is: the query of its first opening, then the last cursor seen."""

    start: str | None = None
    since: str | None = None
    cursor: str | None = None
    backoff: Backoff = field(default_factory=Backoff)
    opened: bool = False
    """Whether a connection was ever accepted: before that, an unreachable server is the
    caller's error to see, not a reason to wait."""

    def params(self) -> dict[str, str]:
        if self.cursor:
            return {"cursor": self.cursor}
        if self.since:
            return {"since": self.since}
        return {"from": self.start or "latest"}

    def sse_item(self, event: str, event_id: str | None, data: str) -> StreamItem | None:
        payload = json.loads(data)
        if event == "close":
            return Close(reason=str(payload.get("reason", "closed")))
        if event_id:
            self.cursor = event_id
        if event == "gap":
            return Gap(
                id=event_id or "",
                partition=payload["partition"],
                requested=payload["requested"],
                available=payload["available"],
            )
        if event == "message" and event_id:
            return Message.from_payload(event_id, payload)
        return None

    def ws_item(self, text: str) -> StreamItem | None:
        payload = json.loads(text)
        kind = payload.pop("type", None)
        if kind == "close":
            return Close(reason=str(payload.get("reason", "closed")))
        cursor = payload.pop("id", None)
        if cursor:
            self.cursor = cursor
        if kind == "gap":
            return Gap(
                id=cursor or "",
                partition=payload["partition"],
                requested=payload["requested"],
                available=payload["available"],
            )
        if kind is None and cursor:
            return Message.from_payload(cursor, payload)
        return None


def ws_close(code: int | None, reason: str | None) -> Close:
    return Close(reason=reason or WS_CLOSE_REASONS.get(code or 1000, "closed"), code=code)


def resumable(close: Close) -> bool:
    return close.reason in RESUMABLE_REASONS
