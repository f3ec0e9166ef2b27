"""Production mode, security headers and CORS, beyond tests/test_config.py and
tests/test_http.py (which cover the Settings rules and the basics): the real entry point
refuses to start, the seeds' published secrets are refused however they are padded,
every kind of answer carries the security headers, CORS matches origins exactly, and
WebSocket upgrades from foreign origins are refused.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from pydantic import ValidationError

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import signup
from topichub.config import Settings

# The JWT secrets the seeds' READMEs publish (000, 001, 003): long enough, still public.
PUBLISHED = [
    "your-secret-key-change-this-in-production",
    "your-super-secret-key-change-this-in-production-environment",
    "YOUR-SECRET-KEY-CHANGE-THIS-IN-PRODUCTION",
    " your-secret-key-change-this-in-production\n",
]


@pytest.mark.parametrize("secret", PUBLISHED)
def test_published_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="too weak"):
        Settings(env="production", jwt_secret=secret)


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``topichub serve`` with a clean TOPICHUB_* environment; it must exit by itself."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TOPICHUB_")}
    clean.update(TOPICHUB_DATA_DIR=str(tmp_path), TOPICHUB_PORT="1", **env)
    binary = str(Path(sys.executable).with_name("topichub"))
    return subprocess.run(
        [binary, "serve"], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "JWT_SECRET is required"),
        ({"TOPICHUB_JWT_SECRET": PUBLISHED[0]}, "too weak"),
        ({"TOPICHUB_JWT_SECRET": "x" * 31}, "too weak"),
        ({"TOPICHUB_JWT_SECRET": secrets.token_urlsafe(48), "TOPICHUB_DEMO": "1"}, "DEMO"),
    ],
    ids=["no secret", "published secret", "short secret", "demo data"],
)
def test_the_server_refuses_to_start_in_production(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = _serve(tmp_path, TOPICHUB_ENV="production", **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in (result.stdout + result.stderr).replace("\n", " ")
    # Nothing was generated to fall back on.
    assert not (tmp_path / "jwt_secret").exists()


async def test_production_loads_no_demo_users_by_default(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, env="production"
    )
    async with running_app(settings) as app, client_for(app) as client:
        for username, password in (("admin", "admin123"), ("demo", "demo123")):
            response = await client.post(
                "/auth/login", params={"username": username, "password": password}
            )
            assert response.status_code == 401, response.text


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


async def test_every_kind_of_answer_has_the_security_headers(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    answers = {
        "200": await http.get("/health"),
        "201": await http.post("/api/v1/todos", json={"title": "t"}, headers=account.headers),
        "401": await http.get("/api/v1/topics"),
        "404": await http.get("/no/such/path"),
        "405": await http.put("/health"),
        "422": await http.post("/auth/signup", json={}),
        "413": await http.post(
            "/auth/signup", content=b"x" * (5 * 1024 * 1024), headers={"content-type": "x/y"}
        ),
        "docs": await http.get("/docs"),
        "openapi": await http.get("/openapi.json"),
        "metrics": await http.get("/metrics"),
    }
    async with http.stream(
        "GET", "/api/v1/topics/events/stream", headers=account.headers
    ) as stream:
        answers["sse"] = stream
    missing = {
        name: {h for h, v in SECURITY_HEADERS.items() if response.headers.get(h) != v}
        for name, response in answers.items()
    }
    assert not {k: v for k, v in missing.items() if v}, missing
    assert all(r.headers.get("x-request-id") for r in answers.values())


ALLOWED = "https://console.example.com"


@pytest.fixture
async def cors_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, cors_origins=[ALLOWED]
    )
    async with running_app(settings) as app, client_for(app) as client:
        yield client


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://console.example.com.evil.example",
        "http://console.example.com",
        "https://console.example.com:8443",
        "https://sub.console.example.com",
        "null",
        "*",
    ],
)
async def test_cors_matches_origins_exactly(cors_client: httpx.AsyncClient, origin: str) -> None:
    simple = await cors_client.get("/health", headers={"Origin": origin})
    assert "access-control-allow-origin" not in simple.headers
    preflight = await cors_client.options(
        "/api/v1/topics",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400


async def test_cors_preflight_for_the_configured_origin(cors_client: httpx.AsyncClient) -> None:
    preflight = await cors_client.options(
        "/api/v1/topics",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    # Credentials are headers, never cookies: no ambient authority for other sites.
    assert preflight.headers.get("access-control-allow-credentials") != "true"


async def test_no_cors_unless_configured(client: httpx.AsyncClient) -> None:
    for origin in (ALLOWED, "https://evil.example", "null"):
        response = await client.get("/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers


async def _refusal(url: str, origin: str, headers: dict[str, str]) -> int | str | None:
    """How the server refused a WebSocket upgrade from ``origin``."""
    try:
        async with websockets.connect(
            url,
            origin=websockets.Origin(origin),
            additional_headers=headers,
        ) as socket:
            frame = await socket.recv()
            return f"accepted, sent {frame!r}"
    except websockets.InvalidStatus as exc:
        return exc.response.status_code
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


async def test_websocket_upgrades_from_foreign_origins_are_refused(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    ws = base_url.replace("http://", "ws://", 1)
    refusals = {}
    for path in ("/api/v1/topics/events/ws", "/topics/events/ws"):
        for origin in ("https://evil.example", f"{base_url}.evil.example"):
            refusals[path, origin] = await _refusal(ws + path, origin, account.headers)
    # Refused at the upgrade (403) or closed before anything is sent (4003).
    assert set(refusals.values()) <= {403, 4003}, refusals
    # The same request without a foreign Origin is served (not refused for other reasons).
    async with websockets.connect(
        ws + "/api/v1/topics/events/ws", additional_headers=account.headers
    ) as socket:
        await socket.close()


async def test_demo_users_exist_when_asked_for_outside_production(tmp_path: Path) -> None:
    """The control for the production test above: the same login works with demo data."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, demo=True)
    async with running_app(settings) as app, client_for(app) as client:
        response = await client.post(
            "/auth/login", params={"username": "demo", "password": "demo123"}
        )
        assert response.status_code == 200
