"""Stream tickets: short-lived, single-use credentials for browsers.

``EventSource`` and ``WebSocket`` cannot send an ``Authorization`` header, and a long-lived
token in a URL ends up in logs. A ticket is a JWT of type ``stream`` that lives a minute
and is accepted once: its id is burnt on first use (in process memory, or in Redis so
every process agrees).
"""

from __future__ import annotations

import time
import uuid

import redis.asyncio as aioredis

from topichub.identity.tokens import STREAM_TICKET_TYPE, InvalidToken, TokenCodec


class TicketBook:
    def __init__(
        self, codec: TokenCodec, ttl_s: int, redis_url: str | None, *, key_prefix: str = "topichub"
    ) -> None:
        self._codec = codec
        self._prefix = key_prefix
        self.ttl_s = ttl_s
        self._used: dict[str, float] = {}
        self._redis = aioredis.from_url(redis_url) if redis_url else None

    def issue(self, user_id: uuid.UUID, tenant_id: uuid.UUID, version: int) -> str:
        return self._codec.issue(
            user_id, tenant_id, version, token_type=STREAM_TICKET_TYPE, ttl_s=self.ttl_s
        )

    async def redeem(self, ticket: str) -> tuple[uuid.UUID, uuid.UUID, int]:
        """Validate and burn a ticket; raises ``InvalidToken`` when it is bad or used."""
        claims = self._codec.decode(ticket, expected_type=STREAM_TICKET_TYPE)
        if not claims.jti:
            raise InvalidToken("Invalid ticket")
        if not await self._burn(claims.jti):
            raise InvalidToken("Ticket already used")
        return claims.user_id, claims.tenant_id, claims.version

    async def _burn(self, jti: str) -> bool:
        if self._redis is not None:
            return bool(
                await self._redis.set(
                    f"{self._prefix}:ticket:{jti}", b"1", nx=True, ex=self.ttl_s + 30
                )
            )
        now = time.monotonic()
        if len(self._used) > 10_000:
            self._used = {k: v for k, v in self._used.items() if v > now}
        if jti in self._used:
            return False
        self._used[jti] = now + self.ttl_s + 30
        return True

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
