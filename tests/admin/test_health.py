"""GET /api/v1/admin/health: the admin health page's figures, platform admins only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD, bearer, create_key, signup
from topichub.admin.rates import RateHistory, Totals

ADMIN_EMAIL = "health-admin@example.com"


async def _admin(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    return bearer(login.json()["access_token"])


@pytest.fixture
async def health_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url, tmp_path, admin_email=ADMIN_EMAIL, admin_password=PASSWORD
    )
    async with running_app(settings) as app:
        yield app


async def test_only_platform_admins_see_it(health_app: FastAPI) -> None:
    async with client_for(health_app) as client:
        account = await signup(client)
        key = await create_key(client, account, ["read", "write", "admin"])
        for path in ("/api/v1/admin/health", "/admin/health"):
            assert (await client.get(path)).status_code == 401
            for headers in (account.headers, bearer(key["key"])):
                response = await client.get(path, headers=headers)
                assert response.status_code == 403, response.text
                assert response.json()["error"]["code"], response.text
                assert "database" not in response.text


async def test_the_embedded_platform_at_a_glance(health_app: FastAPI, database_url: str) -> None:
    async with client_for(health_app) as client:
        headers = await _admin(client)
        account = await signup(client)
        published = await client.post(
            "/api/v1/topics/events/publish",
            headers=account.headers,
            json={"messages": [{"value": {"n": i}} for i in range(3)]},
        )
        assert published.status_code == 200, published.text
        response = await client.get("/api/v1/admin/health", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert body["database"] == {
        "status": "ok",
        "latency_ms": body["database"]["latency_ms"],
        "error": None,
        "dialect": dialect,
    }
    assert body["database"]["latency_ms"] >= 0
    log = body["log"]
    assert (log["status"], log["engine"], log["brokers"]) == ("ok", "embedded", None)
    # The admin's and the member's default topics at least, one partition each.
    assert log["topics"] >= 2
    assert log["partitions"] >= log["topics"]
    assert body["redis"] == {"status": "off", "latency_ms": None, "error": None}
    [me] = [p for p in body["processes"] if p["this_process"]]
    assert me["open_streams"] == 0
    assert body["processes"][0] == me
    assert body["processes_error"] is None
    rates = body["rates"]
    assert rates["scope"] == "this process"
    assert rates["requests"] == sum(m["requests"] for m in rates["minutes"])


@pytest.mark.redis
async def test_processes_and_their_streams_come_from_redis(tmp_path: Path, redis_url: str) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        admin_email=ADMIN_EMAIL,
        admin_password=PASSWORD,
        redis_url=redis_url,
        redis_key_prefix=f"th-test-health-{uuid.uuid4().hex[:8]}",
    )
    async with running_app(settings) as app, client_for(app) as client:
        headers = await _admin(client)
        # One stream held in the shared registry, as a stream of this process would be.
        resources = app.state.resources
        slot = await resources.connections.acquire(
            str(uuid.uuid4()), 5, {"topic": "events", "transport": "sse"}
        )
        assert slot is not None
        async with slot:
            body = (await client.get("/api/v1/admin/health", headers=headers)).json()
    assert body["redis"]["status"] == "ok"
    assert body["redis"]["latency_ms"] >= 0
    [me] = [p for p in body["processes"] if p["this_process"]]
    assert me["open_streams"] == 1
    assert body["status"] == "ok"


@pytest.mark.kafka
async def test_kafka_brokers_and_partitions(tmp_path: Path, kafka_bootstrap: str) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        admin_email=ADMIN_EMAIL,
        admin_password=PASSWORD,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    async with running_app(settings) as app, client_for(app) as client:
        headers = await _admin(client)
        body = (await client.get("/api/v1/admin/health", headers=headers)).json()
    log = body["log"]
    assert (log["status"], log["engine"]) == ("ok", "kafka"), log
    _host, _, port = kafka_bootstrap.split(",")[0].rpartition(":")
    assert any(b["port"] == int(port) for b in log["brokers"]), log
    assert log["cluster_topics"] >= log["topics"] >= 1
    assert log["cluster_partitions"] >= log["partitions"]


def test_rates_are_per_minute_differences() -> None:
    now = [600.0]
    totals = [Totals(10, 5, 0)]
    history = RateHistory(minutes=60, clock=lambda: now[0], totals=lambda: totals[0])
    history.sample()  # minute 10
    now[0], totals[0] = 665.0, Totals(14, 5, 2)
    history.sample()  # minute 11
    now[0], totals[0] = 790.0, Totals(20, 8, 2)
    history.sample()  # minute 13 (12 had no sample)
    figures = [(m.requests, m.messages_in, m.messages_out) for m in history.rates()]
    assert figures == [(4, 0, 2), (0, 0, 0), (6, 3, 0)]
    assert history.since() is not None
    assert history.since().timestamp() == 600
    now[0] = 790.0 + 61 * 60
    history.sample()
    assert all(m.minute.timestamp() > 790 for m in history.rates())
