"""Isolation matrix: every route with an id or a name in its path (read from the app, seed
paths and /api/v1 alike) x every credential that must not reach the victim's object.

Credentials: another tenant's user token and API key, a key of another project of the
victim's tenant (on project-scoped objects), the victim's read-only key (on writes), the
victim's revoked key, expired token, a token whose claims were swapped for the victim's
(signature kept) and an unsigned ``alg: none`` token. Each must get 401/403/404 (bad
credentials: 401), never a 2xx, and no answer may contain the victim's data.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.conftest import client_for
from tests.security.isolation import (
    ALL_KINDS,
    RouteCase,
    World,
    applies,
    build_world,
    expected_statuses,
    routes_with_ids,
)

SSE_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
async def world(app: FastAPI) -> AsyncIterator[World]:
    async with client_for(app) as client:
        yield await build_world(client, app)


def test_the_matrix_covers_every_kind_of_route(app: FastAPI) -> None:
    routes = routes_with_ids(app)
    paths = {r.path for r in routes}
    # Both the seed paths and the canonical ones, and the WebSocket routes.
    assert "/topics/{name}/publish" in paths
    assert "/api/v1/topics/{name}/publish" in paths
    assert any(r.method == "WS" for r in routes)
    assert len(routes) >= 50


async def _call(
    client: httpx.AsyncClient, world: World, route_case: RouteCase, headers: dict[str, str]
) -> httpx.Response:
    url = world.url(route_case)
    body = world.body(route_case)
    # A stream that was (wrongly) opened never ends: the ASGI client would wait forever.
    async with asyncio.timeout(SSE_TIMEOUT_S):
        return await client.request(route_case.method, url, json=body, headers=headers)


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_no_credential_reaches_another_owners_object(
    app: FastAPI, world: World, client: httpx.AsyncClient, kind: str
) -> None:
    headers = world.credentials[kind]
    allowed = expected_statuses(kind)
    violations = []
    checked = 0
    for route in routes_with_ids(app):
        if route.method == "WS" or not applies(kind, route):
            continue
        checked += 1
        url = world.url(route)
        try:
            response = await _call(client, world, route, headers)
        except TimeoutError:
            violations.append(f"{route}: a stream opened (no answer in {SSE_TIMEOUT_S}s)")
            continue
        if response.status_code not in allowed:
            violations.append(f"{route} → {response.status_code} {response.text[:200]}")
        if leaked := world.leaked(response.text, url):
            violations.append(f"{route} leaked {leaked}: {response.text[:200]}")
    assert checked >= 10
    assert not violations, f"{kind}: {len(violations)} of {checked} routes:\n" + "\n".join(
        violations
    )


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_no_credential_opens_another_owners_websocket(
    app: FastAPI, world: World, base_url: str, kind: str
) -> None:
    headers = world.credentials[kind]
    violations = []
    checked = 0
    for route in routes_with_ids(app):
        if route.method != "WS" or not applies(kind, route):
            continue
        checked += 1
        url = base_url.replace("http://", "ws://", 1) + world.url(route)
        frames: list[str] = []
        code = None
        try:
            async with (
                asyncio.timeout(10),
                websockets.connect(url, additional_headers=headers) as ws,
            ):
                with contextlib.suppress(websockets.ConnectionClosed):
                    while True:
                        frames.append(str(await ws.recv()))
                code = ws.close_code
        except websockets.InvalidStatus as exc:
            code = exc.response.status_code
        except TimeoutError:
            violations.append(f"{route}: the socket stayed open; frames {frames[:3]}")
            continue
        if code not in {401, 403, 404, 4001, 4003, 4004}:
            violations.append(f"{route}: closed with {code}")
        if frames:
            violations.append(f"{route}: sent frames {frames[:3]}")
    assert not violations, f"{kind}: {len(violations)} of {checked} routes:\n" + "\n".join(
        violations
    )
