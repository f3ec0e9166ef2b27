from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.factories import Account, signup

_shared: dict[int, Account] = {}


@pytest.fixture
async def shared_account(app: FastAPI, client: httpx.AsyncClient) -> Account:
    """One account per app for the tests that only send refused requests (signing up
    hashes a password, which is slow on purpose)."""
    account = _shared.get(id(app))
    if account is None:
        account = _shared[id(app)] = await signup(client)
    return account
