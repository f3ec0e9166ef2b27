"""One error hierarchy, rendered by one set of handlers into the envelope of COMPAT.md:

    {"detail": "<message>", "error": {"code", "message", "details", "request_id", "timestamp"}}

``detail`` serves the clients of seeds 000/001/002/004, ``error`` those of seed 003.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from topichub.kit.context import request_id_var
from topichub.kit.time import utcnow

log = logging.getLogger(__name__)


class TopichubError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    default_message: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(self.message)


class BadRequest(TopichubError):
    status_code = 400
    code = "VALIDATION_ERROR"
    default_message = "Invalid request"


class ValidationFailed(TopichubError):
    status_code = 422
    code = "VALIDATION_ERROR"
    default_message = "Request validation failed"


class AuthenticationFailed(TopichubError):
    status_code = 401
    code = "AUTHENTICATION_FAILED"
    default_message = "Not authenticated"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(TopichubError):
    status_code = 403
    code = "FORBIDDEN"
    default_message = "Insufficient permissions"


class NotFound(TopichubError):
    status_code = 404
    code = "NOT_FOUND"
    default_message = "Not found"


class MethodNotAllowed(TopichubError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"
    default_message = "Method not allowed"


class Conflict(TopichubError):
    status_code = 409
    code = "CONFLICT"
    default_message = "Conflict"


class PayloadTooLarge(TopichubError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "Payload too large"


class UnsupportedMediaType(TopichubError):
    status_code = 415
    code = "VALIDATION_ERROR"
    default_message = "Unsupported media type"


class RateLimitExceeded(TopichubError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"
    default_message = "Too many requests"


class QuotaExceeded(TopichubError):
    status_code = 429
    code = "QUOTA_EXCEEDED"
    default_message = "Quota exceeded"


class Unavailable(TopichubError):
    status_code = 503
    code = "UNAVAILABLE"
    default_message = "Service temporarily unavailable"


_STATUS_TO_ERROR: dict[int, type[TopichubError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: RateLimitExceeded,
    503: Unavailable,
}


def envelope(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "detail": message,
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "request_id": request_id_var.get(),
            "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        },
    }
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def _line_and_column(document: object, position: int) -> tuple[int, int]:
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else str(document)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return line, column


def _is_json_request(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _body_problem(
    err: Mapping[str, Any], exc: RequestValidationError, request: Request
) -> str | None:
    """What is wrong with the body as a whole, where Pydantic's message would describe
    its parser instead (a character offset shown as a field, "a valid dictionary")."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
        line, column = _line_and_column(exc.body, loc[1])
        problem = (err.get("ctx") or {}).get("error", "JSON decode error")
        return f"the body is not valid JSON (line {line}, column {column}): {problem}"
    body_not_parsed = loc == ("body",) and isinstance(err.get("input"), str | bytes)
    if body_not_parsed and not _is_json_request(request):
        return "the body must be JSON: send Content-Type: application/json"
    return None


def _validation_details(exc: RequestValidationError, request: Request) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        problem = _body_problem(err, exc, request)
        if problem is not None:
            loc = loc[:1]  # a json_invalid loc carries a character offset, not a field
        details.append(
            {
                "field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc),
                "location": loc[0] if loc else None,
                "reason": problem or err.get("msg", "invalid"),
                "type": err.get("type"),
            }
        )
    return details


async def _handle_topichub_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TopichubError)
    return envelope(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc, request)
    first = details[0] if details else {"field": "", "reason": "invalid"}
    reason = str(first["reason"])
    if reason.startswith("the body "):  # a problem of the whole body, from _body_problem
        message = reason[0].upper() + reason[1:]
    else:
        message = f"Invalid {first['field'] or 'request'}: {first['reason']}"
    return envelope(422, "VALIDATION_ERROR", message, details)


async def _handle_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_type = _STATUS_TO_ERROR.get(exc.status_code, TopichubError)
    message = exc.detail if isinstance(exc.detail, str) else error_type.default_message
    if exc.status_code == 404 and message == "Not Found":
        message = "Not found"
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    code = error_type.code if error_type is not TopichubError else "HTTP_ERROR"
    return envelope(exc.status_code, code, message, None, headers)


_OUTAGES: tuple[type[Exception], ...] = (
    ConnectionError,  # refused, reset: the database does not answer
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutting down, starting up, crashed
    RedisConnectionError,
)


def is_backend_outage(exc: BaseException | None) -> bool:
    """Whether an error (or what caused it) means the database, or another service we
    connect to, cannot be reached."""
    for _ in range(8):
        if exc is None:
            return False
        if isinstance(exc, _OUTAGES):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _handle_unexpected(_request: Request | None, exc: Exception) -> JSONResponse:
    if is_backend_outage(exc):
        # Not a bug of ours: a 503 the client may retry, not a 500.
        log.warning("backing service unavailable: %r", exc)
        return envelope(
            503,
            "UNAVAILABLE",
            "A backing service is unavailable; try again shortly",
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error", exc_info=exc)
    return envelope(500, "INTERNAL_ERROR", "Internal server error")


async def unexpected_error_response(exc: Exception) -> JSONResponse:
    """The 500 (or 503) for an exception no handler took. The request middleware sends
    it itself, so that it carries the request id and the security headers like every
    other answer (Starlette's outermost error middleware would send it without them)."""
    return await _handle_unexpected(None, exc)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None
    timestamp: str


class ErrorEnvelope(BaseModel):
    """Every error answer (the OpenAPI document's schema for 4xx/5xx responses)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "Topic 'orders' not found",
                    "error": {
                        "code": "NOT_FOUND",
                        "message": "Topic 'orders' not found",
                        "details": None,
                        "request_id": "5f0c1d2e3a4b4c6d",
                        "timestamp": "2026-12-04T10:30:00.120Z",
                    },
                },
                {
                    "detail": "Invalid messages.0.partition: Input should be greater than "
                    "or equal to 0",
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": "Invalid messages.0.partition: Input should be greater "
                        "than or equal to 0",
                        "details": [
                            {
                                "field": "messages.0.partition",
                                "location": "body",
                                "reason": "Input should be greater than or equal to 0",
                                "type": "greater_than_equal",
                            }
                        ],
                        "request_id": "5f0c1d2e3a4b4c6e",
                        "timestamp": "2026-12-04T10:30:01.450Z",
                    },
                },
            ]
        }
    )

    detail: str
    error: ErrorBody


def _document_errors(app: FastAPI) -> None:
    """Describe error responses as the envelope the handlers really send: FastAPI's
    default 422 schema (``detail`` as a list) is not what clients get."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        envelope_schema = ErrorEnvelope.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(envelope_schema.pop("$defs", {}))
        components["ErrorEnvelope"] = envelope_schema
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = content
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TopichubError, _handle_topichub_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    # Database and connection errors are answered where they happen (not re-raised to the
    # server as an unhandled 500 would be); ``_handle_unexpected`` tells an outage from a bug.
    database_errors: tuple[type[Exception], ...] = (DBAPIError, *_OUTAGES)
    for error_type in database_errors:
        app.add_exception_handler(error_type, _handle_unexpected)
    app.add_exception_handler(Exception, _handle_unexpected)
    _document_errors(app)
