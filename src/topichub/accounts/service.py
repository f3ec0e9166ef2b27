"""Opening an account: the user (identity), their personal tenant with its default
project (tenancy) and the default topics (topics). Services never commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus import EventBus
from topichub.identity import service as identity
from topichub.identity.passwords import Hasher
from topichub.identity.service import NewUser
from topichub.models import Topic, User
from topichub.tenancy import service as tenancy
from topichub.topics import service as topics


async def create_account(session: AsyncSession, hasher: Hasher, new: NewUser) -> User:
    """A user with their own tenant, of which they are the owner, and its default project."""
    user = await identity.create_user(session, hasher, new)
    label = user.email or user.username or str(user.id)
    await tenancy.create_personal_tenant(session, user, label=label)
    return user


async def provision_account(session: AsyncSession, user: User) -> list[Topic]:
    """The default topic ``events`` and the apps' topics in the account's default
    project. The caller commits, then calls ``create_log_topics`` with them."""
    assert user.default_tenant_id is not None
    project = await tenancy.default_project(session, user.default_tenant_id)
    return await topics.create_default_topics(session, project)


async def create_log_topics(bus: EventBus, new_topics: list[Topic]) -> None:
    """After the commit: the log topics of ``provision_account``'s topics (a failure is
    logged; publishes and streams create a missing one later)."""
    for topic in new_topics:
        await topics.ensure_log_topic(bus, topic)
