"""Jittered exponential backoff for retry loops: the one used by every retry loop (the
stream feeds, the outbox relay, the bus consumer runner)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

_JITTER = random.Random()  # noqa: S311  (jitter, not security)
"""A generator of its own: the module-level ``random`` functions share one global state
that tests (Hypothesis) watch, and that a library's seed would make every process's
jitter identical."""

Bound = float | Callable[[], float]
"""A number, or a function read at each step (bounds tuned on a running loop apply at
its next delay)."""


def _read(bound: Bound) -> float:
    return bound() if callable(bound) else bound


class Backoff:
    """Delays of ``first_s * 2**attempt`` capped at ``max_s``, each scaled by a random
    factor in [0.5, 1] so that many processes retrying after a shared outage spread out."""

    __slots__ = ("_attempt", "_first", "_max")

    def __init__(self, first_s: Bound, max_s: Bound) -> None:
        self._first = first_s
        self._max = max_s
        self._attempt = 0

    def reset(self) -> None:
        self._attempt = 0

    def next(self) -> float:
        delay = min(_read(self._max), _read(self._first) * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        # Jitter is not security-sensitive.
        return float(delay * _JITTER.uniform(0.5, 1.0))

    async def sleep(self) -> None:
        await asyncio.sleep(self.next())
