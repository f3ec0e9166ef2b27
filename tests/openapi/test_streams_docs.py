"""The streams, which OpenAPI cannot describe (WebSocket), are reachable from ``/docs``: the
OpenAPI description links the AsyncAPI document and ``/docs/streams``, a page rendered
from it on the server."""

from __future__ import annotations

import re

import httpx


async def test_the_streams_are_linked_from_the_openapi_description(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    description = spec["info"]["description"]
    assert "(/asyncapi.json)" in description
    assert "(/docs/streams)" in description
    tags = {tag["name"]: tag["description"] for tag in spec["tags"]}
    assert "/api/v1/topics/{name}/ws" in tags["streams"]
    assert "/api/v1/subscribe/{group_id}" in tags["chat"]


async def test_the_streams_page_describes_sse_websocket_and_app_events(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs/streams")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for text in (
        "/api/v1/topics/{name}/stream",
        "/api/v1/topics/{name}/ws",
        "/api/v1/subscribe/{group_id}",
        "Last-Event-ID",
        "4029",
        "slow_consumer",
        "todo_created",
        "message_created",
        "member_added",
        "math_operation",
        "interaction_tracked",
        "/asyncapi.json",
    ):
        assert text in page, text
    assert not re.search(r"(?:src|href)=['\"]?(?:https?:)?//", page), "it loads nothing remote"
