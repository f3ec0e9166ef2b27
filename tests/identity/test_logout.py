"""Logging out: the refresh token's whole family is revoked, idempotently and quietly."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import PASSWORD, bearer, signup


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def _logout(client: httpx.AsyncClient, token: str, path: str = "/api/v1") -> httpx.Response:
    return await client.post(f"{path}/auth/logout", json={"refresh_token": token})


@pytest.mark.parametrize("prefix", ["/api/v1", ""])
async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, prefix: str) -> None:
    account = await signup(client)
    response = await _logout(client, account.refresh_token, prefix)
    assert response.status_code == 204
    assert response.content == b""
    refused = await _refresh(client, account.refresh_token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AUTHENTICATION_FAILED"


async def test_logout_revokes_tokens_rotated_from_the_same_login(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    rotated = await _refresh(client, account.refresh_token)
    assert rotated.status_code == 200
    current = rotated.json()["refresh_token"]
    # Logging out with the current token ends the session...
    assert (await _logout(client, current)).status_code == 204
    assert (await _refresh(client, current)).status_code == 401
    # ...and so does logging out with an older token of the same family.
    again = await signup(client)
    newer = (await _refresh(client, again.refresh_token)).json()["refresh_token"]
    assert (await _logout(client, again.refresh_token)).status_code == 204
    assert (await _refresh(client, newer)).status_code == 401


async def test_logout_is_idempotent(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert (await _logout(client, account.refresh_token)).status_code == 204
    second = await _logout(client, account.refresh_token)
    assert second.status_code == 204
    assert second.content == b""


@pytest.mark.parametrize("token", ["thr_unknown-token", "not-even-a-refresh-token", "x" * 512])
async def test_unknown_tokens_answer_the_same(client: httpx.AsyncClient, token: str) -> None:
    response = await _logout(client, token)
    assert response.status_code == 204
    assert response.content == b""


async def test_logout_needs_no_access_token_and_ignores_a_bad_one(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": account.refresh_token},
        headers=bearer("not-a-jwt"),
    )
    assert response.status_code == 204
    assert (await _refresh(client, account.refresh_token)).status_code == 401


async def test_other_sessions_of_the_user_keep_working(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    login = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert login.status_code == 200
    other = login.json()
    assert (await _logout(client, account.refresh_token)).status_code == 204
    # The second login's session is untouched: its access and refresh tokens work.
    me = await client.get("/api/v1/auth/me", headers=bearer(other["access_token"]))
    assert me.status_code == 200
    assert (await _refresh(client, other["refresh_token"])).status_code == 200
    # Logging out does not end the access token of the session itself either (it is
    # short-lived and stateless); only the refresh token dies.
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": ""}, {"refresh_token": 42}, {"refresh_token": "x" * 513}, []],
)
async def test_malformed_body_is_a_validation_error(
    client: httpx.AsyncClient, body: object
) -> None:
    response = await client.post("/api/v1/auth/logout", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"]["code"] == "VALIDATION_ERROR"
    assert payload["detail"]


async def test_non_json_body_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/logout", content=b"refresh_token=abc", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
