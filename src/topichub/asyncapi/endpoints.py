from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from topichub.asyncapi.document import build

router = APIRouter(tags=["docs"])


@router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of the streams")
async def asyncapi(request: Request) -> dict[str, Any]:
    """The SSE and WebSocket streams and the app topics' event payloads, as AsyncAPI 3.0."""
    return build(request.url.netloc)
