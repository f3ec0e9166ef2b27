"""Log lines: JSON for machines, readable lines for a developer at a terminal."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from topichub.config import Environment, Settings
from topichub.kit.context import request_id_var
from topichub.logging import LineFormatter, configure_logging, foreign_chain, log_line


@pytest.fixture
def stderr() -> Iterator[io.StringIO]:
    """configure_logging() rebinds the root logger: the test reads a private stream, and
    the logging configuration is put back as it was."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, structlog.get_config())
    try:
        yield stream
    finally:
        root.handlers[:], level, config = saved
        root.setLevel(level)
        structlog.configure(**config)


def _uvicorn_line() -> None:
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 42, extra={"color_message": "\x1b[36m42\x1b[0m"}
    )


def _configure(stream: io.StringIO, *, json: bool) -> None:
    configure_logging("INFO", json=json)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


def test_json_lines_carry_no_colour_codes(stderr: io.StringIO) -> None:
    _configure(stderr, json=True)
    _uvicorn_line()
    line = json.loads(stderr.getvalue().strip().splitlines()[-1])
    assert line["event"] == "Started server process [42]"
    assert "color_message" not in line
    assert "\x1b" not in stderr.getvalue()


def test_readable_lines_for_a_developer(stderr: io.StringIO) -> None:
    _configure(stderr, json=False)
    _uvicorn_line()
    text = stderr.getvalue()
    assert "Started server process [42]" in text
    assert not text.lstrip().startswith("{")
    assert "\x1b" not in text  # not a terminal: no colours either


def test_json_in_production_or_off_a_terminal_readable_on_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert Settings().logs_as_json()
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert not Settings().logs_as_json()
    secret = "x" * 8 + "-a-long-enough-random-secret-for-tests-0123456789"
    assert Settings(env=Environment.production, jwt_secret=secret).logs_as_json()
    assert Settings(log_json=True).logs_as_json()


# -- the direct path of LineFormatter renders what structlog's chain renders ---------------

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z")


def _record(
    msg: str, args: tuple[Any, ...] = (), level: int = logging.INFO, **extra: Any
) -> logging.LogRecord:
    return logging.getLogger("topichub.access").makeRecord(
        "topichub.access", level, __file__, 1, msg, args, None, extra=extra or None
    )


def _both(formatter: LineFormatter, record: logging.LogRecord) -> tuple[str, str]:
    """(direct, through structlog's chain), timestamps masked."""
    direct = formatter.format(record)
    chained = structlog.stdlib.ProcessorFormatter.format(formatter, record)
    assert _STAMP.search(direct)
    assert _STAMP.search(chained)
    return _STAMP.sub("T", direct), _STAMP.sub("T", chained)


@pytest.mark.parametrize("json_lines", [True, False], ids=["json", "console"])
@pytest.mark.parametrize(
    "record",
    [
        pytest.param(lambda: _record("plain"), id="plain"),
        pytest.param(
            lambda: _record(
                "%s %s %s %.1fms",
                ("POST", "/api/v1/topics/{name}/publish", 200, 6.234),
                request_id="af14d4a1",
                method="POST",
                route="/api/v1/topics/{name}/publish",
                path="/api/v1/topics/events/publish",
                status_code=200,
                duration_ms=6.23,
                tenant_id="409b3f94",
                user_id=None,
                auth="api_key",
            ),
            id="access-line",
        ),
        pytest.param(
            lambda: _record(
                "GET /x?token=abc.def.ghi&ticket=t1 200", path="/x?api_key=thk_12345678"
            ),
            id="secrets-in-message-and-extra",
        ),
        pytest.param(
            lambda: _record(
                "x",
                nested={"password": "hunter2", "list": ["Bearer abcdefgh12345"]},
                n=(1, "pwd=x"),
            ),
            id="secrets-nested",
        ),
        pytest.param(lambda: _record("x", request_id="from-extra"), id="request-id-extra"),
        pytest.param(lambda: _record("x", color_message="\x1b[36mx\x1b[0m"), id="color-message"),
        pytest.param(lambda: _record("w", level=logging.WARNING, level_note="n"), id="warning"),
        pytest.param(lambda: _record("e", level=logging.ERROR), id="error"),
        pytest.param(lambda: _record("c", level=logging.CRITICAL), id="critical"),
        pytest.param(lambda: _record("d", level=logging.DEBUG), id="debug"),
        pytest.param(lambda: _record("non-ascii: é ✓ \u2028", thing=object()), id="unserialisable"),
        pytest.param(lambda: _record("%d%%", (5,), value=3.5, flag=True), id="percent-args"),
    ],
)
def test_a_plain_record_is_rendered_as_structlog_renders_it(
    stderr: io.StringIO, json_lines: bool, record: Any
) -> None:
    _configure(stderr, json=json_lines)
    formatter = logging.getLogger().handlers[0].formatter
    assert isinstance(formatter, LineFormatter)
    for request_id in (None, "req-1"):
        token = request_id_var.set(request_id)
        try:
            direct, chained = _both(formatter, record())
        finally:
            request_id_var.reset(token)
        assert direct == chained


def test_records_with_an_exception_or_a_stack_go_through_structlog(stderr: io.StringIO) -> None:
    _configure(stderr, json=True)
    log = logging.getLogger("topichub.test")
    try:
        raise ValueError("boom with token=abc123secret")
    except ValueError:
        log.exception("failed")
    log.info("where", stack_info=True)
    first, second = (json.loads(line) for line in stderr.getvalue().splitlines())
    assert "ValueError" in first["exception"]
    assert "abc123secret" not in first["exception"]
    assert first["level"] == "error"
    assert "Stack (most recent call last)" in second["stack_info"]


@given(
    extra=st.dictionaries(
        st.sampled_from(
            ["event", "level", "logger", "request_id", "timestamp", "path", "token", "n", "k"]
        ),
        st.one_of(
            st.none(),
            st.integers(),
            st.floats(allow_nan=False),
            st.text(max_size=30),
            st.sampled_from(["Bearer abcdefghijk", "thk_abcdefghijkl", "x?ticket=1"]),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        max_size=6,
    ),
    message=st.text(max_size=40),
)
@settings(max_examples=200, deadline=None)
def test_any_extras_render_alike(extra: dict[str, Any], message: str) -> None:
    formatter = LineFormatter(foreign_chain(), structlog.processors.JSONRenderer())
    record = _record(message.replace("%", "%%"))
    record.__dict__.update(extra)  # as ``extra=`` would, reserved names included
    direct, chained = _both(formatter, record)
    assert direct == chained


# -- log_line: straight to the handler when nothing else would see the record ------------

_FIELDS = {
    "request_id": "af14d4a1",
    "method": "POST",
    "route": "/api/v1/topics/{name}/publish",
    "path": "/api/v1/topics/events/publish?token=abc.def.ghi",
    "status_code": 200,
    "duration_ms": 6.23,
    "tenant_id": "409b3f94",
    "user_id": None,
    "auth": "api_key",
}


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_log_line_writes_what_the_logging_path_writes(stderr: io.StringIO) -> None:
    _configure(stderr, json=True)
    log = logging.getLogger("topichub.access")
    log_line(log, logging.INFO, "POST /x 200 6.2ms", dict(_FIELDS))
    # A second handler (a test's capture, say) takes the record through logging.
    keep = _Keep()
    logging.getLogger().addHandler(keep)
    try:
        log_line(log, logging.INFO, "POST /x 200 6.2ms", dict(_FIELDS))
    finally:
        logging.getLogger().removeHandler(keep)
    direct, logged = (_STAMP.sub("T", line) for line in stderr.getvalue().splitlines())
    assert direct == logged
    assert "abc.def.ghi" not in direct
    assert [r.getMessage() for r in keep.records] == ["POST /x 200 6.2ms"]
    assert keep.records[0].status_code == 200  # type: ignore[attr-defined]


def test_log_line_respects_levels_disabling_and_handlers_of_its_own(
    stderr: io.StringIO,
) -> None:
    _configure(stderr, json=True)
    log = logging.getLogger("topichub.access")
    log_line(log, logging.DEBUG, "below the level", {})
    logging.disable(logging.INFO)
    try:
        log_line(log, logging.INFO, "disabled", {})
    finally:
        logging.disable(logging.NOTSET)
    keep = _Keep()
    log.addHandler(keep)
    try:
        log_line(log, logging.INFO, "to both", {"n": 1})
    finally:
        log.removeHandler(keep)
    lines = [json.loads(line) for line in stderr.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["to both"]
    assert [r.getMessage() for r in keep.records] == ["to both"]
