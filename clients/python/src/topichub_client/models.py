"""What the clients return: stored messages, and the items a stream yields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Stored:
    """Where a published message was stored."""

    partition: int
    offset: int
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One record of a topic. ``id`` is the cursor after it: resuming a stream with it
    gives no gap and no duplicate."""

    id: str
    value: Any
    key: str | None
    headers: dict[str, Any]
    partition: int
    offset: int
    timestamp: str
    raw: dict[str, Any] = field(repr=False)
    """The whole payload, with the flags of records a foreign producer wrote
    (``tombstone``, ``value_encoding``, ``key_encoding``)."""

    @classmethod
    def from_payload(cls, cursor: str, payload: dict[str, Any]) -> Message:
        return cls(
            id=cursor,
            value=payload.get("value"),
            key=payload.get("key"),
            headers=payload.get("headers") or {},
            partition=int(payload.get("partition", 0)),
            offset=int(payload.get("offset", 0)),
            timestamp=str(payload.get("timestamp", "")),
            raw=payload,
        )


@dataclass(frozen=True, slots=True)
class Gap:
    """Retention removed offsets ``requested`` to ``available - 1`` of ``partition`` before
    they could be delivered; the stream goes on at ``available``."""

    id: str
    partition: int
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class Close:
    """The server ended the stream for good (the clients reconnect by themselves after a
    shutdown or a slow-consumer cut). ``code`` is the WebSocket close code, if any."""

    reason: str
    code: int | None = None


StreamItem = Message | Gap | Close

RESUMABLE_REASONS = frozenset({"shutdown", "slow_consumer", "closed"})
"""Close reasons after which a client reconnects from its last cursor: the server went
away or cut a client that fell behind; nothing about the client's rights changed."""

WS_CLOSE_REASONS = {
    4001: "unauthenticated",
    4003: "revoked",
    4004: "topic_deleted",
    4008: "slow_consumer",
    4022: "bad_parameters",
    4029: "stream_limit",
    1001: "shutdown",
    1000: "closed",
}
"""The server's WebSocket close codes and the SSE ``close`` reason each stands for."""
