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
_Windows = tuple[tuple[str, int, RateLimitItem], ...]
_WINDOWS: dict[RatePolicy, tuple[_Windows, str]] = {}
"""Each policy's windows (the ``limits`` items are a dozen attribute sets each) and its
``RateLimit-Policy`` header."""


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """Requests allowed per window; ``None`` switches a window off, 0 blocks everything."""

    per_minute: int | None = 1_000
    per_hour: int | None = 50_000
    per_day: int | None = 1_000_000

    def windows(self) -> _Windows:
        """(name, seconds, item) of each window that is on; made once per policy."""
        return self._compiled()[0]

    def header(self) -> str:
        """The ``RateLimit-Policy`` header: each window's quota and length."""
        return self._compiled()[1]

    def _compiled(self) -> tuple[_Windows, str]:
        found = _WINDOWS.get(self)
        if found is None:
            windows = self._windows()
            found = (
                windows,
                ", ".join(
                    f'"{name}";q={item.amount};w={seconds}' for name, seconds, item in windows
                ),
            )
            if len(_WINDOWS) >= _MAX_CACHED:
                _WINDOWS.clear()
            _WINDOWS[self] = found
        return found

    def _windows(self) -> _Windows:
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


_Row = tuple[str, int, int, int, int]
"""A ``WindowState``'s fields as a plain tuple: what a decision keeps of each window (a
publish reads only its headers, so the ``WindowState`` objects are made on demand)."""


@dataclass(slots=True, eq=False)
class RateDecision:
    """The outcome of one hit. ``limit``/``remaining``/``reset_at`` describe the most
    constraining window: for an allowed request the one with the least left, for a
    refused one the one that makes the client wait longest. ``reset_at`` is epoch
    seconds; ``retry_after`` is set (>= 1) only when refused. Not frozen (a frozen
    dataclass pays an ``object.__setattr__`` per field on every request), but never
    changed once made."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int | None
    window: str | None
    rows: tuple[_Row, ...]
    """The windows in policy order, as ``WindowState`` fields (see ``windows``)."""
    lead: int = 0
    """The index in ``rows`` of ``window``, the constraining one."""
    policy_header: str = ""
    """The ``RateLimit-Policy`` value, made once per policy (``RatePolicy.header``)."""
    degraded: bool = False

    @property
    def windows(self) -> tuple[WindowState, ...]:
        return tuple(WindowState(*row) for row in self.rows)

    def headers(self) -> dict[str, str]:
        """Seed 003's ``X-RateLimit-*``, the IETF draft's ``RateLimit-Policy`` and
        ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers-08+, constraining window
        first) and, when refused, ``Retry-After``."""
        rows = self.rows
        if not rows:
            return {}
        parts = [f'"{name}";r={remaining};t={reset}' for name, _s, _l, remaining, reset in rows]
        if self.lead:
            parts.insert(0, parts.pop(self.lead))
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "RateLimit-Policy": self.policy_header,
            "RateLimit": ", ".join(parts),
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


class _Window:
    """One window's sliding window counter of one key, in process: the counts of the two
    newest buckets counted in (a bucket is the window-aligned wall-clock number
    ``int(now / seconds)``). A decision reads only the current bucket and the one
    before it, and the library's storage keeps a bucket's counter for two windows from
    its first hit, so for a clock that does not step back nothing older is ever read:
    where the library lets a counter expire, this one is overwritten. A clock stepping
    back over a whole window may lose the counts stepped over (the client's favour)."""

    __slots__ = ("amount", "bucket", "count", "name", "old_bucket", "old_count", "seconds")

    def __init__(self, name: str, seconds: int, amount: int) -> None:
        self.name = name
        self.seconds = seconds
        self.amount = amount
        self.clear()

    def clear(self) -> None:
        self.bucket = self.old_bucket = -1
        self.count = self.old_count = 0

    def read(self, now: float) -> tuple[int, float, int, float]:
        """(previous count, its TTL, current count, its TTL) as the library's storage
        reports them at ``now`` (TTLs in seconds)."""
        seconds = self.seconds
        at = now / seconds
        since = (now - seconds) / seconds
        current = self._count(int(at))
        previous = self._count(int(since))
        previous_ttl = 0.0 if previous == 0 else (1 - (since % 1)) * seconds
        return previous, previous_ttl, current, (1 - (at % 1)) * seconds + seconds

    def _count(self, bucket: int) -> int:
        if bucket == self.bucket:
            return self.count
        return self.old_count if bucket == self.old_bucket else 0

    def add(self, bucket: int, cost: int) -> None:
        if bucket == self.bucket:
            self.count += cost
        elif bucket == self.old_bucket:
            self.old_count += cost
        elif bucket > self.bucket:
            self.old_bucket, self.old_count = self.bucket, self.count
            self.bucket, self.count = bucket, cost
        else:
            self.old_bucket, self.old_count = bucket, cost


class _MemoryWindows:
    """The ``limits`` library's in-process sliding window counter, computed the same way
    (buckets aligned to the wall clock, a current counter living twice the window, the
    previous one weighted by its remaining share) on plain objects: one ``_Window`` per
    key, window and amount (so policies that share a window's amount share its counts,
    as the library's keys do), found for a (key, policy) with one dict lookup. No I/O,
    no await: the embedded default decides every request in memory, and ``hit`` checks
    and counts every window with nothing running in between."""

    __slots__ = ("_next_sweep", "_slots", "_windows")

    SWEEP_S = 60.0

    def __init__(self) -> None:
        self._windows: dict[tuple[str, int, int], _Window] = {}
        self._slots: dict[tuple[str, RatePolicy], tuple[tuple[_Window, ...], str]] = {}
        self._next_sweep = 0.0

    def slot(self, key: str, policy: RatePolicy) -> tuple[tuple[_Window, ...], str]:
        """``key``'s windows under ``policy`` and the policy's header."""
        found = self._slots.get((key, policy))
        if found is None:
            windows = []
            for name, seconds, item in policy.windows():
                window = self._windows.get((key, seconds, item.amount))
                if window is None:
                    window = self._windows[key, seconds, item.amount] = _Window(
                        name, seconds, item.amount
                    )
                windows.append(window)
            found = tuple(windows), policy.header()
            if len(self._slots) >= _MAX_CACHED:
                self._slots.clear()
            self._slots[key, policy] = found
        return found

    def hit(
        self, key: str, policy: RatePolicy, cost: int, now: float, degraded: bool
    ) -> RateDecision:
        """Check every window, then count in all of them. For an allowed hit this is
        ``_Window.read`` and ``_allowed`` on plain values, simplified where the hit's
        own numbers settle a branch (``test_rate_equivalence`` compares it with the
        general computation); a refusal, rare, takes the general path."""
        windows, header = self._slots.get((key, policy)) or self.slot(key, policy)
        if not windows:
            return RateDecision(True, 0, 0, int(now), None, None, ())
        rows: list[_Row] = []
        buckets = []
        for w in windows:
            seconds = w.seconds
            at = now / seconds
            bucket = int(at)
            since = (now - seconds) / seconds
            if w.bucket == bucket:
                current = w.count
                previous = w.old_count if w.old_bucket == int(since) else 0
            else:
                current = w.old_count if w.old_bucket == bucket else 0
                previous = w.count if w.bucket == int(since) else 0
            amount = w.amount
            # _until_fits(remaining + 1) after the hit: the room it looks for is exactly
            # the weighted previous count, which frees up as the previous bucket decays;
            # with none, the current count frees up when it rolls over.
            if previous:
                previous_ttl = (1 - (since % 1)) * seconds
                weighted = math.floor(previous * previous_ttl / seconds)
                left = amount - (weighted + current)
                wait = math.ceil(max(0.0, previous_ttl - weighted * seconds / previous))
            else:
                left = amount - current
                wait = math.ceil((1 - (at % 1)) * seconds + seconds - seconds)
            if cost > amount or left < cost:
                counts = [_Counts(x.name, x.seconds, x.amount, *x.read(now)) for x in windows]
                refused = [c for c in counts if cost > c.limit or c.remaining < cost]
                return _refused(counts, refused, header, cost, now, degraded)
            rows.append((w.name, seconds, amount, left - cost, wait))
            buckets.append(bucket)
        for w, bucket in zip(windows, buckets, strict=True):
            if w.bucket == bucket:
                w.count += cost
            else:
                w.add(bucket, cost)
        if now >= self._next_sweep:
            self._sweep(now)
        return _decided(rows, header, now, degraded)

    def reset(self, key: str, policy: RatePolicy) -> None:
        for _name, seconds, item in policy.windows():
            window = self._windows.get((key, seconds, item.amount))
            if window is not None:
                window.clear()

    def _sweep(self, now: float) -> None:
        """Forget the windows whose newest bucket is older than the previous one (their
        counts no longer matter), and the slots that point at them."""
        self._next_sweep = now + self.SWEEP_S
        stale = [
            k for k, w in self._windows.items() if w.bucket < int((now - w.seconds) / w.seconds)
        ]
        for k in stale:
            del self._windows[k]
        if stale:
            self._slots.clear()


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
        self._memory = _MemoryWindows()
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
        if self._redis is None:
            return self._memory.hit(key, policy, cost, self._clock(), False)
        windows = policy.windows()
        if not windows:
            return RateDecision(True, 0, 0, int(self._clock()), None, None, ())
        if time.monotonic() >= self._redis_retry_at:
            try:
                return await self._hit_redis(self._redis, key, policy, cost)
            except _ERRORS as exc:
                self._degraded.record(exc)
                self._redis_retry_at = time.monotonic() + self._retry_interval
        return self._memory.hit(key, policy, cost, self._clock(), True)

    async def reset(self, key: str, policy: RatePolicy) -> None:
        """Forget ``key``'s counts in every window (admin action, tests)."""
        if self._redis is not None:
            await self._client.delete(*self._redis_keys(key, policy.windows()))
        self._memory.reset(key, policy)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

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
        policy: RatePolicy,
        cost: int,
    ) -> RateDecision:
        """Check and count every window in one script: one round trip, and the windows
        are counted as one atomic step."""
        windows = policy.windows()
        args: list[int] = [cost]
        for _name, seconds, item in windows:
            args += [item.amount, seconds]
        raw = await script(keys=self._redis_keys(key, windows), args=args)
        return self._from_redis(raw, policy, cost)

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
        return self._from_redis(raw, policy, cost)

    def redis_failed(
        self, exc: BaseException, key: str, policy: RatePolicy, cost: int = 1
    ) -> RateDecision:
        """The caller of ``redis_script`` could not reach Redis: as ``hit`` does then,
        count the failure, leave Redis alone for ``retry_interval`` and decide in
        process."""
        self._degraded.record(exc)
        self._redis_retry_at = time.monotonic() + self._retry_interval
        return self._memory.hit(key, policy, cost, self._clock(), True)

    def _from_redis(self, raw: list[int], policy: RatePolicy, cost: int) -> RateDecision:
        now = self._clock()
        windows, header = policy.windows(), policy.header()
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
            return _allowed(counts, header, cost, now, False)
        refused = [c for c in counts if c.remaining < cost]
        # Redis's arithmetic decided; should float rounding here disagree, blame the
        # window with the least room.
        return _refused(
            counts, refused or [min(counts, key=lambda c: c.remaining)], header, cost, now, False
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


def _row(counts: _Counts, remaining: int, reset_after: int) -> _Row:
    return counts.name, counts.seconds, counts.limit, remaining, reset_after


def _allowed(
    counts: list[_Counts], header: str, cost: int, now: float, degraded: bool
) -> RateDecision:
    """An allowed request's decision, from the counts as they were before the hit."""
    rows = []
    for c in counts:
        remaining = max(0, c.remaining - cost)
        after = c.after_hit(cost)
        rows.append(_row(c, remaining, math.ceil(after.seconds_until_fits(remaining + 1))))
    return _decided(rows, header, now, degraded)


def _decided(rows: list[_Row], header: str, now: float, degraded: bool) -> RateDecision:
    """An allowed request's decision from its windows' rows: the window with the least
    left leads (the first of those that waits longest)."""
    lead = 0
    for i in range(1, len(rows)):
        row, best = rows[i], rows[lead]
        if row[3] < best[3] or (row[3] == best[3] and row[4] > best[4]):
            lead = i
    name, _seconds, limit, remaining, wait = rows[lead]
    return RateDecision(
        True,
        limit,
        remaining,
        math.ceil(now + wait),
        None,
        name,
        tuple(rows),
        lead,
        header,
        degraded,
    )


def _refused(
    counts: list[_Counts],
    refused: list[_Counts],
    header: str,
    cost: int,
    now: float,
    degraded: bool,
) -> RateDecision:
    blocking = {c.name for c in refused}
    rows = []
    for c in counts:
        if c.name in blocking:
            # Strictly after the instant the request would fit, and never "retry now".
            wait = math.floor(c.seconds_until_fits(cost)) + 1
        else:
            wait = math.ceil(c.seconds_until_fits(c.remaining + 1)) if c.remaining < c.limit else 0
        rows.append(_row(c, c.remaining, wait))
    worst = max((i for i, r in enumerate(rows) if r[0] in blocking), key=lambda i: rows[i][4])
    name, _seconds, limit, remaining, reset_after = rows[worst]
    return RateDecision(
        False,
        limit,
        remaining,
        math.ceil(now + reset_after),
        reset_after,
        name,
        tuple(rows),
        worst,
        header,
        degraded,
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
