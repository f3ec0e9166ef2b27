"""Access tokens, refresh rotation, account changes and deactivation."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.conftest import TEST_SECRET
from tests.support.factories import PASSWORD, bearer, create_key, signup, unique_email
from topichub.identity.tokens import STREAM_TICKET_TYPE, TokenCodec


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/auth/me", headers=bearer(token))


async def test_me_returns_the_caller(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await _me(client, account.token)
    assert response.status_code == 200
    assert response.json()["email"] == account.email
    assert response.json()["tenant_id"] == account.tenant_id


async def test_missing_credentials_are_401_with_www_authenticate(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


async def test_tampered_token_is_rejected(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    header, payload, signature = account.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    response = await _me(client, f"{header}.{_b64(claims)}.{signature}")
    assert response.status_code == 401


async def test_alg_none_token_is_rejected(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    claims = json.loads(base64.urlsafe_b64decode(account.token.split(".")[1] + "=="))
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert (await _me(client, forged)).status_code == 401


async def test_token_signed_with_another_secret_is_rejected(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    claims = json.loads(base64.urlsafe_b64decode(account.token.split(".")[1] + "=="))
    forged = jwt.encode(claims, "another-secret-that-is-long-enough-32b!", algorithm="HS256")
    assert (await _me(client, forged)).status_code == 401


async def test_expired_token_is_rejected(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    codec = TokenCodec(TEST_SECRET, access_ttl_s=60)
    expired = codec.issue(
        uuid.UUID(account.user["id"]), uuid.UUID(account.tenant_id), 0, ttl_s=-120
    )
    response = await _me(client, expired)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"].lower()


async def test_wrong_token_type_is_rejected(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    codec = TokenCodec(TEST_SECRET, access_ttl_s=60)
    ticket = codec.issue(
        uuid.UUID(account.user["id"]),
        uuid.UUID(account.tenant_id),
        0,
        token_type=STREAM_TICKET_TYPE,
    )
    assert (await _me(client, ticket)).status_code == 401
    # A refresh token is not an access token either.
    assert (await _me(client, account.refresh_token)).status_code == 401


@pytest.mark.parametrize("garbage", ["x", "a.b.c", "Bearer", "thk_short", "thk_" + "0" * 16 + "_x"])
async def test_garbage_credentials_are_401(client: httpx.AsyncClient, garbage: str) -> None:
    assert (await _me(client, garbage)).status_code == 401


async def test_refresh_rotates_and_the_new_pair_works(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != account.refresh_token
    assert (await _me(client, body["access_token"])).status_code == 200


async def test_refresh_reuse_revokes_the_whole_family(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    first = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    successor = first.json()["refresh_token"]
    replay = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert replay.status_code == 401
    assert "reuse" in replay.json()["detail"].lower()
    # The thief's replay also ended the legitimate successor.
    after = await client.post("/auth/refresh", json={"refresh_token": successor})
    assert after.status_code == 401


@pytest.mark.parametrize("token", ["", "thr_unknown", "x" * 600])
async def test_refresh_rejects_unknown_or_malformed_tokens(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": token})
    assert response.status_code in (401, 422)


async def test_patch_me_changes_email(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    new_email = unique_email("renamed")
    response = await client.patch(
        "/auth/me",
        json={"email": new_email, "current_password": PASSWORD},
        headers=account.headers,
    )
    assert response.status_code == 200
    assert response.json()["email"] == new_email
    login = await client.post("/auth/login", json={"email": new_email, "password": PASSWORD})
    assert login.status_code == 200


async def test_patch_me_refuses_an_email_in_use(client: httpx.AsyncClient) -> None:
    first, second = await signup(client), await signup(client)
    response = await client.patch(
        "/auth/me",
        json={"email": second.email, "current_password": PASSWORD},
        headers=first.headers,
    )
    assert response.status_code == 409


async def test_password_change_ends_every_other_session(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    other = await client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    new_password = "Another-strong-99"
    response = await client.patch(
        "/auth/me",
        json={"password": new_password, "current_password": PASSWORD},
        headers=account.headers,
    )
    assert response.status_code == 200
    assert (await _me(client, account.token)).status_code == 401
    assert (await _me(client, other.json()["access_token"])).status_code == 401
    other_refresh = {"refresh_token": other.json()["refresh_token"]}
    assert (await client.post("/auth/refresh", json=other_refresh)).status_code == 401
    # This session goes on with the fresh pair it was given.
    body = response.json()
    assert body["email"] == account.email
    assert (await _me(client, body["access_token"])).status_code == 200
    assert body["token"] == body["access_token"]
    renewed = await client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert renewed.status_code == 200
    refresh = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refresh.status_code == 401
    old = await client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/auth/login", json={"email": account.email, "password": new_password})
    assert new.status_code == 200


async def test_patch_me_with_a_wrong_current_password_is_refused(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.patch(
        "/auth/me",
        json={"password": "Another-strong-99", "current_password": "not-it-at-all"},
        headers=account.headers,
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "short", "current_password": PASSWORD},
        {"email": "nope", "current_password": PASSWORD},
        {"role": "admin"},
        {"is_active": False},
    ],
)
async def test_patch_me_rejects_bad_or_forbidden_fields(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.patch("/auth/me", json=payload, headers=account.headers)
    assert response.status_code == 422


async def test_deactivation_stops_tokens_refresh_keys_and_login(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    key = await create_key(client, account)
    assert (await client.get("/projects", headers=bearer(key["key"]))).status_code == 200
    response = await client.delete("/auth/me", headers=account.headers)
    assert response.status_code == 204
    assert (await _me(client, account.token)).status_code == 401
    assert (await client.get("/projects", headers=bearer(key["key"]))).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refresh.status_code == 401
    login = await client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert login.status_code == 401


async def test_api_keys_cannot_manage_the_account(client: httpx.AsyncClient, app: FastAPI) -> None:
    account = await signup(client)
    key = await create_key(client, account, ["read", "write", "admin"])
    assert (await client.delete("/auth/me", headers=bearer(key["key"]))).status_code == 403
    assert (await client.get("/auth/me", headers=bearer(key["key"]))).status_code == 403
