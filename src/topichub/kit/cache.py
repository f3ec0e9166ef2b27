"""A bounded in-process cache whose entries are at most ``ttl_s`` old.

Made for answers the database would give (who a credential is, a tenant's plan, a
topic by name) on paths that run per request. Staleness is bounded two ways:

- across processes by the TTL: another process's change is seen at the latest
  ``ttl_s`` after it committed, with no coordination at all;
- within a process at once: ``clear()`` (wired to every committed write to the tables
  the answers come from, see ``topichub.kit.db.on_committed_writes``) drops every entry,
  and a fill that started before a clear is not stored (``generation``), so a reader
  racing a writer cannot put the old answer back for a whole TTL.

``get_or_fill`` also makes concurrent misses of one key share one fill: when an entry
expires under load, one request reads the database and the others wait for its answer
instead of all reading it at once (which under load made requests slower than the TTL,
so that every request missed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class StaleCache(Generic[K, V]):
    __slots__ = ("_entries", "_filling", "_max_entries", "generation", "hits", "misses", "ttl_s")

    def __init__(self, ttl_s: float, *, max_entries: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._filling: dict[K, asyncio.Future[V | None]] = {}
        self.generation = 0
        """Bumped by every ``clear``; take it before a fill and hand it to ``put``."""
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def fresh(self, key: K) -> V | None:
        """The value when a fresh one is cached, else None. Synchronous: the hot paths
        ask this first and make a fill (a closure and a coroutine) only on a miss, which
        ``get_or_fill`` then counts."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self.hits += 1
            return entry[1]
        return None

    def put(self, key: K, value: V, generation: int, *, ttl_s: float | None = None) -> None:
        """Store ``value`` unless the cache was cleared since ``generation`` was read.
        ``ttl_s`` may only shorten the entry's life (a credential that expires sooner)."""
        if generation != self.generation:
            return
        if len(self._entries) >= self._max_entries:
            # Rare and cheap to refill: better than an LRU's bookkeeping on every hit.
            self._entries.clear()
        life = self.ttl_s if ttl_s is None else min(ttl_s, self.ttl_s)
        if life > 0:
            self._entries[key] = (time.monotonic() + life, value)

    async def get_or_fill(self, key: K, fill: Callable[[], Awaitable[tuple[V, float | None]]]) -> V:
        """The cached value, else ``fill()``'s (a value and an optional shorter TTL),
        stored for the next asker. Concurrent askers of one key wait for the first one's
        fill; if it fails, each of them fills for itself (so every caller gets its own
        error, exactly as without the cache)."""
        value = self.get(key)
        if value is not None:
            return value
        pending = self._filling.get(key)
        if pending is not None:
            # Shielded: a waiter that is cancelled must not cancel the filler's work.
            shared = await asyncio.shield(pending)
            if shared is not None:
                return shared
            value, ttl_s = await fill()
            return value
        generation = self.generation
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._filling[key] = future
        try:
            value, ttl_s = await fill()
        except BaseException:
            future.set_result(None)
            raise
        finally:
            if self._filling.get(key) is future:
                del self._filling[key]
        if not future.done():
            future.set_result(value)
        self.put(key, value, generation, ttl_s=ttl_s)
        return value

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        # Fills under way read the old state: later askers must not wait for them.
        self._filling.clear()

    def __len__(self) -> int:
        return len(self._entries)
