from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from topichub.dependencies import ResourcesDep
from topichub.errors import Unavailable
from topichub.identity.dependencies import AdminDep
from topichub.limits import StoreUnavailable

router = APIRouter(tags=["admin"])


@router.get("/admin/active-streams")
async def active_streams(_admin: AdminDep, resources: ResourcesDep) -> dict[str, Any]:
    """Every open stream: across all processes (from the shared slot registry) and, for
    this process, with the topic and transport it serves."""
    try:
        everywhere = await resources.connections.list_active()
    except StoreUnavailable as exc:
        raise Unavailable(
            "The shared stream registry (Redis) is unreachable", headers={"Retry-After": "5"}
        ) from exc
    local = [s.describe() for s in resources.streams.list()]
    return {"count": len(everywhere), "streams": everywhere, "this_process": local}
