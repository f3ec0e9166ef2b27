"""The audit consumer: a consumer group over every app topic (``th.app.*``) that stores
each event once in ``event_log``.

Delivery semantics:

- The group resumes from its committed offsets. For each batch read, the events are
  written in one database transaction and committed, *then* the offsets are committed.
  A crash in between delivers the batch again; ``event_log.event_id`` is unique and rows
  are inserted with "on conflict do nothing", so a redelivered or twice-published event
  (the outbox relay is at-least-once) is stored once: exactly-once in effect.
- A record that is not an app event (not a JSON object, no valid ``event_id`` or
  ``event``, no known tenant, a field too long) goes to ``dead_letters`` with the reason,
  in the same transaction, and its offset is committed like any other: a poison message
  is parked, never retried forever. A row the database refuses individually is
  dead-lettered the same way after the batch is retried row by row.
- While the database is unreachable the batch is retried with jittered backoff and no
  offset is committed, so nothing is skipped. A bus failure reopens the consumer, which
  resumes after the last commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.audit.repository import AuditRepository
from topichub.bus.consumer import ConsumerOptions, run_group
from topichub.bus.port import EventBus, Record
from topichub.kit.backoff import Backoff
from topichub.kit.time import utcnow

log = logging.getLogger(__name__)

GROUP = "topichub-audit"
APP_TOPICS = r"^th\.app\."
_MAX_TYPE = 64
_MAX_KEY = 200
_MAX_OWNERS_CACHED = 10_000


class Poison(ValueError):
    """The record cannot be stored as an app event."""


def _header(record: Record, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return None if value is None else value.decode("utf-8", "replace")
    return None


def _uuid(text: Any, what: str) -> uuid.UUID:
    if not isinstance(text, str):
        raise Poison(f"{what} missing")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Poison(f"{what} is not a UUID") from None


def _optional_uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _occurred_at(value: Any, record: Record) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    return datetime.fromtimestamp(record.timestamp_ms / 1000, tz=UTC)


Owner = tuple[uuid.UUID, uuid.UUID | None, str]
"""tenant, project and logical topic name of a physical topic."""


def parse(record: Record, owner: Owner | None) -> dict[str, Any]:
    """The ``event_log`` row of a record, or ``Poison`` saying why there is none."""
    if record.value is None:
        raise Poison("value is null (a tombstone)")
    try:
        value = json.loads(record.value)
    except (ValueError, RecursionError):
        raise Poison("value is not JSON") from None
    if not isinstance(value, dict):
        raise Poison("value is not a JSON object")
    event_id = _uuid(_header(record, "event_id") or value.get("event_id"), "event_id")
    event_type = value.get("event") or _header(record, "event_type")
    if not isinstance(event_type, str) or not event_type:
        raise Poison("event type missing")
    if len(event_type) > _MAX_TYPE or "\x00" in event_type:
        raise Poison("event type too long or not text")
    key = None if record.key is None else record.key.decode("utf-8", "replace")
    if key is not None and (len(key) > _MAX_KEY or "\x00" in key):
        raise Poison("key too long or not text")
    if owner is None:
        # The topic left the registry (deleted): the producer's header still says whose.
        tenant = _uuid(_header(record, "tenant_id"), "tenant_id")
        owner = (tenant, None, record.topic[:100])
    tenant_id, project_id, topic = owner
    return {
        "id": uuid.uuid4(),
        "event_id": event_id,
        "tenant_id": tenant_id,
        "project_id": project_id,
        "actor_id": _optional_uuid(_header(record, "actor_id")),
        "topic": topic,
        "physical_topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "event_type": event_type,
        "key": key,
        "payload": value,
        "occurred_at": _occurred_at(value.get("occurred_at"), record),
        "stored_at": utcnow(),
    }


def _dead_letter(record: Record, reason: str, consumer: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "consumer": consumer,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key,
        # The column is not nullable; the error says when the value was a tombstone.
        "value": record.value or b"",
        "error": reason[:500],
        "created_at": utcnow(),
    }


def _transient(exc: BaseException) -> bool:
    """A database failure that says nothing about the rows (connection, lock, restart)."""
    if isinstance(exc, (OperationalError, InterfaceError, OSError, TimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@dataclass
class AuditConsumer:
    """Stores every app event once; see the module docstring."""

    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    group: str = GROUP
    pattern: str = APP_TOPICS
    options: ConsumerOptions = field(default_factory=ConsumerOptions)
    stored: int = 0
    """Events handled so far (stored or found already stored), for tests and health."""
    dead_lettered: int = 0
    _owners: dict[str, Owner] = field(default_factory=dict)

    async def run(self) -> None:
        """Consume until cancelled (``bus.consumer.run_group``: offsets are committed
        after the batch is stored; failures are logged and the consumer reopened)."""
        await run_group(
            self.bus,
            self.group,
            self._store,
            pattern=self.pattern,
            name="audit consumer",
            options=self.options,
        )

    async def _store(self, records: Sequence[Record]) -> None:
        """Store one batch, retrying while the database is unreachable."""
        backoff = Backoff(self.options.retry_initial_s, self.options.retry_max_s)
        while True:
            try:
                await self.store_batch(records)
                return
            except Exception as exc:
                if not _transient(exc):
                    raise
                log.warning("audit store failed (database unavailable); retrying", exc_info=True)
                await backoff.sleep()

    async def store_batch(self, records: Sequence[Record]) -> None:
        """Store events and dead letters of ``records`` in one transaction. When the
        database refuses the batch for a reason other than being unreachable, it is
        stored record by record and the refused record is dead-lettered."""
        try:
            await self._store_rows(records)
        except Exception as exc:
            if _transient(exc):
                raise
            if len(records) == 1:
                await self._refused(records[0], exc)
                return
            for record in records:
                await self.store_batch([record])

    async def _store_rows(self, records: Sequence[Record]) -> None:
        async with self.sessionmaker() as session:
            events, dead = await self._rows(session, records)
            repo = AuditRepository(session)
            await repo.add_events(events)
            await repo.add_dead_letters(dead)
            await session.commit()
        self.stored += len(events)
        self.dead_lettered += len(dead)

    async def _refused(self, record: Record, exc: BaseException) -> None:
        log.warning("audit event refused by the database; dead-lettered", exc_info=True)
        async with self.sessionmaker() as session:
            reason = f"database refused the event: {type(exc).__name__}"
            await AuditRepository(session).add_dead_letters(
                [_dead_letter(record, reason, self.group)]
            )
            await session.commit()
        self.dead_lettered += 1

    async def _rows(
        self, session: AsyncSession, records: Sequence[Record]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        events: list[dict[str, Any]] = []
        dead: list[dict[str, Any]] = []
        seen: set[uuid.UUID] = set()
        for record in records:
            try:
                row = parse(record, await self._owner(session, record.topic))
            except Poison as exc:
                dead.append(_dead_letter(record, str(exc), self.group))
                continue
            # The same event twice in one batch: a multi-row insert would conflict with
            # itself on PostgreSQL ("cannot affect row a second time").
            if row["event_id"] not in seen:
                seen.add(row["event_id"])
                events.append(row)
        return events, dead

    async def _owner(self, session: AsyncSession, physical: str) -> Owner | None:
        owner = self._owners.get(physical)
        if owner is not None:
            return owner
        found = await AuditRepository(session).topic_owner(physical)
        if found is not None:
            if len(self._owners) >= _MAX_OWNERS_CACHED:
                self._owners.clear()
            self._owners[physical] = found
        return found
