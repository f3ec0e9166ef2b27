"""The ASGI application: ``create_app()`` builds routes; the lifespan builds resources."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub import __version__, api_docs
from topichub.accounts import bootstrap
from topichub.accounts.endpoints import projects_router as account_projects_router
from topichub.accounts.endpoints import signup_router
from topichub.accounts.service import create_log_topics, provision_account
from topichub.admin import rates as admin_rates
from topichub.admin.endpoints import platform_router
from topichub.admin.endpoints import router as admin_router
from topichub.api_docs import install_api_docs
from topichub.api_keys.endpoints import router as api_keys_router
from topichub.asyncapi.endpoints import router as asyncapi_router
from topichub.audit.consumer import AuditConsumer
from topichub.audit.endpoints import router as events_router
from topichub.bus import BusOptions, EventBus, create_bus
from topichub.chat.endpoints import live_router as chat_live_router
from topichub.chat.endpoints import router as chat_router
from topichub.chat.service import FANOUT as CHAT_FANOUT
from topichub.config import Settings
from topichub.console import Console, RootOut, find_console, wants_html
from topichub.errors import install_error_handlers
from topichub.events.charge import charge_app_events
from topichub.events.outbox import OutboxRelay
from topichub.groups import metrics as group_metrics
from topichub.groups.endpoints import router as groups_router
from topichub.groups.stream import open_group_stream
from topichub.health.endpoints import router as health_router
from topichub.identity.endpoints import me_router
from topichub.identity.endpoints import router as identity_router
from topichub.identity.passwords import Hasher
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tickets import TicketBook
from topichub.identity.tokens import TokenCodec
from topichub.kit import migrations
from topichub.kit.db import create_engine, create_sessionmaker, is_sqlite, on_committed_writes
from topichub.kit.periodic import Periodic
from topichub.limits import ConnectionLimiter, QuotaService, RateLimiter, RedisStore, create_store
from topichub.limits.dependencies import RateLimited
from topichub.limits.endpoints import router as usage_router
from topichub.limits.metering import ApiMeter
from topichub.logging import configure_logging
from topichub.math.endpoints import router as math_router
from topichub.metrics import watch_hub
from topichub.middleware import RequestContextMiddleware
from topichub.models import Topic, User
from topichub.recommend.consumer import RecommendConsumer
from topichub.recommend.consumer import group_for as recommend_group
from topichub.recommend.endpoints import router as recommend_router
from topichub.recommend.registry import ModelRegistry
from topichub.resources import CACHED_TABLES, SHUTDOWN, Caches, Resources
from topichub.tenancy.endpoints import router as projects_router
from topichub.todos.dapr import router as dapr_router
from topichub.todos.endpoints import router as todos_router
from topichub.topics import idempotency
from topichub.topics.browse_endpoints import router as browse_router
from topichub.topics.endpoints import router as topics_router
from topichub.topics.publish_route import install as install_publish_route
from topichub.topics.schema_endpoints import router as schema_router
from topichub.topics.stream.endpoints import router as streams_router
from topichub.topics.stream.hub import StreamHub
from topichub.topics.stream.registry import StreamRegistry
from topichub.topics.stream_route import install as install_stream_route
from topichub.topics.traffic import TRAFFIC

log = logging.getLogger("topichub")

# Routers served both at the seeds' paths and under the canonical /api/v1 prefix. The
# OpenAPI document shows the canonical paths only.
DOMAIN_ROUTERS: list[APIRouter] = [
    signup_router,
    identity_router,
    me_router,
    projects_router,
    account_projects_router,
    api_keys_router,
    topics_router,
    browse_router,
    groups_router,
    schema_router,
    streams_router,
    usage_router,
    admin_router,
    dapr_router,
    todos_router,
    chat_router,
    chat_live_router,
    math_router,
    events_router,
]
# The rate limit (limits.dependencies.RateLimited) goes on every router as a whole, but
# on these, whose unauthenticated routes (sign-up, login, Dapr) or WebSockets must not
# get it: their authenticated HTTP routes carry it themselves, and their WebSockets count
# the open themselves. tests/limits/test_rate_limited_routes.py checks every route.
NOT_LIMITED_AS_A_WHOLE: list[APIRouter] = [
    signup_router,
    identity_router,
    streams_router,
    dapr_router,
    chat_live_router,
]


RETENTION_INTERVAL_S = 60.0
# Recording a key's last use (at most once a minute per key) changes no cached answer.
# The ORM adds ``updated_at``; PostgreSQL's form casts each parameter ("$1::TIMESTAMP
# WITH TIME ZONE").
_KEY_LAST_USED = re.compile(
    r"UPDATE api_keys SET last_used_at=[^,]+(?:, updated_at=[^,]+)? WHERE ", re.IGNORECASE
)


async def _housekeeping(bus: EventBus, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The embedded log's retention and expired idempotency keys."""
    dropped = await bus.enforce_retention()
    if dropped:
        log.info("retention dropped %d records", dropped)
    async with sessionmaker() as session:
        await idempotency.purge_expired(session)
        await session.commit()


Step = Callable[[], Awaitable[object]]


def _closing(name: str, step: Step) -> Step:
    """A teardown step that logs its failure instead of skipping the steps after it."""

    async def close() -> None:
        try:
            await step()
        except Exception:
            log.warning("error while closing %s", name, exc_info=True)

    return close


def _background(stack: AsyncExitStack, coroutine: Coroutine[Any, Any, None], name: str) -> None:
    """Run a task until shutdown, when it is cancelled and awaited."""
    task = asyncio.create_task(coroutine, name=name)

    async def cancel() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    stack.push_async_callback(cancel)


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Build every subsystem, each registered for teardown as soon as it exists: shutdown
    (or a failure half-way through startup) undoes them in reverse order. The order is
    the shutdown order read backwards: open streams get a close frame first, background
    tasks stop, counters are flushed, pending publishes finish, then connections close."""
    async with AsyncExitStack() as stack:
        url = settings.resolved_database_url
        if is_sqlite(url):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        stack.push_async_callback(_closing("database", engine.dispose))
        migrate = (
            settings.migrate_on_start if settings.migrate_on_start is not None else is_sqlite(url)
        )
        if migrate:
            await migrations.upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        bus = create_bus(
            kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
            engine=engine,
            options=BusOptions(
                publish_timeout_s=settings.publish_timeout_s,
                kafka_idempotence=settings.kafka_idempotence,
                kafka_replication_factor=settings.kafka_replication_factor,
                kafka_session_timeout_ms=settings.kafka_session_timeout_ms,
                kafka_heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            ),
        )
        await bus.start()
        stack.push_async_callback(_closing("event bus", bus.stop))
        store = create_store(settings.redis_url, key_prefix=settings.redis_key_prefix)
        if isinstance(store, RedisStore):
            stack.push_async_callback(_closing("limits store", store.aclose))
        tokens = TokenCodec(settings.secret_key(), settings.access_token_ttl_s)
        tickets = TicketBook(
            tokens,
            settings.stream_ticket_ttl_s,
            settings.redis_url,
            sessionmaker,
            key_prefix=settings.redis_key_prefix,
        )
        stack.push_async_callback(_closing("stream tickets", tickets.aclose))
        login_throttle = LoginThrottle(
            per_account=settings.login_attempts_per_minute,
            per_address=settings.login_attempts_per_minute * 5,
            storage_uri=settings.redis_url,
            key_prefix=f"{settings.redis_key_prefix}:login",
        )
        stack.push_async_callback(_closing("login throttle", login_throttle.aclose))
        rate_limiter = RateLimiter(
            settings.redis_url, key_prefix=f"{settings.redis_key_prefix}:rate"
        )
        stack.push_async_callback(_closing("rate limiter", rate_limiter.aclose))
        meter = ApiMeter(sessionmaker)
        await meter.start()
        stack.push_async_callback(_closing("api metering", meter.stop))
        quotas = QuotaService(store, sessionmaker)
        await quotas.start()
        stack.push_async_callback(_closing("quota counters", quotas.stop))
        connections = ConnectionLimiter(store)
        await connections.start()
        stack.push_async_callback(_closing("connection slots", connections.stop))
        streams = StreamRegistry(sessionmaker)
        await streams.start()
        stack.push_async_callback(_closing("stream registry", streams.stop))
        hub = StreamHub(
            bus,
            buffer_size=settings.stream_buffer,
            buffer_bytes=settings.stream_buffer_bytes,
            heartbeat_s=settings.stream_heartbeat_s,
        )
        await hub.start()
        stack.push_async_callback(_closing("hub", hub.stop))
        watch_hub(hub.stats)
        TRAFFIC.max_labelled = settings.topic_metrics_max_topics
        caches = Caches(settings.auth_cache_ttl_s)
        on_committed_writes(engine, CACHED_TABLES, caches.clear, ignore=_KEY_LAST_USED)
        # App events: the outbox relay publishes them, the audit consumer stores them, the
        # recommender's models follow interactions from the bus (recommend/consumer.py).
        relay = OutboxRelay(
            sessionmaker,
            bus,
            system_topics=[CHAT_FANOUT],
            charge=charge_app_events(settings, quotas),
        )
        audit = AuditConsumer(sessionmaker, bus)
        recommender = ModelRegistry(sessionmaker)
        recommend = RecommendConsumer(bus, recommender, recommend_group(bus))
        _background(stack, relay.run(), "outbox-relay")
        _background(stack, audit.run(), "audit-consumer")
        _background(stack, recommend.run(), "recommend-consumer")
        housekeeping = Periodic(
            functools.partial(_housekeeping, bus, sessionmaker),
            RETENTION_INTERVAL_S,
            name="housekeeping",
        )
        housekeeping.start()
        stack.push_async_callback(housekeeping.stop)
        sampler = admin_rates.sampler()  # the admin health page's rates
        sampler.start()
        stack.push_async_callback(sampler.stop)
        group_lag = group_metrics.sampler(sessionmaker, bus)
        group_lag.start()
        stack.push_async_callback(group_lag.stop)

        async def database_check() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        resources = Resources(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            tokens=tokens,
            tickets=tickets,
            hasher=Hasher(settings.password_hash_concurrency),
            login_throttle=login_throttle,
            bus=bus,
            hub=hub,
            rate_limiter=rate_limiter,
            quotas=quotas,
            connections=connections,
            limits_store=store,
            meter=meter,
            streams=streams,
            caches=caches,
            outbox=relay.outbox,
            relay=relay,
            audit=audit,
            recommender=recommender,
            recommend_consumer=recommend,
            group_streams=open_group_stream,
            checks={"database": database_check, "event_bus": bus.check},
        )
        stack.callback(streams.close_all, SHUTDOWN)
        yield resources


async def run_bootstrap(resources: Resources) -> list[str]:
    settings = resources.settings
    notes = []

    new_topics: list[Topic] = []

    async def provision(session: AsyncSession, user: User) -> None:
        new_topics.extend(await provision_account(session, user))

    async with resources.sessionmaker() as session:
        if settings.admin_email and settings.admin_password:
            notes.append(
                await bootstrap.ensure_admin(
                    session,
                    resources.hasher,
                    provision,
                    settings.admin_email,
                    settings.admin_password.get_secret_value(),
                )
            )
        if settings.demo:
            created = await bootstrap.load_demo_users(session, resources.hasher, provision)
            notes.append(f"demo users loaded: {', '.join(created) or 'already present'}")
        await session.commit()
    await create_log_topics(resources.bus, new_topics)
    return notes


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            for note in await run_bootstrap(resources):
                log.info(note)
            restore_signals = resources.close_streams_on_stop_signal()
            if getattr(app.state, "freeze_gc_after_start", False):
                # Everything built so far lives as long as the process: out of the cyclic
                # collector's sight, a full collection no longer walks it. Publishing a
                # 1,000-message batch allocates enough to trigger one every few requests;
                # walking the whole heap each time was half of the Kafka batch path's CPU.
                gc.collect()
                gc.freeze()
            try:
                yield {}
            finally:
                restore_signals()

    app = FastAPI(
        title="topichub",
        version=__version__,
        description=api_docs.DESCRIPTION,
        openapi_tags=api_docs.TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # topichub exports Prometheus metrics and JSON logs, not OpenTelemetry. Left on,
        # FastAPI's native telemetry asks OpenTelemetry for its providers on every request
        # and WebSocket to find them unconfigured: about 16 us each, measured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    install_api_docs(app)

    console = Console(find_console(settings.console_dir))

    @app.get(
        "/",
        summary="The console, or the server's status",
        tags=["health"],
        response_model=RootOut,
        responses={200: {"content": {"text/html": {}}}},
    )
    async def root(request: Request) -> RootOut | HTMLResponse:
        """The web console for browsers (``Accept: text/html``); a status document for
        every other client."""
        if wants_html(request):
            return console.index()
        return RootOut(status="topichub running", name="topichub", version=__version__)

    app.include_router(health_router)
    app.include_router(asyncapi_router)
    console.mount(app)
    app.include_router(platform_router, dependencies=[RateLimited])
    # Seed 003's recommender paths already start with /api/v1: mounted once.
    app.include_router(recommend_router, dependencies=[RateLimited])
    for router in DOMAIN_ROUTERS:
        limited = [] if router in NOT_LIMITED_AS_A_WHOLE else [RateLimited]
        app.include_router(router, prefix="/api/v1", dependencies=limited)
        app.include_router(router, include_in_schema=False, dependencies=limited)
    install_publish_route(app)
    install_stream_route(app)

    # One layer for the request context, the host check, the body limit and CORS
    # (topichub.middleware): fewer send and receive wrappers on every request.
    cors = (
        {
            "allow_origins": settings.cors_origins,
            "allow_credentials": False,
            "allow_methods": ["*"],
            "allow_headers": ["*"],
            "expose_headers": [
                "X-Request-ID",
                "Retry-After",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ],
        }
        if settings.cors_origins
        else None
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        cors=cors,
        allowed_hosts=settings.allowed_hosts,
    )
    return app


def asgi() -> FastAPI:
    """Entry point for ``uvicorn --factory topichub.app:asgi`` (used by ``topichub serve``)."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.logs_as_json())
    app = create_app(settings)
    app.state.freeze_gc_after_start = True
    return app
