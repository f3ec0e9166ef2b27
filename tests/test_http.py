"""HTTP conventions every route shares: envelope, request ids, limits, health, docs."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import signup

ENVELOPE_KEYS = {"code", "message", "details", "request_id", "timestamp"}


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["error"].keys() == ENVELOPE_KEYS
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response.headers["x-request-id"]


async def test_unknown_route_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/no/such/route"), 404, "NOT_FOUND")


async def test_wrong_method_is_a_405_envelope(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.put("/health"), 405, "METHOD_NOT_ALLOWED")


async def test_validation_errors_list_the_failing_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/signup", json={"email": "bad"})
    assert_envelope(response, 422, "VALIDATION_ERROR")
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"email", "password"} <= fields


async def test_malformed_json_names_the_line_and_column(client: httpx.AsyncClient) -> None:
    body = b'{"email": "a@example.com",\n "password": }'
    response = await client.post(
        "/auth/signup", content=body, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 422, "VALIDATION_ERROR")
    message = response.json()["error"]["message"]
    assert message.startswith("The body is not valid JSON (line 2, column 14)"), message
    assert response.json()["error"]["details"][0]["field"] == "body"


async def test_a_json_body_without_content_type_says_to_send_it(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"email": "a@example.com", "password": "a-long-passphrase"}'
    for headers in ({}, {"Content-Type": "text/plain"}):
        response = await client.post("/auth/signup", content=body, headers=headers)
        assert_envelope(response, 422, "VALIDATION_ERROR")
        assert "send Content-Type: application/json" in response.json()["error"]["message"]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert generated.headers["x-request-id"] != "bad id\twith spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def test_security_headers_are_set(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_oversized_body_with_content_length_is_413(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    limit = app.state.resources.settings.max_body_bytes
    response = await client.post(
        "/auth/signup", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.resources.settings.max_body_bytes

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(
        "/auth/signup", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_health_ready_and_healthcheck(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "healthy"
    assert "version" in health.json()
    for path in ("/ready", "/healthcheck"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.json()["checks"]["database"] == "ok"


async def test_root_answers_with_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json()["docs"] == "/docs"


async def test_metrics_use_route_templates_not_raw_paths(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await client.get(
        "/api/v1/projects/00000000-0000-0000-0000-000000000001", headers=account.headers
    )
    text = (await client.get("/metrics")).text
    assert 'endpoint="/api/v1/projects/{project_id}"' in text
    assert "00000000-0000-0000-0000-000000000001" not in text
    for gauge in ("topichub_outbox_backlog", "topichub_hub_subscribers", "topichub_active_streams"):
        assert gauge in text


async def test_openapi_documents_both_auth_schemes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    documented = {"/", "/health", "/healthcheck", "/ready", "/asyncapi.json"}
    assert all(
        path.startswith(("/api/v1/", "/api/admin/")) or path in documented for path in spec["paths"]
    ), sorted(spec["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_not_ready_when_the_database_is_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path)
    async with running_app(settings) as app, client_for(app) as client:

        async def broken() -> None:
            raise ConnectionError("database down")

        app.state.resources.checks["database"] = broken
        for path in ("/ready", "/healthcheck"):
            response = await client.get(path)
            assert response.status_code == 503
            assert response.json()["checks"]["database"] == "down"


@pytest.mark.parametrize("origin", ["https://console.example.com"])
async def test_cors_only_for_configured_origins(tmp_path, origin: str) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, cors_origins=[origin]
    )
    async with running_app(settings) as app, client_for(app) as client:
        allowed = await client.get("/health", headers={"Origin": origin})
        assert allowed.headers["access-control-allow-origin"] == origin
        other = await client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_openapi_documents_the_seed_names_as_aliases(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert "Alias of `access_token`" in schemas["TokenOut"]["properties"]["token"]["description"]
    assert "Alias of `key`" in schemas["ApiKeyCreated"]["properties"]["secret"]["description"]
