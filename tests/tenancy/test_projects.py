"""Projects (seed 000): CRUD, validation and tenant isolation."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.factories import Account, bearer, create_key, signup


async def _create(client: httpx.AsyncClient, account: Account, name: str) -> httpx.Response:
    return await client.post("/projects", json={"name": name}, headers=account.headers)


async def test_project_lifecycle(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = await client.post(
        "/projects", json={"name": "analytics", "description": "clicks"}, headers=account.headers
    )
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == "analytics"
    assert project["is_default"] is False

    renamed = await client.patch(
        f"/projects/{project['id']}", json={"name": "metrics"}, headers=account.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "metrics"
    assert renamed.json()["description"] == "clicks"

    listed = await client.get("/api/v1/projects", headers=account.headers)
    assert {p["name"] for p in listed.json()} == {"default", "metrics"}

    deleted = await client.delete(f"/projects/{project['id']}", headers=account.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/projects/{project['id']}", headers=account.headers)
    assert gone.status_code == 404


async def test_duplicate_project_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert (await _create(client, account, "dup")).status_code == 201
    response = await _create(client, account, "dup")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


async def test_renaming_onto_an_existing_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    project = (await _create(client, account, "one")).json()
    response = await client.patch(
        f"/projects/{project['id']}", json={"name": "default"}, headers=account.headers
    )
    assert response.status_code == 409


async def test_the_default_project_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    default = (await client.get("/projects", headers=account.headers)).json()[0]
    response = await client.delete(f"/projects/{default['id']}", headers=account.headers)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "a\nb"},
        {"name": 5},
        {"name": "ok", "tenant_id": str(uuid.uuid4())},
    ],
)
async def test_bad_project_payloads_are_422(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.post("/projects", json=payload, headers=account.headers)
    assert response.status_code == 422


async def test_malformed_project_id_is_422(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.get("/api/v1/projects/not-a-uuid", headers=account.headers)
    assert response.status_code == 422


async def test_another_tenant_sees_404_on_every_project_route(client: httpx.AsyncClient) -> None:
    owner, stranger = await signup(client), await signup(client)
    project = (await _create(client, owner, "private")).json()
    url = f"/projects/{project['id']}"
    assert (await client.get("/api/v1" + url, headers=stranger.headers)).status_code == 404
    patch = await client.patch(url, json={"name": "mine"}, headers=stranger.headers)
    assert patch.status_code == 404
    assert (await client.delete(url, headers=stranger.headers)).status_code == 404
    listed = (await client.get("/projects", headers=stranger.headers)).json()
    assert project["id"] not in {p["id"] for p in listed}
    # And the owner's project is untouched.
    still = await client.get("/api/v1" + url, headers=owner.headers)
    assert still.json()["name"] == "private"


async def test_an_api_key_sees_only_its_own_project(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    other = (await _create(client, account, "other")).json()
    key = await create_key(client, account, ["read", "write", "admin"])
    headers = bearer(key["key"])
    listed = (await client.get("/projects", headers=headers)).json()
    assert [p["id"] for p in listed] == [key["project_id"]]
    assert (await client.get(f"/api/v1/projects/{other['id']}", headers=headers)).status_code == 404
    # Keys cannot create or delete projects: that widens their own reach.
    assert (await client.post("/projects", json={"name": "k"}, headers=headers)).status_code == 403


async def test_a_read_only_key_cannot_change_projects(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    key = await create_key(client, account, ["read"])
    response = await client.patch(
        f"/projects/{key['project_id']}", json={"name": "renamed"}, headers=bearer(key["key"])
    )
    assert response.status_code == 403
