"""Issue 12.13: a read-only API key may compute with ``GET /math/*`` but writes nothing:
no history entry and no event on the log (both are written together, or neither)."""

from __future__ import annotations

import httpx

from tests.support.factories import create_key, signup


async def test_a_read_only_key_computes_but_records_nothing(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    key = await create_key(client, account, ["read"])
    answer = await client.get("/math/add?a=20&b=22", headers={"X-API-Key": key["key"]})
    assert answer.status_code == 200
    assert answer.json()["result"] == 42
    history = await client.get("/math/history", headers=account.headers)
    assert history.json()["items"] == []
    # The account's own token still records.
    await client.get("/math/add?a=1&b=1", headers=account.headers)
    history = await client.get("/math/history", headers=account.headers)
    assert len(history.json()["items"]) == 1
