"""Operator bootstrap (TOPICHUB_ADMIN_EMAIL/_PASSWORD) and explicit demo data (TOPICHUB_DEMO=1)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.accounts.service import create_account
from topichub.identity import service
from topichub.identity.passwords import Hasher
from topichub.identity.service import NewUser
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


class NotPromoted(Exception):
    """TOPICHUB_ADMIN_EMAIL names an account bootstrap did not create."""


async def ensure_admin(
    session: AsyncSession, hasher: Hasher, provision: Provision, email: str, password: str
) -> str:
    """Create the platform admin, or keep the one bootstrap (or an operator) made.

    Anyone may sign up with any email and nobody verifies it, so an existing non-admin
    account with the admin's email proves nothing about who owns it: promoting it would
    hand platform admin to whoever signed up first, with their own password. Bootstrap
    refuses, logs what the operator can do, and the server starts without that admin."""
    await _one_process_at_a_time(session)
    user = await service.find_by_login(session, email)
    if user is None:
        new = NewUser(email=email, username=None, password=password, platform_admin=True)
        user = await create_account(session, hasher, new)
        await provision(session, user)
        return f"created platform admin {email}"
    if not user.is_platform_admin:
        log.warning(
            "TOPICHUB_ADMIN_EMAIL names an existing account that is not a platform admin; "
            "it was NOT promoted (its owner chose its password, and emails are not "
            "verified). To take it over, run `topichub admin promote --email %s`: that "
            "sets its password from TOPICHUB_ADMIN_PASSWORD and ends its sessions and "
            "API keys. Or set TOPICHUB_ADMIN_EMAIL to an address nobody has signed up with.",
            email,
        )
        return f"refused to promote existing account {email}"
    if not user.is_active:
        user.is_active = True
        user.deactivated_at = None
        await session.flush()
        return f"reactivated platform admin {email}"
    return f"kept platform admin {email}"


async def promote(session: AsyncSession, hasher: Hasher, email: str, password: str | None) -> User:
    """The operator's explicit promotion (``topichub admin promote``). With a password,
    the account is taken over: its password is replaced and every credential its
    previous owner held (sessions, refresh tokens, API keys they created) ends, so only
    the operator holds the new authority. Without one, the operator vouches for the
    current owner."""
    await _one_process_at_a_time(session)
    user = await service.find_by_login(session, email)
    if user is None:
        raise NotPromoted(f"no account with the login {email}")
    if password is not None:
        service.check_password_policy(password, user.email, user.username)
        user.password_hash = await hasher.hash(password)
        await service.end_every_credential(session, user)
    user.is_platform_admin = True
    user.is_active = True
    user.deactivated_at = None
    await session.flush()
    return user


async def load_demo_users(session: AsyncSession, hasher: Hasher, provision: Provision) -> list[str]:
    await _one_process_at_a_time(session)
    created = []
    for username, password in DEMO_USERS:
        if await service.find_by_login(session, username) is None:
            new = NewUser(email=None, username=username, password=password, enforce_policy=False)
            await create_account(session, hasher, new)
            created.append(username)
    return created
