"""The SSE stream fast route (``topics.stream_route``): the same contract as the
``APIRoute`` it shortcuts, without a database session when the caches answer, and every
unusual request answered by the ``APIRoute`` itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_settings, running_app
from tests.support.factories import create_key, signup
from tests.support.server import serving, sse


async def test_the_stream_entry_of_the_openapi_document_is_the_api_routes(
    client: httpx.AsyncClient,
) -> None:
    """The fast path is no route: the document's stream entry is the ``APIRoute``'s, and
    the seed path stays out of the document (the contract is pinned, not the prose)."""
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/topics/{name}/stream"]["get"]
    assert operation["operationId"] == "stream_sse_api_v1_topics__name__stream_get"
    assert sorted(operation["responses"]) == ["200", "422"]
    assert list(operation["responses"]["200"]["content"]) == ["text/event-stream"]
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [
        ("name", "path"),
        ("from", "query"),
        ("since", "query"),
        ("cursor", "query"),
        ("ticket", "query"),
        ("project_id", "query"),
        ("group", "query"),
        ("autocommit", "query"),
        ("last-event-id", "header"),
    ]
    assert "security" not in operation
    assert "/topics/{name}/stream" not in spec["paths"]


class _CountingSessions:
    def __init__(self, make: Any) -> None:
        self.make = make
        self.opened = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.opened += 1
        return self.make(*args, **kwargs)


@pytest.mark.parametrize("path", ["/api/v1/topics/events/stream", "/topics/events/stream"])
@pytest.mark.parametrize("credential", ["token", "key"])
async def test_a_stream_answered_by_the_caches_opens_no_database_session(
    app: FastAPI,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    credential: str,
) -> None:
    """The ``APIRoute`` always opens one (its session dependency): none opened means
    the fast route served the stream, and held no session while it ran."""
    account = await signup(http)
    if credential == "key":
        headers = {"X-API-Key": (await create_key(http, account))["key"]}
    else:
        headers = account.headers
    resources = app.state.resources
    monkeypatch.setattr(resources.caches.principals, "ttl_s", 60.0)
    monkeypatch.setattr(resources.caches.plans, "ttl_s", 60.0)
    monkeypatch.setattr(resources.caches.topics, "ttl_s", 60.0)
    async with sse(http, path, headers=headers) as first:
        await first.next(skip_comments=False)
        counting = _CountingSessions(resources.sessionmaker)
        monkeypatch.setattr(resources, "sessionmaker", counting)
        async with sse(http, path, headers=headers) as second:
            connected = await second.next(skip_comments=False)
            assert connected.comments == ["connected"]
            assert second.response.headers["cache-control"] == "no-cache"
            assert second.response.headers["x-accel-buffering"] == "no"
            assert "x-request-id" in second.response.headers
            published = await http.post(
                "/api/v1/topics/events/publish",
                headers=headers,
                json={"messages": [{"value": {"n": 1}}]},
            )
            assert published.status_code == 200, published.text
            event = await second.next()
            assert event.json()["value"] == {"n": 1}
            assert event.id == "0:1"
        assert counting.opened == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Basic abc"}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"X-API-Key": ""}, 401),
        ({"Authorization": "Bearer not-a-token"}, 401),
        ({"X-API-Key": "thk_not_a_key"}, 401),
    ],
)
async def test_credentials_the_fast_route_does_not_take_get_the_same_answers(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await client.get("/api/v1/topics/events/stream", headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"project_id": "not-a-uuid"}, {}, "project_id"),
        ({"cursor": "x" * 4097}, {}, "cursor"),
        ({"ticket": "x" * 2049}, {}, "ticket"),
        ({}, {"Last-Event-ID": "x" * 4097}, "last-event-id"),
        ({"group": "bad name!"}, {}, "group"),
        ({"autocommit": "maybe"}, {}, "autocommit"),
        ({"since": "yesterday"}, {}, "since"),
    ],
)
async def test_requests_the_fast_route_does_not_take_get_fastapis_answers(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], field: str
) -> None:
    account = await signup(client)
    response = await client.get(
        "/api/v1/topics/events/stream", params=params, headers={**account.headers, **headers}
    )
    assert response.status_code == 422, response.text
    fields = [d["field"] for d in response.json()["error"]["details"]]
    assert any(field in f for f in fields), fields


async def test_a_repeated_parameter_goes_to_the_api_route(http: httpx.AsyncClient) -> None:
    """``from`` twice: the ``APIRoute`` answers (FastAPI takes the last one)."""
    account = await signup(http)
    async with sse(
        http,
        "/api/v1/topics/events/stream?from=bogus&from=earliest",
        headers=account.headers,
    ) as stream:
        await stream.next(skip_comments=False)


async def test_fast_route_errors_are_the_endpoints(client: httpx.AsyncClient) -> None:
    """Errors raised on the fast path are rendered by the app's handlers as before."""
    account = await signup(client)
    response = await client.get(
        "/api/v1/topics/events/stream", params={"from": "middle"}, headers=account.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "from"
    response = await client.get("/api/v1/topics/nothing-here/stream", headers=account.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_other_methods_on_the_stream_path_are_still_405(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post("/api/v1/topics/events/stream", headers=account.headers)
    assert response.status_code == 405


async def test_the_fast_route_answers_through_the_apps_own_middleware(
    tmp_path: Path,
) -> None:
    """The fast route runs in front of the middleware stack, through a short one of its
    own: the same request id, security headers and CORS answers as every other request,
    for a stream and for an error of the fast path alike."""
    origin = "https://console.example.com"
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, cors_origins=[origin]
    )
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        account = await signup(http)
        headers = {**account.headers, "Origin": origin, "X-Request-ID": "fast-route-1"}
        async with sse(http, "/api/v1/topics/events/stream", headers=headers) as stream:
            await stream.next(skip_comments=False)
            answered = stream.response.headers
            assert answered["x-request-id"] == "fast-route-1"
            assert answered["access-control-allow-origin"] == origin
            assert answered["x-content-type-options"] == "nosniff"
            assert answered["cache-control"] == "no-cache"
        missing = await http.get("/api/v1/topics/nothing-here/stream", headers=headers)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "NOT_FOUND"
        assert missing.headers["x-request-id"] == "fast-route-1"
        assert missing.headers["access-control-allow-origin"] == origin
        other = await http.get(
            "/api/v1/topics/nothing-here/stream",
            headers={**account.headers, "Origin": "https://evil.example"},
        )
        assert other.status_code == 404
        assert "access-control-allow-origin" not in other.headers


async def test_a_ticket_stream_takes_its_user_from_the_credential_cache(
    app: FastAPI, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket's user, tenant and token version are looked up through the same cache
    entry as its access token's (same key, same invalidation), not in the database at
    every open."""
    from topichub.identity import service

    account = await signup(http)
    resources = app.state.resources
    monkeypatch.setattr(resources.caches.principals, "ttl_s", 60.0)
    lookups = 0
    lookup = service.principal_for_user

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal lookups
        lookups += 1
        return await lookup(*args, **kwargs)

    monkeypatch.setattr(service, "principal_for_user", counted)
    assert (await http.get("/api/v1/topics", headers=account.headers)).status_code == 200
    assert lookups == 1  # the access token filled the cache
    for _ in range(2):
        bought = await http.post("/api/v1/stream-tickets", headers=account.headers)
        assert bought.status_code in (200, 201), bought.text
        path = f"/api/v1/topics/events/stream?ticket={bought.json()['ticket']}"
        async with sse(http, path) as stream:
            await stream.next(skip_comments=False)
    assert lookups == 1
