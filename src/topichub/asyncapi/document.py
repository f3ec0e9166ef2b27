"""The AsyncAPI 3.0 document of the streams: the SSE and WebSocket channels of a topic
(parameters, cursors, event, gap and close frames, close codes) and the JSON values the
built-in apps publish to their topics.

Close reasons and codes come from the stream's own table (``topics.stream.frames``) and
the app payloads from ``asyncapi.events``, so the document cannot drift from either."""

from __future__ import annotations

from typing import Any

from topichub import __version__
from topichub.asyncapi.events import APP_TOPICS, CHAT_LIVE
from topichub.topics.stream import WS_CLOSE_CODES, CloseReason

_REF = "#/components/schemas/{model}"

_HEADER_VALUE: dict[str, Any] = {
    "oneOf": [
        {"type": "string"},
        {"type": "null", "description": "A Kafka header without a value"},
        {
            "type": "object",
            "description": "A value that is not UTF-8",
            "properties": {"base64": {"type": "string", "contentEncoding": "base64"}},
            "required": ["base64"],
        },
    ]
}

EVENT_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "description": "One record (docs/streaming.md). Records written through topichub carry "
    "their JSON `value`; a foreign Kafka producer's record is delivered losslessly, "
    "flagged by `tombstone`, `value_encoding` or `key_encoding`.",
    "properties": {
        "value": {"description": "The published JSON value"},
        "tombstone": {"type": "boolean", "const": True},
        "value_encoding": {"type": "string", "enum": ["text", "base64"]},
        "key": {"type": ["string", "null"]},
        "key_encoding": {"type": "string", "enum": ["base64"]},
        "headers": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [_HEADER_VALUE, {"type": "array", "items": _HEADER_VALUE}]
            },
        },
        "partition": {"type": "integer", "minimum": 0},
        "offset": {"type": "integer", "minimum": 0},
        "timestamp": {"type": "string", "format": "date-time"},
        "undecodable": {
            "type": "boolean",
            "const": True,
            "description": "A record that could not be encoded; announced by its position",
        },
    },
    "required": ["value", "partition", "offset"],
}

CURSOR: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d+:\d+(,\d+:\d+)*$",
    "description": "`partition:next-offset,…`: resuming with it (`?cursor=` or SSE "
    "`Last-Event-ID`) gives no gap and no duplicate",
    "examples": ["0:42", "0:10,1:7"],
}

GAP_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "description": "Retention removed offsets `requested` to `available - 1` of `partition` "
    "before they could be delivered; the stream goes on at `available`",
    "properties": {
        "partition": {"type": "integer", "minimum": 0},
        "requested": {"type": "integer", "minimum": 0},
        "available": {"type": "integer", "minimum": 0},
    },
    "required": ["partition", "requested", "available"],
}

_REASONS = [reason.value for reason in CloseReason if reason is not CloseReason.CLIENT_GONE]

CLOSE_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "description": "The last frame of a stream: why the server ended it. After `shutdown` "
    "or `slow_consumer`, reconnect from the last cursor.",
    "properties": {"reason": {"type": "string", "enum": _REASONS}},
    "required": ["reason"],
}

STREAM_QUERY: dict[str, Any] = {
    "type": "object",
    "description": "Where the stream starts (one of them; the live end by default) and how "
    "a browser authenticates",
    "properties": {
        "from": {"type": "string", "enum": ["earliest", "latest"]},
        "since": {"type": "string", "format": "date-time"},
        "cursor": CURSOR,
        "ticket": {
            "type": "string",
            "description": "Single-use ticket from POST /api/v1/stream-tickets (browsers)",
        },
        "project_id": {"type": "string", "format": "uuid"},
    },
}


def _ws(payload: dict[str, Any], kind: str | None) -> dict[str, Any]:
    """A WebSocket frame: the SSE payload with ``type`` (except events) and ``id``."""
    properties = dict(payload["properties"])
    required = list(payload["required"])
    if kind is not None:
        properties = {"type": {"type": "string", "const": kind}, **properties}
        required = ["type", *required]
    if kind != "close":
        properties["id"] = CURSOR
        required.append("id")
    return {**payload, "properties": properties, "required": required}


def _close_codes() -> str:
    codes: dict[int, list[str]] = {}
    for reason, code in WS_CLOSE_CODES.items():
        if reason != CloseReason.CLIENT_GONE:
            codes.setdefault(code, []).append(str(reason))
    lines = [f"- `{code}`: {', '.join(reasons)}" for code, reasons in sorted(codes.items())]
    refusals = "- `4022`: bad parameters; `1013`: try again later (refused at opening)"
    return "\n".join([*lines, refusals])


CHAT_CLOSE_CODES = (
    "- `4001`: no credential, or a bad one\n"
    "- `4003`: a foreign `Origin`, removed from the group, or the credential was revoked\n"
    "- `4004`: not a member of the group (or no such group)\n"
    "- `4008`: too slow to keep up with the feed: reconnect and reload the history\n"
    "- `4029`: the open-streams limit or the daily quota\n"
    "- `1001`: server shutdown; `1013`: try again later"
)

CHAT_SUBSCRIBED: dict[str, Any] = {
    "type": "object",
    "description": "The first frame: the socket is live, and every message committed from "
    "now on will be delivered (fetch the history after it to miss nothing)",
    "properties": {
        "type": {"type": "string", "const": "subscribed"},
        "group_id": {"type": "string", "format": "uuid"},
    },
    "required": ["type", "group_id"],
}


_EVENT_EXAMPLE: dict[str, Any] = {
    "value": {"order_id": 1043, "status": "paid"},
    "key": "customer-7",
    "headers": {"source": "checkout"},
    "partition": 0,
    "offset": 41,
    "timestamp": "2026-12-04T09:40:00.120Z",
}
_GAP_EXAMPLE: dict[str, Any] = {"partition": 0, "requested": 12, "available": 30}
FRAME_EXAMPLES: dict[str, Any] = {
    "StreamEvent": _EVENT_EXAMPLE,
    "StreamGap": _GAP_EXAMPLE,
    "StreamClose": {"reason": "slow_consumer"},
    "WsEvent": {**_EVENT_EXAMPLE, "id": "0:42"},
    "WsGap": {"type": "gap", **_GAP_EXAMPLE, "id": "0:30"},
    "WsClose": {"type": "close", "reason": "topic_deleted"},
    "WsHeartbeat": {"type": "heartbeat"},
    "ChatSubscribed": {"type": "subscribed", "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d"},
}
"""One example per frame, shown on /docs/streams; each is checked against its schema."""


def _app_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """Component schemas of every app event (nested models hoisted), and its messages."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, models in APP_TOPICS.items():
        for model in models:
            schema = model.model_json_schema(ref_template=_REF)
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            messages[model.__name__] = {
                "name": model.__name__,
                "title": model.__name__,
                "summary": (model.__doc__ or "").strip().splitlines()[0],
                "contentType": "application/json",
                "payload": {"$ref": _REF.format(model=model.__name__)},
                "x-topic": topic,
            }
    return schemas, messages


def build(host: str) -> dict[str, Any]:
    """The document, for a server reached at ``host`` (``name:port``)."""
    app_schemas, app_messages = _app_schemas()
    topic_param = {
        "description": "The topic's name (in the credential's project, or `project_id`)",
        "examples": ["events", *APP_TOPICS],
    }
    stream_messages = {
        "event": {"$ref": "#/components/messages/StreamEvent"},
        "gap": {"$ref": "#/components/messages/StreamGap"},
        "close": {"$ref": "#/components/messages/StreamClose"},
    }
    ws_messages = {
        "event": {"$ref": "#/components/messages/WsEvent"},
        "gap": {"$ref": "#/components/messages/WsGap"},
        "close": {"$ref": "#/components/messages/WsClose"},
        "heartbeat": {"$ref": "#/components/messages/WsHeartbeat"},
    }
    channels: dict[str, Any] = {
        "topicEvents": {
            "address": "/api/v1/topics/{name}/stream",
            "title": "A topic over Server-Sent Events",
            "description": "`GET` with `Accept: text/event-stream`. Each event has `id:` (its "
            "cursor) and `data:` (JSON); a gap is `event: gap`, the end is `event: close`. "
            "A comment opens the stream and heartbeats are comments. Resume with "
            "`Last-Event-ID` or `?cursor=`. A refusal to open is an HTTP error with the "
            "error envelope (401, 403, 404, 422, 429 with `Retry-After`).",
            "parameters": {"name": topic_param},
            "messages": stream_messages,
            "x-query": STREAM_QUERY,
        },
        "topicWebSocket": {
            "address": "/api/v1/topics/{name}/ws",
            "title": "A topic over WebSocket",
            "description": "One JSON text frame per item. The server ends the stream with "
            "a `close` frame and then a close code:\n" + _close_codes(),
            "parameters": {"name": topic_param},
            "messages": ws_messages,
            "bindings": {"ws": {"method": "GET", "query": STREAM_QUERY, "bindingVersion": "0.1.0"}},
        },
    }
    channels["chatGroupWebSocket"] = {
        "address": "/api/v1/subscribe/{group_id}",
        "title": "A chat group over WebSocket",
        "description": "A group's new, edited and deleted messages, live, for its members "
        "(seed 004; `chat/live.py`). The first frame is `subscribed`; then each message "
        "event as the `chat` topic carries it, once each (`event_id`). No application "
        "heartbeats: WebSocket pings keep an idle socket open. Authenticate with the "
        'usual headers, `?ticket=`, or a first frame `{"type": "auth", "token": …}`. '
        "The server ends the stream with a close code:\n" + CHAT_CLOSE_CODES,
        "parameters": {"group_id": {"description": "The group's id (`POST /api/v1/chat/groups`)"}},
        "messages": {
            "subscribed": {"$ref": "#/components/messages/ChatSubscribed"},
            **{
                model.__name__: {"$ref": f"#/components/messages/{model.__name__}"}
                for model in CHAT_LIVE
            },
            "gap": {"$ref": "#/components/messages/WsGap"},
        },
        "bindings": {
            "ws": {
                "method": "GET",
                "query": {
                    "type": "object",
                    "properties": {
                        "ticket": STREAM_QUERY["properties"]["ticket"],
                        "token": {
                            "type": "string",
                            "description": "An access token or API key (seed 004); a "
                            "ticket keeps the credential out of logged URLs",
                        },
                    },
                },
                "bindingVersion": "0.1.0",
            }
        },
    }
    operations: dict[str, Any] = {
        "receiveTopicEvents": {
            "action": "receive",
            "channel": {"$ref": "#/channels/topicEvents"},
            "summary": "Stream a topic over SSE",
            "messages": [
                {"$ref": f"#/channels/topicEvents/messages/{name}"} for name in stream_messages
            ],
        },
        "receiveTopicWebSocket": {
            "action": "receive",
            "channel": {"$ref": "#/channels/topicWebSocket"},
            "summary": "Stream a topic over WebSocket",
            "messages": [
                {"$ref": f"#/channels/topicWebSocket/messages/{name}"} for name in ws_messages
            ],
        },
    }
    operations["receiveChatGroup"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/chatGroupWebSocket"},
        "summary": "Follow a chat group over WebSocket",
        "messages": [
            {"$ref": f"#/channels/chatGroupWebSocket/messages/{name}"}
            for name in channels["chatGroupWebSocket"]["messages"]
        ],
    }
    for topic, models in APP_TOPICS.items():
        channel = f"{topic}Events"
        channels[channel] = {
            "address": f"/api/v1/topics/{topic}/stream",
            "title": f"The app topic `{topic}`",
            "description": f"What the built-in app writes to `{topic}`: each message is a "
            "stream event whose `value` is one of these payloads.",
            "messages": {
                model.__name__: {"$ref": f"#/components/messages/{model.__name__}"}
                for model in models
            },
        }
        operations[f"receive{topic.capitalize()}Events"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{model.__name__}"} for model in models
            ],
        }
    schemas: dict[str, Any] = {
        "Cursor": CURSOR,
        "StreamEvent": EVENT_PAYLOAD,
        "StreamGap": GAP_PAYLOAD,
        "StreamClose": CLOSE_PAYLOAD,
        "WsEvent": _ws(EVENT_PAYLOAD, None),
        "WsGap": _ws(GAP_PAYLOAD, "gap"),
        "WsClose": _ws(CLOSE_PAYLOAD, "close"),
        "WsHeartbeat": {
            "type": "object",
            "properties": {"type": {"type": "string", "const": "heartbeat"}},
            "required": ["type"],
        },
        "ChatSubscribed": CHAT_SUBSCRIBED,
        **app_schemas,
    }

    def message(name: str, summary: str, sse_event: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "summary": summary,
            "contentType": "application/json",
            "payload": {"$ref": _REF.format(model=name)},
        }
        if sse_event is not None:
            body["x-sse-event"] = sse_event
        if name in FRAME_EXAMPLES:
            body["examples"] = [{"payload": FRAME_EXAMPLES[name]}]
        return body

    messages = {
        "StreamEvent": message("StreamEvent", "A record; the SSE `id:` is its cursor", "message"),
        "StreamGap": message("StreamGap", "Records removed by retention", "gap"),
        "StreamClose": message("StreamClose", "The server ended the stream", "close"),
        "WsEvent": message("WsEvent", "A record; `id` is its cursor"),
        "WsGap": message("WsGap", "Records removed by retention"),
        "WsClose": message("WsClose", "The server ended the stream; a close code follows"),
        "WsHeartbeat": message("WsHeartbeat", "Sent after a quiet heartbeat interval"),
        "ChatSubscribed": message("ChatSubscribed", "The chat socket is live"),
        **app_messages,
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "topichub streams",
            "version": __version__,
            "description": "Live, resumable streams of a topic's records over Server-Sent "
            "Events and WebSocket, and the events the built-in apps publish. Publishing "
            "and everything else: the OpenAPI document at `/openapi.json`.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "http": {
                "host": host,
                "protocol": "http",
                "description": "SSE",
                "security": [{"$ref": "#/components/securitySchemes/bearer"}],
            },
            "ws": {
                "host": host,
                "protocol": "ws",
                "description": "WebSocket",
                "security": [{"$ref": "#/components/securitySchemes/bearer"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "bearer": {
                    "type": "httpApiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "`Bearer <API key or access token>` (also `X-API-Key`); "
                    "browsers use `?ticket=`, WebSocket clients may send "
                    '`{"type": "auth", "token": …}` first',
                },
            },
        },
    }
