"""Usage against today's quotas (seed 000's ``/usage`` and ``/usage/projects``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Permission
from topichub.kit.time import utctoday
from topichub.limits import QuotaLimits, Usage
from topichub.limits.enforce import plan_for
from topichub.limits.schemas import (
    ApiUsageOut,
    DailyLimitsOut,
    DayUsageOut,
    Meter,
    ProjectsUsageOut,
    ProjectUsageOut,
    UsageHistoryOut,
    UsageOut,
    UserUsageOut,
)
from topichub.limits.values import Direction, Metric
from topichub.tenancy import service as tenancy

router = APIRouter(tags=["usage"])
WARNING_RATIO = 0.8
MAX_HISTORY_DAYS = 90
_DIRECTIONS: tuple[Direction, ...] = ("in", "out")
_METRICS: tuple[Metric, ...] = ("messages", "bytes")


def _meter(used: int, limit: int | None) -> Meter:
    if limit is None:
        return Meter(used=used, limit=None, remaining=None, percentage=None, warning=False)
    percentage = round(100.0 * used / limit, 2) if limit else 100.0
    return Meter(
        used=used,
        limit=limit,
        remaining=max(0, limit - used),
        percentage=percentage,
        warning=percentage >= WARNING_RATIO * 100,
    )


def _usage_out(
    usage: Usage, quotas: QuotaLimits, scope: Literal["user", "project"], day: date
) -> UsageOut:
    meters = {}
    warnings = []
    for direction in _DIRECTIONS:
        for metric in _METRICS:
            limit = quotas.limit(scope, direction, metric)
            meter = _meter(usage.get(direction, metric), limit)
            meters[f"{metric}_{direction}"] = meter
            if meter.warning:
                warnings.append(
                    f"{meter.percentage:.0f}% of today's {metric} {direction} quota used "
                    f"({meter.used} of {meter.limit})"
                )
    return UsageOut(date=day, warnings=warnings, **meters)


@router.get("/usage", summary="My usage today", response_model=UserUsageOut)
async def usage(
    principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> UserUsageOut:
    """Today's (UTC) usage: the caller's messages and bytes against their daily quotas
    (warning at 80 %), and the tenant's API calls, recommendations, items indexed and
    average latency."""
    principal.require(Permission.read)
    plan = await plan_for(session, resources, principal)
    day = utctoday()
    counted = await resources.quotas.usage("user", principal.quota_holder, day)
    api = await resources.meter.usage(principal.tenant_id, day)
    return UserUsageOut(
        **_usage_out(counted, plan.quotas, "user", day).model_dump(),
        tenant_id=str(principal.tenant_id),
        api=ApiUsageOut(
            api_calls=api.api_calls,
            errors=api.errors,
            client_errors=api.client_errors,
            streams=api.streams,
            recommendations_served=api.recommendations,
            items_indexed=api.items_indexed,
            average_latency_ms=api.average_latency_ms,
        ),
    )


@router.get("/usage/history", summary="My usage per day", response_model=UsageHistoryOut)
async def usage_history(
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    days: Annotated[
        int,
        Query(ge=1, le=MAX_HISTORY_DAYS, description="How many UTC days, today included"),
    ] = 14,
) -> UsageHistoryOut:
    """The caller's messages and bytes per UTC day over the last ``days`` days, oldest
    first, with a zero row for each day without traffic; today's counts are live."""
    principal.require(Permission.read)
    plan = await plan_for(session, resources, principal)
    # The counters read through connections of their own: release this one first.
    await session.commit()
    history = await resources.quotas.history("user", principal.quota_holder, days)
    limits = {
        f"{metric}_{direction}": plan.quotas.limit("user", direction, metric)
        for direction in _DIRECTIONS
        for metric in _METRICS
    }
    return UsageHistoryOut(
        days=[
            DayUsageOut(
                date=day,
                messages_in=counted.messages_in,
                bytes_in=counted.bytes_in,
                messages_out=counted.messages_out,
                bytes_out=counted.bytes_out,
            )
            for day, counted in history
        ],
        limits=DailyLimitsOut(**limits),
    )


@router.get("/usage/projects", summary="Usage per project today", response_model=ProjectsUsageOut)
async def usage_by_project(
    principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> ProjectsUsageOut:
    """Today's usage per project of the caller's tenant."""
    plan = await plan_for(session, resources, principal)
    day = utctoday()
    projects = []
    for project in await tenancy.list_projects(session, principal):
        counted = await resources.quotas.usage("project", str(project.id), day)
        out = _usage_out(counted, plan.quotas, "project", day)
        projects.append(
            ProjectUsageOut(project_id=str(project.id), name=project.name, **out.model_dump())
        )
    return ProjectsUsageOut(date=day, projects=projects)
