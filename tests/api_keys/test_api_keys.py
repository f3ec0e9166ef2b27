"""API keys: shown once, hashed, three header shapes, permissions, revocation, isolation."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.support.factories import bearer, create_key, signup
from topichub.kit.time import utcnow
from topichub.models import ApiKey


async def test_the_secret_is_shown_once_and_only_its_hash_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    created = await create_key(client, account)
    secret = created["key"]
    assert secret.startswith("thk_")
    assert created["prefix"] in secret
    listed = (await client.get("/api-keys", headers=account.headers)).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert secret not in str(listed)
    async with app.state.resources.sessionmaker() as session:
        row = await session.get(ApiKey, uuid.UUID(created["id"]))
    assert row is not None
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(vars(row))


@pytest.mark.parametrize(
    "header",
    [
        lambda key: {"Authorization": f"Bearer {key}"},
        lambda key: {"Authorization": f"ApiKey {key}"},
        lambda key: {"X-API-Key": key},
    ],
    ids=["bearer", "apikey-scheme", "x-api-key"],
)
async def test_every_seed_header_shape_is_accepted(client: httpx.AsyncClient, header) -> None:  # type: ignore[no-untyped-def]
    account = await signup(client)
    key = await create_key(client, account)
    response = await client.get("/api/v1/projects", headers=header(key["key"]))
    assert response.status_code == 200


async def test_last_use_is_recorded(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    key = await create_key(client, account)
    await client.get("/projects", headers=bearer(key["key"]))
    listed = (await client.get("/api-keys", headers=account.headers)).json()
    assert listed[0]["last_used_at"] is not None


async def test_revoked_key_stops_working_at_once(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    key = await create_key(client, account)
    response = await client.delete(f"/api-keys/{key['id']}", headers=account.headers)
    assert response.status_code == 204
    assert (await client.get("/projects", headers=bearer(key["key"]))).status_code == 401
    listed = (await client.get("/api-keys", headers=account.headers)).json()
    assert listed[0]["is_active"] is False


async def test_a_key_cannot_mint_a_stronger_key(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    key = await create_key(client, account, ["read"])
    response = await client.post(
        "/api-keys", json={"permissions": ["write"]}, headers=bearer(key["key"])
    )
    assert response.status_code == 403


async def test_an_admin_key_can_mint_keys_only_in_its_project(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    other = (await client.post("/projects", json={"name": "p2"}, headers=account.headers)).json()
    admin_key = await create_key(client, account, ["admin"])
    minted = await client.post(
        "/api-keys", json={"permissions": ["read"]}, headers=bearer(admin_key["key"])
    )
    assert minted.status_code == 201
    assert minted.json()["project_id"] == admin_key["project_id"]
    elsewhere = await client.post(
        "/api-keys",
        json={"permissions": ["read"], "project_id": other["id"]},
        headers=bearer(admin_key["key"]),
    )
    assert elsewhere.status_code == 404


async def test_a_read_key_cannot_revoke_keys(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    target = await create_key(client, account)
    reader = await create_key(client, account, ["read"])
    response = await client.delete(f"/api-keys/{target['id']}", headers=bearer(reader["key"]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"permissions": []},
        {"permissions": ["superuser"]},
        {"name": ""},
        {"name": "x" * 101},
        {"expires_in_days": 0},
        {"project_id": "nope"},
        {"tenant_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
async def test_bad_key_payloads_are_422(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.post("/api-keys", json=payload, headers=account.headers)
    assert response.status_code == 422


async def test_another_tenant_cannot_see_use_or_revoke_keys(client: httpx.AsyncClient) -> None:
    owner, stranger = await signup(client), await signup(client)
    key = await create_key(client, owner)
    listed = (await client.get("/api-keys", headers=stranger.headers)).json()
    assert listed == []
    revoke = await client.delete(f"/api-keys/{key['id']}", headers=stranger.headers)
    assert revoke.status_code == 404
    owner_project = key["project_id"]
    minted = await client.post(
        "/api-keys", json={"project_id": owner_project}, headers=stranger.headers
    )
    assert minted.status_code == 404
    # The owner's key still works.
    assert (await client.get("/projects", headers=bearer(key["key"]))).status_code == 200


async def test_an_expired_key_is_refused(client: httpx.AsyncClient, app: FastAPI) -> None:
    account = await signup(client)
    key = await create_key(client, account)
    async with app.state.resources.sessionmaker() as session:
        row = await session.get(ApiKey, uuid.UUID(key["id"]))
        assert row is not None
        row.expires_at = utcnow()
        await session.commit()
    assert (await client.get("/projects", headers=bearer(key["key"]))).status_code == 401
