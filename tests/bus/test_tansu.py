"""The tansu test-broker helper starts, pauses and stops its process without leaks."""

from __future__ import annotations

import os
import signal

import pytest

from tests.support.tansu import TansuBroker, running_tansu

pytestmark = pytest.mark.kafka


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


async def test_running_tansu_stops_the_broker_even_when_the_block_fails() -> None:
    pids: list[int] = []

    async def failing_test() -> None:
        async with running_tansu() as broker:
            pids.append(broker.process.pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_test()
    assert len(pids) == 1
    assert not _alive(pids[0])


async def test_pause_and_resume_stop_and_continue_the_process() -> None:
    broker = await TansuBroker.start()
    try:
        broker.pause()
        assert _state(broker.process.pid) == "T"
        broker.resume()
        assert _state(broker.process.pid) != "T"
        await broker.wait_ready(timeout=5)
        broker.pause()  # stop() must cope with a paused broker
    finally:
        broker.stop()
    assert broker.process.returncode is not None
    assert broker.process.returncode in (-signal.SIGTERM, -signal.SIGKILL, 0)
