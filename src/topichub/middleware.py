"""Pure ASGI middleware (no BaseHTTPMiddleware: it buffers and breaks streaming)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from topichub.errors import PayloadTooLarge, envelope, unexpected_error_response
from topichub.kit.asgi import RAW_SEND
from topichub.kit.context import request_id_var
from topichub.metrics import HTTP_DURATION, HTTP_REQUESTS

access_log = logging.getLogger("topichub.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


API_PREFIX = "/api/v1"
MAX_HEADER_BYTES = 64 * 1024
"""uvicorn's httptools parser accepts header blocks of any size; beyond this, 431."""


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not path:
        return "unmatched"
    # Routers included under a prefix keep their unprefixed route object here.
    if str(scope.get("path", "")).startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX):
        return API_PREFIX + str(path)
    return str(path)


def _relative_location(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Redirects point within this server, so the Location needs no scheme or host.
    Starlette builds an absolute one from the request's ``Host`` header, which the
    client controls (``Host: evil.example`` would redirect the victim there)."""
    out = []
    for name, value in headers:
        if name.lower() == b"location":
            parts = urlsplit(value.decode("latin-1"))
            if parts.scheme or parts.netloc:
                # "//host/x" would be read as another host: keep one leading slash.
                path = "/" + (parts.path or "/").lstrip("/")
                value = urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")
        out.append((name, value))
    return out


class RequestContextMiddleware:
    """Request id (echoed or generated), one JSON access-log line per request, metrics,
    and security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        log_context: dict[str, Any] = {}
        scope.setdefault("state", {})["log_context"] = log_context
        # Outermost middleware: a streaming body may skip the wrappers below (kit.asgi).
        scope[RAW_SEND] = send
        started = time.perf_counter()
        status_holder = {"status": 500 if scope["type"] == "http" else 101}
        is_stream = scope["type"] == "websocket"

        async def send_wrapper(message: Message) -> None:
            nonlocal is_stream
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                headers = list(message.get("headers", []))
                if 300 <= message["status"] < 400:
                    headers = _relative_location(headers)
                is_stream = any(
                    name.lower() == b"content-type" and value.startswith(b"text/event-stream")
                    for name, value in headers
                )
                headers.append((b"x-request-id", request_id.encode()))
                rate_headers = scope.get("state", {}).get("rate_headers")
                if rate_headers:
                    present = {name.lower() for name, _ in headers}
                    headers.extend(
                        (name.lower().encode(), value.encode())
                        for name, value in rate_headers.items()
                        if name.lower().encode() not in present
                    )
                headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception as exc:
                if scope["type"] != "http" or status_holder.get("started"):
                    raise
                response = await unexpected_error_response(exc)
                await response(scope, receive, send_wrapper)
        finally:
            duration = time.perf_counter() - started
            endpoint = _route_template(scope)
            method = scope.get("method", "WS")
            status = status_holder["status"]
            HTTP_REQUESTS.labels(method, endpoint, str(status)).inc()
            _meter(scope, log_context, duration, status, stream=is_stream)
            HTTP_DURATION.labels(method, endpoint).observe(duration)
            access_log.info(
                "%s %s %s %.1fms",
                method,
                endpoint,
                status,
                duration * 1000,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": endpoint,
                    "path": scope.get("path"),
                    "status_code": status,
                    "duration_ms": round(duration * 1000, 2),
                    **log_context,
                },
            )
            request_id_var.reset(token)


def _meter(
    scope: Scope, log_context: dict[str, Any], duration: float, status: int, *, stream: bool
) -> None:
    """Count an authenticated call for its tenant's usage (seed 003's billing)."""
    tenant = log_context.get("tenant_id")
    resources = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    if tenant is None or resources is None:
        return
    resources.meter.record_call(uuid.UUID(tenant), duration * 1000, status, stream=stream)


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not they announce a
    Content-Length (Starlette itself reads bodies of any size), and header blocks over
    ``MAX_HEADER_BYTES`` with 431."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(name) + len(value) for name, value in scope.get("headers", []))
        if header_bytes > MAX_HEADER_BYTES:
            response = envelope(
                431, "PAYLOAD_TOO_LARGE", f"Request headers exceed {MAX_HEADER_BYTES} bytes"
            )
            await response(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                response = envelope(
                    413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {self.max_bytes} bytes"
                )
                await response(scope, receive, send)
                return
        received = 0
        exceeded = False
        replied = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(f"Request body exceeds {self.max_bytes} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            # Body parsers may turn our exception into their own 400; the real answer
            # is 413, so it replaces whatever the app tries to send.
            nonlocal replied
            if not exceeded:
                await send(message)
                return
            if not replied and message["type"] == "http.response.start":
                replied = True
                response = envelope(
                    413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {self.max_bytes} bytes"
                )
                await response(scope, receive, send)

        await self.app(scope, limited_receive, guarded_send)
