"""Math operations with history and events. Services never commit: the request does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from topichub.events.outbox import AppEvent, Outbox
from topichub.identity.principal import Permission, Principal
from topichub.kit.time import utcnow
from topichub.math.operations import (
    OPERATIONS,
    MathError,
    Number,
    OperandError,
    compute,
    parse_operand,
)
from topichub.math.repository import CalculationRepository
from topichub.math.schemas import CalculationOut, HistoryPage
from topichub.models import Calculation

TOPIC = "logs"
EVENT_TYPE = "math_operation"


def _user(principal: Principal) -> uuid.UUID:
    if principal.user_id is None:
        raise Forbidden("Math history belongs to users; this key has no user")
    return principal.user_id


def _operands(operation: str, raw: dict[str, Any]) -> tuple[str, dict[str, Number]]:
    spec = OPERATIONS.get(operation)
    if spec is None:
        raise NotFound(f"Unknown operation '{operation[:40]}'; use one of: {', '.join(OPERATIONS)}")
    values = dict(raw)
    if spec.operands == ("n",) and values.get("n") is None:
        values["n"] = values.get("a")  # the seed's UI sends every operand as `a`
    try:
        return spec.name, {name: parse_operand(values.get(name), name) for name in spec.operands}
    except OperandError as exc:
        raise _invalid(exc) from exc


def _invalid(exc: OperandError) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid {exc.name}: {exc.reason}", details=[{"field": exc.name, "reason": exc.reason}]
    )


async def calculate(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    operation: str,
    raw: dict[str, Any],
) -> dict[str, Any]:
    """Compute, record in the caller's history and emit ``math_operation`` on ``logs``
    (read-only callers only compute); the answer is ``{"operation", <operands>,
    "result"}``."""
    principal.require(Permission.read)
    user_id = _user(principal)
    name, operands = _operands(operation, raw)
    try:
        result = compute(OPERATIONS[name], operands)
    except OperandError as exc:
        raise _invalid(exc) from exc
    except MathError as exc:
        raise BadRequest(str(exc), details={"operation": name}) from exc
    if not principal.can(Permission.write):
        # Computing is a read; recording history and emitting an event are writes, which
        # a read-only key may not make. It gets the result, nothing is kept.
        return {"operation": name, **operands, "result": result}
    now = utcnow()
    row = await outbox.add(
        session,
        principal.tenant_id,
        AppEvent(
            topic=TOPIC,
            type=EVENT_TYPE,
            key=str(user_id),
            payload={
                "operation": name,
                "inputs": operands,
                "result": result,
                "user": principal.username or principal.email or str(user_id),
                "user_id": user_id,
                "time": now,
            },
            actor_id=user_id,
        ),
    )
    await CalculationRepository(session).add(
        Calculation(
            tenant_id=principal.tenant_id,
            user_id=user_id,
            operation=name,
            inputs=operands,
            result=result,
            event_id=row.event_id,
            created_at=now,
        )
    )
    return {"operation": name, **operands, "result": result}


def _out(calculation: Calculation) -> CalculationOut:
    return CalculationOut(
        id=calculation.id,
        operation=calculation.operation,
        inputs=calculation.inputs,
        result=calculation.result,
        created_at=calculation.created_at,
    )


async def history(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> HistoryPage:
    principal.require(Permission.read)
    rows = await CalculationRepository(session).page(
        principal.tenant_id, _user(principal), limit=limit + 1, offset=offset
    )
    return HistoryPage(
        items=[_out(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        has_more=len(rows) > limit,
    )


async def delete_history_entry(
    session: AsyncSession, principal: Principal, calculation_id: uuid.UUID
) -> None:
    """Forget one calculation of the caller's history (the event stays in the log)."""
    principal.require(Permission.write)
    repo = CalculationRepository(session)
    row = await repo.get(principal.tenant_id, _user(principal), calculation_id)
    if row is None:
        raise NotFound("History entry not found")
    await repo.delete(row)
