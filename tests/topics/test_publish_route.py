"""The publish fast route (``topics.publish_route``): the same contract as the
``APIRoute`` it shortcuts, without a database session when the caches answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.factories import create_key, signup


async def test_the_publish_entry_of_the_openapi_document_is_the_api_routes(
    client: httpx.AsyncClient,
) -> None:
    """The fast path is no route: the document's publish entry is the ``APIRoute``'s
    (request and response schemas, error answers, parameters, security), and the seed
    path stays out of the document. Helpers edit its examples and descriptions, so the
    test pins the contract, not the prose."""
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/topics/{name}/publish"]["post"]
    assert operation["operationId"] == "publish_api_v1_topics__name__publish_post"
    assert sorted(operation["responses"]) == ["200", "409", "413", "422", "429", "503"]
    assert [p["name"] for p in operation["parameters"]] == ["name", "project_id", "Idempotency-Key"]
    assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PublishIn"}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PublishOut"}
    assert "/topics/{name}/publish" not in spec["paths"]


class _CountingSessions:
    def __init__(self, make: Any) -> None:
        self.make = make
        self.opened = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.opened += 1

        return self.make(*args, **kwargs)


@pytest.mark.parametrize("path", ["/api/v1/topics/events/publish", "/topics/events/publish"])
@pytest.mark.parametrize("credential", ["token", "key"])
async def test_a_publish_answered_by_the_caches_opens_no_database_session(
    app: FastAPI,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    credential: str,
) -> None:
    account = await signup(client)
    if credential == "key":
        headers = {"X-API-Key": (await create_key(client, account))["key"]}
    else:
        headers = account.headers
    body = {"messages": [{"value": {"n": 1}}]}
    resources = app.state.resources
    # A long TTL for this test: the first publish fills the caches, the next ones hit.
    monkeypatch.setattr(resources.caches.principals, "ttl_s", 60.0)
    monkeypatch.setattr(resources.caches.plans, "ttl_s", 60.0)
    monkeypatch.setattr(resources.caches.topics, "ttl_s", 60.0)
    first = await client.post(path, headers=headers, json=body)
    assert first.status_code == 200, first.text
    counting = _CountingSessions(resources.sessionmaker)
    monkeypatch.setattr(resources, "sessionmaker", counting)
    for offset in (1, 2, 3):
        response = await client.post(path, headers=headers, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["messages"][0]["offset"] == offset
        assert response.headers["content-type"] == "application/json"
        assert "x-ratelimit-remaining" in response.headers
        assert "x-request-id" in response.headers
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
    response = await client.post(
        "/api/v1/topics/events/publish", headers=headers, json={"messages": [{"value": 1}]}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_other_methods_on_the_publish_path_are_still_405(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.get("/api/v1/topics/events/publish", headers=account.headers)
    assert response.status_code == 405


@pytest.mark.parametrize("content_type", ["text/plain", None])
async def test_a_body_not_sent_as_json_gets_fastapis_answer(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    account = await signup(client)
    headers = dict(account.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post(
        "/api/v1/topics/events/publish", headers=headers, content=b'{"messages": [{"value": 1}]}'
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "body"


async def test_a_project_id_in_the_query_is_honoured(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    project = (await client.get("/api/v1/projects", headers=account.headers)).json()
    projects = project["projects"] if isinstance(project, dict) else project
    response = await client.post(
        f"/api/v1/topics/events/publish?project_id={projects[0]['id']}",
        headers=account.headers,
        json={"messages": [{"value": 1}]},
    )
    assert response.status_code == 200, response.text
    other = await signup(client)
    other_projects = (await client.get("/api/v1/projects", headers=other.headers)).json()
    other_projects = (
        other_projects["projects"] if isinstance(other_projects, dict) else other_projects
    )
    response = await client.post(
        f"/api/v1/topics/events/publish?project_id={other_projects[0]['id']}",
        headers=account.headers,
        json={"messages": [{"value": 1}]},
    )
    assert response.status_code == 404, response.text
