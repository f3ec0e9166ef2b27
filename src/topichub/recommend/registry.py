"""The process's tenant models: built lazily from the database, then kept up to date.

- **Cold start of a process.** A tenant's model does not exist until its first
  recommendation request, which builds it from the tenant's stored items and
  interactions in one background task (concurrent requests wait for the same task; a
  cancelled request does not cancel the build). At most ``max_tenants`` models are kept;
  the least recently used goes first and is rebuilt when needed again.
- **Interactions** reach a built model through two paths, both calling
  ``apply_interactions``: the request that stores them (right after its commit, so a
  client reads its own writes) and the bus consumer (``consumer.py``), which brings the
  interactions stored by other processes. The model remembers every event id, so an
  interaction delivered twice (by both paths, by a redelivery, or already read by the
  build) counts once. Interactions that arrive while the model is being built are held
  and applied after it.
- **Catalog changes** made in this process are applied after their commit likewise.
  Those of other processes are picked up by comparing the tenant's catalog stamp (item
  count and latest ``updated_at``) at most every ``catalog_check_s`` seconds and
  re-reading the items changed since the previous stamp (less ``CATALOG_SLACK``, since
  a transaction may commit a little after the time it wrote).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.recommend.model import CatalogItem, InteractionEvent, TenantModel
from topichub.recommend.repository import CatalogStamp, RecommendRepository

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

CATALOG_SLACK: Final = timedelta(minutes=5)


def catalog_item(row: Any) -> CatalogItem:
    """A catalog row (``item_id, title, description, category, tags``) for the model."""
    return CatalogItem(
        item_id=row.item_id,
        title=row.title,
        description=row.description,
        category=row.category,
        tags=tuple(row.tags or ()),
    )


@dataclass
class _Entry:
    model: TenantModel | None = None
    building: asyncio.Task[TenantModel] | None = None
    pending_events: list[InteractionEvent] = field(default_factory=list)
    pending_items: list[CatalogItem] = field(default_factory=list)
    stamp: CatalogStamp = (0, None)
    checked_at: float = 0.0


@dataclass
class ModelRegistry:
    """The tenant models of this process; see the module docstring."""

    sessionmaker: async_sessionmaker[AsyncSession] = field(repr=False)
    max_tenants: int = 256
    catalog_check_s: float = 5.0
    builds: int = 0
    """Models built from the database so far (tests and health)."""
    _entries: OrderedDict[uuid.UUID, _Entry] = field(default_factory=OrderedDict, repr=False)

    async def model(self, tenant_id: uuid.UUID) -> TenantModel:
        """The tenant's current model, built on first use."""
        entry = self._entries.get(tenant_id)
        if entry is None:
            entry = self._entries[tenant_id] = _Entry()
            self._evict()
        self._entries.move_to_end(tenant_id)
        if entry.model is None:
            if entry.building is None:
                entry.building = asyncio.create_task(
                    self._build(tenant_id, entry), name=f"recommend-build-{tenant_id}"
                )
                # Every waiter may be gone (cancelled) when a build fails: retrieve it.
                entry.building.add_done_callback(_retrieve)
            return await asyncio.shield(entry.building)
        if time.monotonic() - entry.checked_at >= self.catalog_check_s:
            await self._refresh_catalog(tenant_id, entry, entry.model)
        return entry.model

    def loaded(self, tenant_id: uuid.UUID) -> bool:
        entry = self._entries.get(tenant_id)
        return entry is not None and entry.model is not None

    def apply_interactions(self, tenant_id: uuid.UUID, events: Sequence[InteractionEvent]) -> int:
        """Apply to the tenant's model if this process holds one; returns how many were
        new. A tenant without a model here is skipped: its build will read them."""
        entry = self._entries.get(tenant_id)
        if entry is None:
            return 0
        if entry.model is None:
            entry.pending_events.extend(events)
            return 0
        return sum(entry.model.apply_interaction(event) for event in events)

    def apply_items(self, tenant_id: uuid.UUID, items: Iterable[CatalogItem]) -> None:
        entry = self._entries.get(tenant_id)
        if entry is None:
            return
        if entry.model is None:
            entry.pending_items.extend(items)
            return
        for item in items:
            entry.model.upsert_item(item)

    def forget(self, tenant_id: uuid.UUID) -> None:
        entry = self._entries.pop(tenant_id, None)
        if entry is not None and entry.building is not None:
            entry.building.cancel()

    def _evict(self) -> None:
        while len(self._entries) > self.max_tenants:
            victim = next(
                (t for t, e in self._entries.items() if e.model is not None),
                None,
            )
            if victim is None:
                return
            del self._entries[victim]

    async def _build(self, tenant_id: uuid.UUID, entry: _Entry) -> TenantModel:
        try:
            async with self.sessionmaker() as session:
                repo = RecommendRepository(session)
                stamp = await repo.catalog_stamp(tenant_id)
                items = await repo.catalog(tenant_id)
                rows = await repo.interactions(tenant_id)
                await session.commit()
            model = TenantModel.build(
                (catalog_item(row) for row in items),
                [
                    InteractionEvent(
                        row.event_id.int, row.user_id, row.item_id, row.type, row.weight
                    )
                    for row in rows
                ],
            )
        except BaseException:
            if self._entries.get(tenant_id) is entry:
                del self._entries[tenant_id]
            raise
        # Whatever arrived during the build: applied now, once.
        for item in entry.pending_items:
            model.upsert_item(item)
        for event in entry.pending_events:
            model.apply_interaction(event)
        entry.pending_items.clear()
        entry.pending_events.clear()
        entry.model = model
        entry.stamp = stamp
        entry.checked_at = time.monotonic()
        entry.building = None
        self.builds += 1
        log.info(
            "recommender model of tenant %s built: %d items, %d interactions",
            tenant_id,
            model.catalog_size,
            model.interactions,
        )
        return model

    async def _refresh_catalog(
        self, tenant_id: uuid.UUID, entry: _Entry, model: TenantModel
    ) -> None:
        entry.checked_at = time.monotonic()
        previous = entry.stamp
        async with self.sessionmaker() as session:
            repo = RecommendRepository(session)
            stamp = await repo.catalog_stamp(tenant_id)
            if stamp == previous:
                await session.commit()
                return
            if previous[1] is None:
                rows = await repo.catalog(tenant_id)
            else:
                rows = await repo.items_changed_since(tenant_id, previous[1] - CATALOG_SLACK)
            await session.commit()
        for row in rows:
            model.upsert_item(catalog_item(row))
        entry.stamp = stamp


def _retrieve(task: asyncio.Task[TenantModel]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("recommender model build failed", exc_info=task.exception())
