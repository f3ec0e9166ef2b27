"""Running a coroutine from a callback, without a task: how the hub writes to a client
in its own fan-out pass (write-through) and how a stream notices its client leaving.

``step`` runs a coroutine up to its first suspension; when it suspends, the returned
``Resumed`` is an awaitable of the rest, for a task to finish in order.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class Resumed(Generic[T]):
    """Awaits the rest of a coroutine that already ran up to a suspension, where it
    yielded ``waiting_on`` (a future, or None for a bare yield) to its would-be task;
    gives what the coroutine returns."""

    __slots__ = ("_coro", "_waiting_on")

    def __init__(self, coro: Coroutine[Any, Any, T], waiting_on: Any) -> None:
        self._coro = coro
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, T]:
        coro, waiting_on = self._coro, self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - forwarded (a cancellation, mostly)
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration as stop:
                    return cast(T, stop.value)
                continue
            try:
                waiting_on = coro.send(sent)
            except StopIteration as stop:
                return cast(T, stop.value)

    def close(self) -> None:
        self._coro.close()


def step(coro: Coroutine[Any, Any, None]) -> Resumed[None] | None:
    """Run ``coro`` up to its first wait: None when it completed without waiting (the
    transport took the bytes), else the rest to await. Raises what ``coro`` raised."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return Resumed(coro, waiting_on)
