"""Issue 12.18: a username that differs from a taken one only in case is refused."""

from __future__ import annotations

import asyncio
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


async def test_racing_registrations_differing_only_in_case_let_one_win(
    client: httpx.AsyncClient,
) -> None:
    name = f"Bob_{uuid.uuid4().hex[:8]}"
    variants = [name, name.lower(), name.upper(), name.swapcase()]
    answers = await asyncio.gather(
        *(client.post("/register", json={"username": v, "password": PASSWORD}) for v in variants)
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
