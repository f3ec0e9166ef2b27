from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from topichub import __version__
from topichub.config import Environment
from topichub.dependencies import ResourcesDep
from topichub.errors import AuthenticationFailed, NotFound
from topichub.resources import Resources

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 3.0


async def _run_checks(resources: Resources) -> tuple[bool, dict[str, Any]]:
    async def one(name: str) -> tuple[str, str]:
        try:
            await asyncio.wait_for(resources.checks[name](), CHECK_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            log.warning("readiness check %s failed: %r", name, exc)
            return name, "down"
        return name, "ok"

    results = dict(await asyncio.gather(*(one(n) for n in resources.checks)))
    return all(v == "ok" for v in results.values()), results


_READY_EXAMPLE = {
    "status": "healthy",
    "ready": True,
    "checks": {"database": "ok", "event_bus": "ok"},
    "version": "0.1.0",
}
_READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": _READY_EXAMPLE}}},
    503: {"description": "A check failed: its value is `down`"},
}


@router.get(
    "/health",
    summary="Liveness",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "status": "healthy",
                        "version": "0.1.0",
                        "app": "topichub",
                        "engines": {
                            "database": "postgresql",
                            "event_log": "kafka",
                            "limits": "redis",
                        },
                    }
                }
            }
        }
    },
)
async def health(resources: ResourcesDep) -> dict[str, Any]:
    """Liveness: the process answers. Shape of seed 001 (`status`, `version`, `app`)."""
    return {
        "status": "healthy",
        "version": __version__,
        "app": "topichub",
        "engines": resources.settings.engines_summary(),
    }


async def _readiness(resources: Resources) -> JSONResponse:
    ready, checks = await _run_checks(resources)
    body = {
        "status": "healthy" if ready else "unhealthy",
        "ready": ready,
        "checks": checks,
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/healthcheck", summary="Readiness (seed 000)", responses=_READY_RESPONSES)
async def healthcheck(resources: ResourcesDep) -> JSONResponse:
    """Seed 000: database and event bus checks; 503 when one is down."""
    return await _readiness(resources)


@router.get("/ready", summary="Readiness", responses=_READY_RESPONSES)
async def ready(resources: ResourcesDep) -> JSONResponse:
    """Readiness: 200 when the database and the event bus answer, else 503."""
    return await _readiness(resources)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, resources: ResourcesDep) -> Response:
    """Prometheus metrics. With ``TOPICHUB_METRICS_TOKEN`` set the scraper must send it
    as a bearer token; in production without one, the endpoint does not exist (metrics
    name tenants' topics and traffic: they are not for the public)."""
    settings = resources.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None:
        if settings.env is Environment.production:
            raise NotFound("Not found")
    else:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            raise AuthenticationFailed(
                "Send the metrics token as a bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
