"""Issue 12.7 and 14.2: changing the email or the password needs the current password
(a stolen access token is not a takeover), and a password change keeps this session
(fresh tokens) while every other one ends. Seed 000's flow "change password, then
delete the account" works with the answer's token."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import PASSWORD, bearer, signup, unique_email

NEW_PASSWORD = "Brand-new-passphrase-7"


@pytest.mark.parametrize(
    "change", [{"password": NEW_PASSWORD}, {"email": "someone-else@example.com"}]
)
async def test_a_token_alone_cannot_change_the_password_or_the_email(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    account = await signup(client)
    response = await client.patch("/auth/me", json=change, headers=account.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert "current_password" in error["message"]
    assert error["details"][0]["field"] == "current_password"
    login = await client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert login.status_code == 200


async def test_a_wrong_current_password_is_refused_and_names_the_field(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.patch(
        "/auth/me",
        json={"email": unique_email(), "current_password": "Not-the-password-1"},
        headers=account.headers,
    )
    assert response.status_code == 401
    assert response.json()["error"]["details"][0]["field"] == "current_password"


async def test_seed_000_flow_change_password_then_delete_the_account(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    changed = await client.patch(
        "/auth/me",
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    token = changed.json()["access_token"]
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 200
    assert (await client.delete("/auth/me", headers=bearer(token))).status_code == 204
    gone = await client.post("/auth/login", json={"email": account.email, "password": NEW_PASSWORD})
    assert gone.status_code == 401
