"""Accounts and sessions. Services never commit: the request owns the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.config import Settings
from topichub.errors import (
    AuthenticationFailed,
    Conflict,
    RateLimitExceeded,
    ValidationFailed,
)
from topichub.identity.passwords import Hasher, PasswordPolicyError, check_policy
from topichub.identity.principal import ROLE_PERMISSIONS, Principal
from topichub.identity.repository import IdentityRepository
from topichub.identity.schemas import MeUpdate, TokenOut, UserOut
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tokens import InvalidToken, TokenCodec
from topichub.kit.crypto import random_token, sha256_hex
from topichub.kit.time import utcnow
from topichub.models import RefreshToken, User

REFRESH_PREFIX = "thr_"
INVALID_CREDENTIALS = "Incorrect email/username or password"


@dataclass(frozen=True)
class TokenSettings:
    refresh_ttl_s: int
    reuse_grace_s: int

    @classmethod
    def of(cls, settings: Settings) -> TokenSettings:
        return cls(
            refresh_ttl_s=settings.refresh_token_ttl_s,
            reuse_grace_s=settings.refresh_reuse_grace_s,
        )


def check_password_policy(password: str, *identifiers: str | None) -> None:
    try:
        check_policy(password, identifiers=identifiers)
    except PasswordPolicyError as exc:
        raise ValidationFailed(
            str(exc), details=[{"field": "password", "reason": str(exc)}]
        ) from exc


@dataclass(frozen=True)
class NewUser:
    email: str | None
    username: str | None
    password: str
    enforce_policy: bool = True
    """Off only for seed 001's demo accounts (weak documented passwords)."""
    platform_admin: bool = False


async def create_user(session: AsyncSession, hasher: Hasher, new: NewUser) -> User:
    """The user alone: ``accounts.service.create_account`` gives them their tenant."""
    repo = IdentityRepository(session)
    email = new.email.lower() if new.email else None
    username, password = new.username, new.password
    if new.enforce_policy:
        check_password_policy(password, email, username)
    if email and await repo.email_taken(email):
        raise Conflict("Email already registered")
    if username and await repo.username_taken(username):
        raise Conflict("Username already registered")
    user = User(
        email=email,
        username=username,
        password_hash=await hasher.hash(password),
        is_platform_admin=new.platform_admin,
    )
    # The checks above answer the common case; concurrent sign-ups with one email all
    # pass them, and the unique constraint decides which one wins.
    if not await repo.add_user(user):
        raise Conflict("Email already registered" if email else "Username already registered")
    return user


async def user_out(session: AsyncSession, user: User) -> UserOut:
    out = UserOut.model_validate(user)
    if user.default_tenant_id is not None:
        membership = await IdentityRepository(session).membership(user.default_tenant_id, user.id)
        out.tenant_id = user.default_tenant_id
        out.role = membership.role if membership else None
    return out


async def issue_tokens(
    session: AsyncSession,
    codec: TokenCodec,
    settings: TokenSettings,
    user: User,
    *,
    family_id: uuid.UUID | None = None,
) -> TokenOut:
    if user.default_tenant_id is None:
        raise AuthenticationFailed("This account has no tenant")
    access = codec.issue(user.id, user.default_tenant_id, user.token_version)
    raw_refresh = REFRESH_PREFIX + random_token(32)
    now = utcnow()
    await IdentityRepository(session).add(
        RefreshToken(
            user_id=user.id,
            tenant_id=user.default_tenant_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=sha256_hex(raw_refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_ttl_s),
        )
    )
    return TokenOut(
        token=access,
        access_token=access,
        expires_in=codec.access_ttl_s,
        refresh_token=raw_refresh,
        user=await user_out(session, user),
    )


async def authenticate(
    session: AsyncSession,
    hasher: Hasher,
    throttle: LoginThrottle,
    *,
    login: str,
    password: str,
    address: str,
) -> User:
    """Check a login. Every failure looks the same and costs the same time, whether or
    not the account exists; repeated failures are throttled."""
    user = await IdentityRepository(session).by_login(login)
    # Throttled per account, however it is named (email or username, any case or
    # padding); a login that names no account is counted under its folded form.
    account = f"user:{user.id}" if user else f"login:{login.strip().lower()}"
    wait = await throttle.check(account, address)
    if wait is not None:
        raise RateLimitExceeded(
            f"Too many login attempts; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    valid = await hasher.verify(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        await throttle.failed(account)
        raise AuthenticationFailed(INVALID_CREDENTIALS)
    return user


async def refresh(
    session: AsyncSession, codec: TokenCodec, settings: TokenSettings, raw_token: str
) -> TokenOut:
    """Rotate a refresh token. A token presented twice outside a short grace window
    (a concurrent retry) means it leaked: the whole family is revoked."""
    repo = IdentityRepository(session)
    now = utcnow()
    stored = await repo.refresh_by_hash(sha256_hex(raw_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise AuthenticationFailed("Invalid or expired refresh token")
    if stored.used_at is not None:
        if now - stored.used_at > timedelta(seconds=settings.reuse_grace_s):
            await repo.revoke_family(stored.family_id, now)
            # Commit the revocation even though the request fails.
            await session.commit()
            raise AuthenticationFailed("Refresh token reuse detected; please log in again")
        raise AuthenticationFailed("Refresh token already used")
    user = await repo.get_user(stored.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("Invalid or expired refresh token")
    stored.used_at = now
    return await issue_tokens(session, codec, settings, user, family_id=stored.family_id)


async def logout(session: AsyncSession, raw_token: str) -> None:
    """End the session a refresh token belongs to: its whole family (every token rotated
    from the same login) is revoked, as on reuse detection. An unknown, expired or
    already revoked token is silently accepted, so the answer tells nothing."""
    repo = IdentityRepository(session)
    stored = await repo.refresh_by_hash(sha256_hex(raw_token))
    if stored is not None:
        await repo.revoke_family(stored.family_id, utcnow())


async def principal_from_access_token(
    session: AsyncSession, codec: TokenCodec, token: str
) -> Principal:
    try:
        claims = codec.decode(token)
    except InvalidToken as exc:
        raise AuthenticationFailed(str(exc)) from exc
    return await principal_for_user(session, claims.user_id, claims.tenant_id, claims.version)


async def principal_for_user(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, version: int
) -> Principal:
    """The principal of a user acting in a tenant, if the credential's version is current."""
    repo = IdentityRepository(session)
    user = await repo.get_user(user_id)
    if user is None or not user.is_active or user.token_version != version:
        raise AuthenticationFailed("Invalid or expired token")
    membership = await repo.membership(tenant_id, user.id)
    tenant = await repo.get_tenant(tenant_id)
    if membership is None or tenant is None or not tenant.is_active:
        raise AuthenticationFailed("Invalid or expired token")
    return Principal(
        kind="user",
        user_id=user.id,
        tenant_id=tenant_id,
        permissions=frozenset({ROLE_PERMISSIONS.get(membership.role, ROLE_PERMISSIONS["member"])}),
        role=membership.role,
        is_platform_admin=user.is_platform_admin,
        email=user.email,
        username=user.username,
        token_version=user.token_version,
    )


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await IdentityRepository(session).get_user(user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("Invalid or expired token")
    return user


async def update_me(
    session: AsyncSession,
    hasher: Hasher,
    throttle: LoginThrottle,
    principal: Principal,
    data: MeUpdate,
    *,
    address: str,
) -> tuple[User, bool]:
    """Change email and/or password; returns the user and whether the password changed.

    Both need the current password: an access token alone (stolen, or left in a
    browser) must not be enough to lock the owner out. Wrong guesses count against the
    account's login throttle, so this is no side door for password guessing."""
    user = await get_user(session, principal.require_user())
    repo = IdentityRepository(session)
    if data.email is None and data.password is None:
        return user, False
    if data.current_password is None:
        raise ValidationFailed(
            "current_password is required to change the email or the password",
            details=[{"field": "current_password", "reason": "required"}],
        )
    account = f"user:{user.id}"
    wait = await throttle.check(account, address)
    if wait is not None:
        raise RateLimitExceeded(
            f"Too many password attempts; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    if not await hasher.verify(data.current_password, user.password_hash):
        await throttle.failed(account)
        raise AuthenticationFailed(
            "Current password is incorrect",
            details=[{"field": "current_password", "reason": "incorrect"}],
        )
    if data.email is not None:
        email = data.email.lower()
        if email != user.email:
            if await repo.email_taken(email, other_than=user.id):
                raise Conflict("Email already registered")
            user.email = email
    changed = data.password is not None
    if data.password is not None:
        check_password_policy(data.password, user.email, user.username)
        user.password_hash = await hasher.hash(data.password)
        # Every session issued with the old password ends now; the caller issues this
        # session fresh tokens.
        user.token_version += 1
        await repo.revoke_user_refresh_tokens(user.id, utcnow())
    await session.flush()
    return user, changed


async def deactivate(session: AsyncSession, principal: Principal) -> User:
    """Deactivate the caller: tokens stop working, refresh tokens and API keys are revoked."""
    user = await get_user(session, principal.require_user())
    return await deactivate_user(session, user)


async def deactivate_user(session: AsyncSession, user: User) -> User:
    """Tokens stop working at once, refresh tokens and the user's API keys are revoked;
    open streams close within about a second (the stream registry watches)."""
    user.is_active = False
    user.deactivated_at = utcnow()
    await end_every_credential(session, user)
    return user


async def end_every_credential(session: AsyncSession, user: User) -> None:
    """Access tokens stop working at once, refresh tokens and the API keys the user
    created are revoked; open streams close within about a second."""
    user.token_version += 1
    repo = IdentityRepository(session)
    now = utcnow()
    await repo.revoke_user_refresh_tokens(user.id, now)
    await repo.revoke_keys_created_by(user.id, now)
    await session.flush()


async def find_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await IdentityRepository(session).get_user(user_id)


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    return await IdentityRepository(session).by_login(login)


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> list[User]:
    return list(await IdentityRepository(session).list_users(limit=limit, offset=offset))


async def count_users(session: AsyncSession) -> int:
    return await IdentityRepository(session).count_users()
