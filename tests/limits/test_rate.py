from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable

import limits.aio.storage.memory
import pytest

from tests.limits import REDIS_URL, UNREACHABLE_REDIS_URL, EpochClock, random_prefix, unavailable
from tests.limits import redis_reachable as _redis_reachable
from topichub.limits import RateDecision, RateLimiter, RatePolicy, RedisStore

MakeLimiter = Callable[[], RateLimiter]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock(backend: str, monkeypatch: pytest.MonkeyPatch) -> EpochClock | None:
    """The in-process storage aligns windows to wall-clock boundaries; freeze its time so
    no test straddles one. Redis windows start at their first hit instead."""
    if backend != "memory":
        return None
    fake = EpochClock(1_900_000_020.0)  # 20 s into a minute
    monkeypatch.setattr(limits.aio.storage.memory, "time", fake)
    return fake


@pytest.fixture
async def make_limiter(backend: str, clock: EpochClock | None) -> AsyncIterator[MakeLimiter]:
    """Builds limiters that share one backend (for Redis: one key prefix, as several
    processes would)."""
    if backend == "redis" and not await _redis_reachable():
        unavailable("Redis")
    prefix = random_prefix()
    made: list[RateLimiter] = []

    def make() -> RateLimiter:
        if backend == "memory":
            limiter = RateLimiter(None, clock=clock or time.time)
        else:
            limiter = RateLimiter(REDIS_URL, key_prefix=prefix)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()
    if backend == "redis":
        store = RedisStore(REDIS_URL, key_prefix=prefix)
        await store.delete_all_keys()
        await store.aclose()


def now(clock: EpochClock | None) -> int:
    return int(clock() if clock else time.time())


def tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:8]}"


async def hits(limiter: RateLimiter, key: str, policy: RatePolicy, n: int) -> list[RateDecision]:
    return [await limiter.hit(key, policy) for _ in range(n)]


async def test_allows_up_to_the_tightest_window_then_refuses(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=5, per_hour=8, per_day=None)

    decisions = await hits(limiter, key, policy, 6)

    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    assert decisions[-1].window == "minute"
    assert decisions[-1].limit == 5


async def test_hour_window_refuses_when_it_is_the_tightest(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=10, per_hour=3, per_day=1000)

    decisions = await hits(limiter, key, policy, 4)

    assert [d.allowed for d in decisions] == [True, True, True, False]
    refused = decisions[-1]
    assert (refused.window, refused.limit, refused.remaining) == ("hour", 3, 0)
    assert 60 < refused.retry_after <= 3601  # type: ignore[operator]
    by_name = {w.name: w for w in refused.windows}
    assert by_name["minute"].remaining == 7
    assert by_name["day"].remaining == 997


async def test_all_windows_are_counted(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=100, per_hour=200, per_day=300)

    decisions = await hits(limiter, key, policy, 3)

    assert {w.name: w.remaining for w in decisions[-1].windows} == {
        "minute": 97,
        "hour": 197,
        "day": 297,
    }


async def test_minute_window_frees_up_as_time_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the in-process storage lets a test move time; Redis keeps its own.
    clock = EpochClock(1_900_000_020.0)
    monkeypatch.setattr(limits.aio.storage.memory, "time", clock)
    limiter, key = RateLimiter(None, clock=clock), tenant()
    policy = RatePolicy(per_minute=3, per_hour=5, per_day=None)
    await hits(limiter, key, policy, 3)
    refused = await limiter.hit(key, policy)
    assert not refused.allowed

    clock.advance(refused.retry_after)  # type: ignore[arg-type]
    assert (await limiter.hit(key, policy)).allowed
    clock.advance(120)
    later = await hits(limiter, key, policy, 2)

    assert [d.allowed for d in later] == [True, False]
    assert later[-1].window == "hour"


async def test_headers_on_an_allowed_request(
    make_limiter: MakeLimiter, clock: EpochClock | None
) -> None:
    limiter, key = make_limiter(), tenant()
    before = now(clock)

    decision = await limiter.hit(key, RatePolicy())
    headers = decision.headers()

    assert decision.allowed
    assert headers["X-RateLimit-Limit"] == "1000"
    assert headers["X-RateLimit-Remaining"] == "999"
    assert before <= int(headers["X-RateLimit-Reset"]) <= before + 3600
    assert headers["RateLimit-Policy"] == (
        '"minute";q=1000;w=60, "hour";q=50000;w=3600, "day";q=1000000;w=86400'
    )
    assert headers["RateLimit"].startswith('"minute";r=999;t=')
    assert '"hour";r=49999;t=' in headers["RateLimit"]
    assert "Retry-After" not in headers


async def test_refusal_has_retry_after_and_consistent_headers(
    make_limiter: MakeLimiter, clock: EpochClock | None
) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=2, per_hour=None, per_day=None)
    await hits(limiter, key, policy, 2)
    before = now(clock)

    refused = await limiter.hit(key, policy)
    headers = refused.headers()

    assert not refused.allowed
    assert refused.retry_after is not None
    assert 1 <= refused.retry_after <= 121
    assert headers["Retry-After"] == str(refused.retry_after)
    assert headers["X-RateLimit-Remaining"] == "0"
    assert before + refused.retry_after - 1 <= int(headers["X-RateLimit-Reset"])
    assert headers["RateLimit"].startswith('"minute";r=0;t=')


async def test_refused_hits_do_not_drain_other_windows(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=2, per_hour=100, per_day=1000)
    await hits(limiter, key, policy, 2)

    refused = await hits(limiter, key, policy, 20)

    assert not any(d.allowed for d in refused)
    assert {w.name: w.remaining for w in refused[-1].windows} == {
        "minute": 0,
        "hour": 98,
        "day": 998,
    }


async def test_concurrent_hits_never_exceed_the_limit(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=20, per_hour=1000, per_day=None)

    decisions = await asyncio.gather(*(limiter.hit(key, policy) for _ in range(60)))

    # A Redis timeout fails open to the per-process budget (documented); that would be a
    # different test, so make sure this one measured the shared budget only.
    assert not any(d.degraded for d in decisions), "Redis timed out: the run was degraded"
    assert sum(d.allowed for d in decisions) == 20
    assert all(d.retry_after and d.retry_after >= 1 for d in decisions if not d.allowed)


async def test_two_limiters_on_one_redis_share_one_budget() -> None:
    if not await _redis_reachable():
        unavailable("Redis")
    prefix, key = random_prefix(), tenant()
    # Two limiters with their own connection pools stand in for two processes.
    first = RateLimiter(REDIS_URL, key_prefix=prefix)
    second = RateLimiter(REDIS_URL, key_prefix=prefix)
    policy = RatePolicy(per_minute=4, per_hour=None, per_day=None)
    try:
        await hits(first, key, policy, 2)
        await hits(second, key, policy, 2)
        refused = [await first.hit(key, policy), await second.hit(key, policy)]
    finally:
        await first.aclose()
        await second.aclose()
        store = RedisStore(REDIS_URL, key_prefix=prefix)
        await store.delete_all_keys()
        await store.aclose()

    assert not any(d.allowed for d in refused)


async def test_cost_counts_several_units(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=10, per_hour=None, per_day=None)

    assert (await limiter.hit(key, policy, cost=7)).remaining == 3
    assert not (await limiter.hit(key, policy, cost=4)).allowed
    assert (await limiter.hit(key, policy, cost=3)).allowed


async def test_switched_off_and_zero_windows(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()

    unlimited = await limiter.hit(key, RatePolicy(None, None, None))
    blocked = await limiter.hit(key, RatePolicy(per_minute=0, per_hour=None, per_day=None))

    assert unlimited.allowed
    assert unlimited.headers() == {}
    assert not blocked.allowed
    assert blocked.retry_after is not None
    assert blocked.retry_after >= 1


async def test_reset_forgets_the_counts(make_limiter: MakeLimiter) -> None:
    limiter, key = make_limiter(), tenant()
    policy = RatePolicy(per_minute=1, per_hour=None, per_day=None)
    await limiter.hit(key, policy)

    await limiter.reset(key, policy)

    assert (await limiter.hit(key, policy)).allowed


async def test_redis_down_fails_open_to_per_process_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter(UNREACHABLE_REDIS_URL, socket_timeout=0.2)
    policy = RatePolicy(per_minute=2, per_hour=None, per_day=None)
    try:
        with caplog.at_level(logging.WARNING, logger="topichub.limits.store"):
            decisions = await hits(limiter, tenant(), policy, 3)
    finally:
        await limiter.aclose()

    assert [d.allowed for d in decisions] == [True, True, False]
    assert all(d.degraded for d in decisions)
    assert decisions[-1].headers()["Retry-After"]
    # Only the first call tried Redis; the next ones skip it for retry_interval.
    assert limiter.storage_errors == 1
    assert "shared store unavailable" in caplog.text


async def test_redis_is_tried_again_after_the_retry_interval() -> None:
    limiter = RateLimiter(UNREACHABLE_REDIS_URL, socket_timeout=0.2, retry_interval=0.0)
    try:
        await hits(limiter, tenant(), RatePolicy(), 3)
    finally:
        await limiter.aclose()

    assert limiter.storage_errors == 3


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="per_hour"):
        RatePolicy(per_hour=-1).windows()
