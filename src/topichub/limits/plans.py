"""Plans: the limits a tenant lives under, with per-tenant overrides on top.

The defaults come from settings (so an operator can change them without code) and are the
numbers of seed 000 (quotas, two streams per user) and seed 003 (rate limits).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from topichub.config import Settings
from topichub.limits.rate import RatePolicy
from topichub.limits.values import QuotaLimits
from topichub.models import Tenant


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    rate: RatePolicy
    quotas: QuotaLimits
    max_streams_per_user: int
    max_topics_per_project: int
    max_partitions: int


FREE_PLAN = "free"


def _share(limit: int | None, share: float) -> int | None:
    return None if limit is None else max(1, math.ceil(limit * share))


def default_plan(settings: Settings) -> Plan:
    return Plan(
        name="free",
        rate=RatePolicy(
            per_minute=settings.rate_per_minute,
            per_hour=settings.rate_per_hour,
            per_day=settings.rate_per_day,
        ),
        quotas=QuotaLimits(
            user_messages_per_day=settings.quota_user_messages_per_day,
            user_bytes_per_day=settings.quota_user_bytes_per_day,
            cluster_messages_in_per_day=settings.quota_cluster_messages_in_per_day,
            cluster_bytes_in_per_day=settings.quota_cluster_bytes_in_per_day,
        ),
        max_streams_per_user=settings.max_streams_per_user,
        max_topics_per_project=settings.max_topics_per_project,
        max_partitions=settings.max_partitions,
    )


def _override(base: Any, overrides: dict[str, Any] | None, mapping: dict[str, str]) -> Any:
    if not overrides:
        return base
    changes = {mapping[k]: v for k, v in overrides.items() if k in mapping}
    return dataclasses.replace(base, **changes) if changes else base


RATE_FIELDS = {"per_minute": "per_minute", "per_hour": "per_hour", "per_day": "per_day"}
QUOTA_FIELDS = {
    "messages_per_day": "user_messages_per_day",
    "bytes_per_day": "user_bytes_per_day",
    "user_messages_per_day": "user_messages_per_day",
    "user_bytes_per_day": "user_bytes_per_day",
    "project_messages_per_day": "project_messages_per_day",
    "project_bytes_per_day": "project_bytes_per_day",
    "tenant_messages_per_day": "tenant_messages_per_day",
    "tenant_bytes_per_day": "tenant_bytes_per_day",
}


def effective_plan(settings: Settings, tenant: Tenant | None) -> Plan:
    plan = default_plan(settings)
    if tenant is None:
        return plan
    quotas_override = dict(tenant.quotas or {})
    streams = quotas_override.pop("max_streams_per_user", None)
    plan = dataclasses.replace(
        plan,
        rate=_override(plan.rate, tenant.rate_limits, RATE_FIELDS),
        quotas=_override(plan.quotas, quotas_override, QUOTA_FIELDS),
    )
    if isinstance(streams, int) and streams >= 0:
        plan = dataclasses.replace(plan, max_streams_per_user=streams)
    return dataclasses.replace(
        plan,
        quotas=_cluster_shares(
            settings, plan.quotas, tenant, operator_quotas=bool(quotas_override)
        ),
    )


def _cluster_shares(
    settings: Settings, quotas: QuotaLimits, tenant: Tenant, *, operator_quotas: bool
) -> QuotaLimits:
    """The cluster brake is shared by every tenant, so no tenant may pull it alone: one
    without quotas set by an operator takes at most its share; and since anyone can sign
    up for the free plan, free tenants together take at most theirs, leaving the rest to
    tenants an operator placed on a plan."""
    messages = settings.quota_cluster_messages_in_per_day
    nbytes = settings.quota_cluster_bytes_in_per_day
    if not operator_quotas:
        share = settings.quota_tenant_share_of_cluster
        quotas = dataclasses.replace(
            quotas,
            tenant_messages_in_per_day=_share(messages, share),
            tenant_bytes_in_per_day=_share(nbytes, share),
        )
    if tenant.plan == FREE_PLAN:
        share = settings.quota_free_share_of_cluster
        quotas = dataclasses.replace(
            quotas,
            free_pool_messages_in_per_day=_share(messages, share),
            free_pool_bytes_in_per_day=_share(nbytes, share),
        )
    return quotas
