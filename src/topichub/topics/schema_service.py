"""A topic's JSON Schema: set (a new version), read, remove, try. Services never commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import Conflict, Forbidden, NotFound
from topichub.identity.principal import Permission, Principal
from topichub.models import Topic, TopicKind, TopicSchema
from topichub.topics import service
from topichub.topics.schema_check import compile_schema, failures
from topichub.topics.schema_compat import incompatibilities
from topichub.topics.schema_repository import TopicSchemaRepository


def _document(row: TopicSchema) -> Any:
    return json.loads(row.document)


async def _topic(
    session: AsyncSession, principal: Principal, name: str, project_id: uuid.UUID | None
) -> Topic:
    return await service.get_topic(session, principal, name, project_id)


async def active(
    session: AsyncSession,
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None,
    version: int | None = None,
) -> tuple[Topic, TopicSchema]:
    """The schema in force (or the one named by ``version``); 404 when there is none."""
    topic = await _topic(session, principal, name, project_id)
    wanted = version if version is not None else topic.schema_version
    if wanted is None:
        raise NotFound(f"Topic '{topic.name}' has no schema")
    row = await TopicSchemaRepository(session).version(topic.id, wanted)
    if row is None:
        raise NotFound(f"Topic '{topic.name}' has no schema version {wanted}")
    return topic, row


async def versions(
    session: AsyncSession, principal: Principal, name: str, project_id: uuid.UUID | None
) -> tuple[Topic, Sequence[TopicSchema]]:
    topic = await _topic(session, principal, name, project_id)
    return topic, await TopicSchemaRepository(session).versions(topic.id)


async def put(
    session: AsyncSession,
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None,
    document: Any,
    *,
    force: bool,
) -> tuple[Topic, TopicSchema]:
    """Make ``document`` the topic's schema, as a new version unless it equals the one in
    force. Replacing a schema with one that cannot be shown to accept every message the
    old one accepted (``schema_compat``) needs ``force``."""
    topic = await _topic(session, principal, name, project_id)
    principal.require(Permission.admin)
    if topic.kind == TopicKind.app:
        raise Forbidden(f"Topic '{topic.name}' is written by the built-in app; it takes no schema")
    compile_schema(document)
    repo = TopicSchemaRepository(session)
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    current = (
        await repo.version(topic.id, topic.schema_version)
        if topic.schema_version is not None
        else None
    )
    if current is not None and current.document == text:
        return topic, current
    reasons = incompatibilities(_document(current), document) if current is not None else []
    if reasons and not force:
        raise Conflict(
            f"The new schema may reject messages that version {current.version if current else 0} "
            f"accepted ({reasons[0]}); replace it with ?force=true if that is intended",
            details={"incompatibilities": reasons},
        )
    row = TopicSchema(
        tenant_id=topic.tenant_id,
        topic_id=topic.id,
        version=await repo.latest_version(topic.id) + 1,
        document=text,
        forced=bool(reasons),
    )
    try:
        await repo.add(row)
        topic.schema_version = row.version
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Another change to this topic's schema came first; try again") from exc
    return topic, row


async def remove(
    session: AsyncSession, principal: Principal, name: str, project_id: uuid.UUID | None
) -> Topic:
    """Stop checking publishes; the versions stay (stored messages name them)."""
    topic = await _topic(session, principal, name, project_id)
    principal.require(Permission.admin)
    if topic.schema_version is None:
        raise NotFound(f"Topic '{topic.name}' has no schema")
    topic.schema_version = None
    await session.flush()
    return topic


@dataclass(frozen=True, slots=True)
class CheckResult:
    version: int | None
    failures: list[dict[str, Any]]
    compatible: bool | None
    incompatibilities: list[str]


async def check(
    session: AsyncSession,
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None,
    values: list[Any],
    document: Any | None,
) -> CheckResult:
    """What a publish of ``values`` would meet: against ``document`` if given (and
    whether it could replace the active schema without force), else the active one."""
    topic = await _topic(session, principal, name, project_id)
    current = None
    if topic.schema_version is not None:
        current = await TopicSchemaRepository(session).version(topic.id, topic.schema_version)
    if document is None:
        if current is None:
            raise NotFound(f"Topic '{topic.name}' has no schema; send one to try")
        return CheckResult(
            version=current.version,
            failures=failures(compile_schema(_document(current)), values),
            compatible=None,
            incompatibilities=[],
        )
    validator = compile_schema(document)
    reasons = incompatibilities(_document(current), document) if current is not None else []
    return CheckResult(
        version=None,
        failures=failures(validator, values),
        compatible=None if current is None else not reasons,
        incompatibilities=reasons,
    )
