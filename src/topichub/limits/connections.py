"""Stream connection slots: at most ``limit`` open streams per user, across processes.

Memory backend (``MemoryStore``): a dict in this process; a slot lives until released.

Redis backend (``RedisStore``): each user has a sorted set of slot ids scored by expiry
time, and a global sorted set plus a hash hold every live slot and its description for
the admin listing. ``acquire`` is one Lua script that first drops the user's expired
slots, then counts and adds, so concurrent acquires from any number of processes never
exceed the limit. A slot expires ``ttl`` seconds after it was taken or last refreshed;
``start()`` runs a heartbeat that refreshes this process's slots every
``heartbeat_interval`` seconds, so the slots of a crashed process vanish by themselves
within ``ttl``. A heartbeat re-adds a slot that expired while its stream was still open
(for example after a long pause), which can briefly put a user over the limit rather
than hide a live stream from the admin listing. Expiry compares against the injected
``clock`` of the processes (epoch seconds), so their clocks must agree to well within
``ttl`` (NTP).

``release()`` is idempotent. When Redis is unreachable, ``acquire`` fails open to a
per-process count (same limit, ``slot.degraded`` is True, ``storage_errors`` counts it,
a warning is logged at most every 30 s) and the next successful heartbeat registers those
slots in Redis; ``list_active`` raises ``StoreUnavailable`` because it cannot give a
cluster-wide answer.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, cast

from redis.asyncio import Redis

from topichub.kit.periodic import Periodic
from topichub.limits.store import (
    DegradedLog,
    LimitsStore,
    RedisStore,
    StoreUnavailable,
    store_errors,
)

log = logging.getLogger(__name__)

# KEYS: user set, global set, info hash. ARGV: now ms, expiry ms, limit, slot id,
# description JSON, key ttl ms. Returns 1 when the slot was taken, 0 when full.
_ACQUIRE_LUA = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  for _, id in ipairs(expired) do
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
return 1
"""

# KEYS: user set, global set, info hash. ARGV: slot id.
_RELEASE_LUA = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[3], ARGV[1])
"""

# KEYS: global set, info hash. ARGV: now ms. Drops expired slots, returns the live ones
# as (description JSON, expiry ms) pairs.
_LIST_LUA = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(expired) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''
  out[#out + 1] = live[i + 1]
end
return out
"""


def stream_limit_message(limit: int) -> str:
    """Seed 000's 429 message for a user over the stream limit."""
    return f"Maximum {limit} active stream connections allowed per user"


class Slot:
    """One open stream's place in its user's budget; release it when the stream ends
    (or use ``async with``)."""

    def __init__(
        self,
        limiter: ConnectionLimiter,
        slot_id: str,
        user_id: str,
        record: dict[str, Any],
        *,
        degraded: bool = False,
    ) -> None:
        self._limiter = limiter
        self.id = slot_id
        self.user_id = user_id
        self.record = record
        self.degraded = degraded
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        await self._limiter._release(self)

    async def __aenter__(self) -> Slot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    def __repr__(self) -> str:
        return f"Slot(id={self.id!r}, user_id={self.user_id!r}, released={self._released})"


class _MemorySlots:
    def __init__(self) -> None:
        self._by_user: dict[str, dict[str, dict[str, Any]]] = {}

    def acquire(self, user_id: str, limit: int, slot_id: str, record: dict[str, Any]) -> bool:
        held = self._by_user.setdefault(user_id, {})
        if len(held) >= limit:
            return False
        held[slot_id] = record
        return True

    def release(self, user_id: str, slot_id: str) -> None:
        held = self._by_user.get(user_id)
        if held is not None:
            held.pop(slot_id, None)
            if not held:
                del self._by_user[user_id]

    def count(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, {}))

    def list(self) -> list[dict[str, Any]]:
        return [dict(r) for held in self._by_user.values() for r in held.values()]


class ConnectionLimiter:
    """Per-user stream slots on a ``MemoryStore`` or ``RedisStore``; see the module
    docstring for expiry and failure semantics."""

    def __init__(
        self,
        store: LimitsStore,
        *,
        ttl: float = 15.0,
        heartbeat_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
        process_id: str | None = None,
    ) -> None:
        if heartbeat_interval >= ttl:
            raise ValueError("heartbeat_interval must be shorter than ttl")
        self._ttl = ttl
        self._clock = clock
        self.process_id = process_id or f"{socket.gethostname()}:{os.getpid()}"
        self._local = _MemorySlots()
        self._redis: Redis | None = None
        if isinstance(store, RedisStore):
            self._redis = store.client
            self._user_prefix = store.key("conn", "user") + ":"
            self._all_key = store.key("conn", "all")
            self._info_key = store.key("conn", "info")
            self._acquire_script = self._redis.register_script(_ACQUIRE_LUA)
            self._release_script = self._redis.register_script(_RELEASE_LUA)
            self._list_script = self._redis.register_script(_LIST_LUA)
        self._held: dict[str, Slot] = {}
        self._degraded = DegradedLog("connection limiter")
        self._heartbeat = Periodic(self.refresh, heartbeat_interval, name="stream-slot heartbeat")

    @property
    def storage_errors(self) -> int:
        return self._degraded.errors

    async def acquire(self, user_id: str, limit: int, info: dict[str, Any]) -> Slot | None:
        """Take one of ``user_id``'s ``limit`` slots, or None when all are taken.
        ``info`` (JSON-serialisable: topic, transport, ...) is shown by ``list_active``."""
        slot_id = uuid.uuid4().hex
        now = self._clock()
        record: dict[str, Any] = {
            **info,
            "slot_id": slot_id,
            "user_id": user_id,
            "process_id": self.process_id,
            "started_at": datetime.fromtimestamp(now, UTC).isoformat(),
        }
        if self._redis is not None:
            try:
                with store_errors():
                    taken = await self._acquire_script(
                        keys=[self._user_key(user_id), self._all_key, self._info_key],
                        args=[
                            _ms(now),
                            _ms(now + self._ttl),
                            limit,
                            slot_id,
                            json.dumps(record, default=str),
                            _ms(self._ttl),
                        ],
                    )
            except StoreUnavailable as exc:
                self._degraded.record(exc)
            else:
                if not int(taken):
                    return None
                slot = Slot(self, slot_id, user_id, record)
                self._held[slot_id] = slot
                return slot
        if not self._local.acquire(user_id, limit, slot_id, record):
            return None
        slot = Slot(self, slot_id, user_id, record, degraded=self._redis is not None)
        self._held[slot_id] = slot
        return slot

    async def _release(self, slot: Slot) -> None:
        self._held.pop(slot.id, None)
        self._local.release(slot.user_id, slot.id)
        if self._redis is None:
            return
        try:
            with store_errors():
                await self._release_script(
                    keys=[self._user_key(slot.user_id), self._all_key, self._info_key],
                    args=[slot.id],
                )
        except StoreUnavailable as exc:
            # No heartbeat refreshes it any more: it expires within ttl by itself.
            self._degraded.record(exc)

    async def count(self, user_id: str) -> int:
        """Open streams of ``user_id`` (all processes with Redis)."""
        if self._redis is None:
            return self._local.count(user_id)
        with store_errors():
            return int(
                await self._redis.zcount(self._user_key(user_id), f"({_ms(self._clock())}", "+inf")
            )

    async def list_active(self) -> list[dict[str, Any]]:
        """Every open stream: ``info`` plus slot_id, user_id, process_id, started_at and
        (Redis) expires_at, oldest first."""
        if self._redis is None:
            slots = self._local.list()
        else:
            with store_errors():
                raw = await self._list_script(
                    keys=[self._all_key, self._info_key], args=[_ms(self._clock())]
                )
            slots = []
            for i in range(0, len(raw), 2):
                if not raw[i]:
                    continue
                record = cast(dict[str, Any], json.loads(raw[i]))
                record["expires_at"] = datetime.fromtimestamp(
                    int(raw[i + 1]) / 1000, UTC
                ).isoformat()
                slots.append(record)
        return sorted(slots, key=lambda r: (str(r.get("started_at")), str(r.get("slot_id"))))

    async def refresh(self) -> None:
        """One heartbeat: push the expiry of every slot this process holds."""
        if self._redis is None or not self._held:
            return
        now = self._clock()
        expires, ttl_ms = _ms(now + self._ttl), _ms(self._ttl)
        try:
            with store_errors():
                pipe = self._redis.pipeline(transaction=False)
                for slot in list(self._held.values()):
                    user_key = self._user_key(slot.user_id)
                    pipe.zadd(user_key, {slot.id: expires})
                    pipe.zadd(self._all_key, {slot.id: expires})
                    pipe.hset(self._info_key, slot.id, json.dumps(slot.record, default=str))
                    pipe.pexpire(user_key, ttl_ms)
                pipe.pexpire(self._all_key, ttl_ms)
                pipe.pexpire(self._info_key, ttl_ms)
                await pipe.execute()
        except StoreUnavailable as exc:
            self._degraded.record(exc)

    async def start(self) -> None:
        """Run the heartbeat in the background (Redis backend only)."""
        if self._redis is not None:
            self._heartbeat.start()

    async def stop(self) -> None:
        """Stop the heartbeat and release every slot this process still holds."""
        await self._heartbeat.stop()
        for slot in list(self._held.values()):
            await slot.release()

    def _user_key(self, user_id: str) -> str:
        return f"{self._user_prefix}{user_id}"


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
