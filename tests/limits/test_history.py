"""GET /usage/history: the caller's counts per UTC day, stored days and today's live ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.limits import UTCClock
from tests.support.factories import Account, bearer, create_key, signup
from topichub.kit.db import Base, create_engine, create_sessionmaker
from topichub.kit.time import utcnow, utctoday
from topichub.limits import CounterKey, MemoryStore, QuotaLimits, QuotaService, Usage
from topichub.limits.repository import load_usage_range, store_usage
from topichub.models.usage import UsageCounter

ZERO = {"messages_in": 0, "bytes_in": 0, "messages_out": 0, "bytes_out": 0}


async def history(
    client: httpx.AsyncClient, account: Account, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/usage/history", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    days: list[dict[str, Any]] = response.json()["days"]
    return days


async def publish(client: httpx.AsyncClient, headers: dict[str, str], values: list[Any]) -> None:
    response = await client.post(
        "/topics/events/publish",
        json={"messages": [{"value": v} for v in values]},
        headers=headers,
    )
    assert response.status_code == 200, response.text


async def store_day(app: FastAPI, user_id: str, day: date, usage: Usage) -> None:
    async with app.state.resources.sessionmaker() as session:
        await store_usage(session, [(CounterKey("user", user_id, day), usage)], utcnow())
        await session.commit()


def counts(entry: dict[str, Any]) -> dict[str, int]:
    return {name: entry[name] for name in ZERO}


async def test_messages_published_a_moment_ago_count_today(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await publish(client, account.headers, ["a", "bb", "ccc"])

    days = await history(client, account)

    assert days[-1]["date"] == utctoday().isoformat()
    assert days[-1]["messages_in"] == 3
    assert days[-1]["bytes_in"] > 0
    usage = (await client.get("/usage", headers=account.headers)).json()
    assert days[-1]["bytes_in"] == usage["bytes_in"]["used"]
    assert all(counts(d) == ZERO for d in days[:-1])


async def test_every_day_is_present_oldest_first(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    today = utctoday()

    default = await history(client, account)
    assert [d["date"] for d in default] == [
        (today - timedelta(days=n)).isoformat() for n in range(13, -1, -1)
    ]
    assert [d["date"] for d in await history(client, account, days=1)] == [today.isoformat()]
    assert len(await history(client, account, days=90)) == 90


async def test_a_stored_earlier_day_appears_on_its_date(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    today = utctoday()
    user_id = str(account.user["id"])
    await store_day(app, user_id, today - timedelta(days=3), Usage(7, 700, 2, 200))
    await store_day(app, user_id, today - timedelta(days=20), Usage(5, 500, 0, 0))

    days = {d["date"]: counts(d) for d in await history(client, account)}

    assert days[(today - timedelta(days=3)).isoformat()] == {
        "messages_in": 7,
        "bytes_in": 700,
        "messages_out": 2,
        "bytes_out": 200,
    }
    assert sum(d["messages_in"] for d in days.values()) == 7  # day 20 is outside 14 days
    wider = {d["date"]: d for d in await history(client, account, days=21)}
    assert wider[(today - timedelta(days=20)).isoformat()]["messages_in"] == 5


async def test_limits_are_the_plans_daily_user_quotas(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.get("/usage/history", headers=account.headers)
    assert response.status_code == 200
    usage = (await client.get("/usage", headers=account.headers)).json()
    assert response.json()["limits"] == {
        name: usage[name]["limit"]
        for name in ("messages_in", "bytes_in", "messages_out", "bytes_out")
    }


@pytest.mark.parametrize("days", ["0", "91", "-1", "abc", "1.5", ""])
async def test_days_out_of_range_is_422(client: httpx.AsyncClient, days: str) -> None:
    account = await signup(client)
    response = await client.get(
        "/api/v1/usage/history", params={"days": days}, headers=account.headers
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "days"


async def test_another_users_usage_does_not_appear(client: httpx.AsyncClient, app: FastAPI) -> None:
    me, other = await signup(client), await signup(client)
    await publish(client, other.headers, [1, 2, 3, 4])
    await store_day(app, str(other.user["id"]), utctoday() - timedelta(days=2), Usage(9, 9, 9, 9))

    assert all(counts(d) == ZERO for d in await history(client, me))
    assert sum(d["messages_in"] for d in await history(client, other)) == 13


async def test_a_keys_traffic_counts_for_its_creator(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    writer = await create_key(client, account, ["read", "write"])
    await publish(client, bearer(writer["key"]), ["x", "y"])

    response = await client.get("/usage/history", headers=bearer(writer["key"]))
    assert response.status_code == 200
    assert response.json()["days"][-1]["messages_in"] == 2
    assert (await history(client, account))[-1]["messages_in"] == 2


async def test_history_needs_a_credential(client: httpx.AsyncClient) -> None:
    response = await client.get("/usage/history")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


# -- the service, with a clock ---------------------------------------------------------


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/usage.db")
    async with engine.begin() as conn:
        await conn.run_sync(
            Base.metadata.create_all, tables=[Base.metadata.tables[UsageCounter.__tablename__]]
        )
        await conn.execute(delete(UsageCounter))
    yield engine
    await engine.dispose()


async def test_yesterdays_unflushed_tail_is_not_lost_at_midnight(
    sqlite_engine: AsyncEngine,
) -> None:
    clock = UTCClock()
    clock.now = datetime(2031, 3, 14, 23, 59, 50, tzinfo=UTC)
    quotas = QuotaService(MemoryStore(), sqlite_engine, clock)
    await quotas.consume_in("u", None, 4, 40, QuotaLimits())
    await quotas.flush()
    clock.now = datetime(2031, 3, 14, 23, 59, 59, tzinfo=UTC)
    await quotas.consume_in("u", None, 1, 10, QuotaLimits())  # not flushed yet
    clock.now = datetime(2031, 3, 15, 0, 0, 1, tzinfo=UTC)
    await quotas.consume_in("u", None, 2, 20, QuotaLimits())

    days = await quotas.history("user", "u", 3)

    assert days == [
        (date(2031, 3, 13), Usage()),
        (date(2031, 3, 14), Usage(5, 50, 0, 0)),
        (date(2031, 3, 15), Usage(2, 20, 0, 0)),
    ]


async def test_range_query_reads_only_the_scope_and_the_dates(sqlite_engine: AsyncEngine) -> None:
    day = date(2031, 3, 14)
    rows = [
        (CounterKey("user", "u", day), Usage(1, 1, 1, 1)),
        (CounterKey("user", "u", day - timedelta(days=5)), Usage(2, 2, 2, 2)),
        (CounterKey("user", "v", day), Usage(3, 3, 3, 3)),
        (CounterKey("project", "u", day), Usage(4, 4, 4, 4)),
    ]
    async with create_sessionmaker(sqlite_engine)() as session:
        await store_usage(session, rows, datetime(2031, 3, 14, tzinfo=UTC))
        await session.commit()
        found = await load_usage_range(session, "user", "u", day - timedelta(days=4), day)

    assert found == {day: Usage(1, 1, 1, 1)}
