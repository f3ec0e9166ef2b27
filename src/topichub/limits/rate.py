"""Request rate limits per tenant, with several windows at once (minute, hour, day).

Strategy: the ``limits`` library's **sliding window counter**. It keeps two counters per
window (current and previous) and weights the previous one by how much of it still
overlaps the sliding window, so there is no 2x burst at window boundaries as with a fixed
window, while costing O(1) memory (the moving window keeps one entry per request:
1,000,000 sorted-set members for a per-day limit). A hit that does not fit is refused
*without* being counted.

One ``hit`` checks every window and counts the request in all of them only when all
have room, so a refused request consumes nothing: a client hammering a full minute
window does not drain its hour and day budgets. Check and count are one atomic step:
in Redis one Lua script (``HIT_SCRIPT``, the library's per-window script run for every
window at once) does both for all windows, in **one round trip per request**; in
process (no Redis, or Redis down) ``_MemoryWindows`` computes the library's in-process
algorithm without an await in between, so a decision costs no I/O and no task switch.
A publish makes its hit inside the quota's script instead (``RateHit``, given to
``QuotaService.consume_in``): one round trip for both limits, never one per limit.

Counters are not durable: a Redis restart or a process restart resets them, which only
ever errs in the client's favour. Changing a tenant's limit starts fresh counters for
that window, because a counter's key includes the amount.

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

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from limits.errors import StorageError
from limits.limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
)
from redis.asyncio import BlockingConnectionPool, Redis
from redis.commands.core import AsyncScript

from topichub.kit.redis import blocking_pool
from topichub.limits.store import DEFAULT_KEY_PREFIX, STORE_ERRORS, DegradedLog

_ERRORS: Final = (*STORE_ERRORS, StorageError)


_MAX_CACHED: Final = 10_000
_WINDOWS: dict[RatePolicy, tuple[tuple[str, int, RateLimitItem], ...]] = {}
"""Each policy's windows (the ``limits`` items are a dozen attribute sets each)."""


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """Requests allowed per window; ``None`` switches a window off, 0 blocks everything."""

    per_minute: int | None = 1_000
    per_hour: int | None = 50_000
    per_day: int | None = 1_000_000

    def windows(self) -> tuple[tuple[str, int, RateLimitItem], ...]:
        """(name, seconds, item) of each window that is on; made once per policy."""
        found = _WINDOWS.get(self)
        if found is None:
            found = self._windows()
            if len(_WINDOWS) >= _MAX_CACHED:
                _WINDOWS.clear()
            _WINDOWS[self] = found
        return found

    def _windows(self) -> tuple[tuple[str, int, RateLimitItem], ...]:
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


# Every window of one hit in one atomic script: one round trip per request. Per window,
# the ``limits`` library's own sliding window counter (its acquire_sliding_window.lua):
# a current counter created with twice the window as its TTL and, once its TTL drops
# under one window, renamed to the previous counter, whose remaining TTL weights it.
# KEYS: previous and current key of each window. ARGV: cost, then limit and window
# seconds of each. Counts in every window only when all have room. Returns
# {allowed, then previous count, previous TTL ms, current count, current TTL ms of each
# window as they were before counting}.
HIT_SCRIPT = """
local cost = tonumber(ARGV[1])
local n = #KEYS / 2
local out = {1}
for i = 1, n do
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1]) * 1000
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
    local current_count = tonumber(redis.call('get', current_key)) or 0
    current_ttl = tonumber(redis.call('pttl', current_key)) or 0
    if previous_ttl < 0 then previous_ttl = 0 end
    if current_ttl < 0 then current_ttl = 0 end
    local used = math.floor(previous_count * previous_ttl / expiry) + current_count
    if cost > limit or used + cost > limit then
        out[1] = 0
    end
    table.insert(out, previous_count)
    table.insert(out, previous_ttl)
    table.insert(out, current_count)
    table.insert(out, current_ttl)
end
if out[1] == 1 then
    for i = 1, n do
        local current_key = KEYS[2 * i]
        if redis.call('exists', current_key) == 1 then
            redis.call('incrby', current_key, cost)
        else
            redis.call('set', current_key, cost, 'PX', tonumber(ARGV[2 * i + 1]) * 2000)
        end
    end
end
return out
"""


class _MemoryWindows:
    """The ``limits`` library's in-process sliding window counter, computed the same way
    (window keys aligned to the wall clock, a current counter created with twice the
    window as its TTL, the previous one weighted by its remaining share) but as plain
    synchronous dict operations: one decision is a few dict lookups, where the library's
    async storage takes a dozen awaits, locks and clock reads per window. No I/O, no
    await: the embedded default decides every request in memory."""

    __slots__ = ("_clock", "_counts", "_expires", "_next_sweep")

    SWEEP_S = 60.0

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._expires: dict[str, float] = {}
        self._next_sweep = 0.0

    def _get(self, key: str, now: float) -> int:
        if self._expires.get(key, 0.0) <= now:
            self._counts.pop(key, None)
            self._expires.pop(key, None)
            return 0
        return self._counts.get(key, 0)

    @staticmethod
    def _keys(key: str, seconds: int, now: float) -> tuple[str, str]:
        return f"{key}/{int((now - seconds) / seconds)}", f"{key}/{int(now / seconds)}"

    def window(self, key: str, seconds: int, now: float) -> tuple[int, float, int, float]:
        previous_key, current_key = self._keys(key, seconds, now)
        previous = self._get(previous_key, now)
        current = self._get(current_key, now)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - seconds) / seconds) % 1)) * seconds
        current_ttl = (1 - ((now / seconds) % 1)) * seconds + seconds
        return previous, previous_ttl, current, current_ttl

    def add(self, key: str, seconds: int, cost: int, now: float) -> None:
        _previous_key, current_key = self._keys(key, seconds, now)
        count = self._get(current_key, now) + cost
        self._counts[current_key] = count
        if count == cost:
            self._expires[current_key] = now + 2 * seconds
        if now >= self._next_sweep:
            self._sweep(now)

    def clear(self, key: str, seconds: int) -> None:
        for k in self._keys(key, seconds, self._clock()):
            self._counts.pop(k, None)
            self._expires.pop(k, None)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_S
        for k in [k for k, at in self._expires.items() if at <= now]:
            del self._expires[k]
            self._counts.pop(k, None)


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
        self._memory = _MemoryWindows(clock)
        # The storage keys of a key's windows (the library's key_for joins strings).
        self._keyed: dict[tuple[str, RatePolicy], list[tuple[str, str, int, int]]] = {}
        self._redis: AsyncScript | None = None
        self._url: str | None = None
        self._pool: BlockingConnectionPool | None = None
        self._key_prefix = key_prefix
        if storage_uri and not storage_uri.startswith(("memory://", "async+memory://")):
            url = storage_uri.removeprefix("async+")
            self._pool = blocking_pool(
                url, socket_timeout, max_connections, pool_timeout, decode_responses=False
            )
            self._client = Redis(connection_pool=self._pool)
            self._url = url
            self._redis = self._client.register_script(HIT_SCRIPT)
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
                    return await self._hit_redis(self._redis, key, windows, cost)
                except _ERRORS as exc:
                    self._degraded.record(exc)
                    self._redis_retry_at = time.monotonic() + self._retry_interval
            return self._hit_memory(key, policy, windows, cost, degraded=True)
        return self._hit_memory(key, policy, windows, cost, degraded=False)

    async def reset(self, key: str, policy: RatePolicy) -> None:
        """Forget ``key``'s counts in every window (admin action, tests)."""
        windows = policy.windows()
        if self._redis is not None:
            await self._client.delete(*self._redis_keys(key, windows))
        for _name, seconds, item in windows:
            self._memory.clear(item.key_for(key), seconds)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    def _hit_memory(
        self,
        key: str,
        policy: RatePolicy,
        windows: tuple[tuple[str, int, RateLimitItem], ...],
        cost: int,
        *,
        degraded: bool,
    ) -> RateDecision:
        """Check every window, then count in all of them; nothing can run in between
        (no await), so the two steps are one."""
        memory = self._memory
        now = self._clock()
        keyed = self._keyed.get((key, policy))
        if keyed is None:
            keyed = [
                (item.key_for(key), name, seconds, item.amount) for name, seconds, item in windows
            ]
            if len(self._keyed) >= _MAX_CACHED:
                self._keyed.clear()
            self._keyed[(key, policy)] = keyed
        # What _allowed does over _Counts, on plain values: every window is read once and
        # its use computed once (a refusal, rare, takes the general path).
        rows = []
        for k, name, seconds, amount in keyed:
            previous, previous_ttl, current, current_ttl = memory.window(k, seconds, now)
            left = amount - (math.floor(previous * previous_ttl / seconds) + current)
            if cost > amount or left < cost:
                counts = [_Counts(n, s, a, *memory.window(key_, s, now)) for key_, n, s, a in keyed]
                refused = [c for c in counts if cost > c.limit or c.remaining < cost]
                return _refused(counts, refused, cost, now, degraded)
            rows.append((name, seconds, amount, previous, previous_ttl, current, current_ttl, left))
        for k, _name, seconds, _amount in keyed:
            memory.add(k, seconds, cost, now)
        states = []
        for name, seconds, amount, previous, previous_ttl, current, current_ttl, left in rows:
            remaining = left - cost
            # After the hit: a missing current counter is created with twice the window.
            ttl = current_ttl if current_ttl > 0 else 2.0 * seconds
            wait = _until_fits(
                seconds, amount, previous, previous_ttl, current + cost, ttl, remaining + 1
            )
            states.append(WindowState(name, seconds, amount, remaining, math.ceil(wait)))
        return _decided(states, now, degraded)

    def _redis_keys(
        self, key: str, windows: tuple[tuple[str, int, RateLimitItem], ...]
    ) -> list[str]:
        # One hash tag (the key) for every window's counters: the script's keys share a
        # Redis Cluster slot.
        out = []
        for name, _seconds, item in windows:
            current = f"{self._key_prefix}:{{{key}}}:{name}:{item.amount}"
            out += [current + "/-1", current]
        return out

    async def _hit_redis(
        self,
        script: AsyncScript,
        key: str,
        windows: tuple[tuple[str, int, RateLimitItem], ...],
        cost: int,
    ) -> RateDecision:
        """Check and count every window in one script: one round trip, and the windows
        are counted as one atomic step."""
        args: list[int] = [cost]
        for _name, seconds, item in windows:
            args += [item.amount, seconds]
        raw = await script(keys=self._redis_keys(key, windows), args=args)
        return self._from_redis(raw, windows, cost)

    def redis_script(
        self, key: str, policy: RatePolicy, url: str, cost: int = 1
    ) -> tuple[list[str], list[int]] | None:
        """The keys and arguments of ``HIT_SCRIPT`` for this hit, for a caller that runs
        it inside its own script on the Redis server at ``url`` (one round trip for
        both): None unless this limiter decides in that Redis now (not in memory, not
        waiting out ``retry_interval``, at least one window on)."""
        windows = policy.windows()
        if self._url != url or not windows or time.monotonic() < self._redis_retry_at:
            return None
        args: list[int] = [cost]
        for _name, seconds, item in windows:
            args += [item.amount, seconds]
        return self._redis_keys(key, windows), args

    def redis_decision(self, raw: list[int], policy: RatePolicy, cost: int = 1) -> RateDecision:
        """The decision from what ``HIT_SCRIPT`` returned (run by ``redis_script``'s
        caller)."""
        return self._from_redis(raw, policy.windows(), cost)

    def redis_failed(
        self, exc: BaseException, key: str, policy: RatePolicy, cost: int = 1
    ) -> RateDecision:
        """The caller of ``redis_script`` could not reach Redis: as ``hit`` does then,
        count the failure, leave Redis alone for ``retry_interval`` and decide in
        process."""
        self._degraded.record(exc)
        self._redis_retry_at = time.monotonic() + self._retry_interval
        return self._hit_memory(key, policy, policy.windows(), cost, degraded=True)

    def _from_redis(
        self, raw: list[int], windows: tuple[tuple[str, int, RateLimitItem], ...], cost: int
    ) -> RateDecision:
        now = self._clock()
        counts = [
            _Counts(
                name,
                seconds,
                item.amount,
                int(raw[1 + 4 * i]),
                int(raw[2 + 4 * i]) / 1000,
                int(raw[3 + 4 * i]),
                int(raw[4 + 4 * i]) / 1000,
            )
            for i, (name, seconds, item) in enumerate(windows)
        ]
        if int(raw[0]) == 1:
            return _allowed(counts, cost, now, False)
        refused = [c for c in counts if c.remaining < cost]
        # Redis's arithmetic decided; should float rounding here disagree, blame the
        # window with the least room.
        return _refused(
            counts, refused or [min(counts, key=lambda c: c.remaining)], cost, now, False
        )


@dataclass(slots=True)
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
        return _until_fits(
            self.seconds,
            self.limit,
            self.previous,
            self.previous_ttl,
            self.current,
            self.current_ttl,
            cost,
        )


def _until_fits(
    seconds: int,
    limit: int,
    previous: int,
    previous_ttl: float,
    current: int,
    current_ttl: float,
    cost: int,
) -> float:
    """``_Counts.seconds_until_fits`` of these counts."""
    if cost > limit:
        return float(seconds)
    allowance = limit - cost + 1
    room = allowance - current  # the weighted previous part must drop below this
    if room > 0:
        if previous * previous_ttl / seconds < room:
            return 0.0
        return max(0.0, previous_ttl - room * seconds / previous)
    until_roll = max(0.0, current_ttl - seconds)
    return until_roll + max(0.0, seconds * (1 - allowance / current))


def _state(counts: _Counts, remaining: int, reset_after: int) -> WindowState:
    return WindowState(counts.name, counts.seconds, counts.limit, remaining, reset_after)


def _allowed(counts: list[_Counts], cost: int, now: float, degraded: bool) -> RateDecision:
    states = []
    for c in counts:
        remaining = max(0, c.remaining - cost)
        after = c.after_hit(cost)
        states.append(_state(c, remaining, math.ceil(after.seconds_until_fits(remaining + 1))))
    return _decided(states, now, degraded)


def _decided(states: list[WindowState], now: float, degraded: bool) -> RateDecision:
    """An allowed request's decision: the window with the least left leads."""
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


@dataclass(slots=True, eq=False)
class RateHit:
    """One hit of ``key`` under ``policy``, handed to code that can make it in the same
    Redis round trip as its own work (``QuotaService.consume_in``) or, failing that,
    with ``run``. ``settle`` receives the decision and raises to refuse the request.
    ``attempted`` is true once the hit may have been counted."""

    limiter: RateLimiter
    key: str
    policy: RatePolicy
    settle: Callable[[RateDecision], None]
    attempted: bool = False

    async def run(self) -> None:
        """Make the hit alone (its own round trip with Redis) and settle it."""
        self.attempted = True
        self.settle(await self.limiter.hit(self.key, self.policy))
