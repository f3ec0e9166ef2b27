"""StaleCache: entries expire, a clear wins over a fill that raced it, and concurrent
misses of one key share one fill."""

from __future__ import annotations

import asyncio

import pytest

from topichub.kit.cache import StaleCache


async def test_an_entry_is_served_until_its_ttl_then_read_again() -> None:
    cache: StaleCache[str, int] = StaleCache(0.05)
    cache.put("k", 1, cache.generation)
    assert cache.get("k") == 1
    await asyncio.sleep(0.06)
    assert cache.get("k") is None


async def test_a_shorter_life_is_kept_and_a_longer_one_is_capped() -> None:
    cache: StaleCache[str, int] = StaleCache(0.05)
    cache.put("expired", 1, cache.generation, ttl_s=0)
    cache.put("long", 2, cache.generation, ttl_s=1_000)
    assert cache.get("expired") is None
    assert cache.get("long") == 2
    await asyncio.sleep(0.06)
    assert cache.get("long") is None


def test_a_fill_that_started_before_a_clear_is_not_stored() -> None:
    cache: StaleCache[str, int] = StaleCache(10)
    generation = cache.generation
    cache.clear()  # a write committed while the fill was reading
    cache.put("k", 1, generation)
    assert cache.get("k") is None


async def test_concurrent_misses_share_one_fill() -> None:
    cache: StaleCache[str, int] = StaleCache(10)
    calls = 0
    gate = asyncio.Event()

    async def fill() -> tuple[int, float | None]:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 7, None

    tasks = [asyncio.create_task(cache.get_or_fill("k", fill)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [7] * 5
    assert calls == 1
    assert cache.get("k") == 7


async def test_when_the_shared_fill_fails_every_waiter_gets_its_own_answer() -> None:
    cache: StaleCache[str, int] = StaleCache(10)
    gate = asyncio.Event()
    calls = 0

    async def fill() -> tuple[int, float | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
            raise LookupError("first")
        return calls, None

    first = asyncio.create_task(cache.get_or_fill("k", fill))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get_or_fill("k", fill))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(LookupError):
        await first
    assert await second == 2


async def test_a_clear_during_a_fill_keeps_later_askers_from_waiting_for_it() -> None:
    cache: StaleCache[str, int] = StaleCache(10)
    gate = asyncio.Event()
    values = iter([1, 2])

    async def slow() -> tuple[int, float | None]:
        await gate.wait()
        return next(values), None

    async def fast() -> tuple[int, float | None]:
        return next(values), None

    old = asyncio.create_task(cache.get_or_fill("k", slow))
    await asyncio.sleep(0)
    cache.clear()
    assert await cache.get_or_fill("k", fast) == 1  # its own read, after the change
    gate.set()
    assert await old == 2
    assert cache.get("k") == 1  # the old fill was not stored over it


async def test_fresh_answers_a_hit_only_and_leaves_misses_to_the_fill() -> None:
    cache: StaleCache[str, int] = StaleCache(0.05)
    assert cache.fresh("k") is None
    assert (cache.hits, cache.misses) == (0, 0)

    async def fill() -> tuple[int, float | None]:
        return 1, None

    assert await cache.get_or_fill("k", fill) == 1
    assert cache.fresh("k") == 1
    assert (cache.hits, cache.misses) == (1, 1)
    await asyncio.sleep(0.06)
    assert cache.fresh("k") is None
    cache.put("k", 2, cache.generation)
    cache.clear()
    assert cache.fresh("k") is None
