"""App writes count against quotas like publishes: every event an app (todos, chat,
math, the recommender's interactions) puts on the log through the outbox is charged to
the acting user's and its tenant's daily inbound quotas, and to the cluster brake, when
it is added, so a refusal rolls back the change that caused it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import QuotaExceeded
from topichub.limits.plans import Plan, effective_plan
from topichub.metrics import RATE_LIMITED
from topichub.models import OutboxEvent
from topichub.tenancy import service as tenancy

if TYPE_CHECKING:
    from topichub.config import Settings
    from topichub.events.outbox import Charge
    from topichub.limits.quota import QuotaService

_PLANS = "quota_plans"


def charge_app_events(settings: Settings, quotas: QuotaService) -> Charge:
    async def charge(session: AsyncSession, rows: Sequence[OutboxEvent]) -> None:
        first = rows[0]
        # Several requests' worth of events may share a session: look the plan up once.
        plans: dict[object, Plan] = session.info.setdefault(_PLANS, {})
        plan = plans.get(first.tenant_id)
        if plan is None:
            tenant = await tenancy.get_tenant(session, first.tenant_id)
            plan = plans[first.tenant_id] = effective_plan(settings, tenant)
        nbytes = sum(
            len(json.dumps(row.payload, separators=(",", ":"), default=str).encode())
            for row in rows
        )
        holder = str(first.actor_id) if first.actor_id else f"tenant:{first.tenant_id}"
        decision = await quotas.consume_in(
            holder,
            str(first.project_id),
            len(rows),
            nbytes,
            plan.quotas,
            tenant_id=str(first.tenant_id),
        )
        if not decision.allowed:
            RATE_LIMITED.labels("quota").inc()
            raise QuotaExceeded(
                decision.message or "Daily quota exceeded",
                headers={"Retry-After": str(decision.retry_after)},
                details=decision.details(),
            )

    return charge
