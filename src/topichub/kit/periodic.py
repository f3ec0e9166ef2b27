"""One way to run a step every few seconds in the background (flushes, heartbeats,
housekeeping, samplers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``step`` every ``interval_s`` seconds in a task named ``name``.

    - ``start`` is idempotent; ``first_at_start`` runs a step at once instead of after
      the first interval.
    - A step that raises is logged (with ``name``) and tried again at the next interval:
      the task never dies of a failed step.
    - ``stop`` lets a step in progress finish (a flush is never cut in half), skips the
      rest of the wait and returns when the task has ended; the owner does its final step
      (a last flush, releasing what it holds) after it.
    """

    __slots__ = ("_first_at_start", "_interval_s", "_name", "_step", "_stopping", "_task")

    def __init__(
        self,
        step: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        name: str,
        first_at_start: bool = False,
    ) -> None:
        self._step = step
        self._interval_s = interval_s
        self._name = name
        self._first_at_start = first_at_start
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            await task

    async def _run(self) -> None:
        if self._first_at_start:
            await self._once()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            await self._once()

    async def _once(self) -> None:
        try:
            await self._step()
        except Exception:
            log.warning("%s failed; retrying in %s s", self._name, self._interval_s, exc_info=True)
