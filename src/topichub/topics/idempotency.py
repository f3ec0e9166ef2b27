"""``Idempotency-Key`` for publish: retry without duplicates.

- The first request with a key records it as pending (committed before the log is
  written), publishes, then stores its answer.
- A retry with the same key and the same body gets the stored answer, marked with
  ``Idempotent-Replayed: true``; nothing is published again.
- The same key with a different body is a client error (422); a retry while the first
  is still running is refused with 409.
- When the first attempt fails (including an unknown outcome from the log), the key is
  released so the client can retry. After an *unknown* outcome the retry may store the
  messages a second time; every record carries the key in its ``idempotency-key`` header
  so a consumer can drop such a duplicate.
- Keys are kept for 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import Conflict, ValidationFailed
from topichub.kit.time import utcnow
from topichub.models.idempotency import IdempotencyKey

TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def request_hash(scope: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters",
            details=[{"field": HEADER, "reason": "invalid"}],
        )
    return key


async def begin(
    session: AsyncSession, tenant_id: uuid.UUID, scope: str, key: str, digest: str
) -> IdempotencyKey | None:
    """Claim the key, or return the finished earlier request to replay.
    Commits the claim so a concurrent duplicate sees it."""
    existing = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at > utcnow(),
        )
    )
    if existing is not None:
        return _replayable(existing, digest)
    now = utcnow()
    # Only an expired claim may be replaced; a live one (a concurrent request that
    # committed after our read) must make our insert fail.
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at <= now,
        )
    )
    session.add(
        IdempotencyKey(
            tenant_id=tenant_id,
            scope=scope,
            key=key,
            request_hash=digest,
            created_at=now,
            expires_at=now + TTL,
        )
    )
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"A request with this {HEADER} is in progress") from exc
    return None


def _replayable(existing: IdempotencyKey, digest: str) -> IdempotencyKey:
    if existing.request_hash != digest:
        raise ValidationFailed(
            f"This {HEADER} was used with a different request body",
            details=[{"field": HEADER, "reason": "reused with a different body"}],
        )
    if existing.status_code is None:
        raise Conflict(f"A request with this {HEADER} is in progress")
    return existing


async def finish(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    scope: str,
    key: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    record = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    )
    if record is not None:
        record.status_code = status_code
        record.response = response


async def release(session: AsyncSession, tenant_id: uuid.UUID, scope: str, key: str) -> None:
    await session.rollback()
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    )
    await session.commit()


async def purge_expired(session: AsyncSession) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
