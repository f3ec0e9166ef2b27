"""Resolving the caller. Declared with FastAPI security schemes so a missing credential
is a 401 (not a 422) and the OpenAPI document lists both schemes."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import AuthenticationFailed
from topichub.identity import service
from topichub.identity.keys import authenticate_key, looks_like_key
from topichub.identity.principal import Principal
from topichub.identity.tokens import InvalidToken
from topichub.kit.time import utcnow
from topichub.resources import Resources

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A JWT access token, or an API key (`thk_…`). `Authorization: ApiKey <key>` "
    "is accepted too.",
)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


def extract_credential(
    request: HTTPConnection,
    bearer: HTTPAuthorizationCredentials | None,
    x_api_key: str | None,
) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    if x_api_key:
        return x_api_key
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "apikey" and value.strip():
        return value.strip()
    return None


async def resolve_credential(
    session: AsyncSession, resources: Resources, credential: str
) -> Principal:
    """The principal of an API key or access token, from ``resources.caches.principals``
    when it answered within the cache's TTL (see ``topichub.resources.Caches``), else
    from the database. An access token's signature and expiry are checked every time;
    only the database's part of the answer (user, membership, tenant) is cached."""
    cache = resources.caches.principals
    if looks_like_key(credential):
        cached = cache.fresh(credential)
        if cached is not None:
            return cached

        async def key_principal() -> tuple[Principal, float | None]:
            principal, expires_at = await authenticate_key(session, credential)
            life = None if expires_at is None else (expires_at - utcnow()).total_seconds()
            return principal, life

        return await cache.get_or_fill(credential, key_principal)
    try:
        claims = resources.tokens.decode(credential)
    except InvalidToken as exc:
        raise AuthenticationFailed(str(exc)) from exc

    principal = await cached_user_principal(
        session, resources, claims.user_id, claims.tenant_id, claims.version
    )
    # Cached per user, not per token: the expiry is this token's own.
    return dataclasses.replace(principal, credential_expires_at=claims.expires_at)


async def cached_user_principal(
    session: AsyncSession,
    resources: Resources,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    version: int,
) -> Principal:
    """``service.principal_for_user`` through ``resources.caches.principals``: one entry
    per (user, tenant, token version), shared by access tokens and stream tickets, so
    that both are invalidated alike (a new token version, the cache's invalidation)."""

    async def user_principal() -> tuple[Principal, float | None]:
        principal = await service.principal_for_user(session, user_id, tenant_id, version)
        return principal, None

    key = ("user", user_id, tenant_id, version)
    cache = resources.caches.principals
    return cache.fresh(key) or await cache.get_or_fill(key, user_principal)


async def get_principal(
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    x_api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    credential = extract_credential(request, bearer, x_api_key)
    if credential is None:
        raise AuthenticationFailed("Not authenticated")
    principal = await resolve_credential(session, resources, credential)
    log_context = getattr(request.state, "log_context", None)
    if isinstance(log_context, dict):
        log_context["tenant_id"] = str(principal.tenant_id)
        log_context["user_id"] = str(principal.user_id) if principal.user_id else None
        log_context["auth"] = principal.kind
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_platform_admin(principal: PrincipalDep) -> Principal:
    principal.require_platform_admin()
    return principal


AdminDep = Annotated[Principal, Depends(get_platform_admin)]
