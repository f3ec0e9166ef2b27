"""Stream tickets: short-lived credentials for browsers, used once — or, for an SSE
stream, resumable by that one stream.

``EventSource`` and ``WebSocket`` cannot send an ``Authorization`` header, and a long-lived
token in a URL ends up in logs. A ticket is a JWT of type ``stream`` that lives a minute
(``stream_ticket_ttl_s``). Its id is burnt on first use, durably: in Redis when
configured (every process agrees), else in the ``stream_tickets`` table, so a restart
does not make a used ticket good again.

A browser's ``EventSource`` reconnects by itself after a network blip, re-requesting the
*same URL*, ticket included, with ``Last-Event-ID``. So a ticket that opened an SSE stream
is bound to that stream (its path and project) and may open it again — never another
stream — as long as its record has not expired. The open stream pushes that expiry
forward (``keeper``), so a stream of any age resumes within ``ttl_s`` of its
connection dropping, and a ticket stops working ``ttl_s`` after its last stream ended.
WebSocket tickets stay strictly single-use: no browser reconnects a WebSocket by itself.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.identity.tokens import STREAM_TICKET_TYPE, AccessClaims, InvalidToken, TokenCodec
from topichub.kit.time import utcnow
from topichub.models import StreamTicket

log = logging.getLogger(__name__)

_CLEANUP_EVERY_S = 60.0
_AFTER_EXPIRY_S = 35
"""How long a burnt id is kept past the ticket's own expiry (JWT leeway is 5 s)."""


def stream_binding(kind: str, path: str, project: uuid.UUID | None) -> str:
    """The identity of "this stream" a resumable ticket is bound to (hashed: no path
    is stored)."""
    return hashlib.sha256(f"{kind}\n{path}\n{project or ''}".encode()).hexdigest()


class TicketBook:
    def __init__(
        self,
        codec: TokenCodec,
        ttl_s: int,
        redis_url: str | None,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        key_prefix: str = "topichub",
    ) -> None:
        self._codec = codec
        self._prefix = key_prefix
        self.ttl_s = ttl_s
        self._sessionmaker = sessionmaker
        self._redis = aioredis.from_url(redis_url) if redis_url else None
        self._next_cleanup = 0.0

    def issue(self, user_id: uuid.UUID, tenant_id: uuid.UUID, version: int) -> str:
        return self._codec.issue(
            user_id, tenant_id, version, token_type=STREAM_TICKET_TYPE, ttl_s=self.ttl_s
        )

    async def redeem(self, ticket: str, *, stream: str | None = None) -> AccessClaims:
        """Validate a ticket and record its use; raises ``InvalidToken`` when it is bad,
        or used before and not resuming the resumable stream (``stream``) it opened, or
        resuming later than an access token's lifetime after it was issued."""
        try:
            claims = self._codec.decode(ticket, expected_type=STREAM_TICKET_TYPE)
            fresh = True
        except InvalidToken:
            if stream is None:
                raise
            # Past its minute, a ticket may still resume the stream it opened.
            claims = self._codec.decode(
                ticket, expected_type=STREAM_TICKET_TYPE, allow_expired=True
            )
            fresh = False
        if not claims.jti or claims.issued_at is None:
            raise InvalidToken("Invalid ticket")
        if not fresh and utcnow() >= self.serves_until(claims):
            # Bought with an access token, a ticket serves no longer than one would.
            raise InvalidToken("Token has expired")
        if not await self._use(claims.jti, stream, first_use_allowed=fresh):
            raise InvalidToken("Ticket already used" if fresh else "Token has expired")
        return claims

    def serves_until(self, claims: AccessClaims) -> datetime:
        """The end of everything a ticket opens, resumes included: an access token's
        lifetime after the ticket was issued (a ticket is bought with an access token)."""
        assert claims.issued_at is not None
        return claims.issued_at + timedelta(seconds=self._codec.access_ttl_s)

    def keeper(self, ticket: str) -> Callable[[], Awaitable[None]]:
        """For the stream ``ticket`` opened: a call to make after each chunk written
        (heartbeats included) that keeps the ticket able to resume the stream: the
        expiry moves to ``ttl_s`` ahead every third of ``ttl_s``."""
        jti = self._codec.decode(ticket, expected_type=STREAM_TICKET_TYPE, allow_expired=True).jti
        every = self.ttl_s / 3
        due = time.monotonic() + every

        async def keep() -> None:
            nonlocal due
            if time.monotonic() < due:
                return
            due = time.monotonic() + every
            try:
                await self._refresh(jti)
            except (SQLAlchemyError, RedisError, OSError):
                # The stream goes on; only its resumability may lapse.
                log.warning("could not extend a stream ticket", exc_info=True)

        return keep

    async def _use(self, jti: str, stream: str | None, *, first_use_allowed: bool) -> bool:
        if self._redis is not None:
            return await self._use_redis(jti, stream, first_use_allowed=first_use_allowed)
        now = utcnow()
        if first_use_allowed:
            try:
                async with self._sessionmaker() as session:
                    session.add(
                        StreamTicket(
                            jti=jti,
                            stream=stream,
                            expires_at=now + timedelta(seconds=self.ttl_s + _AFTER_EXPIRY_S),
                        )
                    )
                    await self._cleanup(session)
                    await session.commit()
                return True
            except IntegrityError:
                pass  # used before: a resume, or a replay
        if stream is None:
            return False
        async with self._sessionmaker() as session:
            resumed = await session.execute(
                update(StreamTicket)
                .where(
                    StreamTicket.jti == jti,
                    StreamTicket.stream == stream,
                    StreamTicket.expires_at > now,
                )
                .values(expires_at=now + timedelta(seconds=self.ttl_s))
            )
            await session.commit()
        return bool(getattr(resumed, "rowcount", 0))

    async def _use_redis(self, jti: str, stream: str | None, *, first_use_allowed: bool) -> bool:
        assert self._redis is not None
        key = f"{self._prefix}:ticket:{jti}"
        if first_use_allowed and await self._redis.set(
            key, (stream or "").encode(), nx=True, ex=self.ttl_s + _AFTER_EXPIRY_S
        ):
            return True
        if stream is None:
            return False
        bound = await self._redis.get(key)
        if bound is None or (bound.decode() if isinstance(bound, bytes) else bound) != stream:
            return False
        return bool(await self._redis.expire(key, self.ttl_s))

    async def _refresh(self, jti: str) -> None:
        if self._redis is not None:
            await self._redis.expire(f"{self._prefix}:ticket:{jti}", self.ttl_s)
            return
        async with self._sessionmaker() as session:
            await session.execute(
                update(StreamTicket)
                .where(StreamTicket.jti == jti)
                .values(expires_at=utcnow() + timedelta(seconds=self.ttl_s))
            )
            await session.commit()

    async def _cleanup(self, session: AsyncSession) -> None:
        """Delete expired rows, at most once a minute per process (Redis expires its own)."""
        if time.monotonic() < self._next_cleanup:
            return
        self._next_cleanup = time.monotonic() + _CLEANUP_EVERY_S
        await session.execute(delete(StreamTicket).where(StreamTicket.expires_at <= utcnow()))

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
