"""Seed 003's recommender: catalog uploads, interaction tracking, recommendations.

Services never commit: the request does. Items and interactions are stored in the
request's transaction, each interaction with its ``interaction_tracked`` event on the
tenant's ``interactions`` topic (through the outbox, so both commit or neither does).
The process's model of the tenant is updated right after that commit; other processes
learn of interactions from the bus (``consumer.py``) and of catalog changes from the
database (``registry.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.events.outbox import AppEvent, Outbox
from topichub.identity.principal import Permission, Principal
from topichub.kit.time import utcnow
from topichub.models import RecommendInteraction
from topichub.recommend.model import (
    DEFAULT_WEIGHTS,
    CatalogItem,
    InteractionEvent,
    rating_weight,
)
from topichub.recommend.registry import ModelRegistry
from topichub.recommend.repository import RecommendRepository, after_commit
from topichub.recommend.schemas import (
    InteractionIn,
    InteractionsIn,
    InteractionsOut,
    ItemsUpload,
    ItemsUploadOut,
    RecommendationItem,
    RecommendationMetadata,
    RecommendationRequest,
    RecommendationResponse,
)

log = logging.getLogger(__name__)

TOPIC: Final = "interactions"
EVENT_TYPE: Final = "interaction_tracked"


def interaction_weight(data: InteractionIn) -> float:
    """The explicit ``weight``, else the rating's (from its value), else the type's."""
    if data.weight is not None:
        return data.weight
    if data.interaction_type == "rating":
        assert data.value is not None  # the schema requires it
        return rating_weight(data.value)
    return DEFAULT_WEIGHTS[data.interaction_type]


def _safely(what: str, callback: Any) -> Any:
    def run() -> None:
        try:
            callback()
        except Exception:
            # The data is committed; a model that missed it catches up from the bus.
            log.warning("recommender: applying %s after commit failed", what, exc_info=True)

    return run


async def upload_items(
    session: AsyncSession, registry: ModelRegistry, principal: Principal, data: ItemsUpload
) -> ItemsUploadOut:
    """Upsert the catalog items by ``item_id``; the last of duplicates in one upload wins."""
    principal.require(Permission.write)
    latest = {item.item_id: item for item in data.items}
    repo = RecommendRepository(session)
    existing = await repo.existing_item_ids(principal.tenant_id, list(latest))
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "item_id": item.item_id,
            "title": item.title,
            "description": item.description,
            "category": item.category,
            "tags": list(item.tags or ()),
            "metadata": item.metadata,
            "created_at": now,
            "updated_at": now,
        }
        for item in latest.values()
    ]
    await repo.upsert_items(rows)
    catalog = [
        CatalogItem(
            item_id=item.item_id,
            title=item.title,
            description=item.description,
            category=item.category,
            tags=tuple(item.tags or ()),
        )
        for item in latest.values()
    ]
    tenant_id = principal.tenant_id
    after_commit(session, _safely("items", lambda: registry.apply_items(tenant_id, catalog)))
    return ItemsUploadOut(
        accepted=len(data.items),
        created=len(latest) - len(existing),
        updated=len(existing),
    )


async def track_interactions(
    session: AsyncSession,
    outbox: Outbox,
    registry: ModelRegistry,
    principal: Principal,
    data: InteractionsIn,
) -> InteractionsOut:
    """Store the interactions and emit one ``interaction_tracked`` event each, keyed by
    the end user's id. Items need not be in the catalog yet: the interaction counts
    for similarity at once and its item becomes recommendable once uploaded."""
    principal.require(Permission.write)
    now = utcnow()
    prepared = [
        (entry, interaction_weight(entry), entry.timestamp or now, uuid.uuid4())
        for entry in data.interactions
    ]
    # One call for the whole batch: it counts against the quota, or is refused, whole.
    outboxed = await outbox.add_many(
        session,
        principal.tenant_id,
        [
            AppEvent(
                topic=TOPIC,
                type=EVENT_TYPE,
                key=entry.user_id,
                payload={
                    "interaction_id": interaction_id,
                    "user_id": entry.user_id,
                    "item_id": entry.item_id,
                    "interaction_type": entry.interaction_type,
                    "weight": weight,
                    "value": entry.value,
                    "timestamp": occurred_at,
                },
                actor_id=principal.user_id,
            )
            for entry, weight, occurred_at, interaction_id in prepared
        ],
    )
    rows = [
        RecommendInteraction(
            id=interaction_id,
            tenant_id=principal.tenant_id,
            user_id=entry.user_id,
            item_id=entry.item_id,
            type=entry.interaction_type,
            weight=weight,
            value=entry.value,
            occurred_at=occurred_at,
            event_id=event.event_id,
            created_at=now,
        )
        for (entry, weight, occurred_at, interaction_id), event in zip(
            prepared, outboxed, strict=True
        )
    ]
    await RecommendRepository(session).add_interactions(rows)
    events = [
        InteractionEvent(row.event_id.int, row.user_id, row.item_id, row.type, row.weight)
        for row in rows
    ]
    tenant_id = principal.tenant_id
    after_commit(
        session,
        _safely("interactions", lambda: registry.apply_interactions(tenant_id, events)),
    )
    ids = [str(row.id) for row in rows]
    return InteractionsOut(
        interaction_id=ids[0] if data.single else None,
        interaction_ids=ids,
        accepted=len(ids),
    )


async def recommend(
    registry: ModelRegistry, principal: Principal, request: RecommendationRequest
) -> RecommendationResponse:
    """Up to ``count`` items for the tenant's user ``user_id``; see ``model.py``."""
    principal.require(Permission.read)
    started = time.perf_counter()
    model = await registry.model(principal.tenant_id)
    filters = request.filters
    result = model.recommend(
        request.user_id,
        request.count,
        categories=filters.category_set() if filters else None,
        tags=filters.tags if filters else None,
        exclude=_excluded(filters.exclude_items if filters else None),
        min_score=filters.min_score if filters else None,
    )
    latency_ms = (time.perf_counter() - started) * 1000
    return RecommendationResponse(
        recommendations=[
            RecommendationItem(
                item_id=item.item_id,
                score=item.score,
                title=item.title,
                category=item.category,
                tags=list(item.tags),
            )
            for item in result.items
        ],
        metadata=RecommendationMetadata(
            model_version=result.model_version,
            latency_ms=round(latency_ms, 3),
            strategy="personalized" if result.strategy == "personalized" else "popular",
            catalog_size=model.catalog_size,
        ),
    )


def _excluded(items: Sequence[str] | None) -> Sequence[str]:
    return items or ()
