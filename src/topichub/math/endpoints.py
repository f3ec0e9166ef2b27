"""Seed 004's math API: ``/math/{operation}`` and ``/math/history`` (and under ``/api/v1``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response, status

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.math import service
from topichub.math.operations import MAX_OPERAND_DIGITS
from topichub.math.schemas import HistoryPage, OperandsIn

router = APIRouter(tags=["math"])

Operand = Annotated[str | None, Query(max_length=MAX_OPERAND_DIGITS + 10, description="A number")]
OperationPath = Annotated[
    str,
    Path(
        max_length=40,
        description="add, subtract, multiply, divide, pow, sqrt (a only), factorial or "
        "fibonacci (n)",
    ),
]

EXAMPLE = {"operation": "add", "a": 2, "b": 3, "result": 5}


@router.get("/math/history", summary="My calculations", response_model=HistoryPage)
async def math_history(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HistoryPage:
    """Your calculations, newest first."""
    return await service.history(session, principal, limit=limit, offset=offset)


@router.delete(
    "/math/history/{entry_id}",
    summary="Delete a calculation",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_math_history_entry(
    entry_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete one of your calculations from the history."""
    await service.delete_history_entry(session, principal, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/math/{operation}",
    summary="Calculate (query parameters)",
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}}},
)
async def calculate_get(
    operation: OperationPath,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    a: Operand = None,
    b: Operand = None,
    n: Operand = None,
) -> dict[str, Any]:
    """`GET /math/add?a=2&b=3` → `{"operation": "add", "a": 2, "b": 3, "result": 5}`.
    Integers are exact; a float operand makes a float result."""
    return await service.calculate(
        session, resources.outbox, principal, operation, {"a": a, "b": b, "n": n}
    )


@router.post(
    "/math/{operation}",
    summary="Calculate (JSON body)",
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}}},
)
async def calculate_post(
    operation: OperationPath,
    data: Annotated[OperandsIn, Body()],
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> dict[str, Any]:
    """The same with a JSON body: `{"a": 2, "b": 3}` or `{"n": 10}`."""
    return await service.calculate(
        session, resources.outbox, principal, operation, data.model_dump()
    )
