"""Everything a running topichub holds across requests, one typed field per subsystem,
built and torn down by ``app.open_resources`` (one ``AsyncExitStack``).

Nothing connects at import time; tests build their own ``Resources`` through ``create_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from topichub.bus import EventBus
from topichub.config import Settings
from topichub.identity.passwords import Hasher
from topichub.identity.principal import Principal
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tickets import TicketBook
from topichub.identity.tokens import TokenCodec
from topichub.kit.cache import StaleCache
from topichub.limits import ConnectionLimiter, LimitsStore, QuotaService, RateLimiter
from topichub.limits.metering import ApiMeter
from topichub.topics.stream.hub import StreamHub
from topichub.topics.stream.registry import StreamRegistry

if TYPE_CHECKING:
    from topichub.audit.consumer import AuditConsumer
    from topichub.events.outbox import Outbox, OutboxRelay
    from topichub.limits.plans import Plan
    from topichub.recommend.consumer import RecommendConsumer
    from topichub.recommend.registry import ModelRegistry
    from topichub.topics.service import TopicRef
    from topichub.topics.stream.group_hook import GroupStreamOpener


SHUTDOWN = "shutdown"

CACHED_TABLES = ("api_keys", "users", "memberships", "tenants", "projects", "topics")
"""Every table an answer in ``Caches`` is read from: any write to one of them by this
process clears every cache (see ``topichub.kit.db.on_committed_writes``)."""


@dataclass
class Caches:
    """What the per-request hot path (publish, stream opens) would otherwise ask the
    database on every request. Each answer is at most ``Settings.auth_cache_ttl_s``
    (0.5 s) old: another process's revocation, deactivation, password change, plan or
    limit change, topic deletion or rename takes effect here within that time, and this
    process's own writes at once (they clear every cache). A request that misses does
    exactly what it did without the cache, so failures look the same.

    Use it through the functions that fill it, not directly:
    ``identity.dependencies.resolve_credential`` (credential -> Principal),
    ``limits.enforce.plan_for`` (tenant -> Plan) and ``topics.service.find_topic``
    (tenant, key's project, project asked for, name -> TopicRef)."""

    ttl_s: float
    principals: StaleCache[Any, Principal] = field(init=False)
    """By raw API key (bounded by the key's expiry too), or by (user, tenant, token
    version) for access tokens, whose signature and expiry are checked every time."""
    plans: StaleCache[uuid.UUID, Plan] = field(init=False)
    topics: StaleCache[tuple[Any, ...], TopicRef] = field(init=False)

    def __post_init__(self) -> None:
        self.principals = StaleCache(self.ttl_s)
        self.plans = StaleCache(self.ttl_s)
        self.topics = StaleCache(self.ttl_s)

    def clear(self) -> None:
        self.principals.clear()
        self.plans.clear()
        self.topics.clear()


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
    caches: Caches
    outbox: Outbox
    """Where services write app events; the relay is woken when they commit."""
    relay: OutboxRelay
    audit: AuditConsumer
    recommender: ModelRegistry
    """The recommender's per-tenant models in this process."""
    recommend_consumer: RecommendConsumer
    group_streams: GroupStreamOpener
    """Opens ``/stream?group=G`` streams; the groups package's, handed to the stream
    endpoints this way because ``topics`` must not import ``groups``."""
    checks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Readiness probes by name; each raises when its dependency is down."""

    def close_streams_on_stop_signal(self) -> Callable[[], None]:
        """Close every stream (SSE ``event: close``, WebSocket 1001) as soon as the server
        is told to stop. uvicorn runs the lifespan shutdown only after open responses end,
        and a stream never ends by itself: without this, streams are cut off without a
        close frame when the graceful-shutdown timeout expires. Chains to the server's own
        handler; returns a function that puts that handler back."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        previous: dict[int, Callable[[int, FrameType | None], Any]] = {}

        def on_stop(signum: int, frame: FrameType | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(self.streams.close_all, SHUTDOWN)
            previous[signum](signum, frame)

        for signum in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(signum)
            if callable(handler):  # a server (uvicorn) handles it: chain to it
                previous[signum] = handler
                signal.signal(signum, on_stop)

        def restore() -> None:
            for signum, handler in previous.items():
                if signal.getsignal(signum) is on_stop:
                    signal.signal(signum, handler)

        return restore
