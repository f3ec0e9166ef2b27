"""API keys as credentials: ``thk_<lookup>_<secret>``. The lookup part finds the row;
only the SHA-256 of the whole key is stored and compared in constant time.

Authenticating a key is identity's job (every credential becomes a ``Principal`` here);
creating, listing and revoking keys is ``api_keys``', which sits above identity."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import AuthenticationFailed
from topichub.identity.principal import Permission, Principal
from topichub.identity.repository import IdentityRepository
from topichub.kit.crypto import equals, sha256_hex
from topichub.kit.time import utcnow

KEY_PREFIX = "thk_"
TOUCH_INTERVAL = timedelta(seconds=60)


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


async def authenticate_key(session: AsyncSession, raw: str) -> tuple[Principal, datetime | None]:
    """The principal of a raw key, and when the key expires (None: never), so that a
    cache of the answer does not outlive the key; the same 401 for every failure."""
    failure = AuthenticationFailed("Invalid or revoked API key")
    parts = raw[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or len(parts[0]) != 16:
        raise failure
    repo = IdentityRepository(session)
    key = await repo.key_by_lookup(parts[0])
    if key is None or not equals(key.secret_hash, sha256_hex(raw)):
        raise failure
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise failure
    tenant = await repo.get_tenant(key.tenant_id)
    if tenant is None or not tenant.is_active:
        raise failure
    creator = await repo.get_user(key.created_by) if key.created_by else None
    if creator is not None and not creator.is_active:
        raise failure
    if key.last_used_at is None or now - key.last_used_at > TOUCH_INTERVAL:
        # At most one write a minute per key: enough to show "last used", cheap at load.
        await repo.touch_key(key.id, now)
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
