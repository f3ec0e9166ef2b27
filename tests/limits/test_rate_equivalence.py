"""The in-process rate limiter decides exactly as it did before it kept its counts on
per-window objects: ``_Reference`` below is the previous implementation (string keys
per bucket with an expiry dict, ``WindowState`` per window, headers formatted from
them), kept here as the oracle. Random hit sequences over random policies, costs and
clock steps (within a window, across window boundaries, onto exact boundaries, whole
days) must give the same decisions and the same headers."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pytest

from tests.limits import EpochClock
from topichub.limits.rate import RateDecision, RateLimiter, RatePolicy


def _until_fits(
    seconds: int,
    limit: int,
    previous: int,
    previous_ttl: float,
    current: int,
    current_ttl: float,
    cost: int,
) -> float:
    if cost > limit:
        return float(seconds)
    allowance = limit - cost + 1
    room = allowance - current
    if room > 0:
        if previous * previous_ttl / seconds < room:
            return 0.0
        return max(0.0, previous_ttl - room * seconds / previous)
    until_roll = max(0.0, current_ttl - seconds)
    return until_roll + max(0.0, seconds * (1 - allowance / current))


@dataclass
class _Counts:
    name: str
    seconds: int
    limit: int
    previous: int
    previous_ttl: float
    current: int
    current_ttl: float

    @property
    def remaining(self) -> int:
        used = math.floor(self.previous * self.previous_ttl / self.seconds) + self.current
        return max(0, self.limit - used)

    def until_fits(self, cost: int) -> float:
        return _until_fits(
            self.seconds,
            self.limit,
            self.previous,
            self.previous_ttl,
            self.current,
            self.current_ttl,
            cost,
        )


Window = tuple[str, int, int, int, int]


@dataclass
class _Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int | None
    window: str | None
    windows: tuple[Window, ...]

    def headers(self) -> dict[str, str]:
        if not self.windows:
            return {}
        ordered = sorted(self.windows, key=lambda w: w[0] != self.window)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "RateLimit-Policy": ", ".join(f'"{w[0]}";q={w[2]};w={w[1]}' for w in self.windows),
            "RateLimit": ", ".join(f'"{w[0]}";r={w[3]};t={w[4]}' for w in ordered),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Reference:
    """The previous in-process limiter: a count and an expiry per bucket key."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.expires: dict[str, float] = {}

    def _get(self, key: str, now: float) -> int:
        if self.expires.get(key, 0.0) <= now:
            self.counts.pop(key, None)
            self.expires.pop(key, None)
            return 0
        return self.counts.get(key, 0)

    @staticmethod
    def _keys(key: str, seconds: int, now: float) -> tuple[str, str]:
        return f"{key}/{int((now - seconds) / seconds)}", f"{key}/{int(now / seconds)}"

    def _window(self, key: str, seconds: int, now: float) -> tuple[int, float, int, float]:
        previous_key, current_key = self._keys(key, seconds, now)
        previous = self._get(previous_key, now)
        current = self._get(current_key, now)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - seconds) / seconds) % 1)) * seconds
        current_ttl = (1 - ((now / seconds) % 1)) * seconds + seconds
        return previous, previous_ttl, current, current_ttl

    def _add(self, key: str, seconds: int, cost: int, now: float) -> None:
        current_key = self._keys(key, seconds, now)[1]
        count = self._get(current_key, now) + cost
        self.counts[current_key] = count
        if count == cost:
            self.expires[current_key] = now + 2 * seconds

    def reset(self, key: str, policy: RatePolicy, now: float) -> None:
        for _name, seconds, item in policy.windows():
            for k in self._keys(f"{key}/{item.amount}/{seconds}", seconds, now):
                self.counts.pop(k, None)
                self.expires.pop(k, None)

    def hit(self, key: str, policy: RatePolicy, cost: int, now: float) -> _Decision:
        keyed = [(f"{key}/{i.amount}/{s}", n, s, i.amount) for n, s, i in policy.windows()]
        if not keyed:
            return _Decision(True, 0, 0, int(now), None, None, ())
        counts = [_Counts(n, s, a, *self._window(k, s, now)) for k, n, s, a in keyed]
        refused = [c for c in counts if cost > c.limit or c.remaining < cost]
        if refused:
            return self._refused(counts, refused, cost, now)
        for k, _n, s, _a in keyed:
            self._add(k, s, cost, now)
        states = []
        for c in counts:
            remaining = max(0, c.remaining - cost)
            ttl = c.current_ttl if c.current_ttl > 0 else 2.0 * c.seconds
            after = _Counts(
                c.name, c.seconds, c.limit, c.previous, c.previous_ttl, c.current + cost, ttl
            )
            wait = math.ceil(after.until_fits(remaining + 1))
            states.append((c.name, c.seconds, c.limit, remaining, wait))
        tightest = min(states, key=lambda w: (w[3], -w[4]))
        return _Decision(
            True,
            tightest[2],
            tightest[3],
            math.ceil(now + tightest[4]),
            None,
            tightest[0],
            tuple(states),
        )

    @staticmethod
    def _refused(counts: list[_Counts], refused: list[_Counts], cost: int, now: float) -> _Decision:
        blocking = {c.name for c in refused}
        states = []
        for c in counts:
            if c.name in blocking:
                wait = math.floor(c.until_fits(cost)) + 1
            else:
                wait = math.ceil(c.until_fits(c.remaining + 1)) if c.remaining < c.limit else 0
            states.append((c.name, c.seconds, c.limit, c.remaining, wait))
        worst = max((w for w in states if w[0] in blocking), key=lambda w: w[4])
        return _Decision(
            False, worst[2], worst[3], math.ceil(now + worst[4]), worst[4], worst[0], tuple(states)
        )


def _as_reference(decision: RateDecision) -> _Decision:
    return _Decision(
        decision.allowed,
        decision.limit,
        decision.remaining,
        decision.reset_at,
        decision.retry_after,
        decision.window,
        tuple((w.name, w.seconds, w.limit, w.remaining, w.reset_after) for w in decision.windows),
    )


def _policy(rng: random.Random) -> RatePolicy:
    def amount(small: int) -> int | None:
        return rng.choice([None, None, 0, 1, 2, 3, small, small, small * 2, small * 2, 1_000_000])

    return RatePolicy(per_minute=amount(5), per_hour=amount(12), per_day=amount(30))


def _step(rng: random.Random) -> float:
    kind = rng.random()
    if kind < 0.55:
        return rng.random() * 3
    if kind < 0.75:
        return rng.choice([0.0, 0.001, 1.0, 0.5])
    if kind < 0.9:
        return rng.random() * 120
    if kind < 0.97:
        return rng.choice([60.0, 3600.0, 1800.0]) + rng.random()
    return rng.choice([86_400.0, 2 * 86_400.0, 3 * 3600.0])


@pytest.mark.parametrize("seed", range(40))
async def test_random_hit_sequences_decide_as_before(seed: int) -> None:
    rng = random.Random(seed)
    start = rng.choice([1_900_000_020.0, 1_900_051_200.0, 1_800_000_000.25])
    clock = EpochClock(start - rng.random() * 86_400)
    limiter = RateLimiter(None, clock=clock)
    reference = _Reference()
    keys = [f"tenant:{i}" for i in range(3)]
    policies = [_policy(rng) for _ in range(3)] + [RatePolicy(5, 40, None)]
    allowed = 0
    for _ in range(1_500):
        if rng.random() < 0.3:
            clock.advance(_step(rng))
        if rng.random() < 0.05:
            # Sit exactly on a window boundary.
            clock.now = math.ceil(clock.now / 60) * 60.0
        key, policy = rng.choice(keys), rng.choice(policies)
        if rng.random() < 0.01:
            await limiter.reset(key, policy)
            reference.reset(key, policy, clock())
            continue
        cost = rng.choice([1, 1, 1, 1, 2, 3])
        got = await limiter.hit(key, policy, cost)
        expected = reference.hit(key, policy, cost, clock())
        assert _as_reference(got) == expected
        assert got.headers() == expected.headers()
        allowed += got.allowed
    # The sequences are worth something only if they allow and refuse.
    assert 50 < allowed < 1_450


async def test_policies_sharing_a_window_share_its_counts() -> None:
    # Counters are keyed by window and amount, not by policy (as the library's keys
    # are): a changed hour limit keeps the minute's count.
    limiter = RateLimiter(None, clock=EpochClock(1_900_000_020.0))
    first = RatePolicy(per_minute=3, per_hour=10, per_day=None)
    second = RatePolicy(per_minute=3, per_hour=20, per_day=None)
    await limiter.hit("k", first)
    await limiter.hit("k", first)

    decision = await limiter.hit("k", second)

    assert [(w.name, w.remaining) for w in decision.windows] == [("minute", 0), ("hour", 19)]


async def test_the_sweep_forgets_idle_keys_only() -> None:
    clock = EpochClock(1_900_000_020.0)
    limiter = RateLimiter(None, clock=clock)
    policy = RatePolicy(per_minute=3, per_hour=None, per_day=None)
    await limiter.hit("idle", policy)
    clock.advance(150)  # the idle key's bucket is now older than the previous one
    await limiter.hit("busy", policy)
    clock.advance(61)  # past the sweep interval

    busy = await limiter.hit("busy", policy)

    assert [key for key, _seconds, _amount in limiter._memory._windows] == ["busy"]
    assert busy.remaining == 2
    assert (await limiter.hit("idle", policy)).remaining == 2
