"""Realtime streams: the hub fanning a topic out to local subscribers, cursors, and the
SSE and WebSocket layers on top of it."""

from topichub.topics.stream.cursor import CursorError, decode_cursor, encode_cursor
from topichub.topics.stream.frames import (
    WS_CLOSE_CODES,
    Closed,
    CloseReason,
    Event,
    Gap,
    Item,
    event_payload,
    format_comment,
    format_event,
    ws_close_code,
)
from topichub.topics.stream.hub import HubClosed, HubStats, Start, StreamHub
from topichub.topics.stream.sse import SSEResponse
from topichub.topics.stream.subscription import Subscription
from topichub.topics.stream.websocket import pump

__all__ = [
    "WS_CLOSE_CODES",
    "CloseReason",
    "Closed",
    "CursorError",
    "Event",
    "Gap",
    "HubClosed",
    "HubStats",
    "Item",
    "SSEResponse",
    "Start",
    "StreamHub",
    "Subscription",
    "decode_cursor",
    "encode_cursor",
    "event_payload",
    "format_comment",
    "format_event",
    "pump",
    "ws_close_code",
]
