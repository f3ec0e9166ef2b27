from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.limits import (
    UNREACHABLE_REDIS_URL,
    UTCClock,
    fresh_postgres_database,
    redis_reachable,
    redis_store,
    unavailable,
)
from topichub.kit.db import Base, create_engine, create_sessionmaker
from topichub.limits import (
    CounterKey,
    LimitsStore,
    MemoryStore,
    QuotaLimits,
    QuotaService,
    RateDecision,
    RateLimiter,
    RatePolicy,
    RedisStore,
    Usage,
)
from topichub.limits.rate import RateHit
from topichub.limits.repository import store_usage
from topichub.limits.values import format_bytes
from topichub.models.usage import UsageCounter

SMALL = QuotaLimits(
    user_messages_per_day=100,
    user_bytes_per_day=10 * 1024,
    cluster_messages_in_per_day=1000,
    cluster_bytes_in_per_day=1024 * 1024,
)
MakeService = Callable[..., QuotaService]


def uid() -> str:
    return uuid.uuid4().hex


# -- fixtures ------------------------------------------------------------------------


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


async def _usage_table(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(
            Base.metadata.create_all, tables=[Base.metadata.tables[UsageCounter.__tablename__]]
        )
        await conn.execute(delete(UsageCounter))


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/usage.db")
    await _usage_table(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A fresh database for this test session, dropped at the end."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/usage.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    db = create_engine(database_url)
    await _usage_table(db)
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> UTCClock:
    return UTCClock()


@pytest.fixture
def make_service(store: LimitsStore, sqlite_engine: AsyncEngine, clock: UTCClock) -> MakeService:
    def make(
        store: LimitsStore = store, db: AsyncEngine = sqlite_engine, **kwargs: float
    ) -> QuotaService:
        return QuotaService(store, db, clock, **kwargs)

    return make


async def stored_rows(engine: AsyncEngine) -> dict[tuple[str, str], Usage]:
    async with create_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(UsageCounter))).all()
    return {
        (r.scope, r.scope_id): Usage(r.messages_in, r.bytes_in, r.messages_out, r.bytes_out)
        for r in rows
    }


# -- inbound quotas ------------------------------------------------------------------


async def test_accepts_up_to_the_user_limit_then_names_it(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()

    first = await quotas.consume_in(user, None, 9990, 1000, QuotaLimits())
    over = await quotas.consume_in(user, None, 20, 100, QuotaLimits())
    rest = await quotas.consume_in(user, None, 10, 100, QuotaLimits())
    after = await quotas.consume_in(user, None, 1, 1, QuotaLimits())

    assert first.allowed
    assert first.remaining.messages == 10
    assert not over.allowed
    assert over.message == (
        "Daily message quota exceeded: 10000 messages per day (used 9990, requested 20)"
    )
    assert over.exceeded is not None
    assert (over.exceeded.scope, over.exceeded.metric) == ("user", "messages")
    assert over.details()["limit"] == 10000
    assert over.headers()["Retry-After"] == str(over.retry_after)
    assert rest.allowed
    assert rest.remaining.messages == 0
    assert rest.remaining.exhausted
    assert not after.allowed
    assert (await quotas.usage("user", user)).messages_in == 10000


async def test_byte_quota_names_the_byte_limit(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()
    await quotas.consume_in(user, None, 1, 8 * 1024, SMALL)

    over = await quotas.consume_in(user, None, 1, 4 * 1024, SMALL)

    assert not over.allowed
    assert over.message == (
        "Daily data quota exceeded: 10 KiB per day (used 8 KiB, requested 4 KiB)"
    )
    assert over.remaining == type(over.remaining)(messages=99, bytes=2048)


async def test_a_refused_publish_records_nothing(make_service: MakeService) -> None:
    quotas, user, project = make_service(), uid(), uid()
    await quotas.consume_in(user, project, 60, 600, SMALL)

    refused = await quotas.consume_in(user, project, 41, 10, SMALL)

    assert not refused.allowed
    assert await quotas.usage("user", user) == Usage(60, 600, 0, 0)
    assert await quotas.usage("project", project) == Usage(60, 600, 0, 0)
    assert await quotas.usage("cluster", "*") == Usage(60, 600, 0, 0)


async def test_cluster_brake_stops_every_user(make_service: MakeService) -> None:
    quotas = make_service()
    limits = QuotaLimits(user_messages_per_day=100, cluster_messages_in_per_day=50)
    assert (await quotas.consume_in(uid(), None, 30, 10, limits)).allowed
    assert (await quotas.consume_in(uid(), None, 20, 10, limits)).allowed

    third = await quotas.consume_in(uid(), None, 1, 10, limits)

    assert not third.allowed
    assert third.message == "Cluster-wide daily inbound limit reached, try again tomorrow"
    assert third.exceeded is not None
    assert third.exceeded.scope == "cluster"
    assert (await quotas.usage("cluster", "*")).messages_in == 50


async def test_project_limit_is_shared_by_its_users(make_service: MakeService) -> None:
    quotas, project = make_service(), uid()
    limits = QuotaLimits(project_messages_per_day=10)
    assert (await quotas.consume_in(uid(), project, 6, 1, limits)).allowed

    other = await quotas.consume_in(uid(), project, 6, 1, limits)

    assert not other.allowed
    assert other.message == (
        "Project daily message quota exceeded: 10 messages per day (used 6, requested 6)"
    )


async def test_unlimited_project_is_still_counted(make_service: MakeService) -> None:
    quotas, project, tenant = make_service(), uid(), uid()

    decision = await quotas.consume_in(uid(), project, 3, 30, SMALL, tenant_id=tenant)

    assert decision.remaining.messages == 97
    assert (await quotas.usage("project", project)).messages_in == 3
    assert (await quotas.usage("tenant", tenant)).bytes_in == 30


async def test_concurrent_consumes_never_exceed_the_limit(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()

    decisions = await asyncio.gather(
        *(quotas.consume_in(user, None, 1, 10, SMALL) for _ in range(250))
    )

    assert sum(d.allowed for d in decisions) == 100
    assert (await quotas.usage("user", user)).messages_in == 100


async def test_two_services_on_one_redis_share_the_limit(
    redis: RedisStore, sqlite_engine: AsyncEngine, clock: UTCClock
) -> None:
    user = uid()
    # A second connection pool on the same prefix stands in for a second process.
    other_store = RedisStore(redis.url, key_prefix=redis.key_prefix)
    first = QuotaService(redis, sqlite_engine, clock)
    second = QuotaService(other_store, sqlite_engine, clock)
    try:
        decisions = await asyncio.gather(
            *(q.consume_in(user, None, 1, 1, SMALL) for _ in range(120) for q in (first, second))
        )
    finally:
        await other_store.aclose()

    assert sum(d.allowed for d in decisions) == 100


# -- outbound ------------------------------------------------------------------------


async def test_out_direction_records_and_reports_what_is_left(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()

    first = await quotas.consume_out(user, None, 95, 100, SMALL)
    past = await quotas.consume_out(user, None, 10, 100, SMALL)

    assert first.allowed
    assert first.remaining.messages == 5
    assert past.allowed  # a delivery already read from the log is never refused
    assert past.remaining.messages == 0
    assert past.remaining.exhausted
    assert (await quotas.usage("user", user)).messages_out == 105
    assert (await quotas.usage("user", user)).messages_in == 0


async def test_out_direction_can_enforce(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()
    await quotas.consume_out(user, None, 99, 1, SMALL)

    refused = await quotas.consume_out(user, None, 2, 1, SMALL, enforce=True)

    assert not refused.allowed
    assert refused.message == (
        "Daily outbound message quota exceeded: 100 messages per day (used 99, requested 2)"
    )


async def test_remaining_out_reads_without_recording(make_service: MakeService) -> None:
    quotas, user = make_service(), uid()
    await quotas.consume_out(user, None, 40, 1024, SMALL)
    await quotas.flush()

    remaining = await quotas.remaining_out(user, None, SMALL)

    assert (remaining.messages, remaining.bytes) == (60, 9 * 1024)
    assert not remaining.exhausted
    assert await quotas.flush() == 0


async def test_cluster_limits_do_not_apply_outbound(make_service: MakeService) -> None:
    quotas = make_service()
    limits = QuotaLimits(user_messages_per_day=None, cluster_messages_in_per_day=1)

    decision = await quotas.consume_out(uid(), None, 5, 5, limits, enforce=True)

    assert decision.allowed
    assert decision.remaining.messages is None


# -- day boundary --------------------------------------------------------------------


async def test_the_day_ends_at_utc_midnight(make_service: MakeService, clock: UTCClock) -> None:
    quotas, user = make_service(), uid()
    clock.now = datetime(2031, 3, 14, 23, 59, 59, tzinfo=UTC)
    await quotas.consume_in(user, None, 100, 1, SMALL)
    refused = await quotas.consume_in(user, None, 1, 1, SMALL)
    assert not refused.allowed
    assert refused.retry_after == 1
    assert refused.resets_at == datetime(2031, 3, 15, tzinfo=UTC)

    clock.advance(seconds=2)

    assert (await quotas.consume_in(user, None, 1, 1, SMALL)).allowed
    assert (await quotas.usage("user", user, date(2031, 3, 14))).messages_in == 100
    assert (await quotas.usage("user", user)).messages_in == 1


async def test_local_time_clock_still_counts_utc_days(
    make_service: MakeService, clock: UTCClock
) -> None:
    quotas, user = make_service(), uid()
    # 01:30 on the 15th in UTC+2 is still the 14th in UTC.
    clock.now = datetime(2031, 3, 15, 1, 30, tzinfo=timezone(timedelta(hours=2)))

    await quotas.consume_in(user, None, 1, 1, SMALL)

    assert (await quotas.usage("user", user, date(2031, 3, 14))).messages_in == 1


# -- durability ----------------------------------------------------------------------


async def test_flush_writes_changed_counters(
    store: LimitsStore, engine: AsyncEngine, clock: UTCClock
) -> None:
    quotas, user, project = QuotaService(store, engine, clock), uid(), uid()
    await quotas.consume_in(user, project, 3, 300, SMALL)
    await quotas.consume_out(user, project, 2, 200, SMALL)

    assert await quotas.flush() == 3
    assert await quotas.flush() == 0
    rows = await stored_rows(engine)
    assert rows[("user", user)] == Usage(3, 300, 2, 200)
    assert rows[("project", project)] == Usage(3, 300, 2, 200)
    assert rows[("cluster", "*")] == Usage(3, 300, 2, 200)

    await quotas.consume_in(user, None, 1, 1, SMALL)
    assert await quotas.flush() == 2
    assert (await stored_rows(engine))[("user", user)] == Usage(4, 301, 2, 200)


async def test_stored_counters_never_go_backwards(engine: AsyncEngine) -> None:
    key = CounterKey("user", uid(), date(2031, 3, 14))
    now = datetime(2031, 3, 14, tzinfo=UTC)
    maker = create_sessionmaker(engine)

    for usage in (Usage(10, 100, 1, 1), Usage(5, 500, 0, 2)):
        async with maker() as session:
            await store_usage(session, [(key, usage)], now)
            await session.commit()

    assert (await stored_rows(engine))[("user", key.scope_id)] == Usage(10, 500, 1, 2)


async def test_memory_counts_come_back_from_the_database_after_a_restart(
    sqlite_engine: AsyncEngine, clock: UTCClock
) -> None:
    user = uid()
    before = QuotaService(MemoryStore(), sqlite_engine, clock)
    await before.consume_in(user, None, 40, 400, SMALL)
    await before.stop()

    after = QuotaService(MemoryStore(), sqlite_engine, clock)
    refused = await after.consume_in(user, None, 70, 1, SMALL)

    assert not refused.allowed
    assert refused.exceeded is not None
    assert refused.exceeded.used == 40
    assert await after.usage("user", user) == Usage(40, 400, 0, 0)
    assert (await after.consume_in(user, None, 60, 1, SMALL)).allowed


async def test_redis_counters_are_reseeded_after_redis_lost_them(
    redis: RedisStore, sqlite_engine: AsyncEngine, clock: UTCClock
) -> None:
    quotas, user = QuotaService(redis, sqlite_engine, clock), uid()
    await quotas.consume_in(user, None, 30, 1, SMALL)
    await quotas.flush()

    await redis.delete_all_keys()  # as if Redis restarted without persistence
    decision = await quotas.consume_in(user, None, 71, 1, SMALL)

    assert not decision.allowed
    assert decision.exceeded is not None
    assert decision.exceeded.used == 30


async def test_stop_flushes_what_is_left(
    make_service: MakeService, sqlite_engine: AsyncEngine
) -> None:
    quotas, user = make_service(flush_interval=60.0), uid()
    await quotas.start()
    await quotas.consume_in(user, None, 7, 70, SMALL)

    await quotas.stop()

    assert (await stored_rows(sqlite_engine))[("user", user)] == Usage(7, 70, 0, 0)


async def test_background_flush_runs_every_interval(
    make_service: MakeService, sqlite_engine: AsyncEngine
) -> None:
    quotas, user = make_service(flush_interval=0.01), uid()
    await quotas.start()
    try:
        await quotas.consume_in(user, None, 2, 2, SMALL)
        for _ in range(200):
            if ("user", user) in await stored_rows(sqlite_engine):
                break
            await asyncio.sleep(0.01)
    finally:
        await quotas.stop()

    assert (await stored_rows(sqlite_engine))[("user", user)] == Usage(2, 2, 0, 0)


# -- Redis down ----------------------------------------------------------------------


async def test_redis_down_fails_open_and_keeps_the_usage(
    sqlite_engine: AsyncEngine, clock: UTCClock
) -> None:
    store = RedisStore(UNREACHABLE_REDIS_URL, socket_timeout=0.2)
    quotas, user = QuotaService(store, sqlite_engine, clock), uid()
    try:
        decision = await quotas.consume_in(user, None, 500, 1, SMALL)
        flushed = await quotas.flush()
        usage = await quotas.usage("user", user)
    finally:
        await store.aclose()

    assert decision.allowed
    assert decision.degraded
    assert decision.remaining.messages is None
    assert flushed == 0
    assert usage.messages_in == 500
    assert quotas.storage_errors >= 2


async def test_usage_accepted_during_an_outage_reaches_redis_later(
    redis: RedisStore,
    sqlite_engine: AsyncEngine,
    clock: UTCClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quotas, user = QuotaService(redis, sqlite_engine, clock), uid()
    counters = quotas._counters
    working = counters._consume  # type: ignore[attr-defined]

    async def broken(**_: object) -> object:
        raise RedisConnectionError("connection reset")

    monkeypatch.setattr(counters, "_consume", broken)
    outage = await quotas.consume_in(user, None, 30, 3, SMALL)
    await quotas.consume_out(user, None, 4, 4, SMALL)
    monkeypatch.setattr(counters, "_consume", working)

    assert outage.degraded
    assert await quotas.flush() == 2  # user and cluster
    assert await quotas.usage("user", user) == Usage(30, 3, 4, 4)
    assert (await stored_rows(sqlite_engine))[("user", user)] == Usage(30, 3, 4, 4)
    refused = await quotas.consume_in(user, None, 71, 1, SMALL)
    assert refused.exceeded is not None
    assert refused.exceeded.used == 30


# -- small pieces --------------------------------------------------------------------


def test_format_bytes() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(100 * 1024 * 1024) == "100 MiB"
    assert format_bytes(2 * 1024**3) == "2 GiB"


async def test_negative_amounts_are_refused(make_service: MakeService) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        await make_service().consume_in(uid(), None, -1, 0, SMALL)


# -- a rate-limit hit made with the quota (issue 20) -----------------------------------


class _Refused(Exception):
    pass


def _rate_hit(limiter: RateLimiter, key: str, decisions: list[RateDecision]) -> RateHit:
    def settle(decision: RateDecision) -> None:
        decisions.append(decision)
        if not decision.allowed:
            raise _Refused

    return RateHit(limiter, key, RatePolicy(per_minute=2, per_hour=None, per_day=None), settle)


async def test_a_rate_hit_given_to_the_quota_is_made_first(
    make_service: MakeService, store: LimitsStore
) -> None:
    """On either store the hit is settled before the quota, and a refused hit consumes
    no quota (with Redis both are one script)."""
    url = store.url if isinstance(store, RedisStore) else None
    limiter = RateLimiter(url, key_prefix=f"{uid()}:rate")
    quotas, user, decisions = make_service(), uid(), []
    try:
        for _ in range(2):
            decision = await quotas.consume_in(
                user, None, 3, 10, SMALL, rate=_rate_hit(limiter, user, decisions)
            )
            assert decision.allowed
        refused = _rate_hit(limiter, user, decisions)
        with pytest.raises(_Refused):
            await quotas.consume_in(user, None, 3, 10, SMALL, rate=refused)
        assert refused.attempted
        usage = await quotas.usage("user", user)
    finally:
        if url is not None:
            await limiter.reset(user, RatePolicy(per_minute=2, per_hour=None, per_day=None))
        await limiter.aclose()
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    assert not any(d.degraded for d in decisions)
    assert usage.messages_in == 6


async def test_redis_down_the_rate_hit_made_with_the_quota_fails_open_too(
    sqlite_engine: AsyncEngine, clock: UTCClock
) -> None:
    store = RedisStore(UNREACHABLE_REDIS_URL, socket_timeout=0.2)
    limiter = RateLimiter(UNREACHABLE_REDIS_URL, socket_timeout=0.2)
    quotas, user, decisions = QuotaService(store, sqlite_engine, clock), uid(), []
    try:
        decision = await quotas.consume_in(
            user, None, 5, 1, SMALL, rate=_rate_hit(limiter, user, decisions)
        )
        usage = await quotas.usage("user", user)
    finally:
        await store.aclose()
        await limiter.aclose()
    assert decision.allowed
    assert decision.degraded
    assert [(d.allowed, d.remaining, d.degraded) for d in decisions] == [(True, 1, True)]
    assert limiter.storage_errors == 1
    assert quotas.storage_errors >= 1
    assert usage.messages_in == 5
