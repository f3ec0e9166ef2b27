from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from topichub.asyncapi.document import build
from topichub.asyncapi.page import render

router = APIRouter(tags=["docs"])

STREAMS_PAGE = "/docs/streams"


@router.get(
    "/asyncapi.json",
    summary="AsyncAPI 3.0 document of the streams",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "asyncapi": "3.0.0",
                        "info": {"title": "topichub streams", "version": "0.1.0"},
                        "channels": {"topicWebSocket": {"address": "/api/v1/topics/{name}/ws"}},
                    }
                }
            }
        }
    },
)
async def asyncapi(request: Request) -> dict[str, Any]:
    """The SSE and WebSocket streams (topics and chat groups: parameters, cursors, event,
    gap and close frames, close codes) and the app topics' event payloads, as AsyncAPI
    3.0. The same document for people: [/docs/streams](/docs/streams)."""
    return build(request.url.netloc)


@router.get(STREAMS_PAGE, include_in_schema=False)
async def streams_page(request: Request) -> HTMLResponse:
    return HTMLResponse(render(build(request.url.netloc)))
