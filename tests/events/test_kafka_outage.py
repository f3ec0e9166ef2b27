"""Outbox delivery through a Kafka broker that stops answering and comes back: requests
never fail, no event is lost, and the audit log stores each event once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.audit.support import wait_for_events
from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import signup
from tests.support.services import create_pg_database, drop_pg_database, unavailable
from tests.support.tansu import TansuBroker
from topichub.models import EventLogEntry, OutboxEvent, Topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def broker() -> AsyncIterator[TansuBroker]:
    broker = await TansuBroker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    try:
        url = await create_pg_database()
    except (OSError, Exception) as exc:
        unavailable("PostgreSQL", exc)
        raise
    try:
        yield url
    finally:
        await drop_pg_database(url)


async def read_log(app: FastAPI, physical: str) -> list[str]:
    """Every event id in the log topic, from the earliest record (duplicates kept)."""
    bus = app.state.resources.bus
    reader = bus.reader(physical, {0: 0})
    ids: list[str] = []
    try:
        end = (await bus.end_offsets(physical))[0]
        while reader.positions()[0] < end:
            ids += [json.loads(r.value)["event_id"] for r in await reader.read(timeout=2.0)]
    finally:
        await reader.close()
    return ids


async def test_broker_pause_delays_events_and_loses_none(
    broker: TansuBroker, pg_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        pg_url, tmp_path, kafka_bootstrap_servers=broker.bootstrap_servers, publish_timeout_s=2.0
    )
    async with running_app(settings) as app, client_for(app) as client:
        relay = app.state.resources.relay
        relay.retry_max_s = 1.0
        account = await signup(client)
        # Every app's events relay through Kafka into the audit log.
        await client.post("/todos", json={"title": "before"}, headers=account.headers)
        await client.get("/math/sqrt?a=81", headers=account.headers)
        group = await client.post(
            "/api/v1/chat/groups", json={"name": "k"}, headers=account.headers
        )
        await client.post(
            "/send-message/",
            json={"group_id": group.json()["id"], "message": "via kafka"},
            headers=account.headers,
        )
        before = await wait_for_events(client, account, 4, timeout=60)
        assert {e["topic"] for e in before} == {"todos", "logs", "chat"}

        broker.pause()
        try:
            for i in range(5):
                started = time.monotonic()
                response = await client.post(
                    "/todos", json={"title": f"during {i}"}, headers=account.headers
                )
                assert response.status_code == 201, "the broker is not on the request path"
                assert time.monotonic() - started < 1.5
            maths = await client.get("/math/add?a=1&b=2", headers=account.headers)
            assert maths.status_code == 200
            await asyncio.sleep(2.5)  # let the relay time out against the paused broker
            assert await relay.pending() == 6, "nothing was acknowledged while paused"
        finally:
            broker.resume()

        found = await wait_for_events(client, account, 10, timeout=90)
        tenant = uuid.UUID(account.tenant_id)
        async with app.state.resources.sessionmaker() as session:
            written = set(
                (
                    await session.scalars(
                        select(OutboxEvent.event_id).where(OutboxEvent.tenant_id == tenant)
                    )
                ).all()
            )
            stored = (
                await session.execute(
                    select(EventLogEntry.event_id, func.count())
                    .where(EventLogEntry.tenant_id == tenant)
                    .group_by(EventLogEntry.event_id)
                )
            ).all()
            physical = await session.scalar(
                select(Topic.physical_name).where(Topic.tenant_id == tenant, Topic.name == "todos")
            )
        assert await relay.pending() == 0
        assert len(written) == 10
        assert {event_id for event_id, _ in stored} == written, "no event lost"
        assert all(count == 1 for _, count in stored), "none stored twice"
        assert len(found) == 10
        assert physical is not None
        in_log = await read_log(app, physical)
        duplicates = {k: n for k, n in Counter(in_log).items() if n > 1}
        assert len(set(in_log)) == 6, "every todo event reached the log"
        # At-least-once: a publish that timed out may have landed too; report, never fail.
        print(f"log records: {len(in_log)}, duplicated in the log: {len(duplicates)}")
