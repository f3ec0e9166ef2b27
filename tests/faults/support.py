"""Fault-test tooling: a real ``topichub serve`` process to crash and restart, and a
Jepsen-style history of publishes checked against what the log holds afterwards.

The server process is tied to the test process (``PR_SET_PDEATHSIG``: it gets SIGKILL
if the test process dies) and is only ever signalled by its own pid.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.tansu import free_port

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def topichub_binary() -> str:
    return str(Path(sys.executable).with_name("topichub"))


# Limits out of the way: these tests are about durability, not about limits.
UNLIMITED = {
    "TOPICHUB_RATE_LIMIT_ENABLED": "false",
    "TOPICHUB_QUOTA_USER_MESSAGES_PER_DAY": "100000000",
    "TOPICHUB_QUOTA_CLUSTER_MESSAGES_IN_PER_DAY": "100000000",
    "TOPICHUB_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
    "TOPICHUB_SIGNUP_PER_ADDRESS_PER_HOUR": "1000000",
    "TOPICHUB_SIGNUP_PER_HOUR": "1000000",
}


class ServerProcess:
    """``topichub serve`` on a free loopback port with its own data directory."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "TOPICHUB_DATA_DIR": str(data_dir),
            "TOPICHUB_JWT_SECRET": secrets.token_urlsafe(48),
            "TOPICHUB_HOST": "127.0.0.1",
            "TOPICHUB_PORT": str(self.port),
            "TOPICHUB_LOG_LEVEL": "WARNING",
            **UNLIMITED,
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, timeout: float = 60.0) -> None:
        assert self.process is None or self.process.poll() is not None
        if self._log is not None:
            self._log.close()  # the previous run's output
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            [topichub_binary(), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"topichub exited: {self.output()[-3000:]}")
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"topichub not up after {timeout}s: {self.output()[-3000:]}")
                # Polling another process: there is no event to wait on.
                await asyncio.sleep(0.05)

    def output(self) -> str:
        if self._log is None or self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        data = self._log.read()
        self._log.seek(0, os.SEEK_END)
        return data.decode(errors="replace")

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    async def wait(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"topichub pid {self.process.pid} still running")
            await asyncio.sleep(0.02)
        return self.process.returncode

    async def crash(self) -> None:
        """kill -9: no shutdown code runs."""
        self.signal(signal.SIGKILL)
        await self.wait()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 30 s. Idempotent."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                await self.wait(30)
            except TimeoutError:
                await self.crash()
        if self._log is not None and not self._log.closed:
            self._log.close()


# -- histories ---------------------------------------------------------------------------


@dataclass
class Op:
    value: str
    outcome: str = "invoke"
    """``ok`` (2xx), ``fail`` (a definite refusal: 4xx, or the connection was refused so
    nothing was sent) or ``info`` (outcome unknown: timeout, 5xx, reset)."""
    partition: int | None = None
    offset: int | None = None
    batch: int = 0
    status: int | None = None
    error: str | None = None
    retry_after: str | None = None


@dataclass
class History:
    ops: list[Op] = field(default_factory=list)

    def invoke(self, value: str, batch: int) -> Op:
        op = Op(value=value, batch=batch)
        self.ops.append(op)
        return op

    def by(self, outcome: str) -> set[str]:
        return {op.value for op in self.ops if op.outcome == outcome}

    def summary(self) -> dict[str, int]:
        return dict(Counter(op.outcome for op in self.ops))


async def publish_batch(
    client: httpx.AsyncClient,
    history: History,
    path: str,
    values: list[str],
    batch: int,
    headers: dict[str, str],
) -> list[Op]:
    """One publish request, recorded per message."""
    ops = [history.invoke(v, batch) for v in values]
    body = {"messages": [{"value": v} for v in values]}
    try:
        response = await client.post(path, json=body, headers=headers)
    except httpx.ConnectError as exc:
        # The connection was refused: the request never reached a server.
        _settle(ops, "fail", error=repr(exc))
        return ops
    except httpx.TransportError as exc:
        _settle(ops, "info", error=repr(exc))
        return ops
    if 200 <= response.status_code < 300:
        for op, meta in zip(ops, response.json()["messages"], strict=True):
            op.outcome, op.partition, op.offset = "ok", meta["partition"], meta["offset"]
            op.status = response.status_code
    elif 400 <= response.status_code < 500:
        _settle(ops, "fail", status=response.status_code, error=response.text[:200])
    else:
        _settle(ops, "info", status=response.status_code, error=response.text[:2000])
        for op in ops:
            op.retry_after = response.headers.get("retry-after")
    return ops


def _settle(ops: list[Op], outcome: str, *, status: int | None = None, error: str = "") -> None:
    for op in ops:
        op.outcome, op.status, op.error = outcome, status, error


@dataclass
class Read:
    value: str
    partition: int
    offset: int


@dataclass
class Verdict:
    lost: set[str]
    unexpected: set[str]
    duplicated: dict[str, int]
    misplaced: list[tuple[str, tuple[int | None, int | None], list[tuple[int, int]]]]
    recovered: set[str]
    torn_batches: list[int]
    contradicted: set[str]
    """Refused with a definite "no" (a 4xx, or never sent) yet stored."""

    @property
    def valid(self) -> bool:
        """Nothing acknowledged lost or moved, nothing invented, no acknowledged value
        twice, no batch half stored."""
        return not (
            self.lost
            or self.unexpected
            or self.duplicated
            or self.misplaced
            or self.torn_batches
            or self.contradicted
        )

    def __str__(self) -> str:
        return (
            f"lost={sorted(self.lost)[:10]} ({len(self.lost)}), "
            f"unexpected={sorted(self.unexpected)[:10]} ({len(self.unexpected)}), "
            f"duplicated={dict(list(self.duplicated.items())[:10])}, "
            f"misplaced={self.misplaced[:5]}, torn batches={self.torn_batches[:5]}, "
            f"contradicted={sorted(self.contradicted)[:10]}, recovered={len(self.recovered)}"
        )


def check(history: History, reads: list[Read], *, atomic_batches: bool) -> Verdict:
    """lost = acknowledged - read; unexpected = read - attempted; acknowledged values
    read more than once; acknowledged values read at another place than acknowledged;
    batches (one request) partly stored; contradicted = refused ∩ read; recovered =
    indeterminate ∩ read (reported, never a failure)."""
    attempted = {op.value for op in history.ops}
    acknowledged = {op.value: op for op in history.ops if op.outcome == "ok"}
    counts = Counter(r.value for r in reads)
    positions: dict[str, set[tuple[int, int]]] = {}
    for r in reads:
        positions.setdefault(r.value, set()).add((r.partition, r.offset))
    misplaced = [
        (value, (op.partition, op.offset), sorted(positions[value]))
        for value, op in acknowledged.items()
        if value in positions and (op.partition, op.offset) not in positions[value]
    ]
    torn = []
    if atomic_batches:
        batches: dict[int, list[bool]] = {}
        for op in history.ops:
            batches.setdefault(op.batch, []).append(op.value in counts)
        torn = [b for b, seen in batches.items() if any(seen) and not all(seen)]
    return Verdict(
        lost=set(acknowledged) - set(counts),
        unexpected=set(counts) - attempted,
        duplicated={v: n for v, n in counts.items() if n > 1 and v in acknowledged},
        misplaced=misplaced,
        recovered=history.by("info") & set(counts),
        torn_batches=torn,
        contradicted=history.by("fail") & set(counts),
    )


def as_reads(events: list[dict[str, Any]]) -> list[Read]:
    return [Read(str(e["value"]), int(e["partition"]), int(e["offset"])) for e in events]
