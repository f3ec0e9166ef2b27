"""Daily quotas (seed 000): messages and bytes per UTC day, per user, project, tenant and
cluster, in each direction ("in" = published, "out" = delivered to streams).

**Fast.** No database write per message: the live counters sit in this process
(``MemoryStore``) or in Redis (``RedisStore``). ``consume_in`` checks every limited scope
and records the consumption in all of them, or in none: in memory the check and the
update run without an ``await`` in between, so no other coroutine interleaves; in Redis
one Lua script does both, so any number of processes never together exceed a limit.
A publish's rate-limit hit (``rate=``) runs in the same script, before the quota and
consuming none when refused: with Redis one round trip decides both limits.

**Durable.** ``flush()`` writes the counters that changed to ``usage_counters`` in
batches, as absolute values that can only grow (``GREATEST``), so a repeated or
concurrent flush from any process is harmless. ``start()`` flushes every
``flush_interval`` seconds and ``stop()`` flushes once more. Anything counted since the
last flush is lost if the process dies (memory) or if Redis loses its data (Redis);
either way the loss is bounded by one flush interval. A counter's first use in a process
(memory) or after Redis lost it loads today's stored value first, so restarts do not
reset anyone's day. Redis keys expire two days after their last change.

**Redis down.** Quotas fail open: a publish is not refused because the counter store is
unreachable. The decision has ``degraded=True``, ``storage_errors`` counts it, a warning
is logged at most every 30 s, and the consumption is kept in this process and added to
Redis by the next ``flush()`` that reaches it, so usage is still recorded. Limits are not
enforced for traffic accepted during the outage.

The day is the UTC date of the injected ``clock``; a request straddling midnight counts
towards the day on which it was checked.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Final, Protocol, cast

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from topichub.kit.db import create_sessionmaker
from topichub.kit.periodic import Periodic
from topichub.kit.time import utcnow
from topichub.limits.rate import HIT_SCRIPT, RateHit
from topichub.limits.repository import load_usage, load_usage_range, store_usage
from topichub.limits.store import (
    DegradedLog,
    LimitsStore,
    RedisStore,
    StoreUnavailable,
    store_errors,
)
from topichub.limits.values import (
    CLUSTER_SCOPE_ID,
    FREE_POOL_ID,
    CounterKey,
    Direction,
    Metric,
    QuotaBreach,
    QuotaDecision,
    QuotaLimits,
    Remaining,
    Scope,
    Usage,
)

log = logging.getLogger(__name__)

_METRICS: Final[tuple[Metric, Metric]] = ("messages", "bytes")
_FIELDS: Final = ("messages_in", "bytes_in", "messages_out", "bytes_out")
KEY_TTL_S: Final = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class _Check:
    index: int  # into the keys of one call
    metric: Metric
    limit: int


@dataclass(frozen=True, slots=True)
class _Applied:
    """Per key (messages, bytes) of the direction: after the update when ``ok``, as
    found when refused by ``failed``."""

    ok: bool
    values: list[tuple[int, int]]
    failed: _Check | None = None


@dataclass(frozen=True, slots=True)
class _Missing:
    keys: list[CounterKey]


class _Counters(Protocol):
    def known(self, key: CounterKey) -> bool: ...

    async def install(self, rows: dict[CounterKey, Usage]) -> None: ...

    async def apply(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
    ) -> _Applied | _Missing: ...

    async def read(self, key: CounterKey) -> Usage | None: ...

    async def take_dirty(self) -> tuple[list[tuple[CounterKey, Usage]], object]: ...

    async def settle_dirty(self, token: object, *, written: bool) -> None: ...

    def prune(self, today: date) -> None: ...


class QuotaService:
    """Daily quota counters on a ``MemoryStore`` or ``RedisStore``; see the module
    docstring for what is atomic and what is durable."""

    def __init__(
        self,
        store: LimitsStore,
        db: AsyncEngine | async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        *,
        flush_interval: float = 5.0,
    ) -> None:
        self._sessions = create_sessionmaker(db) if isinstance(db, AsyncEngine) else db
        self._clock = clock
        # A consumption reads the clock as epoch seconds: the default clock as
        # time.time() (the instant utcnow() would give, without making a datetime), an
        # injected one through its datetime.
        self._seconds: Callable[[], float] = (
            time.time if clock is utcnow else lambda: clock().timestamp()
        )
        self._day = _Day.of(self._seconds())
        self._counters: _Counters = (
            _RedisCounters(store) if isinstance(store, RedisStore) else _MemoryCounters()
        )
        self._memory = self._counters if isinstance(self._counters, _MemoryCounters) else None
        self._load_locks: dict[CounterKey, asyncio.Lock] = {}
        # The counters and checks of one call depend on nothing but its arguments and the
        # day. Keyed by the limits' identity (hashing them costs more than the rest of
        # the key; a changed plan or limit is another object, so it applies at once);
        # a cached plan holds its limits, so their id is not reused meanwhile.
        self._plans: dict[tuple[str, str, str | None, str | None, int], _Plan] = {}
        self._pending: dict[CounterKey, Usage] = {}
        self._degraded = DegradedLog("quota counters")
        self._flush_lock = asyncio.Lock()
        # A failed flush is logged and tried again at the next interval (kit.periodic).
        self._flusher = Periodic(self.flush, flush_interval, name="quota-flush")

    @property
    def storage_errors(self) -> int:
        """How many consumptions were accepted unchecked because Redis was unreachable."""
        return self._degraded.errors

    # -- consuming ---------------------------------------------------------------------

    async def consume_in(
        self,
        user_id: str,
        project_id: str | None,
        messages: int,
        nbytes: int,
        limits: QuotaLimits,
        *,
        tenant_id: str | None = None,
        rate: RateHit | None = None,
    ) -> QuotaDecision:
        """Check user, project, tenant (when limited) and cluster limits for a publish
        of ``messages`` totalling ``nbytes``; record it in every scope or in none.

        ``rate``, the request's rate-limit hit, is made first: in the same script as
        the quota when both live on the same Redis (one round trip, and a refused hit
        consumes no quota), else on its own before the quota."""
        return await self._consume(
            "in", user_id, project_id, tenant_id, messages, nbytes, limits, enforce=True, rate=rate
        )

    async def consume_out(
        self,
        user_id: str,
        project_id: str | None,
        messages: int,
        nbytes: int,
        limits: QuotaLimits,
        *,
        tenant_id: str | None = None,
        enforce: bool = False,
    ) -> QuotaDecision:
        """Record deliveries. By default never refuses (a message already read from
        the log is delivered); the stream stops once ``decision.remaining.exhausted``.
        With ``enforce=True`` it checks like ``consume_in``."""
        return await self._consume(
            "out", user_id, project_id, tenant_id, messages, nbytes, limits, enforce=enforce
        )

    async def remaining_out(
        self,
        user_id: str,
        project_id: str | None,
        limits: QuotaLimits,
        *,
        tenant_id: str | None = None,
    ) -> Remaining:
        """What may still be delivered today; check before opening a stream."""
        decision = await self._consume(
            "out", user_id, project_id, tenant_id, 0, 0, limits, enforce=False
        )
        return decision.remaining

    async def _consume(
        self,
        direction: Direction,
        user_id: str,
        project_id: str | None,
        tenant_id: str | None,
        messages: int,
        nbytes: int,
        limits: QuotaLimits,
        *,
        enforce: bool,
        rate: RateHit | None = None,
    ) -> QuotaDecision:
        if messages < 0 or nbytes < 0:
            raise ValueError("messages and bytes must be >= 0")
        now = self._seconds()
        day = self._day
        if not day.start <= now < day.end:
            day = self._day = _Day.of(now)
        plan_key = (direction, user_id, project_id, tenant_id, id(limits))
        plan = self._plans.get(plan_key)
        if plan is None or plan.day != day.date:
            plan = _plan(direction, user_id, project_id, tenant_id, day.date, limits)
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            self._plans[plan_key] = plan
        keys, limited = plan.keys, plan.checks
        script: tuple[list[str], list[int]] | None = None
        if rate is not None:
            counters = self._counters
            if (messages or nbytes) and isinstance(counters, _RedisCounters):
                script = rate.limiter.redis_script(rate.key, rate.policy, counters.url)
            if script is None:
                await rate.run()
        if self._memory is not None and (messages or nbytes):
            left = self._memory.consume(plan, messages, nbytes, enforce)
            if left is not None:
                return _decision(day, now, True, Remaining(*left))
        try:
            checks = limited if enforce else []
            if rate is not None and script is not None:
                applied = await self._apply_rated(
                    keys, direction, messages, nbytes, checks, rate, script
                )
            elif messages or nbytes:
                applied = await self._apply(keys, direction, messages, nbytes, checks)
            else:
                applied = await self._peek(keys, direction)
        except StoreUnavailable as exc:
            if rate is not None and script is not None:
                # Not decided yet (a decided hit is settled and nothing follows it): the
                # rate limiter fails open as its own ``hit`` does, and may refuse.
                rate.attempted = True
                rate.settle(rate.limiter.redis_failed(exc, rate.key, rate.policy))
            self._degraded.record(exc)
            delta = Usage().plus(direction, messages, nbytes)
            for key in keys:
                self._pending[key] = self._pending.get(key, Usage()) + delta
            return _decision(day, now, True, Remaining(None, None), degraded=True)
        remaining = _remaining(applied.values, limited)
        if applied.ok:
            return _decision(day, now, True, remaining)
        failed = cast(_Check, applied.failed)
        key = keys[failed.index]
        used = applied.values[failed.index][0 if failed.metric == "messages" else 1]
        exceeded = QuotaBreach(
            scope=key.scope,
            scope_id=key.scope_id,
            direction=direction,
            metric=failed.metric,
            limit=failed.limit,
            used=used,
            requested=messages if failed.metric == "messages" else nbytes,
        )
        return _decision(day, now, False, remaining, exceeded)

    async def _apply(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
    ) -> _Applied:
        for _attempt in range(3):
            result = await self._counters.apply(keys, direction, messages, nbytes, checks)
            if isinstance(result, _Applied):
                return result
            await self._load(result.keys, force=True)
        raise RuntimeError("usage counters keep disappearing from the store")

    async def _apply_rated(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
        rate: RateHit,
        script: tuple[list[str], list[int]],
    ) -> _Applied:
        """``_apply`` with the rate-limit hit in the same script: the hit is settled
        (raising when refused, before any quota is consumed), then the quota decided."""
        counters = cast(_RedisCounters, self._counters)
        for _attempt in range(3):
            rate.attempted = True
            raw, result = await counters.apply_rated(
                keys, direction, messages, nbytes, checks, *script
            )
            if raw is None:
                # Counters missing: the script did nothing, the hit included.
                rate.attempted = False
                await self._load(cast(_Missing, result).keys, force=True)
                continue
            rate.settle(rate.limiter.redis_decision(raw, rate.policy))
            return cast(_Applied, result)
        raise RuntimeError("usage counters keep disappearing from the store")

    async def _peek(self, keys: list[CounterKey], direction: Direction) -> _Applied:
        values = []
        for key in keys:
            usage = await self._counters.read(key)
            if usage is None:
                await self._load([key], force=True)
                usage = await self._counters.read(key) or Usage()
            values.append((usage.get(direction, "messages"), usage.get(direction, "bytes")))
        return _Applied(True, values)

    async def _load(self, keys: Sequence[CounterKey], *, force: bool = False) -> None:
        """Bring stored counters into the live store, once per key even when many
        callers miss it at the same time. ``force`` reloads keys the store reported
        missing although this process had loaded them (Redis lost its data)."""
        ordered = sorted(set(keys), key=lambda k: (k.day, k.scope, k.scope_id))
        wanted = ordered if force else [k for k in ordered if not self._counters.known(k)]
        if not wanted:
            return
        locked = wanted
        async with AsyncExitStack() as stack:
            locks = [self._load_locks.setdefault(k, asyncio.Lock()) for k in locked]
            waited = False
            for lock in locks:
                waited |= lock.locked()
                await stack.enter_async_context(lock)
            if waited:
                # Someone loaded while we waited; the store's HSETNX/setdefault make a
                # second load harmless, this only saves the query.
                wanted = [k for k in wanted if not self._counters.known(k)]
            if wanted:
                async with self._sessions() as session:
                    rows = await load_usage(session, wanted)
                await self._counters.install({k: rows.get(k, Usage()) for k in wanted})
        for key in locked:
            self._load_locks.pop(key, None)

    # -- reading -----------------------------------------------------------------------

    async def usage(self, scope: Scope, scope_id: str, day: date | None = None) -> Usage:
        """Current counts of one scope on one UTC day (today by default)."""
        key = CounterKey(scope, scope_id, day or self._now().date())
        try:
            live = await self._counters.read(key)
        except StoreUnavailable as exc:
            self._degraded.record(exc)
            live = None
        if live is not None:
            return live
        async with self._sessions() as session:
            stored = (await load_usage(session, [key])).get(key, Usage())
        return stored + self._pending.get(key, Usage())

    async def history(self, scope: Scope, scope_id: str, days: int) -> list[tuple[date, Usage]]:
        """Counts of one scope on each of the last ``days`` UTC days including today,
        oldest first, every day present (zeros where nothing was counted). Earlier days
        come from ``usage_counters`` in one query; today's are the live counts, as
        ``usage`` reports them."""
        if days < 1:
            raise ValueError("days must be >= 1")
        today = self._now().date()
        first = today - timedelta(days=days - 1)
        async with self._sessions() as session:
            stored = await load_usage_range(session, scope, scope_id, first, today)
        counts = {
            day: stored.get(day, Usage())
            for day in (first + timedelta(days=i) for i in range(days))
        }
        counts[today] = await self.usage(scope, scope_id, today)
        yesterday = today - timedelta(days=1)
        if yesterday in counts:
            # Its last seconds may still wait for a flush; the live counter, while it
            # exists, is at least as high as the stored one.
            live = await self.usage(scope, scope_id, yesterday)
            counts[yesterday] = _larger(counts[yesterday], live)
        return list(counts.items())

    # -- durability ----------------------------------------------------------------------

    async def flush(self) -> int:
        """Write changed counters to ``usage_counters``; returns how many rows."""
        async with self._flush_lock:
            if self._pending:
                await self._replay_pending()
            try:
                rows, token = await self._counters.take_dirty()
            except StoreUnavailable as exc:
                self._degraded.record(exc)
                return 0
            written = False
            try:
                if rows:
                    async with self._sessions() as session:
                        await store_usage(session, rows, self._now())
                        await session.commit()
                written = True
            finally:
                try:
                    await self._counters.settle_dirty(token, written=written)
                except StoreUnavailable as exc:
                    # Still marked: the next flush writes the same values again.
                    self._degraded.record(exc)
            today = self._now().date()
            self._counters.prune(today)
            if self._plans:
                # After the prune: no plan left holds a pruned counter (_Plan.rows).
                self._plans = {k: v for k, v in self._plans.items() if v.day == today}
            return len(rows)

    async def _replay_pending(self) -> None:
        """Add what was accepted during a store outage to the store, unchecked."""
        pending, self._pending = self._pending, {}
        items = list(pending.items())
        for i, (key, delta) in enumerate(items):
            try:
                if delta.messages_in or delta.bytes_in:
                    await self._apply([key], "in", delta.messages_in, delta.bytes_in, [])
                    delta = Usage(0, 0, delta.messages_out, delta.bytes_out)
                if delta.messages_out or delta.bytes_out:
                    await self._apply([key], "out", delta.messages_out, delta.bytes_out, [])
            except BaseException as exc:
                for k, d in [(key, delta), *items[i + 1 :]]:
                    self._pending[k] = self._pending.get(k, Usage()) + d
                if isinstance(exc, StoreUnavailable):
                    self._degraded.record(exc)
                    return
                raise
        log.info("usage accepted while the counter store was down is now counted in it")

    async def start(self) -> None:
        """Flush in the background every ``flush_interval`` seconds."""
        self._flusher.start()

    async def stop(self) -> None:
        """Stop the background flush and flush one last time."""
        await self._flusher.stop()
        try:
            await self.flush()
        except Exception:
            log.exception("final usage flush failed; counts since the last flush are lost")

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)


_MAX_PLANS: Final = 10_000


class _Plan:
    """The counters one consumption touches and the limits checked on them (``_plan``),
    for one direction, holder, limits and day. ``rows`` and ``marked`` belong to
    ``_MemoryCounters.consume``."""

    __slots__ = ("checks", "day", "direction", "keys", "limits", "marked", "rows")

    def __init__(
        self,
        direction: Direction,
        day: date,
        limits: QuotaLimits,
        keys: list[CounterKey],
        checks: list[_Check],
    ) -> None:
        self.direction = direction
        self.day = day
        self.limits = limits
        self.keys = keys
        self.checks = checks
        self.rows: _Rows | None = None
        self.marked = -1


_Rows = tuple[list[list[int]], int, list[tuple[list[int], int]], list[tuple[list[int], int]]]
"""A plan's in-process counters: every key's list, the index of the direction's message
count in them, and (counter, limit) of each message check and of each byte check."""


def _plan(
    direction: Direction,
    user_id: str,
    project_id: str | None,
    tenant_id: str | None,
    day: date,
    limits: QuotaLimits,
) -> _Plan:
    """The counters one consumption touches and the limits checked on them."""
    scopes: list[tuple[Scope, str]] = [("user", user_id)]
    if project_id is not None:
        scopes.append(("project", project_id))
    if tenant_id is not None:
        scopes.append(("tenant", tenant_id))
    scopes.append(("cluster", CLUSTER_SCOPE_ID))
    if direction == "in" and limits.in_free_pool:
        scopes.append(("cluster", FREE_POOL_ID))
    keys = [CounterKey(scope, sid, day) for scope, sid in scopes]
    limited = [
        _Check(i, metric, limit)
        for i, key in enumerate(keys)
        for metric in _METRICS
        if (limit := limits.limit(key.scope, direction, metric, key.scope_id)) is not None
    ]
    return _Plan(direction, day, limits, keys, limited)


@dataclass(frozen=True, slots=True)
class _Day:
    """One UTC day of the consumption clock: its bounds in epoch seconds, its date and
    when its counters reset (the next midnight), made once a day."""

    start: float
    end: float
    date: date
    resets_at: datetime

    @classmethod
    def of(cls, now: float) -> _Day:
        number = int(now // 86_400)
        day = _EPOCH_DAY + timedelta(days=number)
        resets_at = datetime.combine(day + timedelta(days=1), dt_time(0), tzinfo=UTC)
        return cls(number * 86_400.0, (number + 1) * 86_400.0, day, resets_at)


_EPOCH_DAY: Final = date(1970, 1, 1)


def _larger(a: Usage, b: Usage) -> Usage:
    return Usage(*(max(getattr(a, name), getattr(b, name)) for name in _FIELDS))


def _remaining(values: list[tuple[int, int]], limited: list[_Check]) -> Remaining:
    left: dict[Metric, int | None] = {"messages": None, "bytes": None}
    for check in limited:
        used = values[check.index][0 if check.metric == "messages" else 1]
        value = max(0, check.limit - used)
        current = left[check.metric]
        left[check.metric] = value if current is None else min(current, value)
    return Remaining(left["messages"], left["bytes"])


def _decision(
    day: _Day,
    now: float,
    allowed: bool,
    remaining: Remaining,
    exceeded: QuotaBreach | None = None,
    *,
    degraded: bool = False,
) -> QuotaDecision:
    """``now`` (epoch seconds) is in ``day``; ``retry_after`` counts to its end."""
    retry_after = max(1, math.ceil(day.end - now))
    return QuotaDecision(allowed, remaining, day.resets_at, retry_after, exceeded, degraded)


# -- in-process counters ---------------------------------------------------------------


class _MemoryCounters:
    """Each counter is a mutable ``[messages_in, bytes_in, messages_out, bytes_out]``
    updated in place (no new value object per scope and call); ``Usage`` copies are made
    only for readers and the flush."""

    def __init__(self) -> None:
        self._values: dict[CounterKey, list[int]] = {}
        self._dirty: set[CounterKey] = set()
        # Counts the flushes' ``take_dirty``: a plan marked in this one is in _dirty.
        self._generation = 0

    def known(self, key: CounterKey) -> bool:
        return key in self._values

    async def install(self, rows: dict[CounterKey, Usage]) -> None:
        for key, u in rows.items():
            if key not in self._values:
                self._values[key] = [u.messages_in, u.bytes_in, u.messages_out, u.bytes_out]

    async def apply(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
    ) -> _Applied | _Missing:
        values = self._values
        try:
            # No await from here on: this check-and-update is atomic within the process.
            current = [values[k] for k in keys]
        except KeyError:
            return _Missing([k for k in keys if k not in values])
        m = 0 if direction == "in" else 2
        before = [(c[m], c[m + 1]) for c in current]
        for check in checks:
            used, amount = (
                (before[check.index][0], messages)
                if check.metric == "messages"
                else (before[check.index][1], nbytes)
            )
            if used + amount > check.limit:
                return _Applied(False, before, check)
        for c in current:
            c[m] += messages
            c[m + 1] += nbytes
        self._dirty.update(keys)
        return _Applied(True, [(c[m], c[m + 1]) for c in current])

    def consume(
        self, plan: _Plan, messages: int, nbytes: int, enforce: bool
    ) -> tuple[int | None, int | None] | None:
        """``apply`` and ``_remaining`` in one pass, for a consumption that is allowed
        and whose counters are all here: what is left of each metric afterwards (None
        where nothing limits it). None when the general path must decide: a counter to
        load, or a refusal to name (nothing is changed then). The plan keeps its
        counter lists (``_Plan.rows``): no key is hashed."""
        rows = plan.rows or self._rows(plan)
        if rows is None:
            return None
        counters, m, message_checks, byte_checks = rows
        b = m + 1
        # The least room over every limit of a metric, before the update: the
        # consumption fits every limit when it fits this one, and what is left
        # afterwards is this room less the consumption. (Plain loops: half the time of
        # min() over list comprehensions.)
        room_messages = room_bytes = None
        for c, limit in message_checks:
            room = limit - c[m]
            if room_messages is None or room < room_messages:
                room_messages = room
        for c, limit in byte_checks:
            room = limit - c[b]
            if room_bytes is None or room < room_bytes:
                room_bytes = room
        if enforce and (
            (room_messages is not None and room_messages < messages)
            or (room_bytes is not None and room_bytes < nbytes)
        ):
            return None
        for c in counters:
            c[m] += messages
            c[b] += nbytes
        if plan.marked != self._generation:
            self._dirty.update(plan.keys)
            plan.marked = self._generation
        return (
            None if room_messages is None else max(0, room_messages - messages),
            None if room_bytes is None else max(0, room_bytes - nbytes),
        )

    def _rows(self, plan: _Plan) -> _Rows | None:
        values = self._values
        if any(k not in values for k in plan.keys):
            return None
        counters = [values[k] for k in plan.keys]
        m = 0 if plan.direction == "in" else 2
        plan.rows = (
            counters,
            m,
            [(counters[c.index], c.limit) for c in plan.checks if c.metric == "messages"],
            [(counters[c.index], c.limit) for c in plan.checks if c.metric == "bytes"],
        )
        return plan.rows

    async def read(self, key: CounterKey) -> Usage | None:
        found = self._values.get(key)
        return None if found is None else Usage(*found)

    async def take_dirty(self) -> tuple[list[tuple[CounterKey, Usage]], object]:
        keys, self._dirty = self._dirty, set()
        self._generation += 1
        return [(k, Usage(*self._values[k])) for k in keys], keys

    async def settle_dirty(self, token: object, *, written: bool) -> None:
        if not written:
            self._dirty |= cast(set[CounterKey], token)

    def prune(self, today: date) -> None:
        # Yesterday stays: a request checked just before midnight may still record.
        stale = [k for k in self._values if k.day < today - timedelta(days=1)]
        for key in stale:
            if key not in self._dirty:
                del self._values[key]


# -- Redis counters --------------------------------------------------------------------

# KEYS: counter hashes..., dirty hash. ARGV: messages field, bytes field, messages, bytes,
# ttl, then (key index, field, limit, amount) per check.
# Returns {-1, missing indexes...} | {0, failed check number, m1, b1, ...} (as found)
#       | {1, m1, b1, ...} (after the update).
_CONSUME_LUA = """
local n = #KEYS - 1
local missing = {-1}
for i = 1, n do
  if redis.call('HEXISTS', KEYS[i], '_s') == 0 then missing[#missing + 1] = i end
end
if #missing > 1 then return missing end
local fm, fb = ARGV[1], ARGV[2]
local function values(status, extra)
  local out = {status}
  if extra then out[#out + 1] = extra end
  for i = 1, n do
    out[#out + 1] = tonumber(redis.call('HGET', KEYS[i], fm) or '0')
    out[#out + 1] = tonumber(redis.call('HGET', KEYS[i], fb) or '0')
  end
  return out
end
local c = 0
for j = 6, #ARGV, 4 do
  c = c + 1
  local used = tonumber(redis.call('HGET', KEYS[tonumber(ARGV[j])], ARGV[j + 1]) or '0')
  if used + tonumber(ARGV[j + 3]) > tonumber(ARGV[j + 2]) then return values(0, c) end
end
local ttl = tonumber(ARGV[5])
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], fm, ARGV[3])
  redis.call('HINCRBY', KEYS[i], fb, ARGV[4])
  redis.call('EXPIRE', KEYS[i], ttl)
  redis.call('HINCRBY', KEYS[n + 1], KEYS[i], 1)
end
return values(1)
"""

# KEYS: counter hashes. ARGV: ttl, then the four stored counts per key. A hash is seeded
# once (HSETNX on the marker); a second seed of the same key changes nothing.
_SEED_LUA = """
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do
  if redis.call('HSETNX', KEYS[i], '_s', '1') == 1 then
    local b = 1 + (i - 1) * 4
    redis.call('HINCRBY', KEYS[i], 'messages_in', ARGV[b + 1])
    redis.call('HINCRBY', KEYS[i], 'bytes_in', ARGV[b + 2])
    redis.call('HINCRBY', KEYS[i], 'messages_out', ARGV[b + 3])
    redis.call('HINCRBY', KEYS[i], 'bytes_out', ARGV[b + 4])
  end
  redis.call('EXPIRE', KEYS[i], ttl)
end
return 1
"""

# KEYS: dirty hash. ARGV: (counter key, sequence seen before reading it) pairs. A key
# changed since it was read keeps its mark and is written again by the next flush.
_SETTLE_LUA = """
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 1
"""


# ``HIT_SCRIPT`` (the rate limiter's) and ``_CONSUME_LUA`` in one script, so a publish
# decides its rate limit and its quota in one round trip. KEYS: the rate keys, then the
# quota script's. ARGV: how many rate keys, how many rate arguments, the rate
# arguments, then the quota script's. Nothing is done while a quota counter is missing
# (returns {{-1}, missing}); a refused hit consumes no quota (returns {rate}); else
# returns {rate, quota}.
_RATED_CONSUME_LUA = (
    "local function hit(KEYS, ARGV)\n"
    + HIT_SCRIPT
    + "\nend\nlocal function consume(KEYS, ARGV)\n"
    + _CONSUME_LUA
    + """
end
local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local rate_keys, rate_args, keys, args = {}, {}, {}, {}
for i = 1, #KEYS do
  if i <= nk then rate_keys[i] = KEYS[i] else keys[i - nk] = KEYS[i] end
end
for i = 3, #ARGV do
  if i - 2 <= na then rate_args[i - 2] = ARGV[i] else args[i - 2 - na] = ARGV[i] end
end
for i = 1, #keys - 1 do
  if redis.call('HEXISTS', keys[i], '_s') == 0 then return {{-1}, consume(keys, args)} end
end
local rate = hit(rate_keys, rate_args)
if rate[1] == 0 then return {rate} end
return {rate, consume(keys, args)}
"""
)


class _RedisCounters:
    def __init__(self, store: RedisStore) -> None:
        self._client: Redis = store.client
        self.url = store.url
        self._rated = self._client.register_script(_RATED_CONSUME_LUA)
        self._prefix = store.key("quota") + ":"
        self._dirty_key = store.key("quota-dirty")
        self._consume = self._client.register_script(_CONSUME_LUA)
        self._seed = self._client.register_script(_SEED_LUA)
        self._settle = self._client.register_script(_SETTLE_LUA)
        # Keys this process has seen seeded; only saves database reads.
        self._seeded: set[CounterKey] = set()

    def _key(self, key: CounterKey) -> str:
        return f"{self._prefix}{key.day.isoformat()}:{key.scope}:{key.scope_id}"

    def _parse(self, name: str) -> CounterKey:
        day, scope, scope_id = name.removeprefix(self._prefix).split(":", 2)
        return CounterKey(cast(Scope, scope), scope_id, date.fromisoformat(day))

    def known(self, key: CounterKey) -> bool:
        return key in self._seeded

    async def install(self, rows: dict[CounterKey, Usage]) -> None:
        args: list[int | str] = [KEY_TTL_S]
        for usage in rows.values():
            args.extend((usage.messages_in, usage.bytes_in, usage.messages_out, usage.bytes_out))
        with store_errors():
            await self._seed(keys=[self._key(k) for k in rows], args=args)
        self._seeded.update(rows)

    async def apply(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
    ) -> _Applied | _Missing:
        args = self._args(direction, messages, nbytes, checks)
        with store_errors():
            reply = await self._consume(keys=[*map(self._key, keys), self._dirty_key], args=args)
        return self._result(keys, checks, reply)

    async def apply_rated(
        self,
        keys: list[CounterKey],
        direction: Direction,
        messages: int,
        nbytes: int,
        checks: list[_Check],
        rate_keys: list[str],
        rate_args: list[int],
    ) -> tuple[list[int] | None, _Applied | _Missing | None]:
        """``apply`` after the rate limiter's hit, in one script: (the hit's reply, the
        quota's result); (None, missing) when nothing was done, (reply, None) when the
        hit was refused."""
        args: list[int | str] = [len(rate_keys), len(rate_args), *rate_args]
        args += self._args(direction, messages, nbytes, checks)
        with store_errors():
            reply = await self._rated(
                keys=[*rate_keys, *map(self._key, keys), self._dirty_key], args=args
            )
        raw = [int(x) for x in reply[0]]
        if raw[0] == -1:
            return None, self._result(keys, checks, reply[1])
        if len(reply) == 1:
            return raw, None
        return raw, self._result(keys, checks, reply[1])

    @staticmethod
    def _args(
        direction: Direction, messages: int, nbytes: int, checks: list[_Check]
    ) -> list[int | str]:
        args: list[int | str] = [
            f"messages_{direction}",
            f"bytes_{direction}",
            messages,
            nbytes,
            KEY_TTL_S,
        ]
        for check in checks:
            args.extend(
                (
                    check.index + 1,
                    f"{check.metric}_{direction}",
                    check.limit,
                    messages if check.metric == "messages" else nbytes,
                )
            )
        return args

    def _result(
        self, keys: list[CounterKey], checks: list[_Check], reply: list[object]
    ) -> _Applied | _Missing:
        raw = [int(cast(int, x)) for x in reply]
        if raw[0] == -1:
            missing = [keys[i - 1] for i in raw[1:]]
            self._seeded.difference_update(missing)
            return _Missing(missing)
        if raw[0] == 1:
            self._seeded.update(keys)
            return _Applied(True, _pairs(raw[1:]))
        return _Applied(False, _pairs(raw[2:]), checks[raw[1] - 1])

    async def read(self, key: CounterKey) -> Usage | None:
        with store_errors():
            found = cast(dict[str, str], await self._client.hgetall(self._key(key)))
        if not found.get("_s"):
            return None
        return _usage(found)

    async def take_dirty(self) -> tuple[list[tuple[CounterKey, Usage]], object]:
        # Sequences first, values second: a change in between re-marks the key.
        with store_errors():
            seqs = cast(dict[str, str], await self._client.hgetall(self._dirty_key))
            if not seqs:
                return [], seqs
            pipe = self._client.pipeline(transaction=False)
            for name in seqs:
                pipe.hgetall(name)
            found = await pipe.execute()
        rows = [
            (self._parse(name), _usage(values))
            for name, values in zip(seqs, found, strict=True)
            if values.get("_s")
        ]
        return rows, seqs

    async def settle_dirty(self, token: object, *, written: bool) -> None:
        seqs = cast(dict[str, str], token)
        if written and seqs:
            with store_errors():
                await self._settle(
                    keys=[self._dirty_key], args=[x for kv in seqs.items() for x in kv]
                )

    def prune(self, today: date) -> None:
        self._seeded = {k for k in self._seeded if k.day >= today - timedelta(days=1)}


def _pairs(flat: list[int]) -> list[tuple[int, int]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _usage(found: dict[str, str]) -> Usage:
    return Usage(*(int(found.get(name, 0)) for name in _FIELDS))
