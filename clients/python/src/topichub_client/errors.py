"""Typed errors, one class per answer a caller handles differently, built from topichub's
error envelope ``{"detail", "error": {"code", "message", "details", "request_id"}}``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import httpx


class TopichubError(Exception):
    """An answer of the server that is not a success, or no answer at all."""

    status_code: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.code = code
        self.details = details
        self.request_id = request_id
        self.retry_after = retry_after


class ConnectionFailed(TopichubError):
    """No answer: the server could not be reached, or the connection dropped."""


class BadRequest(TopichubError):
    status_code = 400


class AuthenticationFailed(TopichubError):
    status_code = 401


class Forbidden(TopichubError):
    status_code = 403


class NotFound(TopichubError):
    status_code = 404


class Conflict(TopichubError):
    status_code = 409


class PayloadTooLarge(TopichubError):
    status_code = 413


class ValidationFailed(TopichubError):
    status_code = 422


class RateLimited(TopichubError):
    """429 ``RATE_LIMIT_EXCEEDED`` (or a login throttle); ``retry_after`` in seconds."""

    status_code = 429


class QuotaExceeded(RateLimited):
    """429 ``QUOTA_EXCEEDED``: a daily quota is used up; ``retry_after`` is when it resets."""


class Unavailable(TopichubError):
    """503: try again after ``retry_after``. For a publish, the outcome is *unknown*: the
    messages may have been stored (retry with the same Idempotency-Key, as the clients of
    this package do)."""

    status_code = 503


class ServerError(TopichubError):
    """Any other 5xx."""


WS_OPEN_ERRORS: dict[int, type[TopichubError]] = {
    4001: AuthenticationFailed,
    4003: Forbidden,
    4004: NotFound,
    4022: ValidationFailed,
    4029: RateLimited,
    1013: Unavailable,
}
"""WebSocket close codes that refuse a stream before it starts, as the HTTP errors the
same refusal is over SSE."""


_BY_STATUS: dict[int, type[TopichubError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    503: Unavailable,
}


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (the server sends delta-seconds), if present."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    return None


def error_from_response(response: httpx.Response) -> TopichubError:
    """The typed error of a non-2xx answer (its body must have been read)."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    return error_from(response.status_code, response.reason_phrase, response.headers, body)


def error_from(
    status: int, reason_phrase: str, headers: Mapping[str, str], body: Any
) -> TopichubError:
    """The typed error of an answer with ``status`` and the parsed JSON ``body``."""
    envelope = body.get("error") if isinstance(body, dict) else None
    envelope = envelope if isinstance(envelope, dict) else {}
    detail = body.get("detail") if isinstance(body, dict) else None
    message = envelope.get("message") or (detail if isinstance(detail, str) else None)
    code = envelope.get("code")
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else TopichubError)
    if status == 429 and code == "QUOTA_EXCEEDED":
        cls = QuotaExceeded
    return cls(
        message or f"{status} {reason_phrase}",
        status_code=status,
        code=code,
        details=envelope.get("details"),
        request_id=envelope.get("request_id") or headers.get("X-Request-ID"),
        retry_after=retry_after(headers),
    )
