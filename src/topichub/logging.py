"""JSON logs through structlog; the standard library's loggers go through it too.

Every line, ours or a library's, is redacted last (``topichub.kit.redact``): uvicorn
prints WebSocket handshakes with their query string (``?token=``, ``?ticket=``) and
database errors quote statements, so no source can be trusted to leave credentials out.

Every line goes through ``LineFormatter``: the access log writes one line per
request, so its common record (no exception, no stack) is rendered directly, where
structlog's ``ProcessorFormatter`` copies the record and runs a chain of processors
(81-100 us a line, a fifth of a single publish's CPU). The result is the same line;
``tests/test_logging.py`` compares both paths over many records.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any, Final

import structlog

from topichub.kit.context import request_id_var
from topichub.kit.redact import redact, redact_value


def _add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = request_id_var.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _drop_color_message(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn adds an ANSI-coloured copy of its message for its own formatter.
    event.pop("color_message", None)
    return event


def _redact_event(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # In place: the event is this line's own dict; only values that change are replaced.
    for key, value in event.items():
        if isinstance(value, str):
            cleaned = redact(value)
            if cleaned is not value:
                event[key] = cleaned
        elif isinstance(value, dict | list | tuple):
            event[key] = redact_value(value)
    return event


class RedactingFilter(logging.Filter):
    """For handlers that do not format through structlog (one a library or a test adds
    to a logger): the record's message is redacted in place, arguments merged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_RECORD_KEYS: Final = frozenset(
    logging.LogRecord("name", 0, "pathname", 0, "msg", (), None).__dict__
)
"""The attributes every ``LogRecord`` has: any other attribute is an ``extra`` (what
structlog's ``ExtraAdder`` copies)."""

_LEVEL_NAMES: Final = {"warn": "warning", "exception": "error"}
"""structlog's ``add_log_level`` renames these two method names."""


_JSON: Final = json.JSONEncoder(default=repr)
"""``json.dumps(event, default=repr)`` as structlog's ``JSONRenderer`` calls it (its
fallback for a value JSON cannot hold is ``repr``), without building an encoder per
line."""


def render_json(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> str:
    line: str = _JSON.encode(event)
    return line


class _Clock:
    """``datetime.now(UTC).isoformat()`` with ``Z`` for ``+00:00`` (structlog's
    ``TimeStamper(fmt="iso", utc=True)``), the seconds formatted once per second."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        micros = int((now - second) * 1_000_000)
        # isoformat() leaves out a zero fraction.
        return f"{self._prefix}.{micros:06d}Z" if micros else self._prefix + "Z"


class LineFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's ``ProcessorFormatter`` configured as ``configure_logging`` does, with
    the line of a plain record (neither from structlog nor carrying an exception or a
    stack) built directly: the same keys in the same order (event, level, logger, the
    extras, request_id, timestamp), redacted and rendered by the same functions, without
    copying the record or walking the processor chain."""

    def __init__(self, shared: list[Any], renderer: Any) -> None:
        super().__init__(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_event,
                renderer,
            ],
        )
        self._render = renderer
        self._clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info or hasattr(record, "_logger"):
            return super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _RECORD_KEYS}
        return self.plain_line(record.levelname, record.name, record.getMessage(), extras)

    def plain_line(self, level_name: str, logger: str, message: str, extras: dict[str, Any]) -> str:
        """The line of a plain record of this level, logger, message and extras."""
        level = level_name.lower()
        event: dict[str, Any] = {
            "event": message,
            "level": _LEVEL_NAMES.get(level, level),
            "logger": logger,
        }
        event.update(extras)
        event.pop("color_message", None)
        request_id = request_id_var.get()
        if request_id is not None:
            event.setdefault("request_id", request_id)
        _redact_event(None, level, event)
        # Stamped after redaction: a timestamp holds no credential.
        event["timestamp"] = self._clock()
        line: str = self._render(None, level, event)
        return line


_direct: tuple[logging.StreamHandler[Any], LineFormatter] | None = None
"""The handler ``configure_logging`` installed on the root logger, and its formatter."""


def log_line(logger: logging.Logger, level: int, message: str, fields: dict[str, Any]) -> None:
    """``logger.log(level, message, extra=fields)``, written straight to the handler
    ``configure_logging`` installed when that handler is the only one the record would
    reach (no other handler on the logger or its ancestors): the same line, without a
    ``LogRecord``, the caller lookup, the filters and the handler chain, which cost the
    access log's one line per request about 35 us (timeit). Any other configuration (a
    test's capture handler, a library's, ``logging.disable``) takes the usual path."""
    if not logger.isEnabledFor(level):
        return
    direct = _direct
    if (
        direct is None
        or not _reaches_only(logger, direct[0], level)
        or _RECORD_KEYS & fields.keys()
    ):
        logger.log(level, message, extra=fields)
        return
    handler, formatter = direct
    line = formatter.plain_line(logging.getLevelName(level), logger.name, message, fields)
    with handler.lock:  # type: ignore[union-attr]
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:  # noqa: BLE001  (as StreamHandler.emit: reported, not raised)
            handler.handleError(logger.makeRecord(logger.name, level, "", 0, message, (), None))


def _reaches_only(logger: logging.Logger, handler: logging.Handler, level: int) -> bool:
    """Whether a record of ``logger`` at ``level`` goes to ``handler`` and nowhere else
    (the logger and every ancestor it propagates to without handlers or filters of
    their own, the root with ``handler`` alone, whose only filter is redaction)."""
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return False
        if current.handlers:
            return (
                current.handlers == [handler]
                and current.parent is None
                and level >= handler.level
                and all(isinstance(f, RedactingFilter) for f in handler.filters)
            )
        if not current.propagate:
            return False
        current = current.parent
    return False


def foreign_chain() -> list[Any]:
    """What every standard-library record goes through before the renderer. No structlog
    contextvars: nothing binds any (request context travels as a record's extras and in
    ``request_id_var``)."""
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        _add_request_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    shared = foreign_chain()
    renderer: Any = (
        render_json if json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = LineFormatter(shared, renderer)
    # No line shows a record's thread or process: not looking them up makes each
    # record 2.9 -> 2.3 us (timeit of LogRecord()).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    global _direct
    _direct = (handler, formatter)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our access log replaces uvicorn's (which would print query strings).
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    # Database drivers log every statement with its parameters and rows at DEBUG
    # (password and token hashes, payloads): never, whatever the level.
    for name in ("aiosqlite", "asyncpg", "sqlalchemy"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
