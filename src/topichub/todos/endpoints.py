"""Seed 001's todo API: ``/todos`` (and ``/api/v1/todos``), per owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.todos import service
from topichub.todos.schemas import TodoIn, TodoOut, TodoPatch

router = APIRouter(tags=["todos"])

TodoId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The todo's id")]


@router.post(
    "/todos", summary="Create a todo", response_model=TodoOut, status_code=status.HTTP_201_CREATED
)
async def create_todo(
    data: TodoIn, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> TodoOut:
    """Create a todo; `todo_created` goes to your `todos` topic."""
    todo = await service.create(session, resources.outbox, principal, data)
    return TodoOut.model_validate(todo)


@router.get("/todos", summary="List my todos", response_model=list[TodoOut])
async def list_todos(
    principal: PrincipalDep,
    session: SessionDep,
    completed: Annotated[bool | None, Query(description="Only done or only open todos")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TodoOut]:
    """Your todos, oldest first, as a plain JSON list (the seed's shape)."""
    todos = await service.list_todos(
        session, principal, completed=completed, limit=limit, offset=offset
    )
    return [TodoOut.model_validate(todo) for todo in todos]


@router.get("/todos/{todo_id}", summary="Get a todo", response_model=TodoOut)
async def get_todo(todo_id: TodoId, principal: PrincipalDep, session: SessionDep) -> TodoOut:
    """One of your todos; 404 for anyone else's."""
    return TodoOut.model_validate(await service.get(session, principal, todo_id))


@router.put("/todos/{todo_id}", summary="Replace a todo", response_model=TodoOut)
async def replace_todo(
    todo_id: TodoId,
    data: TodoIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> TodoOut:
    """Full replace: fields left out take their defaults."""
    todo = await service.replace(session, resources.outbox, principal, todo_id, data)
    return TodoOut.model_validate(todo)


@router.patch("/todos/{todo_id}", summary="Update a todo", response_model=TodoOut)
async def patch_todo(
    todo_id: TodoId,
    data: TodoPatch,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> TodoOut:
    """Partial update: only the fields given change."""
    todo = await service.patch(session, resources.outbox, principal, todo_id, data)
    return TodoOut.model_validate(todo)


@router.delete("/todos/{todo_id}", summary="Delete a todo", status_code=status.HTTP_204_NO_CONTENT)
async def delete_todo(
    todo_id: TodoId, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Delete one of your todos; `todo_deleted` goes to your `todos` topic."""
    await service.delete(session, resources.outbox, principal, todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
