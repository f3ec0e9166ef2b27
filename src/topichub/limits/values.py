"""Value types of the quota service: scopes, counters, limits and decisions (the API's
models are in ``schemas``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from topichub.models.usage import CLUSTER_SCOPE_ID

FREE_POOL_ID = "free"
"""The cluster scope's second counter: what every free-plan tenant took together."""

Scope = Literal["user", "project", "tenant", "cluster"]
Direction = Literal["in", "out"]
Metric = Literal["messages", "bytes"]

MiB = 1024 * 1024
GiB = 1024 * MiB

__all__ = [
    "CLUSTER_SCOPE_ID",
    "FREE_POOL_ID",
    "CounterKey",
    "Direction",
    "Metric",
    "QuotaBreach",
    "QuotaDecision",
    "QuotaLimits",
    "Remaining",
    "Scope",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class CounterKey:
    scope: Scope
    scope_id: str
    day: date


@dataclass(frozen=True, slots=True)
class Usage:
    messages_in: int = 0
    bytes_in: int = 0
    messages_out: int = 0
    bytes_out: int = 0

    def get(self, direction: Direction, metric: Metric) -> int:
        value: int = getattr(self, f"{metric}_{direction}")
        return value

    def plus(self, direction: Direction, messages: int, nbytes: int) -> Usage:
        if direction == "in":
            return Usage(
                self.messages_in + messages,
                self.bytes_in + nbytes,
                self.messages_out,
                self.bytes_out,
            )
        return Usage(
            self.messages_in, self.bytes_in, self.messages_out + messages, self.bytes_out + nbytes
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.messages_in + other.messages_in,
            self.bytes_in + other.bytes_in,
            self.messages_out + other.messages_out,
            self.bytes_out + other.bytes_out,
        )


@dataclass(frozen=True, slots=True)
class QuotaLimits:
    """Daily limits; ``None`` means unlimited. User and project limits apply to each
    direction separately (seed 000: 10,000 messages and 100 MB in, and the same out);
    the cluster-wide panic brake applies to inbound traffic only."""

    user_messages_per_day: int | None = 10_000
    user_bytes_per_day: int | None = 100 * MiB
    project_messages_per_day: int | None = None
    project_bytes_per_day: int | None = None
    tenant_messages_per_day: int | None = None
    tenant_bytes_per_day: int | None = None
    tenant_messages_in_per_day: int | None = None
    tenant_bytes_in_per_day: int | None = None
    """The tenant's share of the cluster brake (inbound only, like the brake)."""
    cluster_messages_in_per_day: int | None = 200_000
    cluster_bytes_in_per_day: int | None = 2 * GiB
    free_pool_messages_in_per_day: int | None = None
    free_pool_bytes_in_per_day: int | None = None
    """Set only for free-plan tenants: the part of the cluster brake that all of them
    together may take, so sign-ups can never pull the brake on operator-placed tenants."""

    @property
    def in_free_pool(self) -> bool:
        return (
            self.free_pool_messages_in_per_day is not None
            or self.free_pool_bytes_in_per_day is not None
        )

    def limit(
        self, scope: Scope, direction: Direction, metric: Metric, scope_id: str = ""
    ) -> int | None:
        if scope == "cluster":
            if direction == "out":
                return None
            if scope_id == FREE_POOL_ID:
                return (
                    self.free_pool_messages_in_per_day
                    if metric == "messages"
                    else self.free_pool_bytes_in_per_day
                )
            return (
                self.cluster_messages_in_per_day
                if metric == "messages"
                else self.cluster_bytes_in_per_day
            )
        value: int | None = getattr(self, f"{scope}_{metric}_per_day")
        if scope == "tenant" and direction == "in":
            share: int | None = getattr(self, f"tenant_{metric}_in_per_day")
            if share is not None:
                return share if value is None else min(value, share)
        return value


@dataclass(slots=True)
class Remaining:
    """What is left today in one direction, the minimum over every limited scope;
    ``None`` when no limit applies. Made for every publish and never changed, but not
    frozen: a frozen dataclass pays an ``object.__setattr__`` per field."""

    messages: int | None
    bytes: int | None

    @property
    def exhausted(self) -> bool:
        return self.messages == 0 or self.bytes == 0


@dataclass(frozen=True, slots=True)
class QuotaBreach:
    scope: Scope
    scope_id: str
    direction: Direction
    metric: Metric
    limit: int
    used: int
    requested: int

    @property
    def message(self) -> str:
        if self.scope == "cluster" and self.scope_id == FREE_POOL_ID:
            return (
                "The free plan's share of the cluster-wide daily inbound limit is used up, "
                "try again tomorrow"
            )
        if self.scope == "cluster":
            return "Cluster-wide daily inbound limit reached, try again tomorrow"
        owner = {"user": "Daily", "project": "Project daily", "tenant": "Tenant daily"}[self.scope]
        way = "" if self.direction == "in" else "outbound "
        if self.metric == "messages":
            return (
                f"{owner} {way}message quota exceeded: {self.limit} messages per day "
                f"(used {self.used}, requested {self.requested})"
            )
        return (
            f"{owner} {way}data quota exceeded: {format_bytes(self.limit)} per day "
            f"(used {format_bytes(self.used)}, requested {format_bytes(self.requested)})"
        )


@dataclass(slots=True)
class QuotaDecision:
    """``allowed`` False means nothing was recorded in any scope. ``retry_after`` is the
    seconds until the next UTC midnight, when every daily counter starts again. Never
    changed once made (not frozen for the reason ``Remaining`` is not)."""

    allowed: bool
    remaining: Remaining
    resets_at: datetime
    retry_after: int
    exceeded: QuotaBreach | None = None
    degraded: bool = False

    @property
    def message(self) -> str | None:
        return self.exceeded.message if self.exceeded else None

    def details(self) -> dict[str, object]:
        """The ``details`` of a QUOTA_EXCEEDED error envelope."""
        out: dict[str, object] = {"resets_at": self.resets_at.isoformat()}
        if self.exceeded is not None:
            e = self.exceeded
            out.update(
                scope=e.scope,
                direction=e.direction,
                metric=e.metric,
                limit=e.limit,
                used=e.used,
                requested=e.requested,
            )
        return out

    def headers(self) -> dict[str, str]:
        return {} if self.allowed else {"Retry-After": str(self.retry_after)}


def format_bytes(n: int) -> str:
    """1536 -> '1.5 KiB'; whole numbers lose the decimals ('100 MiB')."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            break
        value /= 1024
    if unit == "B":
        return f"{n} B"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"
