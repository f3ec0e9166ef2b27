from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from topichub.api_keys import service
from topichub.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from topichub.dependencies import NoStore, SessionDep
from topichub.identity.dependencies import PrincipalDep

router = APIRouter(tags=["api-keys"])


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_keys(principal: PrincipalDep, session: SessionDep) -> list[ApiKeyOut]:
    return [service.to_out(k) for k in await service.list_keys(session, principal)]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[NoStore],
)
async def create_key(
    data: ApiKeyCreate, principal: PrincipalDep, session: SessionDep
) -> ApiKeyCreated:
    return await service.create(session, principal, data)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> None:
    await service.revoke(session, principal, key_id)
