"""Operator bootstrap (TOPICHUB_ADMIN_EMAIL/_PASSWORD) and explicit demo data (TOPICHUB_DEMO=1)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.identity import service
from topichub.identity.passwords import Hasher
from topichub.identity.repository import IdentityRepository
from topichub.models import User

log = logging.getLogger(__name__)

# Seed 001's documented demo accounts. Loaded only with TOPICHUB_DEMO=1, refused in production.
DEMO_USERS = (("admin", "admin123"), ("user", "user123"), ("demo", "demo123"))


Provision = Callable[[AsyncSession, User], Awaitable[object]]

BOOTSTRAP_LOCK_KEY = 0x7468_626F_6F74  # "thboot"


async def _one_process_at_a_time(session: AsyncSession) -> None:
    """Replicas started together run this at once: on PostgreSQL they take turns (a
    transaction-level advisory lock, released by the caller's commit), so the second
    finds the first one's users instead of failing on the unique email."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(BOOTSTRAP_LOCK_KEY)))


async def ensure_admin(
    session: AsyncSession, hasher: Hasher, provision: Provision, email: str, password: str
) -> str:
    """Create the platform admin, or make sure the existing account is one.
    An existing password is never overwritten."""
    await _one_process_at_a_time(session)
    repo = IdentityRepository(session)
    user = await repo.by_login(email)
    if user is None:
        user = await service.create_user(
            session, hasher, email=email, username=None, password=password, platform_admin=True
        )
        await provision(session, user)
        return f"created platform admin {email}"
    changed = not user.is_platform_admin or not user.is_active
    user.is_platform_admin = True
    user.is_active = True
    await session.flush()
    return f"{'promoted' if changed else 'kept'} platform admin {email}"


async def load_demo_users(session: AsyncSession, hasher: Hasher, provision: Provision) -> list[str]:
    await _one_process_at_a_time(session)
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
