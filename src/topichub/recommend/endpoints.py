"""Seed 003's recommender API. Its paths already carry ``/api/v1``, so this router is
mounted once, without a prefix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Permission, Principal
from topichub.recommend import service
from topichub.recommend.schemas import (
    InteractionsIn,
    InteractionsOut,
    ItemsUpload,
    ItemsUploadOut,
    RecommendationRequest,
    RecommendationResponse,
)

router = APIRouter(prefix="/api/v1", tags=["recommendations"])


async def require_writer(principal: PrincipalDep) -> Principal:
    # A dependency, so a read-only key is refused (403) before its body is looked at.
    principal.require(Permission.write)
    return principal


WriterDep = Annotated[Principal, Depends(require_writer)]


@router.post("/items", summary="Upload catalog items", response_model=ItemsUploadOut)
async def upload_items(
    data: ItemsUpload, principal: WriterDep, session: SessionDep, resources: ResourcesDep
) -> ItemsUploadOut:
    """Add 1 to 1,000 items to the catalog, replacing those whose `item_id` exists."""
    result = await service.upload_items(session, resources.recommender, principal, data)
    resources.meter.record(principal.tenant_id, items=result.accepted)
    return result


@router.post(
    "/interactions",
    summary="Track interactions",
    response_model=InteractionsOut,
    response_model_exclude_none=True,
)
async def track_interactions(
    data: InteractionsIn, principal: WriterDep, session: SessionDep, resources: ResourcesDep
) -> InteractionsOut:
    """Track one interaction (`{"user_id", "item_id", "interaction_type", "timestamp"?,
    "weight"?, "value"?}`) or up to 1,000 as `{"interactions": [...]}`. Types and default
    weights: view 1, click 2, share 3, like 4, add_to_cart 4, purchase 8,
    remove_from_cart -2, dislike -4, rating 2 * value - 5 (value 0 to 5). Each is
    published as `interaction_tracked` on your `interactions` topic."""
    return await service.track_interactions(
        session, resources.outbox, resources.recommender, principal, data
    )


@router.post(
    "/recommendations", summary="Get recommendations", response_model=RecommendationResponse
)
async def recommendations(
    request: RecommendationRequest, principal: PrincipalDep, resources: ResourcesDep
) -> RecommendationResponse:
    """Up to `count` catalog items for your user `user_id`, best first, with scores in
    [0, 1]: similar to what the user liked (by co-interactions and by content), popular
    items for a user without history. Items the user purchased are left out. `filters`:
    `category` (one or a list), `categories`, `tags` (any of), `exclude_items`,
    `min_score`."""
    result = await service.recommend(resources.recommender, principal, request)
    resources.meter.record(principal.tenant_id, recommendations=len(result.recommendations))
    return result
