"""Factories: real accounts and keys made through the public API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "Correct-horse-42"


@dataclass
class Account:
    email: str
    password: str
    token: str
    refresh_token: str
    user: dict[str, Any]
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def tenant_id(self) -> str:
        return str(self.user["tenant_id"])


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def signup(client: httpx.AsyncClient, email: str | None = None) -> Account:
    email = email or unique_email()
    response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        email=email,
        password=PASSWORD,
        token=body["token"],
        refresh_token=body["refresh_token"],
        user=body["user"],
    )


async def create_key(
    client: httpx.AsyncClient,
    account: Account,
    permissions: list[str] | None = None,
    project_id: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"name": "test key", "permissions": permissions or ["read", "write"]}
    if project_id:
        payload["project_id"] = project_id
    response = await client.post("/api/v1/api-keys", json=payload, headers=account.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
