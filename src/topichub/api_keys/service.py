"""API keys: ``thk_<lookup>_<secret>``. The lookup part finds the row; only the SHA-256
of the whole key is stored and compared in constant time."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.api_keys.repository import ApiKeyRepository
from topichub.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from topichub.errors import AuthenticationFailed, Forbidden, NotFound
from topichub.identity.principal import Permission, Principal, permission_level
from topichub.kit.crypto import equals, random_token, sha256_hex
from topichub.kit.time import utcnow
from topichub.models import ApiKey, User
from topichub.tenancy import service as tenancy

KEY_PREFIX = "thk_"
TOUCH_INTERVAL = timedelta(seconds=60)


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


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


async def revoke_all_created_by(session: AsyncSession, user_id: uuid.UUID) -> None:
    await ApiKeyRepository(session).revoke_created_by(user_id, utcnow())


async def authenticate(session: AsyncSession, raw: str) -> Principal:
    """Resolve a raw key to its principal, or fail with the same 401 for every reason."""
    principal, _ = await authenticate_until(session, raw)
    return principal


async def authenticate_until(session: AsyncSession, raw: str) -> tuple[Principal, datetime | None]:
    """``authenticate``, and when the key expires (None: never), so that a cache of the
    answer does not outlive the key."""
    failure = AuthenticationFailed("Invalid or revoked API key")
    parts = raw[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or len(parts[0]) != 16:
        raise failure
    repo = ApiKeyRepository(session)
    key = await repo.by_lookup(parts[0])
    if key is None or not equals(key.secret_hash, sha256_hex(raw)):
        raise failure
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise failure
    tenant = await tenancy.get_tenant(session, key.tenant_id)
    if tenant is None or not tenant.is_active:
        raise failure
    creator = await session.get(User, key.created_by) if key.created_by else None
    if creator is not None and not creator.is_active:
        raise failure
    if key.last_used_at is None or now - key.last_used_at > TOUCH_INTERVAL:
        # At most one write a minute per key: enough to show "last used", cheap at load.
        await repo.touch(key.id, now)
    principal = Principal(
        kind="api_key",
        user_id=key.created_by,
        tenant_id=key.tenant_id,
        permissions=frozenset(Permission(p) for p in key.permissions),
        project_id=key.project_id,
        api_key_id=key.id,
        email=creator.email if creator else None,
        username=creator.username if creator else None,
    )
    return principal, key.expires_at


async def active_key_ids(session: AsyncSession, key_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return await ApiKeyRepository(session).active_ids(key_ids, utcnow())
