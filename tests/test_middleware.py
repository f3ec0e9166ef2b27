"""The one request layer (``topichub.middleware.RequestContextMiddleware``) answers what
Starlette's ``CORSMiddleware`` and ``TrustedHostMiddleware`` answered when they were
separate layers, and the body limit still counts bodies it cannot trust."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp

from topichub.errors import install_error_handlers
from topichub.middleware import SECURITY_HEADERS, RequestContextMiddleware

CORS: dict[str, Any] = {
    "allow_origins": ["https://console.example.com"],
    "allow_credentials": False,
    "allow_methods": ["*"],
    "allow_headers": ["*"],
    "expose_headers": ["X-Request-ID", "Retry-After"],
}
HOSTS = ["api.example.com", "*.example.org", "www.example.net"]
OURS = {"x-request-id"} | {name.decode() for name, _ in SECURITY_HEADERS}


async def _plain(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _varied(request: Request) -> Response:
    return PlainTextResponse("x", headers={"Vary": "Accept-Encoding"})


async def _echo(request: Request) -> Response:
    return JSONResponse({"size": len(await request.body())})


def _inner() -> FastAPI:
    app = FastAPI()
    app.add_route("/plain", _plain, methods=["GET", "POST"])
    app.add_route("/varied", _varied)
    app.add_route("/echo", _echo, methods=["POST"])
    install_error_handlers(app)  # as in the app: PayloadTooLarge is a 413 envelope
    return app


def _separate() -> ASGIApp:
    """The layers as they were: request context outermost, then host, then CORS."""
    app: ASGIApp = CORSMiddleware(_inner(), **CORS)
    app = TrustedHostMiddleware(app, allowed_hosts=HOSTS)
    return RequestContextMiddleware(app)


def _folded() -> ASGIApp:
    return RequestContextMiddleware(_inner(), max_body_bytes=1024, cors=CORS, allowed_hosts=HOSTS)


def _answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted(
        (k, v) for k, v in response.headers.multi_items() if k not in OURS and k != "vary"
    )
    vary = response.headers.get_list("vary")
    return response.status_code, [*headers, ("vary", ", ".join(vary))], response.content


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/plain", {}),
        ("GET", "/varied", {}),
        ("GET", "/plain", {"Origin": "https://console.example.com"}),
        ("GET", "/varied", {"Origin": "https://console.example.com"}),
        ("GET", "/plain", {"Origin": "https://evil.example"}),
        (
            "OPTIONS",
            "/plain",
            {"Origin": "https://console.example.com", "Access-Control-Request-Method": "POST"},
        ),
        (
            "OPTIONS",
            "/plain",
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        ("GET", "/plain", {"Host": "evil.example"}),
        ("GET", "/plain", {"Host": "a.example.org"}),
        ("GET", "/plain", {"Host": "example.net"}),
    ],
)
async def test_cors_and_host_answers_are_starlettes(
    method: str, path: str, headers: dict[str, str]
) -> None:
    headers = {"Host": "api.example.com", **headers}
    answers = []
    for app in (_separate(), _folded()):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.request(method, path, headers=headers)
        assert response.headers["x-request-id"]
        assert response.headers["x-content-type-options"] == "nosniff"
        answers.append(_answer(response))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("declared", [True, False])
async def test_bodies_over_the_limit_are_refused(declared: bool) -> None:
    transport = httpx.ASGITransport(app=_folded())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.example.com") as c:
        small = await c.post("/echo", content=b"x" * 1024)
        assert small.status_code == 200
        assert small.json() == {"size": 1024}

        async def stream() -> Any:
            yield b"x" * 1000
            yield b"x" * 1000

        big = await c.post("/echo", content=b"x" * 2000 if declared else stream())
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("origin", [None, "https://console.example.com"])
@pytest.mark.parametrize("size", [10, 2000])
async def test_a_counted_body_gets_cors_headers_unless_refused(
    origin: str | None, size: int
) -> None:
    """A body without a Content-Length is counted as it arrives: the app's answer gets
    what CORS gives it (``Vary: Origin`` without an Origin, the allow headers with an
    allowed one); the 413 that replaces it, made before CORS, gets neither."""
    headers = {"Host": "api.example.com"}
    if origin:
        headers["Origin"] = origin

    async def body() -> Any:
        yield b"x" * (size // 2)
        yield b"x" * (size - size // 2)

    transport = httpx.ASGITransport(app=_folded())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/echo", content=body(), headers=headers)
    refused = size > 1024
    assert response.status_code == (413 if refused else 200)
    vary = response.headers.get_list("vary")
    allowed = response.headers.get("access-control-allow-origin")
    if refused:
        assert (vary, allowed) == ([], None)
    elif origin:
        assert allowed == origin
    else:
        assert (vary, allowed) == (["Origin"], None)
