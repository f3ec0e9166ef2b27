"""Pure ASGI middleware (no BaseHTTPMiddleware: it buffers and breaks streaming)."""

from __future__ import annotations

import functools
import logging
import os
import re
import time
import uuid
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from topichub.errors import PayloadTooLarge, envelope, unexpected_error_response
from topichub.kit.asgi import RAW_SEND
from topichub.kit.context import request_id_var
from topichub.logging import log_line
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
    """Everything topichub does around every request, in one pure ASGI layer (one
    ``send`` wrapper and at most one ``receive`` wrapper per request instead of one of
    each per concern):

    - the request id (echoed when well-formed, else generated), one JSON access-log line
      per request, metrics by route template, usage metering, the security headers and
      the ``X-RateLimit-*`` headers the rate limit left in the scope;
    - when ``allowed_hosts`` is set, Starlette's ``TrustedHostMiddleware``'s check;
    - request bodies over ``max_body_bytes`` refused with 413, whether or not they
      announce a Content-Length (Starlette itself reads bodies of any size), and header
      blocks over ``MAX_HEADER_BYTES`` with 431;
    - when ``cors`` is given, Starlette's ``CORSMiddleware``: its preflight answers and
      its headers on every other answer.

    The order is the one the separate middlewares had (outermost first): context, host,
    body size, CORS. Answers made by a step (431, 413, a host refusal, a preflight) get
    the context's headers but not those of the steps after it, as before."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int | None = None,
        cors: dict[str, Any] | None = None,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_body_bytes
        self.cors = None if cors is None else CORSMiddleware(app, **cors)
        self.hosts = (
            None
            if allowed_hosts is None or allowed_hosts == ["*"]
            else TrustedHostMiddleware(_host_accepted, allowed_hosts=allowed_hosts)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        incoming = b""
        header_bytes = 0
        declared: bytes | None = None
        chunked = False
        has_origin = False
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"x-request-id":
                incoming = value
            elif name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"origin":
                has_origin = True
        # Without an Origin (most API clients) all CORS does to the app's answers is add
        # ``Vary: Origin``: done in the one send wrapper, rather than by a second one,
        # once ``_inner`` hands the request to the app (``vary[0]``).
        vary = [False]
        text = incoming.decode("latin-1")
        request_id = text if text and _REQUEST_ID_RE.match(text) else _new_request_id()
        token = request_id_var.set(request_id)
        log_context: dict[str, Any] = {}
        scope.setdefault("state", {})["log_context"] = log_context
        # Outermost middleware: a streaming body may skip the wrappers below (kit.asgi).
        scope[RAW_SEND] = send
        started = time.perf_counter()
        is_http = kind == "http"
        status = 500 if is_http else 101
        response_started = False
        is_stream = not is_http

        async def send_context(message: Message) -> None:
            nonlocal status, response_started, is_stream
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                if 300 <= status < 400:
                    headers = _relative_location(headers)
                is_stream = False
                has_vary = False
                for name, value in headers:
                    if name == b"vary":
                        has_vary = True
                    elif value.startswith(b"text/event-stream") and name.lower() == b"content-type":
                        is_stream = True
                if vary[0]:
                    if has_vary:
                        _add_vary_origin(headers)
                    else:
                        headers.append((b"vary", b"Origin"))
                headers.append((b"x-request-id", request_id.encode()))
                rate_headers = scope["state"].get("rate_headers")
                if rate_headers:
                    present = {name.lower() for name, _ in headers}
                    for name, value in rate_headers.items():
                        encoded = _header_name(name)
                        if encoded not in present:
                            headers.append((encoded, value.encode()))
                headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        try:
            try:
                await self._inner(
                    scope,
                    receive,
                    send_context,
                    is_http,
                    header_bytes,
                    declared,
                    chunked,
                    has_origin=has_origin,
                    vary=vary,
                )
            except Exception as exc:
                if not is_http or response_started:
                    raise
                response = await unexpected_error_response(exc)
                vary[0] = False  # CORS did not see this answer
                await response(scope, receive, send_context)
        finally:
            duration = time.perf_counter() - started
            endpoint = _route_template(scope)
            method = scope.get("method", "WS")
            _count(method, endpoint, status, duration)
            _meter(scope, log_context, duration, status, stream=is_stream)
            log_line(
                access_log,
                logging.INFO,
                f"{method} {endpoint} {status} {duration * 1000:.1f}ms",
                {
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

    async def _inner(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        is_http: bool,
        header_bytes: int,
        declared: bytes | None,
        chunked: bool,
        *,
        has_origin: bool,
        vary: list[bool],
    ) -> None:
        """Host check, body size and CORS, then the app; ``send`` is the context's. A
        request without an ``Origin`` skips ``CORSMiddleware``: ``vary[0]`` set asks
        the context's ``send`` to add the ``Vary: Origin`` it would add."""
        if self.hosts is not None:
            await self.hosts(scope, receive, send)
            if not scope.pop(_HOST_ACCEPTED, False):
                return
        if not is_http:
            # CORS and the body limit leave WebSockets alone.
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        counted = max_bytes is not None
        if max_bytes is not None:
            if header_bytes > MAX_HEADER_BYTES:
                response = envelope(
                    431, "PAYLOAD_TOO_LARGE", f"Request headers exceed {MAX_HEADER_BYTES} bytes"
                )
                await response(scope, receive, send)
                return
            if declared is not None:
                try:
                    length = int(declared)
                except ValueError:
                    length = -1
                if length > max_bytes:
                    response = envelope(
                        413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {max_bytes} bytes"
                    )
                    await response(scope, receive, send)
                    return
                # A declared length within the limit bounds the body (the HTTP parser
                # reads no more than it): such a body needs no counting.
                if length >= 0 and not chunked:
                    counted = False
        cors = self.cors if has_origin else None
        vary_origin = self.cors is not None and not has_origin
        request_headers: Headers | None = None
        if cors is not None:
            request_headers = Headers(scope=scope)
            if (
                scope["method"] == "OPTIONS"
                and "origin" in request_headers
                and "access-control-request-method" in request_headers
            ):
                preflight = cors.preflight_response(request_headers=request_headers)
                await preflight(scope, receive, send)
                return

        if not counted or max_bytes is None:
            if request_headers is None:
                vary[0] = vary_origin
                await self.app(scope, receive, send)
                return
            cors_headers = request_headers

            async def cors_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await cors.send(message, send, cors_headers)  # type: ignore[union-attr]
                else:
                    await send(message)

            await self.app(scope, receive, cors_send)
            return

        received = 0
        exceeded = False
        replied = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(f"Request body exceeds {max_bytes} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            # Body parsers may turn our exception into their own 400; the real answer
            # is 413, so it replaces whatever the app tries to send.
            nonlocal replied
            if not exceeded:
                if message["type"] == "http.response.start":
                    if request_headers is not None:
                        await cors.send(message, send, request_headers)  # type: ignore[union-attr]
                        return
                    if vary_origin:
                        headers = list(message.get("headers", []))
                        if any(name == b"vary" for name, _ in headers):
                            _add_vary_origin(headers)
                        else:
                            headers.append((b"vary", b"Origin"))
                        message["headers"] = headers
                await send(message)
                return
            if not replied and message["type"] == "http.response.start":
                replied = True
                response = envelope(
                    413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {max_bytes} bytes"
                )
                await response(scope, receive, send)

        await self.app(scope, limited_receive, guarded_send)


def _add_vary_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """What ``CORSMiddleware.send`` does to the head of an answer to a request without
    an ``Origin``: every ``Vary`` joined into the first one, with ``Origin`` added (raw
    names are lower-case in ASGI, as its ``MutableHeaders`` compares them)."""
    values = [value for name, value in headers if name == b"vary"]
    merged = b", ".join([*values, b"Origin"])
    first = next(i for i, (name, _) in enumerate(headers) if name == b"vary")
    headers[:] = [
        (name, merged if i == first else value)
        for i, (name, value) in enumerate(headers)
        if name != b"vary" or i == first
    ]


_HOST_ACCEPTED: Final = "topichub.host_accepted"


async def _host_accepted(scope: Scope, _receive: Receive, _send: Send) -> None:
    """``TrustedHostMiddleware``'s app: the host is allowed, the request goes on."""
    scope[_HOST_ACCEPTED] = True


def _new_request_id() -> str:
    """What ``uuid.uuid4().hex`` gives (version and variant bits included), without
    building a ``UUID``."""
    n = int.from_bytes(os.urandom(16), "big")
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    n = (n & ~(0xF000 << 64)) | (4 << 76)
    return f"{n:032x}"


_HEADER_NAMES: dict[str, bytes] = {}


def _header_name(name: str) -> bytes:
    found = _HEADER_NAMES.get(name)
    if found is None:
        found = name.lower().encode("latin-1")
        if len(_HEADER_NAMES) < 1024:
            _HEADER_NAMES[name] = found
    return found


_COUNTERS: dict[tuple[str, str, int], Any] = {}
_DURATIONS: dict[tuple[str, str], Any] = {}


def _count(method: str, endpoint: str, status: int, duration: float) -> None:
    """``HTTP_REQUESTS`` and ``HTTP_DURATION`` through their children, looked up once
    per label set (the labels are bounded: methods, route templates, statuses)."""
    counter = _COUNTERS.get((method, endpoint, status))
    if counter is None:
        counter = _COUNTERS[(method, endpoint, status)] = HTTP_REQUESTS.labels(
            method, endpoint, str(status)
        )
    counter.inc()
    histogram = _DURATIONS.get((method, endpoint))
    if histogram is None:
        histogram = _DURATIONS[(method, endpoint)] = HTTP_DURATION.labels(method, endpoint)
    histogram.observe(duration)


@functools.lru_cache(maxsize=4096)
def _tenant_uuid(tenant: str) -> uuid.UUID:
    return uuid.UUID(tenant)


def _meter(
    scope: Scope, log_context: dict[str, Any], duration: float, status: int, *, stream: bool
) -> None:
    """Count an authenticated call for its tenant's usage (seed 003's billing)."""
    tenant = log_context.get("tenant_id")
    if tenant is None:
        return
    resources = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    if resources is None:
        return
    resources.meter.record_call(_tenant_uuid(tenant), duration * 1000, status, stream=stream)
