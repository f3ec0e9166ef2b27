"""Todos per owner. Services never commit: the request does, with the outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import Forbidden, NotFound, ValidationFailed
from topichub.events.outbox import AppEvent, Outbox
from topichub.identity.principal import Permission, Principal
from topichub.kit.time import utcnow
from topichub.models import Todo
from topichub.todos.repository import TodoRepository
from topichub.todos.schemas import TodoIn, TodoPatch

TOPIC = "todos"
CREATED, UPDATED, DELETED = "todo_created", "todo_updated", "todo_deleted"
EVENT_TYPES = frozenset({CREATED, UPDATED, DELETED})


def _owner(principal: Principal) -> uuid.UUID:
    # An API key acts as the user who created it (seed 000's rule for quotas too).
    if principal.user_id is None:
        raise Forbidden("Todos belong to users; this key has no user")
    return principal.user_id


def actor_name(principal: Principal) -> str:
    """How the seed names a user in events: the username, else the email."""
    return principal.username or principal.email or str(principal.user_id)


def not_found(todo_id: int) -> NotFound:
    return NotFound(f"Todo with ID {todo_id} not found")


def _fields(todo: Todo) -> dict[str, Any]:
    return {
        "id": todo.id,
        "title": todo.title,
        "description": todo.description,
        "completed": todo.completed,
        "created_at": todo.created_at,
    }


async def _emit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    todo: Todo,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    await outbox.add(
        session,
        principal.tenant_id,
        AppEvent(
            topic=TOPIC,
            type=event_type,
            key=str(todo.id),
            payload={**payload, "event": event_type},
            actor_id=principal.user_id,
        ),
    )


async def create(session: AsyncSession, outbox: Outbox, principal: Principal, data: TodoIn) -> Todo:
    principal.require(Permission.write)
    now = utcnow()
    todo = Todo(
        tenant_id=principal.tenant_id,
        owner_id=_owner(principal),
        title=data.title,
        description=data.description,
        completed=data.completed,
        created_at=now,
        updated_at=now,
    )
    await TodoRepository(session).add(todo)
    payload = {**_fields(todo), "created_by": actor_name(principal)}
    await _emit(session, outbox, principal, todo, CREATED, payload)
    return todo


async def list_todos(
    session: AsyncSession,
    principal: Principal,
    *,
    completed: bool | None,
    limit: int,
    offset: int,
) -> Sequence[Todo]:
    principal.require(Permission.read)
    return await TodoRepository(session).page(
        principal.tenant_id, _owner(principal), completed=completed, limit=limit, offset=offset
    )


async def get(session: AsyncSession, principal: Principal, todo_id: int) -> Todo:
    principal.require(Permission.read)
    todo = await TodoRepository(session).get(principal.tenant_id, _owner(principal), todo_id)
    if todo is None:
        raise not_found(todo_id)
    return todo


async def _update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    todo: Todo,
    changes: dict[str, Any],
) -> Todo:
    changed = {name: value for name, value in changes.items() if getattr(todo, name) != value}
    if not changed:
        return todo
    for name, value in changed.items():
        setattr(todo, name, value)
    todo.updated_at = utcnow()
    await TodoRepository(session).flush()
    payload = {
        **_fields(todo),
        "updated_at": todo.updated_at,
        "updated_by": actor_name(principal),
        "changes": sorted(changed),
    }
    await _emit(session, outbox, principal, todo, UPDATED, payload)
    return todo


async def replace(
    session: AsyncSession, outbox: Outbox, principal: Principal, todo_id: int, data: TodoIn
) -> Todo:
    """``PUT``: every field takes the body's value (or its default)."""
    principal.require(Permission.write)
    todo = await get(session, principal, todo_id)
    return await _update(session, outbox, principal, todo, data.model_dump())


async def patch(
    session: AsyncSession, outbox: Outbox, principal: Principal, todo_id: int, data: TodoPatch
) -> Todo:
    """``PATCH``: only the fields given change; ``title`` and ``completed`` cannot be null."""
    principal.require(Permission.write)
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "completed"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(
                f"{name} cannot be null", details=[{"field": name, "reason": "cannot be null"}]
            )
    todo = await get(session, principal, todo_id)
    return await _update(session, outbox, principal, todo, changes)


async def delete(session: AsyncSession, outbox: Outbox, principal: Principal, todo_id: int) -> None:
    principal.require(Permission.write)
    todo = await get(session, principal, todo_id)
    payload = {
        "id": todo.id,
        "title": todo.title,
        "deleted_at": utcnow(),
        "deleted_by": actor_name(principal),
    }
    await _emit(session, outbox, principal, todo, DELETED, payload)
    await TodoRepository(session).delete(todo)
