"""Open streams of this process: who holds them, and closing them when their credential
stops being valid.

Revocation is checked by one watcher per process, one query a second whatever the number
of streams, so a revoked key or a deactivated user loses its open streams within about a
second (RELIABILITY.md asks for two).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.kit.periodic import Periodic
from topichub.kit.time import utcnow
from topichub.metrics import ACTIVE_STREAMS
from topichub.models import ApiKey, Tenant, User

log = logging.getLogger(__name__)

REVOKED = "revoked"
EXPIRED = "unauthenticated"
"""The stream's credential expired: reconnect with a fresh one (WebSocket 4001)."""


@dataclass(eq=False, slots=True)
class OpenStream:
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    topic: str
    transport: str
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    token_version: int | None
    """For user tokens: the version the stream was opened with."""
    close: Callable[[str], None]
    meter: Callable[[], Awaitable[None]] | None = None
    """Counts what the stream delivered against its quota; called by the registry."""
    expires_at: datetime | None = None
    """When the access token (or ticket's session) that opened it expires."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=utcnow)

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tenant_id": str(self.tenant_id),
            "project_id": str(self.project_id),
            "user_id": str(self.user_id) if self.user_id else None,
            "api_key_id": str(self.api_key_id) if self.api_key_id else None,
            "topic": self.topic,
            "transport": self.transport,
            "started_at": self.started_at.isoformat(),
        }


class StreamRegistry:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        interval_s: float = 1.0,
        meter_interval_s: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._interval = interval_s
        self._meter_interval = meter_interval_s
        self._streams: dict[str, OpenStream] = {}
        self._watcher = Periodic(self.check_now, interval_s, name="stream revocation check")
        # One task meters every stream of the process (in batches of what each delivered
        # since the last round, never per message) instead of a task per stream.
        self._meter = Periodic(self.meter_all, meter_interval_s, name="stream metering")

    def add(self, stream: OpenStream) -> None:
        self._streams[stream.id] = stream
        ACTIVE_STREAMS.labels(stream.transport).inc()

    def remove(self, stream: OpenStream) -> bool:
        """Forget ``stream``; False when it was not registered (removed already)."""
        if self._streams.pop(stream.id, None) is None:
            return False
        ACTIVE_STREAMS.labels(stream.transport).dec()
        return True

    def list(self) -> list[OpenStream]:
        return list(self._streams.values())

    def close_all(self, reason: str) -> None:
        for stream in list(self._streams.values()):
            stream.close(reason)

    async def start(self) -> None:
        self._watcher.start()
        self._meter.start()

    async def stop(self) -> None:
        """Stop both loops; a check or a metering round in progress finishes first."""
        await self._watcher.stop()
        await self._meter.stop()

    async def meter_all(self) -> None:
        """Meter every open stream once (one failing stream does not stop the round)."""
        for stream in list(self._streams.values()):
            if stream.meter is None:
                continue
            try:
                await stream.meter()
            except Exception:
                log.warning("stream metering failed", exc_info=True)

    async def check_now(self) -> int:
        """Close every stream whose key was revoked or expired, whose user was
        deactivated or changed password, or whose tenant was deactivated or deleted.
        Returns how many were closed."""
        streams = list(self._streams.values())
        if not streams:
            return 0
        tenant_ids = {s.tenant_id for s in streams}
        key_ids = {s.api_key_id for s in streams if s.api_key_id}
        user_ids = {s.user_id for s in streams if s.user_id}
        now = utcnow()
        async with self._sessionmaker() as session:
            live_keys: set[uuid.UUID] = set()
            if key_ids:
                rows = await session.execute(
                    select(ApiKey.id, ApiKey.expires_at).where(
                        ApiKey.id.in_(key_ids), ApiKey.revoked_at.is_(None)
                    )
                )
                live_keys = {kid for kid, expires in rows if expires is None or expires > now}
            tenant_rows = await session.execute(
                select(Tenant.id).where(Tenant.id.in_(tenant_ids), Tenant.is_active.is_(True))
            )
            live_tenants = {tid for (tid,) in tenant_rows}
            users: dict[uuid.UUID, tuple[bool, int]] = {}
            if user_ids:
                user_rows = await session.execute(
                    select(User.id, User.is_active, User.token_version).where(User.id.in_(user_ids))
                )
                users = {uid: (active, version) for uid, active, version in user_rows}
        closed = 0
        for stream in streams:
            if stream.expires_at is not None and stream.expires_at <= now:
                stream.close(EXPIRED)
                closed += 1
                continue
            if stream.tenant_id in live_tenants and self._still_valid(stream, live_keys, users):
                continue
            stream.close(REVOKED)
            closed += 1
        return closed

    @staticmethod
    def _still_valid(
        stream: OpenStream,
        live_keys: set[uuid.UUID],
        users: dict[uuid.UUID, tuple[bool, int]],
    ) -> bool:
        if stream.api_key_id is not None and stream.api_key_id not in live_keys:
            return False
        if stream.user_id is not None:
            active, version = users.get(stream.user_id, (False, -1))
            if not active:
                return False
            if stream.token_version is not None and version != stream.token_version:
                return False
        return True
