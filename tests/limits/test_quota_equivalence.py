"""The in-process quota's one-pass path (``_MemoryCounters.consume``, taken by every
allowed consumption whose counters are loaded) answers exactly as the general path
(``apply`` then ``_remaining``, still taken by refusals, Redis and first uses) and
records the same counts; and every decision's ``resets_at``/``retry_after``, now
computed from epoch seconds, is what the datetime arithmetic gave. Random sequences of
consumptions over random holders, limits (also equal but new objects, as a refreshed
plan brings), directions, sizes, flushes and clock steps across UTC midnight."""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import topichub.limits.quota as quota_module
from tests.limits import UTCClock
from topichub.limits import CounterKey, MemoryStore, QuotaDecision, QuotaLimits, QuotaService
from topichub.limits.values import CLUSTER_SCOPE_ID, FREE_POOL_ID, Scope


class _Session:
    async def commit(self) -> None:
        pass


@asynccontextmanager
async def _sessions() -> AsyncIterator[_Session]:
    yield _Session()


@pytest.fixture(autouse=True)
def _no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    async def load_usage(session: object, keys: list[CounterKey]) -> dict[CounterKey, Any]:
        return {}

    async def store_usage(session: object, rows: object, now: object) -> None:
        pass

    monkeypatch.setattr(quota_module, "load_usage", load_usage)
    monkeypatch.setattr(quota_module, "store_usage", store_usage)


def _limits(rng: random.Random) -> QuotaLimits:
    def some(small: int) -> int | None:
        return rng.choice([None, small, small, small * 3, 10**9])

    return QuotaLimits(
        user_messages_per_day=some(20),
        user_bytes_per_day=some(2_000),
        project_messages_per_day=some(40),
        project_bytes_per_day=some(4_000),
        tenant_messages_per_day=some(60),
        tenant_bytes_per_day=some(6_000),
        tenant_messages_in_per_day=some(50),
        tenant_bytes_in_per_day=some(5_000),
        cluster_messages_in_per_day=some(100),
        cluster_bytes_in_per_day=some(10_000),
        free_pool_messages_in_per_day=rng.choice([None, 80]),
        free_pool_bytes_in_per_day=rng.choice([None, 8_000]),
    )


def _answer(decision: QuotaDecision) -> tuple[object, ...]:
    return (
        decision.allowed,
        decision.remaining,
        decision.resets_at,
        decision.retry_after,
        decision.exceeded,
        decision.degraded,
    )


def _expected_reset(now: datetime) -> tuple[datetime, int]:
    """The previous computation: the next UTC midnight of the clock's datetime."""
    now = now.astimezone(UTC)
    resets_at = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return resets_at, max(1, math.ceil((resets_at - now).total_seconds()))


@pytest.mark.parametrize("seed", range(25))
async def test_the_one_pass_path_answers_as_the_general_path(seed: int) -> None:
    rng = random.Random(seed)
    zone = rng.choice([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
    clock = UTCClock(
        datetime(2031, 3, 14, 23, 40, tzinfo=UTC).astimezone(zone)
        + timedelta(microseconds=rng.randrange(1_000_000))
    )
    fast = QuotaService(MemoryStore(), _sessions, clock)
    general = QuotaService(MemoryStore(), _sessions, clock)
    general._memory = None
    users, projects, tenants = ["u1", "u2", "u3"], ["p1", "p2", None], ["t1", "t2", None]
    limits = [_limits(rng) for _ in range(3)]
    fast_path = refused = 0
    for _ in range(600):
        step = rng.random()
        if step < 0.3:
            clock.advance(seconds=rng.random() * 30)
        elif step < 0.33:
            clock.advance(minutes=rng.randrange(1, 600), microseconds=rng.randrange(1_000_000))
        elif step < 0.35:
            # Onto midnight exactly, or a microsecond before it.
            midnight = datetime.combine(
                clock.now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), UTC
            )
            clock.now = midnight - timedelta(microseconds=rng.choice([0, 1]))
        if rng.random() < 0.05:
            # A refreshed plan: equal limits in a new object, or changed ones.
            i = rng.randrange(len(limits))
            limits[i] = (
                QuotaLimits(**{f: getattr(limits[i], f) for f in QuotaLimits.__dataclass_fields__})
                if rng.random() < 0.5
                else _limits(rng)
            )
        if rng.random() < 0.03:
            assert await fast.flush() == await general.flush()
        user, project, tenant = rng.choice(users), rng.choice(projects), rng.choice(tenants)
        quota = rng.choice(limits)
        messages = rng.choice([0, 1, 1, 1, 2, 5])
        nbytes = rng.choice([0, 10, 100, 250]) if messages else rng.choice([0, 40])
        kind, enforce = rng.random(), rng.random() < 0.5
        answers = []
        for service in (fast, general):
            if kind < 0.7:
                decision = await service.consume_in(
                    user, project, messages, nbytes, quota, tenant_id=tenant
                )
            elif kind < 0.95:
                decision = await service.consume_out(
                    user,
                    project,
                    messages,
                    nbytes,
                    quota,
                    tenant_id=tenant,
                    enforce=enforce,
                )
            else:
                remaining = await service.remaining_out(user, project, quota, tenant_id=tenant)
                decision = QuotaDecision(True, remaining, clock.now, 0)
            answers.append(_answer(decision))
        assert answers[0] == answers[1]
        if kind < 0.95:
            assert answers[0][2:4] == _expected_reset(clock.now)
        if not answers[0][0]:
            refused += 1
        elif messages or nbytes:
            fast_path += 1
    day = clock.now.astimezone(UTC).date()
    scopes: list[tuple[Scope, str]] = [("user", u) for u in users]
    scopes += [("project", p) for p in projects if p]
    scopes += [("tenant", t) for t in tenants if t]
    scopes += [("cluster", CLUSTER_SCOPE_ID), ("cluster", FREE_POOL_ID)]
    for scope, scope_id in scopes:
        for d in (day, day - timedelta(days=1)):
            assert await fast.usage(scope, scope_id, d) == await general.usage(scope, scope_id, d)
    dirty = [dict((await s._counters.take_dirty())[0]) for s in (fast, general)]
    assert dirty[0] == dirty[1]
    assert fast_path > 100
    assert refused > 10
