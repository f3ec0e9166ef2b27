from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from topichub.api_keys import service
from topichub.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from topichub.dependencies import NoStore, SessionDep
from topichub.identity.dependencies import PrincipalDep

router = APIRouter(tags=["api-keys"])


@router.get("/api-keys", summary="List API keys", response_model=list[ApiKeyOut])
async def list_keys(principal: PrincipalDep, session: SessionDep) -> list[ApiKeyOut]:
    """Your tenant's keys, revoked ones included (an API key sees its project's keys).
    Only a prefix of each key is shown: the secret is never stored."""
    return [service.to_out(k) for k in await service.list_keys(session, principal)]


@router.post(
    "/api-keys",
    summary="Create an API key",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[NoStore],
)
async def create_key(
    data: ApiKeyCreate, principal: PrincipalDep, session: SessionDep
) -> ApiKeyCreated:
    """Create a key for a project (the default project unless `project_id`). The answer
    is the only time the key is shown: send it as `X-API-Key: <key>` or
    `Authorization: Bearer <key>`. A key never gets more permissions than the credential
    that creates it, and a key creates keys only with the admin permission."""
    return await service.create(session, principal, data)


@router.delete(
    "/api-keys/{key_id}", summary="Revoke an API key", status_code=status.HTTP_204_NO_CONTENT
)
async def revoke_key(key_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> None:
    """Revoke a key: requests with it fail at once and its open streams close within a
    second. Your own keys, or any with the admin permission; revoking twice is a no-op."""
    await service.revoke(session, principal, key_id)
