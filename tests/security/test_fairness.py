"""Issue 12.3 and 12.8: the cluster's daily inbound brake cannot be pulled by one tenant
or by a crowd of fresh sign-ups, and sign-ups are rate-limited per address and in total."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD, Account, bearer, signup, unique_email

ADMIN = "platform-admin@example.com"


async def _publish(client: httpx.AsyncClient, account: Account, count: int) -> httpx.Response:
    body = {"messages": [{"value": i} for i in range(count)]}
    return await client.post("/topics/events/publish", headers=account.headers, json=body)


def _client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30)


async def test_one_tenant_takes_at_most_its_share_of_the_cluster_brake(
    own_database_url: str, tmp_path: Path
) -> None:
    # Brake of 100 messages: a tenant gets 5 % of it (5), however many users it has.
    settings = make_settings(
        own_database_url,
        tmp_path,
        quota_cluster_messages_in_per_day=100,
        quota_user_messages_per_day=1_000,
    )
    async with running_app(settings) as app, client_for(app) as client:
        greedy, other = await signup(client), await signup(client)
        assert (await _publish(client, greedy, 5)).status_code == 200
        refused = await _publish(client, greedy, 1)
        assert refused.status_code == 429
        assert refused.json()["error"]["details"]["scope"] == "tenant"
        assert "retry-after" in refused.headers
        assert (await _publish(client, other, 5)).status_code == 200


async def test_free_tenants_together_cannot_stop_tenants_an_operator_placed(
    own_database_url: str, tmp_path: Path
) -> None:
    # Brake 20: each tenant may take 5 (25 %), free tenants together 10 (50 %).
    settings = make_settings(
        own_database_url,
        tmp_path,
        quota_cluster_messages_in_per_day=20,
        quota_tenant_share_of_cluster=0.25,
        admin_email=ADMIN,
        admin_password=PASSWORD,
    )
    async with running_app(settings) as app, client_for(app) as client:
        fresh = [await signup(client) for _ in range(3)]
        paying = await signup(client)
        login = await client.post("/auth/login", json={"email": ADMIN, "password": PASSWORD})
        admin = bearer(login.json()["access_token"])
        placed = await client.patch(
            f"/api/admin/tenants/{paying.tenant_id}", headers=admin, json={"plan": "team"}
        )
        assert placed.status_code == 200, placed.text

        assert (await _publish(client, fresh[0], 5)).status_code == 200
        assert (await _publish(client, fresh[1], 5)).status_code == 200
        refused = await _publish(client, fresh[2], 1)
        assert refused.status_code == 429
        assert "free plan" in refused.json()["detail"]
        assert (await _publish(client, paying, 5)).status_code == 200


async def test_sign_ups_are_limited_per_client_address(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        own_database_url, tmp_path, signup_per_address_per_hour=3, signup_per_hour=100
    )
    async with running_app(settings) as app, _client_from(app, "203.0.113.7") as client:
        for _ in range(3):
            await signup(client)
        refused = await client.post(
            "/register", json={"username": "late-comer", "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        async with _client_from(app, "198.51.100.9") as elsewhere:
            await signup(elsewhere)


async def test_sign_ups_from_everyone_together_are_bounded(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        own_database_url, tmp_path, signup_per_address_per_hour=None, signup_per_hour=4
    )
    async with running_app(settings) as app:
        for n in range(4):
            async with _client_from(app, f"192.0.2.{n + 1}") as client:
                await signup(client)
        async with _client_from(app, "192.0.2.99") as client:
            refused = await client.post(
                "/auth/signup", json={"email": unique_email(), "password": PASSWORD}
            )
        assert refused.status_code == 429
        assert "on this server" in refused.json()["detail"]
