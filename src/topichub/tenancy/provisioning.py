"""Account provisioning: what a new account starts with beyond its personal tenant and
default project (``service.create_personal_tenant``, at sign-up)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus import EventBus
from topichub.models import Topic, User
from topichub.tenancy import service
from topichub.topics import service as topics


async def provision_account(session: AsyncSession, user: User) -> list[Topic]:
    """The default topic ``events`` and the apps' topics in the account's default
    project. The caller commits, then calls ``topics.ensure_log_topic`` for each."""
    assert user.default_tenant_id is not None
    project = await service.default_project(session, user.default_tenant_id)
    return await topics.create_default_topics(session, project)


async def create_log_topics(bus: EventBus, new_topics: list[Topic]) -> None:
    """After the commit: the log topics of ``provision_account``'s topics (a failure is
    logged; publishes and streams create a missing one later)."""
    for topic in new_topics:
        await topics.ensure_log_topic(bus, topic)
