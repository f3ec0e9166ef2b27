"""The tenant's rate limit as a route dependency, apart from authentication (which only
authenticates). ``app.py`` puts it on every router whose routes all act for a principal;
a router that mixes in unauthenticated routes or WebSockets puts it on its routes."""

from __future__ import annotations

from fastapi import Depends, Request

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.limits.enforce import enforce_rate_limit


async def rate_limit(
    request: Request, session: SessionDep, resources: ResourcesDep, principal: PrincipalDep
) -> None:
    # FastAPI resolves PrincipalDep once per request: the route's own use of it gets the
    # principal authenticated here.
    await enforce_rate_limit(request, session, resources, principal)


RateLimited = Depends(rate_limit)
