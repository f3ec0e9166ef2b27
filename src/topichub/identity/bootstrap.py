"""Operator bootstrap (TOPICHUB_ADMIN_EMAIL/_PASSWORD) and explicit demo data (TOPICHUB_DEMO=1)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.identity import service
from topichub.identity.passwords import Hasher
from topichub.identity.repository import IdentityRepository

log = logging.getLogger(__name__)

# Seed 001's documented demo accounts. Loaded only with TOPICHUB_DEMO=1, refused in production.
DEMO_USERS = (("admin", "admin123"), ("user", "user123"), ("demo", "demo123"))


async def ensure_admin(session: AsyncSession, hasher: Hasher, email: str, password: str) -> str:
    """Create the platform admin, or make sure the existing account is one.
    An existing password is never overwritten."""
    repo = IdentityRepository(session)
    user = await repo.by_login(email)
    if user is None:
        await service.create_user(
            session, hasher, email=email, username=None, password=password, platform_admin=True
        )
        return f"created platform admin {email}"
    changed = not user.is_platform_admin or not user.is_active
    user.is_platform_admin = True
    user.is_active = True
    await session.flush()
    return f"{'promoted' if changed else 'kept'} platform admin {email}"


async def load_demo_users(session: AsyncSession, hasher: Hasher) -> list[str]:
    repo = IdentityRepository(session)
    created = []
    for username, password in DEMO_USERS:
        if await repo.by_login(username) is None:
            await service.create_user(
                session,
                hasher,
                email=None,
                username=username,
                password=password,
                enforce_policy=False,
            )
            created.append(username)
    return created
