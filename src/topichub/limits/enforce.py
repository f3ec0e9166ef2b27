"""Applying the tenant's rate limit to an authenticated request."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from topichub.errors import RateLimitExceeded
from topichub.limits.plans import Plan, effective_plan
from topichub.limits.rate import RateDecision, RateHit
from topichub.metrics import RATE_LIMITED
from topichub.tenancy import service as tenancy

if TYPE_CHECKING:
    from topichub.identity.principal import Principal
    from topichub.resources import Resources


async def plan_for(session: AsyncSession, resources: Resources, principal: Principal) -> Plan:
    """The tenant's plan, from ``resources.caches.plans`` when it is fresh enough (see
    ``topichub.resources.Caches``: a change made elsewhere applies within its TTL)."""
    cached = resources.caches.plans.fresh(principal.tenant_id)
    if cached is not None:
        return cached

    async def read() -> tuple[Plan, float | None]:
        tenant = await tenancy.get_tenant(session, principal.tenant_id)
        return effective_plan(resources.settings, tenant), None

    return await resources.caches.plans.get_or_fill(principal.tenant_id, read)


async def enforce_rate_limit(
    request: HTTPConnection, session: AsyncSession, resources: Resources, principal: Principal
) -> None:
    """Count the request (or WebSocket open) against the tenant's windows; every
    response carries the ``X-RateLimit-*`` headers (added by the request middleware), a
    refusal is a 429."""
    hit = await rate_hit(request, session, resources, principal)
    if hit is not None:
        await hit.run()


async def rate_hit(
    request: HTTPConnection, session: AsyncSession, resources: Resources, principal: Principal
) -> RateHit | None:
    """The request's rate-limit hit, not made yet (None when rate limits are off): the
    publish route hands it to ``QuotaService.consume_in``, which makes it in the same
    Redis round trip as the quota, and ``run``s it alone when the request fails before.
    Settling it does what ``enforce_rate_limit`` does."""
    if not resources.settings.rate_limit_enabled:
        return None
    plan = await plan_for(session, resources, principal)
    return RateHit(
        resources.rate_limiter,
        f"tenant:{principal.tenant_id}",
        plan.rate,
        functools.partial(_settle, request),
    )


def _settle(request: HTTPConnection, decision: RateDecision) -> None:
    headers = decision.headers()
    # What ``request.state.rate_headers = headers`` stores, where the middleware reads
    # it, without making a ``State`` object for it on every request.
    request.scope.setdefault("state", {})["rate_headers"] = headers
    if not decision.allowed:
        RATE_LIMITED.labels("rate").inc()
        raise RateLimitExceeded(
            f"Rate limit exceeded for this tenant; retry in {decision.retry_after} seconds",
            headers=headers,
            details={"limit": decision.limit, "window": decision.window},
        )
