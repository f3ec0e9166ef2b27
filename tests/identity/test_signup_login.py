"""Sign-up and login in every shape the seeds use."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import PASSWORD, signup, unique_email

TOKEN_FIELDS = {"token", "access_token", "token_type", "expires_in", "refresh_token", "user"}


async def test_signup_returns_every_token_field_and_the_user(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body.keys() >= TOKEN_FIELDS
    assert body["token"] == body["access_token"]
    assert body["token_type"] == "bearer"
    user = body["user"]
    assert user["email"] == email
    assert user["is_active"] is True
    assert user["role"] == "owner"
    assert {"id", "created_at", "tenant_id"} <= user.keys()


async def test_signup_creates_a_default_project(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    projects = (await client.get("/projects", headers=account.headers)).json()
    assert [(p["name"], p["is_default"]) for p in projects] == [("default", True)]


async def test_duplicate_email_is_refused_case_insensitively(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/auth/signup", json={"email": account.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Email already registered"
    assert response.json()["error"]["code"] == "CONFLICT"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "b@example.com", "password": "short"}, "password"),
        ({"email": "c@example.com", "password": "aaaaaaaaaaaa"}, "password"),
        ({"email": "d@example.com", "password": "x" * 129}, "password"),
        ({"email": ["x"], "password": PASSWORD}, "email"),
    ],
)
async def test_signup_rejects_bad_input_with_the_failing_field(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    response = await client.post("/auth/signup", json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert any(d["field"].endswith(field) for d in body["error"]["details"]), body


async def test_signup_rejects_a_non_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/signup", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_login_with_json_email(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json().keys() >= TOKEN_FIELDS
    user = response.json()["user"]
    assert {"id", "email", "tenant_id", "role"} <= user.keys()


async def test_login_with_query_parameters_as_seed_001(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/auth/login",
        params={"username": account.email, "password": PASSWORD},
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


async def test_oauth2_password_form_as_seed_004(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post("/token", data={"username": account.email, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == account.email


async def test_register_with_a_username_then_log_in_with_it(client: httpx.AsyncClient) -> None:
    username = unique_email("u").split("@")[0]
    response = await client.post("/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    assert response.json()["user"]["username"] == username
    login = await client.post("/token", data={"username": username, "password": PASSWORD})
    assert login.status_code == 200


async def test_register_needs_a_username_or_an_email(client: httpx.AsyncClient) -> None:
    response = await client.post("/register", json={"password": PASSWORD})
    assert response.status_code == 422


async def test_wrong_password_and_unknown_account_fail_identically(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    wrong = await client.post(
        "/auth/login", json={"email": account.email, "password": "Wrong-password-1"}
    )
    unknown = await client.post(
        "/auth/login", json={"email": unique_email(), "password": "Wrong-password-1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},
        {"json": {"password": PASSWORD}},
        {"json": {"email": "x@example.com"}},
        {"content": b"[1,2", "headers": {"content-type": "application/json"}},
        {"json": ["not", "an", "object"]},
    ],
)
async def test_login_rejects_malformed_requests(
    client: httpx.AsyncClient, request_kwargs: dict[str, object]
) -> None:
    response = await client.post("/auth/login", **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
