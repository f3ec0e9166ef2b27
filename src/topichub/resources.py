"""Everything a running topichub holds across requests, built by the app's lifespan.

Nothing connects at import time; tests build their own ``Resources`` through ``create_app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from topichub.config import Settings
from topichub.identity.passwords import Hasher
from topichub.identity.throttle import LoginThrottle
from topichub.identity.tokens import TokenCodec


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    tokens: TokenCodec
    hasher: Hasher
    login_throttle: LoginThrottle
    checks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Readiness probes by name; each raises when its dependency is down."""
    extras: dict[str, Any] = field(default_factory=dict)
