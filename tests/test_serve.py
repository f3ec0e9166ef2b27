"""``topichub serve`` as an operator runs it: a stop that was asked for is a clean exit."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.scale.support import ServerProcess, server_env


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_stops_the_server_with_status_zero_and_no_traceback(
    tmp_path: Path, signum: signal.Signals
) -> None:
    env = server_env(
        database_url=None, kafka=None, redis_url=None, redis_prefix="th-serve", data_dir=tmp_path
    )
    server = ServerProcess("serve", env, tmp_path)
    try:
        await server.wait_ready()
        os.kill(server.process.pid, signum)  # what Ctrl-C or a supervisor sends
        status = server.process.wait(timeout=30)
        output = server.output(tail=20_000)
    finally:
        server.kill()
    assert status == 0, output
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
