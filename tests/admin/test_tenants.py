"""Platform administration (seed 003's /api/admin): admins only, limits take effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD, bearer, create_key, signup

ADMIN_EMAIL = "root@example.com"


@pytest.fixture(scope="module")
async def admin_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    path = tmp_path_factory.mktemp("admin")
    settings = make_settings(
        f"sqlite+aiosqlite:///{path}/db.sqlite",
        path,
        admin_email=ADMIN_EMAIL,
        admin_password=PASSWORD,
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def admin_client(admin_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(admin_app) as client:
        yield client


async def _admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    return bearer(login.json()["access_token"])


ADMIN_ROUTES = [
    ("GET", "/api/admin/tenants", None),
    ("POST", "/api/admin/tenants", {"name": "x"}),
    ("GET", "/api/admin/tenants/{tid}", None),
    ("PUT", "/api/admin/tenants/{tid}", {"name": "y"}),
    ("PATCH", "/api/admin/tenants/{tid}", {"rate_limits": {"per_minute": 1}}),
    ("DELETE", "/api/admin/tenants/{tid}", None),
    ("GET", "/api/admin/tenants/{tid}/usage", None),
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users/{uid}/deactivate", None),
    ("GET", "/admin/active-streams", None),
    ("GET", "/admin/health", None),
]


async def test_every_admin_route_refuses_non_admins(admin_client: httpx.AsyncClient) -> None:
    account = await signup(admin_client)
    key = await create_key(admin_client, account, ["read", "write", "admin"])
    victim = await signup(admin_client)
    for method, template, body in ADMIN_ROUTES:
        url = template.format(tid=victim.tenant_id, uid=victim.user["id"])
        for headers in ({}, account.headers, bearer(key["key"])):
            response = await admin_client.request(method, url, json=body, headers=headers)
            expected = 401 if not headers else 403
            assert response.status_code == expected, (method, url, headers, response.text)
    # The victim is untouched.
    assert (await admin_client.get("/auth/me", headers=victim.headers)).status_code == 200


async def test_admin_creates_lists_updates_and_deletes_a_tenant(
    admin_client: httpx.AsyncClient,
) -> None:
    headers = await _admin_headers(admin_client)
    created = await admin_client.post(
        "/api/admin/tenants",
        json={"name": "Acme", "rate_limits": {"per_minute": 50}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["effective"]["rate_limits"]["per_minute"] == 50
    assert tenant["effective"]["rate_limits"]["per_hour"] == 50_000
    listed = (await admin_client.get("/api/admin/tenants", headers=headers)).json()
    assert tenant["id"] in {t["id"] for t in listed["tenants"]}
    updated = await admin_client.put(
        f"/api/admin/tenants/{tenant['id']}", json={"name": "Acme Corp"}, headers=headers
    )
    assert updated.json()["name"] == "Acme Corp"
    assert updated.json()["effective"]["rate_limits"]["per_minute"] == 50
    reset = await admin_client.patch(
        f"/api/admin/tenants/{tenant['id']}", json={"rate_limits": None}, headers=headers
    )
    assert reset.json()["effective"]["rate_limits"]["per_minute"] == 1000
    deleted = await admin_client.delete(f"/api/admin/tenants/{tenant['id']}", headers=headers)
    assert deleted.status_code == 204
    gone = await admin_client.get(f"/api/admin/tenants/{tenant['id']}", headers=headers)
    assert gone.status_code == 404


async def test_a_changed_rate_limit_applies_to_the_tenants_next_requests(
    admin_client: httpx.AsyncClient,
) -> None:
    headers = await _admin_headers(admin_client)
    account = await signup(admin_client)
    patched = await admin_client.patch(
        f"/api/admin/tenants/{account.tenant_id}",
        json={"rate_limits": {"per_minute": 2}},
        headers=headers,
    )
    assert patched.status_code == 200
    statuses = [
        (await admin_client.get("/topics", headers=account.headers)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


async def test_a_changed_stream_limit_and_quota_apply(admin_client: httpx.AsyncClient) -> None:
    headers = await _admin_headers(admin_client)
    account = await signup(admin_client)
    await admin_client.patch(
        f"/api/admin/tenants/{account.tenant_id}",
        json={"quotas": {"messages_per_day": 1}},
        headers=headers,
    )
    body = {"messages": [{"value": 1}]}
    first = await admin_client.post("/topics/events/publish", json=body, headers=account.headers)
    second = await admin_client.post("/topics/events/publish", json=body, headers=account.headers)
    assert (first.status_code, second.status_code) == (200, 429)


async def test_deactivating_a_tenant_locks_out_its_users_and_keys(
    admin_client: httpx.AsyncClient,
) -> None:
    headers = await _admin_headers(admin_client)
    account = await signup(admin_client)
    key = await create_key(admin_client, account)
    await admin_client.patch(
        f"/api/admin/tenants/{account.tenant_id}", json={"is_active": False}, headers=headers
    )
    assert (await admin_client.get("/projects", headers=account.headers)).status_code == 401
    assert (await admin_client.get("/projects", headers=bearer(key["key"]))).status_code == 401


async def test_admin_deactivates_a_user(admin_client: httpx.AsyncClient) -> None:
    headers = await _admin_headers(admin_client)
    account = await signup(admin_client)
    users = (await admin_client.get("/api/admin/users", headers=headers)).json()
    assert account.email in {u["email"] for u in users["users"]}
    response = await admin_client.post(
        f"/api/admin/users/{account.user['id']}/deactivate", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await admin_client.get("/auth/me", headers=account.headers)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "rate_limits": {"per_minute": -1}},
        {"name": "x", "rate_limits": {"per_second": 5}},
        {"name": "x", "quotas": {"messages_per_day": "many"}},
        {"name": "x", "plan": "Not A Plan!"},
        {"name": "x", "owner_email": "nobody@example.com"},
    ],
)
async def test_bad_tenant_payloads_are_422(
    admin_client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    headers = await _admin_headers(admin_client)
    response = await admin_client.post("/api/admin/tenants", json=body, headers=headers)
    assert response.status_code == 422, response.text


async def test_unknown_tenant_is_404(admin_client: httpx.AsyncClient, tmp_path: Path) -> None:
    headers = await _admin_headers(admin_client)
    response = await admin_client.get(
        "/api/admin/tenants/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert response.status_code == 404


async def test_usage_reports_api_calls_for_the_tenant(
    admin_client: httpx.AsyncClient, admin_app: FastAPI
) -> None:
    account = await signup(admin_client)
    for _ in range(3):
        await admin_client.get("/topics", headers=account.headers)
    await admin_app.state.resources.meter.flush()
    usage = (await admin_client.get("/api/v1/usage", headers=account.headers)).json()
    assert usage["tenant_id"] == account.tenant_id
    assert usage["api"]["api_calls"] >= 3
    assert usage["api"]["average_latency_ms"] > 0
    assert usage["messages_in"]["limit"] == 10_000
