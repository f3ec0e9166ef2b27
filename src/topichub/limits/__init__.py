"""Rate limits, daily quotas, stream connection slots and usage metering.

Each has an in-process engine for one process (``MemoryStore``) and a Redis engine for
several (``RedisStore``); see the docstrings of ``rate``, ``quota`` and ``connections``
for what is atomic, what is durable and what happens when Redis is down (in short: all
three fail open, visibly, because a limits outage must not take publishing down).
"""

from topichub.limits.connections import ConnectionLimiter, Slot, stream_limit_message
from topichub.limits.quota import QuotaService
from topichub.limits.rate import RateDecision, RateLimiter, RatePolicy, WindowState
from topichub.limits.store import (
    LimitsStore,
    MemoryStore,
    RedisStore,
    StoreUnavailable,
    create_store,
)
from topichub.limits.values import (
    CounterKey,
    QuotaBreach,
    QuotaDecision,
    QuotaLimits,
    Remaining,
    Usage,
)

__all__ = [
    "ConnectionLimiter",
    "CounterKey",
    "LimitsStore",
    "MemoryStore",
    "QuotaBreach",
    "QuotaDecision",
    "QuotaLimits",
    "QuotaService",
    "RateDecision",
    "RateLimiter",
    "RatePolicy",
    "RedisStore",
    "Remaining",
    "Slot",
    "StoreUnavailable",
    "Usage",
    "WindowState",
    "create_store",
    "stream_limit_message",
]
