"""Redis connection pools shared by everything that counts in Redis (the limits store,
the rate limiter, the login throttle)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool


def blocking_pool(
    url: str,
    socket_timeout: float,
    max_connections: int,
    pool_timeout: float,
    *,
    decode_responses: bool,
) -> BlockingConnectionPool:
    """A pool that makes a burst of callers wait (up to ``pool_timeout``) for one of
    ``max_connections`` connections; redis-py's default pool raises "Too many
    connections" instead, which a burst of requests would turn into degraded decisions."""
    pool: BlockingConnectionPool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        decode_responses=decode_responses,
    )
    return pool
