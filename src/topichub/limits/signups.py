"""Sign-up rate limits: each sign-up creates a tenant, a project, topics and an Argon2
hash, and every new tenant gets a share of the cluster's daily inbound brake. Bounding
sign-ups per client address and in total bounds both the hashing cost and how fast
fresh tenants can appear."""

from __future__ import annotations

from topichub.errors import RateLimitExceeded
from topichub.limits.rate import RateLimiter, RatePolicy
from topichub.metrics import RATE_LIMITED


async def check_signup(
    limiter: RateLimiter, address: str, *, per_address_per_hour: int | None, per_hour: int | None
) -> None:
    """Count one sign-up from ``address``; a refusal is a 429 with ``Retry-After``. The
    address is counted first, so one noisy client does not use up everyone's budget."""
    for key, limit, who in (
        (f"signup:address:{address}", per_address_per_hour, "from this address"),
        ("signup:all", per_hour, "on this server"),
    ):
        if limit is None:
            continue
        decision = await limiter.hit(key, RatePolicy(per_minute=None, per_hour=limit, per_day=None))
        if not decision.allowed:
            RATE_LIMITED.labels("signup").inc()
            raise RateLimitExceeded(
                f"Too many sign-ups {who}; try again in {decision.retry_after} seconds",
                headers={"Retry-After": str(decision.retry_after)},
            )
