"""Login throttling against password guessing: failures per account and per address.

Counted in the same storage as the rate limits (memory, or Redis shared by every
process). Only failures count per account, so a legitimate user is never locked out by
their own successful logins; every attempt counts per address.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import BlockingConnectionPool

from topichub.kit.redis import blocking_pool

log = logging.getLogger(__name__)


class LoginThrottle:
    def __init__(
        self,
        *,
        per_account: int,
        per_address: int,
        storage_uri: str | None,
        key_prefix: str = "topichub:login",
        socket_timeout: float = 2.0,
    ) -> None:
        storage: Storage
        self._pool: BlockingConnectionPool | None = None
        if storage_uri and not storage_uri.startswith(("memory://", "async+memory://")):
            url = storage_uri.removeprefix("async+")
            # Bounded waits: an unresponsive Redis must not hold logins (they fail open).
            self._pool = blocking_pool(
                url,
                socket_timeout,
                max_connections=16,
                pool_timeout=socket_timeout,
                decode_responses=False,
            )
            # limits types its **options as scalars; redis-py takes the pool there.
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                f"async+{url}", implementation="redispy", key_prefix=key_prefix, **options
            )
        else:
            storage = MemoryStorage()
        self._limiter = FixedWindowRateLimiter(storage)
        self._account = RateLimitItemPerMinute(per_account)
        self._address = RateLimitItemPerMinute(per_address)

    async def check(self, account: str, address: str) -> int | None:
        """Count this attempt for the address; return seconds to wait when throttled."""
        try:
            if not await self._limiter.test(self._account, "login-acct", account.lower()):
                return await self._retry_after(self._account, "login-acct", account.lower())
            if not await self._limiter.hit(self._address, "login-addr", address):
                return await self._retry_after(self._address, "login-addr", address)
        except Exception:
            log.warning("login throttle storage unavailable; not throttling", exc_info=True)
        return None

    async def failed(self, account: str) -> None:
        try:
            await self._limiter.hit(self._account, "login-acct", account.lower())
        except Exception:
            log.warning("login throttle storage unavailable", exc_info=True)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def _retry_after(self, item: RateLimitItemPerMinute, *ids: str) -> int:
        stats = await self._limiter.get_window_stats(item, *ids)
        return max(1, math.ceil(stats.reset_time - time.time()))
