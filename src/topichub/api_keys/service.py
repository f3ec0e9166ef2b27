"""API keys: ``thk_<lookup>_<secret>``, created, listed and revoked here; only the SHA-256
of the whole key is stored. Authenticating one is ``identity.keys``'."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.api_keys.repository import ApiKeyRepository
from topichub.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from topichub.errors import Forbidden, NotFound
from topichub.identity.keys import KEY_PREFIX
from topichub.identity.principal import Permission, Principal, permission_level
from topichub.kit.crypto import random_token, sha256_hex
from topichub.kit.time import utcnow
from topichub.models import ApiKey
from topichub.tenancy import service as tenancy


def _display_prefix(key: ApiKey) -> str:
    return f"{KEY_PREFIX}{key.lookup[:8]}"


def to_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=_display_prefix(key),
        project_id=key.project_id,
        tenant_id=key.tenant_id,
        permissions=[Permission(p) for p in key.permissions],
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        is_active=key.revoked_at is None and (key.expires_at is None or key.expires_at > utcnow()),
    )


async def create(session: AsyncSession, principal: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    wanted = frozenset(data.permissions)
    # A credential can never mint a key stronger than itself.
    if permission_level(wanted) > permission_level(principal.permissions):
        raise Forbidden("Cannot create a key with more permissions than your own")
    if principal.is_key:
        principal.require(Permission.admin)
    project = await tenancy.resolve_project(session, principal, data.project_id)
    lookup = secrets.token_hex(8)
    raw = f"{KEY_PREFIX}{lookup}_{random_token(32)}"
    key = ApiKey(
        tenant_id=principal.tenant_id,
        project_id=project.id,
        created_by=principal.user_id,
        name=data.name,
        lookup=lookup,
        secret_hash=sha256_hex(raw),
        permissions=sorted(p.value for p in wanted),
        expires_at=utcnow() + timedelta(days=data.expires_in_days)
        if data.expires_in_days
        else None,
    )
    await ApiKeyRepository(session).add(key)
    return ApiKeyCreated(**to_out(key).model_dump(), key=raw, secret=raw)


async def list_keys(session: AsyncSession, principal: Principal) -> Sequence[ApiKey]:
    principal.require(Permission.read)
    return await ApiKeyRepository(session).list(principal.tenant_id, principal.project_id)


async def revoke(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    key = await ApiKeyRepository(session).get(principal.tenant_id, key_id, principal.project_id)
    if key is None:
        raise NotFound("API key not found")
    if principal.is_key or key.created_by != principal.user_id:
        principal.require(Permission.admin)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key
