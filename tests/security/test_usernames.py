"""Issue 12.18: a username that differs from a taken one only in case is refused."""

from __future__ import annotations

import uuid

import httpx

from tests.support.factories import PASSWORD


async def test_usernames_differing_only_in_case_do_not_both_register(
    client: httpx.AsyncClient,
) -> None:
    name = f"Alice_{uuid.uuid4().hex[:8]}"
    first = await client.post("/register", json={"username": name, "password": PASSWORD})
    assert first.status_code == 201, first.text
    for variant in (name.lower(), name.upper()):
        again = await client.post("/register", json={"username": variant, "password": PASSWORD})
        assert again.status_code == 409, again.text
