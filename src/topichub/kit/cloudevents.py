"""Reading a CloudEvent 1.0 from an HTTP request, in either content mode of the HTTP
protocol binding (https://github.com/cloudevents/spec, ``http-protocol-binding.md``).

- *Structured*: the whole event is the body, ``Content-Type: application/cloudevents+json``
  (some senders say ``application/json``); data is ``data`` or, for bytes, ``data_base64``.
- *Binary*: attributes travel as ``ce-<name>`` headers (percent-encoded), the body is
  the data and ``Content-Type`` is ``datacontenttype``.

Dapr's sidecars send structured events; its SDKs and other CloudEvents producers may
send either, so a receiver has to take both. Only the JSON event format is read; the
batched mode (``application/cloudevents-batch+json``) is refused.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

REQUIRED = ("id", "source", "type", "specversion")
_PREFIX = "ce-"


class NotACloudEvent(ValueError):
    """The request is not a CloudEvent 1.0 in a mode we read; the message says why."""


@dataclass(frozen=True, slots=True)
class CloudEvent:
    attributes: dict[str, str]
    """Every context attribute (required, optional and extensions), as strings."""
    data: Any
    """JSON data decoded; other media types (and undecodable JSON) stay ``bytes``; None
    when absent."""
    mode: str
    """``structured`` or ``binary``: how it arrived."""


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type in ("", "application/json", "text/json") or media_type.endswith("+json")


def read_http(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """The CloudEvent in a request's headers and body; ``NotACloudEvent`` otherwise.

    ``headers`` must look names up case-insensitively (Starlette's ``Headers`` does)."""
    media_type = _media_type(headers.get("content-type", ""))
    if media_type == "application/cloudevents-batch+json":
        raise NotACloudEvent("batched CloudEvents are not accepted; send one event per request")
    if headers.get(_PREFIX + "specversion") is not None:
        return _binary(headers, body, media_type)
    if media_type in ("application/cloudevents+json", "application/json", ""):
        return _structured(body)
    raise NotACloudEvent(
        f"Content-Type {media_type!r} without ce-* headers: neither a structured "
        "(application/cloudevents+json) nor a binary-mode CloudEvent"
    )


def _binary(headers: Mapping[str, str], body: bytes, media_type: str) -> CloudEvent:
    attributes = {
        name[len(_PREFIX) :].lower(): unquote(value)
        for name, value in headers.items()
        if name.lower().startswith(_PREFIX)
    }
    if "content-type" in headers:
        attributes["datacontenttype"] = headers["content-type"]
    _check(attributes)
    data: Any = body or None
    if body and _is_json(media_type):
        # Data that is not what its content type says is still a CloudEvent: the
        # receiver judges its data (and may drop it) rather than the envelope.
        with contextlib.suppress(ValueError, RecursionError):
            data = json.loads(body)
    return CloudEvent(attributes=attributes, data=data, mode="binary")


def _structured(body: bytes) -> CloudEvent:
    event = _json(body, "the body")
    if not isinstance(event, dict):
        raise NotACloudEvent("a structured CloudEvent is a JSON object")
    data = event.pop("data", None)
    encoded = event.pop("data_base64", None)
    if encoded is not None:
        if data is not None:
            raise NotACloudEvent("an event carries data or data_base64, not both")
        if not isinstance(encoded, str):
            raise NotACloudEvent("data_base64 is not a string")
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NotACloudEvent("data_base64 is not base64") from exc
    attributes: dict[str, str] = {}
    for name, value in event.items():
        if isinstance(value, bool | int | str):
            attributes[name] = str(value).lower() if isinstance(value, bool) else str(value)
        else:
            raise NotACloudEvent(f"attribute {name!r} is not a string, number or boolean")
    _check(attributes)
    return CloudEvent(attributes=attributes, data=data, mode="structured")


def _check(attributes: Mapping[str, str]) -> None:
    for name in REQUIRED:
        if not attributes.get(name):
            raise NotACloudEvent(f"missing CloudEvents attribute {name!r}")
    if attributes["specversion"] != "1.0":
        raise NotACloudEvent(f"unsupported specversion {attributes['specversion']!r}")


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise NotACloudEvent(f"{what} is not JSON") from exc
