"""Issue 12.9, 12.11, 12.16 and 14.3: concurrent sign-ups with one email answer one 201
and 409s (never a 500); the most common passwords are refused; answers carrying
credentials are not cacheable; seed 004's ``confirm_password`` must match."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.factories import PASSWORD, create_key, signup, unique_email


async def test_concurrent_sign_ups_with_one_email_answer_201_then_409(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("race")
    answers = await asyncio.gather(
        *(
            client.post("/auth/signup", json={"email": email, "password": PASSWORD})
            for _ in range(8)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 7, [a.text for a in answers if a.status_code >= 500]


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "qwerty2024!"])
async def test_the_most_common_passwords_are_refused(
    client: httpx.AsyncClient, password: str
) -> None:
    response = await client.post(
        "/auth/signup", json={"email": unique_email(), "password": password}
    )
    assert response.status_code == 422
    assert "common" in response.json()["error"]["message"]
    assert response.json()["error"]["details"][0]["field"] == "password"


async def test_answers_with_credentials_are_not_cached(client: httpx.AsyncClient) -> None:
    email = unique_email()
    signed = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
    account = await signup(client)
    login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    refreshed = await client.post(
        "/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    ticket = await client.post("/stream-tickets", headers=account.headers)
    key = await client.post(
        "/api/v1/api-keys", json={"name": "k", "permissions": ["read"]}, headers=account.headers
    )
    for response in (signed, login, refreshed, ticket, key):
        assert response.status_code in {200, 201}, response.text
        assert response.headers["cache-control"] == "no-store", response.url
    assert await create_key(client, account)


async def test_register_refuses_a_confirm_password_that_does_not_match(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/register",
        json={
            "username": "mismatch_" + unique_email()[5:15],
            "password": PASSWORD,
            "confirm_password": PASSWORD + "x",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert "confirm_password" in body["error"]["message"] or any(
        "confirm_password" in detail["field"] for detail in body["error"]["details"]
    )
    matching = await client.post(
        "/register",
        json={
            "username": "matching_" + unique_email()[5:15],
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert matching.status_code == 201, matching.text
