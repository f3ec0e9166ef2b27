"""Where the limits module keeps its shared state: in this process, or in Redis.

``MemoryStore`` is for one process on one machine: every counter lives in this process
and is lost when it exits (quota counters are made durable by ``QuotaService.flush``).
``RedisStore`` is for any number of processes: they see one set of counters because every
check-and-update runs as one Lua script on the Redis server, which is atomic.

A ``RedisStore`` targets a single Redis server (or a Sentinel-managed primary); the Lua
scripts touch several keys at once and are not written for Redis Cluster slot rules.
Every key starts with ``key_prefix`` so several deployments (or parallel test runs) can
share one server, and ``delete_all_keys`` removes exactly this store's keys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from topichub.kit.redis import blocking_pool

log = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX: Final = "topichub"

# Errors that mean "the shared store cannot answer now"; OSError covers refused and
# reset connections that surface before redis-py wraps them.
STORE_ERRORS: Final = (RedisError, OSError, TimeoutError)


class StoreUnavailable(Exception):
    """The shared store (Redis) did not answer; callers decide how to degrade."""


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate client errors of the shared store into ``StoreUnavailable``, so that a
    database error (asyncpg also raises ``OSError``) is never mistaken for one."""
    try:
        yield
    except STORE_ERRORS as exc:
        raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc


class MemoryStore:
    """In-process state: correct for exactly one process."""

    kind: Final = "memory"

    def __repr__(self) -> str:
        return "MemoryStore()"


class RedisStore:
    """A Redis connection pool plus the key prefix every limits key starts with."""

    kind: Final = "redis"

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        socket_timeout: float = 1.0,
        max_connections: int = 64,
        pool_timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.key_prefix = key_prefix.rstrip(":")
        self.client: Redis = Redis.from_pool(
            blocking_pool(url, socket_timeout, max_connections, pool_timeout, decode_responses=True)
        )

    def key(self, *parts: str) -> str:
        return ":".join((self.key_prefix, *parts))

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except STORE_ERRORS:
            return False

    async def delete_all_keys(self) -> int:
        """Delete every key under this store's prefix (tests and decommissioning)."""
        deleted = 0
        batch: list[str] = []
        async for key in self.client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(await self.client.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(await self.client.delete(*batch))
        return deleted

    async def aclose(self) -> None:
        await self.client.aclose()

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.key_prefix!r})"


LimitsStore = MemoryStore | RedisStore


def create_store(redis_url: str | None, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> LimitsStore:
    """The store for a deployment: Redis when a URL is configured, else in-process."""
    if redis_url:
        return RedisStore(redis_url, key_prefix=key_prefix)
    return MemoryStore()


@dataclass
class DegradedLog:
    """Counts store failures and logs a warning at most once per ``interval`` seconds, so
    an outage is visible without writing one line per request. ``errors`` is the
    monotonically increasing number a metrics exporter can read."""

    what: str
    interval: float = 30.0
    errors: int = 0
    _last: float = field(default=-1e18, repr=False)

    def record(self, exc: BaseException) -> None:
        self.errors += 1
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            log.warning(
                "%s: shared store unavailable (%s: %s); %d errors so far",
                self.what,
                type(exc).__name__,
                exc,
                self.errors,
            )
