"""The tenant's API figures of the day: refusals apart from server errors, streams
counted but kept out of the request latency."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.factories import create_key, signup
from tests.support.server import sse
from topichub.limits.metering import DayUsage


async def test_refusals_and_streams_are_counted_apart(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(http)
    reader = await create_key(http, account, permissions=["read"])
    headers = {"X-API-Key": reader["key"]}
    refused = await http.post(
        "/api/v1/topics/events/publish", json={"messages": [{"value": 1}]}, headers=headers
    )
    assert refused.status_code == 403, refused.text
    invalid = await http.post("/api/v1/topics", json={"name": ""}, headers=account.headers)
    assert invalid.status_code == 422, invalid.text
    async with sse(http, "/api/v1/topics/events/stream", headers=account.headers) as stream:
        await stream.next(timeout=5, skip_comments=False)
    await app.state.resources.meter.flush()

    usage = (await http.get("/api/v1/usage", headers=account.headers)).json()["api"]
    assert usage["client_errors"] == 2
    assert usage["errors"] == 0
    assert usage["streams"] == 1
    assert usage["api_calls"] >= 4


def test_the_average_latency_is_over_requests_not_streams() -> None:
    # Two requests of 10 and 30 ms and an hour-long stream, as record_call counts them.
    usage = DayUsage(api_calls=3, streams=1, latency_ms_total=40)
    assert usage.average_latency_ms == 20.0
    assert DayUsage(api_calls=1, streams=1).average_latency_ms == 0.0
