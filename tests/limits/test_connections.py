from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from tests.limits import (
    UNREACHABLE_REDIS_URL,
    EpochClock,
    redis_reachable,
    redis_store,
    unavailable,
)
from topichub.limits import (
    ConnectionLimiter,
    LimitsStore,
    MemoryStore,
    RedisStore,
    stream_limit_message,
)
from topichub.limits.store import StoreUnavailable

MakeLimiter = Callable[..., ConnectionLimiter]


def uid() -> str:
    return uuid.uuid4().hex


def info(topic: str = "events") -> dict[str, Any]:
    return {"topic": topic, "transport": "sse"}


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[LimitsStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if not await redis_reachable():
        unavailable("Redis")
    async with redis_store() as redis:
        yield redis


@pytest.fixture
async def redis() -> AsyncIterator[RedisStore]:
    if not await redis_reachable():
        unavailable("Redis")
    async with redis_store() as store:
        yield store


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock()


@pytest.fixture
async def make_limiter(store: LimitsStore, clock: EpochClock) -> AsyncIterator[MakeLimiter]:
    made: list[ConnectionLimiter] = []

    def make(store: LimitsStore = store, **kwargs: Any) -> ConnectionLimiter:
        limiter = ConnectionLimiter(store, clock=clock, **kwargs)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.stop()


async def test_a_user_gets_at_most_limit_slots(make_limiter: MakeLimiter) -> None:
    limiter, user = make_limiter(), uid()

    first = await limiter.acquire(user, 2, info())
    second = await limiter.acquire(user, 2, info())
    third = await limiter.acquire(user, 2, info())

    assert first is not None
    assert second is not None
    assert third is None
    assert await limiter.count(user) == 2
    assert await limiter.acquire(uid(), 2, info()) is not None  # other users unaffected


async def test_release_frees_a_slot_and_is_idempotent(make_limiter: MakeLimiter) -> None:
    limiter, user = make_limiter(), uid()
    slot = await limiter.acquire(user, 1, info())
    assert slot is not None

    await slot.release()
    await slot.release()

    assert slot.released
    assert await limiter.count(user) == 0
    again = await limiter.acquire(user, 1, info())
    assert again is not None
    await slot.release()  # an old handle must not free the new slot
    assert await limiter.count(user) == 1


async def test_slot_as_context_manager(make_limiter: MakeLimiter) -> None:
    limiter, user = make_limiter(), uid()

    slot = await limiter.acquire(user, 1, info())
    assert slot is not None
    async with slot:
        assert await limiter.count(user) == 1

    assert await limiter.count(user) == 0


async def test_concurrent_acquires_never_exceed_the_limit(make_limiter: MakeLimiter) -> None:
    limiter, user = make_limiter(), uid()

    slots = await asyncio.gather(*(limiter.acquire(user, 3, info()) for _ in range(40)))

    assert sum(s is not None for s in slots) == 3


async def test_list_active_describes_every_stream(make_limiter: MakeLimiter) -> None:
    limiter, alice, bob = make_limiter(process_id="node-a:42"), uid(), uid()
    await limiter.acquire(alice, 2, info("events"))
    await limiter.acquire(bob, 2, info("chat"))

    active = await limiter.list_active()

    assert {(s["user_id"], s["topic"]) for s in active} == {(alice, "events"), (bob, "chat")}
    for stream in active:
        assert stream["process_id"] == "node-a:42"
        assert stream["transport"] == "sse"
        assert stream["started_at"].startswith("2030-03-17T")
        assert stream["slot_id"]


async def test_stop_releases_this_process_slots(make_limiter: MakeLimiter) -> None:
    limiter, user = make_limiter(), uid()
    await limiter.acquire(user, 2, info())
    await limiter.start()

    await limiter.stop()

    assert await limiter.count(user) == 0
    assert await limiter.list_active() == []


# -- several processes on Redis --------------------------------------------------------


async def test_two_limiters_on_one_redis_share_the_count(
    redis: RedisStore, clock: EpochClock
) -> None:
    other_store = RedisStore(redis.url, key_prefix=redis.key_prefix)
    a = ConnectionLimiter(redis, clock=clock, process_id="a")
    b = ConnectionLimiter(other_store, clock=clock, process_id="b")
    user = uid()
    try:
        assert await a.acquire(user, 2, info()) is not None
        slot_b = await b.acquire(user, 2, info())
        assert slot_b is not None
        assert await a.acquire(user, 2, info()) is None
        assert {s["process_id"] for s in await a.list_active()} == {"a", "b"}

        await slot_b.release()
        assert await a.acquire(user, 2, info()) is not None
    finally:
        await a.stop()
        await b.stop()
        await other_store.aclose()


async def test_a_crashed_process_slots_expire(redis: RedisStore, clock: EpochClock) -> None:
    crashed = ConnectionLimiter(redis, clock=clock, ttl=3.0, heartbeat_interval=1.0)
    survivor = ConnectionLimiter(redis, clock=clock, ttl=3.0, heartbeat_interval=1.0)
    user = uid()
    await crashed.acquire(user, 1, info())
    assert await survivor.acquire(user, 1, info()) is None

    clock.advance(3.5)  # no heartbeat from the crashed process

    assert await survivor.list_active() == []
    assert await survivor.acquire(user, 1, info()) is not None
    await survivor.stop()


async def test_heartbeat_keeps_slots_alive(redis: RedisStore, clock: EpochClock) -> None:
    holder = ConnectionLimiter(redis, clock=clock, ttl=3.0, heartbeat_interval=1.0)
    other = ConnectionLimiter(redis, clock=clock, ttl=3.0, heartbeat_interval=1.0)
    user = uid()
    await holder.acquire(user, 1, info())

    for _ in range(4):
        clock.advance(2.0)
        await holder.refresh()

    assert await other.acquire(user, 1, info()) is None
    assert len(await other.list_active()) == 1
    await holder.stop()
    assert await other.acquire(user, 1, info()) is not None


async def test_background_heartbeat_refreshes(redis: RedisStore, clock: EpochClock) -> None:
    holder = ConnectionLimiter(redis, clock=clock, ttl=0.2, heartbeat_interval=0.01)
    user = uid()
    await holder.acquire(user, 1, info())
    await holder.start()
    first_expiry = clock.now + 0.2
    try:
        clock.advance(0.15)
        for _ in range(200):
            active = await holder.list_active()
            expiry = datetime.fromisoformat(active[0]["expires_at"]).timestamp()
            if expiry > first_expiry + 0.1:
                break
            await asyncio.sleep(0.01)
        clock.advance(0.15)  # past the first expiry: only a heartbeat keeps it

        assert await holder.count(user) == 1
    finally:
        await holder.stop()


# -- Redis down --------------------------------------------------------------------------


async def test_redis_down_fails_open_to_per_process_counts(clock: EpochClock) -> None:
    store = RedisStore(UNREACHABLE_REDIS_URL, socket_timeout=0.2)
    limiter = ConnectionLimiter(store, clock=clock)
    user = uid()
    try:
        first = await limiter.acquire(user, 1, info())
        second = await limiter.acquire(user, 1, info())
        with pytest.raises(StoreUnavailable):
            await limiter.list_active()
        assert first is not None
        await first.release()
    finally:
        await limiter.stop()
        await store.aclose()

    assert first.degraded
    assert second is None
    assert limiter.storage_errors >= 2


def test_stream_limit_message_is_seed_000s() -> None:
    assert stream_limit_message(2) == "Maximum 2 active stream connections allowed per user"


def test_heartbeat_must_be_shorter_than_ttl() -> None:
    with pytest.raises(ValueError, match="heartbeat_interval"):
        ConnectionLimiter(MemoryStore(), ttl=5.0, heartbeat_interval=5.0)
