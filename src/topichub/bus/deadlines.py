"""Publish timeouts with one timer per bus instead of one per call.

Every publish waits for its records under the bus's publish timeout. ``asyncio.timeout``
cost about 8 us per call on the event loop and a ``call_at`` handle about 3 us plus
its garbage (a ``TimerHandle`` pushed onto the loop's heap, compared by a Python
``__lt__``, later cancelled). A bus has one publish timeout, so its deadlines come in
call order: a queue in deadline order and one timer, armed for the earliest pending
deadline, serve them all.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import deque
from collections.abc import Callable
from typing import Any


class Deadlines:
    """Settles each watched future with ``error(topic)`` when its deadline (event loop
    time) passes before it is done."""

    def __init__(self, error: Callable[[str], BaseException]) -> None:
        self._error = error
        self._waiting: deque[tuple[float, asyncio.Future[Any], str]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = 0.0

    def watch(self, future: asyncio.Future[Any], deadline: float, topic: str) -> None:
        waiting = self._waiting
        while waiting and waiting[0][1].done():  # answered calls leave from the front
            waiting.popleft()
        entry = (deadline, future, topic)
        if not waiting or waiting[-1][0] <= deadline:
            waiting.append(entry)
        else:
            # A call that awaited something before watching (a Kafka metadata look-up)
            # can come after later deadlines.
            waiting.insert(bisect.bisect_right(waiting, deadline, key=lambda e: e[0]), entry)
        if waiting[0] is entry:
            if self._timer is not None:
                self._timer.cancel()
            self._arm(asyncio.get_running_loop(), deadline)

    def _expire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        # The loop ran the timer for this deadline: it is due, as ``asyncio.timeout``
        # takes it to be. ``loop.time()`` alone may still read earlier (uvloop's clock
        # is cached per loop iteration, in milliseconds), and re-arming for it let a
        # sub-millisecond timeout run up to a millisecond late.
        now = max(loop.time(), self._armed_for)
        waiting = self._waiting
        while waiting:
            deadline, future, topic = waiting[0]
            if not future.done():
                if deadline > now:
                    self._arm(loop, deadline)
                    return
                future.set_exception(self._error(topic))
            waiting.popleft()

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._armed_for = deadline
        self._timer = loop.call_at(deadline, self._expire)
