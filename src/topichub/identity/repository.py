from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.models import ApiKey, Membership, RefreshToken, Tenant, User


class IdentityRepository:
    """Users and refresh tokens, and what authentication reads of the tables other
    packages manage: the membership and tenant a credential acts in, and API keys (read
    to authenticate, revoked when their creator's credentials all end)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    async def add_user(self, user: User) -> bool:
        """False when another account took the email or username first; the
        transaction is then unusable and must end."""
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def get_user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def by_login(self, login: str) -> User | None:
        """Find by email (case-insensitive) or username."""
        login = login.strip()
        if "\x00" in login:
            # No account has one (signup validates both), and PostgreSQL refuses it.
            return None
        return await self.session.scalar(
            select(User).where(or_(User.email == login.lower(), User.username == login))
        )

    async def email_taken(self, email: str, *, other_than: uuid.UUID | None = None) -> bool:
        statement = select(User.id).where(User.email == email)
        if other_than is not None:
            statement = statement.where(User.id != other_than)
        return await self.session.scalar(statement) is not None

    async def username_taken(self, username: str) -> bool:
        """Case-insensitively: "Alice" and "alice" side by side in a chat is impersonation."""
        statement = select(User.id).where(func.lower(User.username) == username.lower()).limit(1)
        return await self.session.scalar(statement) is not None

    async def list_users(self, *, limit: int, offset: int) -> Sequence[User]:
        statement = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
        return (await self.session.scalars(statement)).all()

    async def count_users(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)

    async def refresh_by_hash(self, token_hash: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    async def revoke_family(self, family_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=when)
        )

    async def revoke_user_refresh_tokens(self, user_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=when)
        )

    async def membership(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.session.scalar(
            select(Membership).where(
                Membership.tenant_id == tenant_id, Membership.user_id == user_id
            )
        )

    async def get_tenant(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def key_by_lookup(self, lookup: str) -> ApiKey | None:
        return await self.session.scalar(select(ApiKey).where(ApiKey.lookup == lookup))

    async def touch_key(self, key_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when)
        )

    async def revoke_keys_created_by(self, user_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.created_by == user_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=when)
        )
