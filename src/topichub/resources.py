"""Everything a running topichub holds across requests, built by the app's lifespan.

Nothing connects at import time; tests build their own ``Resources`` through ``create_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from topichub.bus import EventBus
from topichub.config import Settings
from topichub.identity.passwords import Hasher
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tickets import TicketBook
from topichub.identity.tokens import TokenCodec
from topichub.limits import (
    ConnectionLimiter,
    LimitsStore,
    QuotaService,
    RateLimiter,
    RedisStore,
)
from topichub.limits.metering import ApiMeter
from topichub.topics.stream.hub import StreamHub
from topichub.topics.streams import StreamRegistry

log = logging.getLogger(__name__)

SHUTDOWN = "shutdown"


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    tokens: TokenCodec
    hasher: Hasher
    login_throttle: LoginThrottle
    bus: EventBus
    hub: StreamHub
    rate_limiter: RateLimiter
    quotas: QuotaService
    connections: ConnectionLimiter
    limits_store: LimitsStore
    streams: StreamRegistry
    tickets: TicketBook
    meter: ApiMeter
    checks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Readiness probes by name; each raises when its dependency is down."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        """Drain in dependency order: streams get a close frame, counters are flushed,
        pending publishes finish, then connections close."""
        self.streams.close_all(SHUTDOWN)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("hub", self.hub.stop),
            ("stream registry", self.streams.stop),
            ("connection slots", self.connections.stop),
            ("quota counters", self.quotas.stop),
            ("api metering", self.meter.stop),
            ("rate limiter", self.rate_limiter.aclose),
            ("stream tickets", self.tickets.aclose),
            ("event bus", self.bus.stop),
            ("database", self.engine.dispose),
        ]
        if isinstance(self.limits_store, RedisStore):
            steps.insert(-2, ("limits store", self.limits_store.aclose))
        for name, step in steps:
            try:
                await step()
            except Exception:
                log.warning("error while closing %s", name, exc_info=True)
