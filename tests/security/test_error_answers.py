"""Issue 12.12: hostile JSON on the login (100,000-deep nesting, a 5,000-digit number)
is a 4xx, and every 500 carries the request id and the security headers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from topichub.app import create_app


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"email": "a@b.c", "password": ' + b"9" * 5000 + b"}"],
)
async def test_hostile_json_on_login_is_a_4xx(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["request_id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_an_unexpected_error_answers_500_with_request_id_and_security_headers(
    own_database_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(own_database_url, tmp_path))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/boom", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert response.json()["error"]["request_id"] == "trace-me-123"
    assert response.headers["x-request-id"] == "trace-me-123"
    assert response.headers["x-frame-options"] == "DENY"
    assert "a bug" not in response.text
