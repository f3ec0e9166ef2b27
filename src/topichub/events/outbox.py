"""The transactional outbox: app events are written with the change that causes them and
relayed to the bus after commit.

Writing (``Outbox.add``): a service adds an ``outbox`` row to the session of the request
that makes the change, so the change and its event commit together or not at all. The
app topic (``todos``, ``chat``, ``logs``) is registered in the acting tenant's default
project in that same transaction. Nothing here talks to the bus, so a broker outage never
fails or slows the request, and a request never writes the bus while its own session holds
a write (the embedded log shares the database, and SQLite has one writer).

Relaying (``OutboxRelay``), one task per process:

- Pending rows are published in ``seq`` order, batched per topic, as JSON values carrying
  ``event_id``, ``event`` and ``occurred_at`` next to the app's payload, keyed as the app
  asked, with ``event_id``/``event_type``/``tenant_id``/``actor_id`` headers. A row is
  marked sent once every topic it goes to has it.
- Delivery is *at-least-once*: a publish whose outcome is unknown (timeout, broker gone)
  is retried with jittered exponential backoff, so a record may reach the log twice, and
  a row can be published again when marking it sent fails. Consumers de-duplicate by
  ``event_id`` (the audit consumer does). Nothing is dropped because the bus is down.
- A log topic that does not exist yet is created lazily from the topic registry (or from
  the relay's ``system_topics``) and the publish is retried; events whose registry topic
  was deleted meanwhile are dropped with a warning (their ``last_error`` says so).
- A definite refusal by the bus (e.g. a record too large) is retried ``max_attempts``
  times, then the row is parked (marked sent with ``last_error``) so it cannot hold up
  the rows behind it forever.
- Several processes may relay the same database. On PostgreSQL each pass takes a
  transaction-level advisory lock, so one relay publishes at a time and per-key order is
  kept; rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` besides. SQLite is
  embedded mode, one process, so rows are read in order and marked in a second
  transaction (no transaction is held while the embedded log writes).
- The relay is woken right after a transaction with outbox rows commits (a SQLAlchemy
  ``after_commit`` hook sets an ``asyncio.Event``) and polls every ``poll_interval_s`` as
  a fallback (rows written by other processes, missed wake-ups).
- Rows relayed more than ``keep_sent_s`` ago are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from topichub.bus.port import (
    BusError,
    BusUnavailable,
    EventBus,
    OutRecord,
    TopicNotFound,
    TopicSpec,
)
from topichub.kit.backoff import Backoff
from topichub.kit.db import upsert
from topichub.kit.time import utcnow
from topichub.metrics import OUTBOX_BACKLOG
from topichub.models import OutboxEvent, Project, Topic, TopicKind
from topichub.tenancy import service as tenancy
from topichub.topics.service import physical_name, topic_spec

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY: Final = 0x7468_6F75_7462_6F78  # "thoutbox": one relay at a time
_ARMED: Final = "topichub.outbox.armed"


@dataclass(frozen=True, slots=True)
class AppEvent:
    """A domain event as an app states it."""

    topic: str
    """The logical app topic in the acting tenant's default project."""
    type: str
    key: str | None
    payload: Mapping[str, Any]
    actor_id: uuid.UUID | None = None
    fanout: str | None = None
    """A platform topic (``TopicSpec`` known to the relay) that gets a copy too."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _plain(payload: Mapping[str, Any]) -> dict[str, Any]:
    # The JSON column must get plain JSON types; doing it here keeps datetimes and UUIDs
    # in service code from failing the request at flush time.
    result: dict[str, Any] = json.loads(json.dumps(payload, default=_json_default, allow_nan=False))
    return result


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class _AppTopics:
    """SQL for the app topics in the registry."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: uuid.UUID, name: str) -> Topic | None:
        return await self.session.scalar(
            select(Topic).where(Topic.project_id == project_id, Topic.name == name)
        )

    async def insert_if_missing(self, project: Project, name: str) -> None:
        """Insert the registry row unless one exists: two first uses racing (two
        requests, two processes) must not fail on the unique ``(project_id, name)``."""
        topic_id = uuid.uuid4()
        now = utcnow()
        values = {
            "id": topic_id,
            "tenant_id": project.tenant_id,
            "project_id": project.id,
            "name": name,
            "physical_name": physical_name(topic_id, TopicKind.app),
            "kind": TopicKind.app.value,
            "partitions": 1,
            "created_at": now,
            "updated_at": now,
        }
        statement = (
            upsert(self.session, Topic)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["project_id", "name"])
        )
        await self.session.execute(statement)


async def ensure_app_topic(session: AsyncSession, project: Project, name: str) -> Topic:
    """The project's app topic ``name``, registered on first use. The log topic is
    created later, by the relay, outside any request transaction."""
    repo = _AppTopics(session)
    topic = await repo.get(project.id, name)
    if topic is None:
        await repo.insert_if_missing(project, name)
        topic = await repo.get(project.id, name)
    assert topic is not None
    return topic


Charge = Callable[[AsyncSession, Sequence[OutboxEvent]], Awaitable[None]]
"""Counts events of one tenant against its quotas before they are added; raising refuses
them (and so the request's whole change). Passed in, as the bus imports no domain."""


class Outbox:
    """Adds events to the caller's transaction and wakes the relay once it commits."""

    def __init__(
        self, wake: Callable[[], None] | None = None, charge: Charge | None = None
    ) -> None:
        self._wake = wake
        self._charge = charge

    async def add(
        self, session: AsyncSession, tenant_id: uuid.UUID, event: AppEvent
    ) -> OutboxEvent:
        return (await self.add_many(session, tenant_id, [event]))[0]

    async def add_many(
        self, session: AsyncSession, tenant_id: uuid.UUID, events: Sequence[AppEvent]
    ) -> list[OutboxEvent]:
        """Add several events of one tenant; they are charged (and refused) together."""
        project = await tenancy.default_project(session, tenant_id)
        topics: dict[str, Topic] = {}
        rows = []
        for event in events:
            topic = topics.get(event.topic)
            if topic is None:
                topic = topics[event.topic] = await ensure_app_topic(session, project, event.topic)
            rows.append(
                OutboxEvent(
                    event_id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    project_id=project.id,
                    actor_id=event.actor_id,
                    topic=event.topic,
                    physical_topic=topic.physical_name,
                    fanout_topic=event.fanout,
                    event_type=event.type,
                    key=event.key,
                    payload=_plain(event.payload),
                    created_at=utcnow(),
                    attempts=0,
                )
            )
        if self._charge is not None and rows:
            await self._charge(session, rows)
        session.add_all(rows)
        self._arm(session.sync_session)
        return rows

    def _arm(self, session: Session) -> None:
        if self._wake is None or session.info.get(_ARMED):
            return
        session.info[_ARMED] = True
        sa_event.listen(session, "after_commit", self._after_commit, once=True)

    def _after_commit(self, session: Session) -> None:
        session.info.pop(_ARMED, None)
        if self._wake is not None:
            self._wake()


def encode_event(row: OutboxEvent) -> OutRecord:
    """The bus record of an outbox row (see the module docstring for its shape)."""
    value = {
        **row.payload,
        "event": row.event_type,
        "event_id": str(row.event_id),
        "occurred_at": _iso(row.created_at),
    }
    headers = [
        ("event_id", str(row.event_id).encode()),
        ("event_type", row.event_type.encode()),
        ("tenant_id", str(row.tenant_id).encode()),
    ]
    if row.actor_id is not None:
        headers.append(("actor_id", str(row.actor_id).encode()))
    return OutRecord(
        value=json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
        key=row.key.encode() if row.key is not None else None,
        headers=tuple(headers),
    )


@dataclass(slots=True)
class RelayPass:
    """What one relay pass did."""

    sent: int = 0
    retry: int = 0
    busy: bool = False
    """Another process held the relay lock (PostgreSQL)."""
    bus_down: bool = False
    more: bool = False
    """The pass was full: more rows may be waiting."""


class _TopicGone(Exception):
    """The registry no longer has the topic these events were written for."""


@dataclass(slots=True)
class _Outcome:
    error: str | None = None
    definite: bool = False
    dropped: bool = False


async def _wait(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


@dataclass
class OutboxRelay:
    """Publishes outbox rows to the bus; see the module docstring for the semantics."""

    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    system_topics: Iterable[TopicSpec] = ()
    batch_size: int = 200
    poll_interval_s: float = 1.0
    retry_initial_s: float = 0.2
    retry_max_s: float = 10.0
    max_attempts: int = 20
    keep_sent_s: float = 7 * 24 * 3600
    cleanup_interval_s: float = 3600.0
    charge: Charge | None = None
    outbox: Outbox = field(init=False)
    _wakeup: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _specs: dict[str, TopicSpec] = field(init=False, default_factory=dict)
    _cleaned_at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.wake, self.charge)
        self._specs = {spec.name: spec for spec in self.system_topics}

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled. Never raises: failures are logged and retried."""
        failures = Backoff(lambda: self.retry_initial_s, lambda: self.retry_max_s)
        contention = Backoff(0.05, lambda: self.poll_interval_s)
        while True:
            # Cleared before the scan, so a commit landing during it wakes the next wait.
            self._wakeup.clear()
            try:
                done = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox relay pass failed", exc_info=True)
                await asyncio.sleep(failures.next())
                continue
            await self._report_backlog(done)
            if done.bus_down or done.retry:
                await asyncio.sleep(failures.next())
                continue
            failures.reset()
            if done.busy:
                await asyncio.sleep(contention.next())
                continue
            contention.reset()
            if done.more:
                continue
            await self._maybe_clean_up()
            await _wait(self._wakeup, self.poll_interval_s)

    async def relay_once(self) -> RelayPass:
        """Publish up to ``batch_size`` pending rows, in order, and mark them."""
        async with self.sessionmaker() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                locked = await session.scalar(
                    select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY))
                )
                if not locked:
                    return RelayPass(busy=True)
            statement = (
                select(OutboxEvent)
                .where(OutboxEvent.sent_at.is_(None))
                .order_by(OutboxEvent.seq)
                .limit(self.batch_size)
            )
            if postgres:
                statement = statement.with_for_update(skip_locked=True)
            rows = list((await session.scalars(statement)).all())
            if not rows:
                await session.commit()
                return RelayPass()
            if not postgres:
                # End the read before publishing: the embedded log may be this database.
                await session.commit()
            outcomes = await self._publish(rows)
            if postgres:
                await self._mark(session, rows, outcomes)
                await session.commit()
        if not postgres:
            async with self.sessionmaker() as session:
                await self._mark(session, rows, outcomes)
                await session.commit()
        retry = sum(1 for o in outcomes.values() if o.error and not o.dropped)
        bus_down = any(o.error and not o.definite and not o.dropped for o in outcomes.values())
        return RelayPass(
            sent=len(rows) - retry,
            retry=retry,
            bus_down=bus_down,
            more=len(rows) == self.batch_size,
        )

    async def _publish(self, rows: Sequence[OutboxEvent]) -> dict[int, _Outcome]:
        per_topic: dict[str, list[OutboxEvent]] = {}
        for row in rows:
            per_topic.setdefault(row.physical_topic, []).append(row)
            if row.fanout_topic:
                per_topic.setdefault(row.fanout_topic, []).append(row)
        outcomes = {row.seq: _Outcome() for row in rows}
        records = {row.seq: encode_event(row) for row in rows}
        down: str | None = None
        for topic, members in per_topic.items():
            if down is not None:
                # Each attempt against a down bus costs a full publish timeout: one is
                # enough to know, the rest of the batch waits for the next pass.
                for row in members:
                    outcomes[row.seq] = _Outcome(error=down)
                continue
            try:
                await self._publish_topic(topic, [records[row.seq] for row in members])
            except _TopicGone:
                log.warning("dropping %d outbox event(s) of deleted topic %s", len(members), topic)
                for row in members:
                    outcome = outcomes[row.seq]
                    if outcome.error is None:
                        outcome.dropped = True
            except BusUnavailable as exc:
                down = f"bus unavailable: {exc}"[:500]
                for row in members:
                    outcomes[row.seq] = _Outcome(error=down)
            except BusError as exc:
                log.warning(
                    "the bus refused %d outbox event(s) for %s: %r", len(members), topic, exc
                )
                for row in members:
                    if outcomes[row.seq].error is None:
                        outcomes[row.seq] = _Outcome(error=f"refused: {exc}"[:500], definite=True)
        return outcomes

    async def _publish_topic(self, topic: str, records: list[OutRecord]) -> None:
        try:
            await self.bus.publish(topic, records)
            return
        except TopicNotFound:
            spec = await self._spec(topic)
            if spec is None:
                raise _TopicGone(topic) from None
            await self.bus.create_topic(spec)
        await self.bus.publish(topic, records)

    async def _spec(self, physical: str) -> TopicSpec | None:
        known = self._specs.get(physical)
        if known is not None:
            return known
        async with self.sessionmaker() as session:
            topic = await session.scalar(select(Topic).where(Topic.physical_name == physical))
        return topic_spec(topic) if topic is not None else None

    async def _mark(
        self,
        session: AsyncSession,
        rows: Sequence[OutboxEvent],
        outcomes: Mapping[int, _Outcome],
    ) -> None:
        now = utcnow()
        done = [row.seq for row in rows if outcomes[row.seq].error is None]
        dropped = [row.seq for row in rows if outcomes[row.seq].dropped]
        if done:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq.in_(done))
                .values(sent_at=now, attempts=OutboxEvent.attempts + 1, last_error=None)
                .execution_options(synchronize_session=False)
            )
        if dropped:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq.in_(dropped))
                .values(last_error="dropped: the topic was deleted")
                .execution_options(synchronize_session=False)
            )
        for row in rows:
            outcome = outcomes[row.seq]
            if outcome.error is None:
                continue
            attempts = row.attempts + 1
            park = outcome.definite and attempts >= self.max_attempts
            if park:
                log.error(
                    "outbox event %s parked after %d refusals: %s",
                    row.event_id,
                    attempts,
                    outcome.error,
                )
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq == row.seq)
                .values(attempts=attempts, last_error=outcome.error, sent_at=now if park else None)
                .execution_options(synchronize_session=False)
            )

    async def _maybe_clean_up(self) -> None:
        loop = asyncio.get_running_loop()
        if (
            self._cleaned_at is not None
            and loop.time() - self._cleaned_at < self.cleanup_interval_s
        ):
            return
        self._cleaned_at = loop.time()
        cutoff = utcnow() - timedelta(seconds=self.keep_sent_s)
        try:
            async with self.sessionmaker() as session:
                await session.execute(
                    delete(OutboxEvent).where(
                        OutboxEvent.sent_at.is_not(None), OutboxEvent.sent_at < cutoff
                    )
                )
                await session.commit()
        except Exception:
            log.warning("outbox clean-up failed", exc_info=True)

    async def _report_backlog(self, done: RelayPass) -> None:
        """Export the backlog for /metrics: counted only while one exists (the bus is
        down, rows wait for a retry, or a pass left more), zero once a pass drained it."""
        if not (done.bus_down or done.retry or done.more):
            OUTBOX_BACKLOG.set(0)
            return
        try:
            OUTBOX_BACKLOG.set(await self.pending())
        except Exception:
            log.debug("could not count the outbox backlog", exc_info=True)

    async def pending(self) -> int:
        """Rows not relayed yet (health and tests)."""
        async with self.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
            )
        return int(count or 0)
