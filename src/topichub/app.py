"""The ASGI application: ``create_app()`` builds routes; the lifespan builds resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from topichub import __version__
from topichub.api_keys.endpoints import router as api_keys_router
from topichub.config import Settings
from topichub.errors import install_error_handlers
from topichub.health.endpoints import router as health_router
from topichub.identity import bootstrap
from topichub.identity.endpoints import router as identity_router
from topichub.identity.passwords import Hasher
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tokens import TokenCodec
from topichub.kit import migrations
from topichub.kit.db import create_engine, create_sessionmaker, is_sqlite
from topichub.logging import configure_logging
from topichub.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from topichub.resources import Resources
from topichub.tenancy.endpoints import router as projects_router

log = logging.getLogger("topichub")

# Routers served both at the seeds' paths and under the canonical /api/v1 prefix. The
# OpenAPI document shows the canonical paths only.
DOMAIN_ROUTERS: list[APIRouter] = [identity_router, projects_router, api_keys_router]


async def build_resources(settings: Settings) -> Resources:
    url = settings.resolved_database_url
    if is_sqlite(url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    migrate = settings.migrate_on_start if settings.migrate_on_start is not None else is_sqlite(url)
    if migrate:
        await migrations.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    resources = Resources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        tokens=TokenCodec(settings.secret_key(), settings.access_token_ttl_s),
        hasher=Hasher(settings.password_hash_concurrency),
        login_throttle=LoginThrottle(
            per_account=settings.login_attempts_per_minute,
            per_address=settings.login_attempts_per_minute * 5,
            storage_uri=settings.redis_url,
        ),
    )

    async def database_check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    resources.checks["database"] = database_check
    return resources


async def run_bootstrap(resources: Resources) -> list[str]:
    settings = resources.settings
    notes = []
    async with resources.sessionmaker() as session:
        if settings.admin_email and settings.admin_password:
            notes.append(
                await bootstrap.ensure_admin(
                    session,
                    resources.hasher,
                    settings.admin_email,
                    settings.admin_password.get_secret_value(),
                )
            )
        if settings.demo:
            created = await bootstrap.load_demo_users(session, resources.hasher)
            notes.append(f"demo users loaded: {', '.join(created) or 'already present'}")
        await session.commit()
    return notes


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        resources = await build_resources(settings)
        app.state.resources = resources
        for note in await run_bootstrap(resources):
            log.info(note)
        try:
            yield {}
        finally:
            await resources.engine.dispose()

    app = FastAPI(
        title="topichub",
        version=__version__,
        description="Multi-tenant event streaming: publish over HTTP, stream over SSE and "
        "WebSocket, resumable from any point.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    @app.get("/", tags=["health"])
    async def root(request: Request) -> dict[str, str]:
        return {
            "status": "topichub running",
            "name": "topichub",
            "version": __version__,
            "docs": "/docs",
        }

    app.include_router(health_router)
    for router in DOMAIN_ROUTERS:
        app.include_router(router, prefix="/api/v1")
        app.include_router(router, include_in_schema=False)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ],
        )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app


def asgi() -> FastAPI:
    """Entry point for ``uvicorn --factory topichub.app:asgi`` (used by ``topichub serve``)."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(settings)
