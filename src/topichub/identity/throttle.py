"""Login throttling against password guessing: failures per account and per address.

Counted in the same storage as the rate limits (memory, or Redis shared by every
process). Only failures count per account, so a legitimate user is never locked out by
their own successful logins; every attempt counts per address.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger(__name__)


class LoginThrottle:
    def __init__(self, *, per_account: int, per_address: int, storage_uri: str | None) -> None:
        storage: Storage
        if storage_uri:
            uri = storage_uri.replace("redis://", "async+redis://", 1).replace(
                "rediss://", "async+rediss://", 1
            )
            built = storage_from_string(uri)
            assert isinstance(built, Storage)
            storage = built
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

    async def _retry_after(self, item: RateLimitItemPerMinute, *ids: str) -> int:
        stats = await self._limiter.get_window_stats(item, *ids)
        return max(1, math.ceil(stats.reset_time - time.time()))
