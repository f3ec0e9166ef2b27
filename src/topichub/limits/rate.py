"""Request rate limits per tenant, with several windows at once (minute, hour, day).

Strategy: the ``limits`` library's **sliding window counter**. It keeps two counters per
window (current and previous) and weights the previous one by how much of it still
overlaps the sliding window, so there is no 2x burst at window boundaries as with a fixed
window, while costing O(1) memory and one atomic Lua script per hit in Redis (the moving
window keeps one entry per request: 1,000,000 sorted-set members for a per-day limit).
A hit that does not fit is refused by the library *without* being counted.

One ``hit`` checks every window first and counts the request in all of them only when
all have room, so a refused request consumes nothing: a client hammering a full minute
window does not drain its hour and day budgets. Check and count are separate steps, so
under a race between processes a request can pass the check and then be refused by one
window's atomic count; it is then refused, and has been counted at most once in the
windows that accepted it. Each window's count is atomic (a Lua script in Redis; a lock
in memory); the windows are not updated as one transaction.

Counters are not durable: a Redis restart or a process restart resets them, which only
ever errs in the client's favour. Changing a tenant's limit starts fresh counters for
that window, because the ``limits`` key includes the amount.

**When Redis is down the limiter fails open to per-process limits.** Rate limits protect
capacity, not correctness, so a Redis outage must not turn every request into a 429 or a
500. Each process then enforces the same policy on its own in-process storage (so the
cluster-wide rate is at most ``processes x limit``), every such decision has
``degraded=True``, ``storage_errors`` counts the failures for metrics, and a warning is
logged at most every 30 seconds. After a failure Redis is not tried again for
``retry_interval`` seconds, so an unreachable server does not add a connect timeout to
every request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
)
from redis.asyncio import BlockingConnectionPool

from topichub.limits.store import DEFAULT_KEY_PREFIX, STORE_ERRORS, DegradedLog, blocking_pool

_ERRORS: Final = (*STORE_ERRORS, StorageError)


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """Requests allowed per window; ``None`` switches a window off, 0 blocks everything."""

    per_minute: int | None = 1_000
    per_hour: int | None = 50_000
    per_day: int | None = 1_000_000

    def windows(self) -> tuple[tuple[str, int, RateLimitItem], ...]:
        out: list[tuple[str, int, RateLimitItem]] = []
        for name, amount, item_type in (
            ("minute", self.per_minute, RateLimitItemPerMinute),
            ("hour", self.per_hour, RateLimitItemPerHour),
            ("day", self.per_day, RateLimitItemPerDay),
        ):
            if amount is not None:
                if amount < 0:
                    raise ValueError(f"per_{name} must be >= 0, got {amount}")
                item = item_type(amount, namespace="rl")
                out.append((name, item.get_expiry(), item))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class WindowState:
    """One window after a decision: its quota, what is left, and the seconds until
    quota comes back (the next unit for an allowed request, this request's fit for a
    refused one)."""

    name: str
    seconds: int
    limit: int
    remaining: int
    reset_after: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one hit. ``limit``/``remaining``/``reset_at`` describe the most
    constraining window: for an allowed request the one with the least left, for a
    refused one the one that makes the client wait longest. ``reset_at`` is epoch
    seconds; ``retry_after`` is set (>= 1) only when refused."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int | None
    window: str | None
    windows: tuple[WindowState, ...]
    degraded: bool = False

    def headers(self) -> dict[str, str]:
        """Seed 003's ``X-RateLimit-*``, the IETF draft's ``RateLimit-Policy`` and
        ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers-08+, constraining window
        first) and, when refused, ``Retry-After``."""
        if not self.windows:
            return {}
        ordered = sorted(self.windows, key=lambda w: w.name != self.window)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "RateLimit-Policy": ", ".join(
                f'"{w.name}";q={w.limit};w={w.seconds}' for w in self.windows
            ),
            "RateLimit": ", ".join(
                f'"{w.name}";r={w.remaining};t={w.reset_after}' for w in ordered
            ),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


T = TypeVar("T")


class _Backend:
    def __init__(self, storage: MemoryStorage | RedisStorage) -> None:
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        # Redis calls are round trips worth overlapping; memory calls never wait, and
        # a task per window per request would cost more than the counting itself.
        self.concurrent = isinstance(storage, RedisStorage)

    async def all(self, calls: list[Coroutine[Any, Any, T]]) -> list[T]:
        if self.concurrent:
            return list(await asyncio.gather(*calls))
        return [await call for call in calls]


class RateLimiter:
    """Multi-window rate limiter on in-process memory (``storage_uri`` None or
    ``memory://``) or Redis (``redis://…``); see the module docstring for semantics."""

    def __init__(
        self,
        storage_uri: str | None,
        *,
        key_prefix: str = f"{DEFAULT_KEY_PREFIX}:rate",
        socket_timeout: float = 2.0,
        max_connections: int = 64,
        pool_timeout: float = 2.0,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._memory = _Backend(MemoryStorage())
        self._redis: _Backend | None = None
        self._pool: BlockingConnectionPool | None = None
        if storage_uri and not storage_uri.startswith(("memory://", "async+memory://")):
            url = storage_uri.removeprefix("async+")
            self._pool = blocking_pool(
                url, socket_timeout, max_connections, pool_timeout, decode_responses=False
            )
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                f"async+{url}",
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=key_prefix,
                **options,
            )
            self._redis = _Backend(storage)
        self._retry_interval = retry_interval
        self._redis_retry_at = 0.0
        self._degraded = DegradedLog("rate limiter")

    @property
    def backend(self) -> str:
        return "redis" if self._redis is not None else "memory"

    @property
    def storage_errors(self) -> int:
        """How many times Redis failed and the in-process fallback decided instead."""
        return self._degraded.errors

    async def hit(self, key: str, policy: RatePolicy, cost: int = 1) -> RateDecision:
        """Count ``cost`` requests for ``key`` in every window of ``policy``, or refuse
        them all; see the module docstring for what is atomic."""
        if cost < 1:
            raise ValueError("cost must be >= 1")
        windows = policy.windows()
        if not windows:
            return RateDecision(True, 0, 0, int(self._clock()), None, None, ())
        if self._redis is not None:
            if time.monotonic() >= self._redis_retry_at:
                try:
                    return await self._hit(self._redis, key, windows, cost, degraded=False)
                except _ERRORS as exc:
                    self._degraded.record(exc)
                    self._redis_retry_at = time.monotonic() + self._retry_interval
            return await self._hit(self._memory, key, windows, cost, degraded=True)
        return await self._hit(self._memory, key, windows, cost, degraded=False)

    async def reset(self, key: str, policy: RatePolicy) -> None:
        """Forget ``key``'s counts in every window (admin action, tests)."""
        backend = self._redis or self._memory
        for _name, _seconds, item in policy.windows():
            await backend.strategy.clear(item, key)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def _hit(
        self,
        backend: _Backend,
        key: str,
        windows: tuple[tuple[str, int, RateLimitItem], ...],
        cost: int,
        *,
        degraded: bool,
    ) -> RateDecision:
        raw = await backend.all(
            [
                backend.storage.get_sliding_window(item.key_for(key), seconds)
                for _name, seconds, item in windows
            ]
        )
        now = self._clock()
        counts = [
            _Counts(name, seconds, item.amount, *values)
            for (name, seconds, item), values in zip(windows, raw, strict=True)
        ]
        refused = [c for c in counts if c.remaining < cost]
        if not refused:
            accepted = await backend.all(
                [backend.strategy.hit(item, key, cost=cost) for _n, _s, item in windows]
            )
            if all(accepted):
                return _allowed(counts, cost, now, degraded)
            refused = [c for c, ok in zip(counts, accepted, strict=True) if not ok]
        return _refused(counts, refused, cost, now, degraded)


@dataclass(frozen=True, slots=True)
class _Counts:
    """A sliding window counter as the ``limits`` storage reports it (TTLs in seconds)."""

    name: str
    seconds: int
    limit: int
    previous: int
    previous_ttl: float
    current: int
    current_ttl: float

    @property
    def used(self) -> int:
        # The same rounding as the limits library's acquire step.
        return math.floor(self.previous * self.previous_ttl / self.seconds) + self.current

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def after_hit(self, cost: int) -> _Counts:
        # A missing current counter is created with twice the window as its TTL.
        ttl = self.current_ttl if self.current_ttl > 0 else 2.0 * self.seconds
        return _Counts(
            self.name,
            self.seconds,
            self.limit,
            self.previous,
            self.previous_ttl,
            self.current + cost,
            ttl,
        )

    def seconds_until_fits(self, cost: int) -> float:
        """Seconds until ``cost`` more units fit, as the weighted previous counter decays
        and the current counter rolls over into the previous one."""
        if cost > self.limit:
            return float(self.seconds)
        allowance = self.limit - cost + 1
        room = allowance - self.current  # the weighted previous part must drop below this
        if room > 0:
            if self.previous * self.previous_ttl / self.seconds < room:
                return 0.0
            return max(0.0, self.previous_ttl - room * self.seconds / self.previous)
        until_roll = max(0.0, self.current_ttl - self.seconds)
        return until_roll + max(0.0, self.seconds * (1 - allowance / self.current))


def _state(counts: _Counts, remaining: int, reset_after: int) -> WindowState:
    return WindowState(counts.name, counts.seconds, counts.limit, remaining, reset_after)


def _allowed(counts: list[_Counts], cost: int, now: float, degraded: bool) -> RateDecision:
    states = []
    for c in counts:
        remaining = max(0, c.remaining - cost)
        after = c.after_hit(cost)
        states.append(_state(c, remaining, math.ceil(after.seconds_until_fits(remaining + 1))))
    tightest = min(states, key=lambda s: (s.remaining, -s.reset_after))
    return RateDecision(
        allowed=True,
        limit=tightest.limit,
        remaining=tightest.remaining,
        reset_at=math.ceil(now + tightest.reset_after),
        retry_after=None,
        window=tightest.name,
        windows=tuple(states),
        degraded=degraded,
    )


def _refused(
    counts: list[_Counts], refused: list[_Counts], cost: int, now: float, degraded: bool
) -> RateDecision:
    blocking = {c.name for c in refused}
    states = []
    for c in counts:
        if c.name in blocking:
            # Strictly after the instant the request would fit, and never "retry now".
            wait = math.floor(c.seconds_until_fits(cost)) + 1
        else:
            wait = math.ceil(c.seconds_until_fits(c.remaining + 1)) if c.remaining < c.limit else 0
        states.append(_state(c, c.remaining, wait))
    worst = max((s for s in states if s.name in blocking), key=lambda s: s.reset_after)
    return RateDecision(
        allowed=False,
        limit=worst.limit,
        remaining=worst.remaining,
        reset_at=math.ceil(now + worst.reset_after),
        retry_after=worst.reset_after,
        window=worst.name,
        windows=tuple(states),
        degraded=degraded,
    )
