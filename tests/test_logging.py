"""Log lines: JSON for machines, readable lines for a developer at a terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from topichub.config import Environment, Settings
from topichub.logging import configure_logging


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
