"""Consumer groups: leases, polling, commits, nacks and dead letters (docs/groups.md).

A poll is several short transactions around a read of the log that holds no database
connection: lease (renew, take, release) → read from the bus → advance ``delivered``
with a compare-and-set that fails if the lease changed meanwhile. The functions here
therefore take the session factory and commit their own steps, unlike other services.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.bus import BusError, EventBus, OutRecord, Positions, Record
from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.errors import Conflict, NotFound, Unavailable, ValidationFailed
from topichub.groups.repository import GroupRepository
from topichub.kit.time import utcnow
from topichub.models import ConsumerGroup, ConsumerGroupPartition, Project, TopicKind
from topichub.topics import service as topics
from topichub.topics.stream.cursor import encode_cursor

DEFAULT_LEASE_MS = 30_000
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_DELAY_MS = 1_000
MAX_RETRY_DELAY_MS = 60_000
IDLE_RECHECK_S = 0.25
"""How often a member holding no readable partition re-checks the assignment while its
poll waits."""
FORGET_MEMBERS_AFTER_LEASES = 10
DLQ_SUFFIX = ".dlq"
DLQ_READ_TIMEOUT_S = 2.0
READY_READ_S = 1.0
"""How long a read may take when the log says records are ready: a Kafka fetch needs a
round trip or two even for records that exist, so a poll with a short ``wait_ms`` must
not give up before the broker answered."""


def _unavailable(exc: BaseException | None = None) -> Unavailable:
    return Unavailable(
        "The event log is unavailable; try again shortly", headers={"Retry-After": "2"}
    )


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A group detached from any session."""

    id: uuid.UUID
    name: str
    lease_ms: int
    max_attempts: int
    retry_delay_ms: int
    created_at: datetime

    @classmethod
    def of(cls, group: ConsumerGroup) -> GroupRef:
        return cls(
            group.id,
            group.name,
            group.lease_ms,
            group.max_attempts,
            group.retry_delay_ms,
            group.created_at,
        )


@dataclass(frozen=True, slots=True)
class Delivered:
    record: Record
    attempt: int


@dataclass(slots=True)
class PollResult:
    member: str
    records: list[Delivered] = field(default_factory=list)
    cursor: str | None = None
    partitions: list[int] = field(default_factory=list)
    lease_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Lease:
    generation: int
    delivered: int
    paused_until: datetime | None


# -- groups ----------------------------------------------------------------------------


async def _starts(bus: EventBus, topic: topics.AnyTopic, start: str) -> Positions:
    try:
        if start == "latest":
            found = await bus.end_offsets(topic.physical_name)
        else:
            found = await bus.beginning_offsets(topic.physical_name)
    except BusTopicNotFound:
        found = {}
    except BusError as exc:
        raise _unavailable(exc) from exc
    return {p: found.get(p, 0) for p in range(topic.partitions)}


async def find_group(session: AsyncSession, topic: topics.AnyTopic, name: str) -> GroupRef:
    group = await GroupRepository(session).get(topic.tenant_id, topic.id, name)
    if group is None:
        raise NotFound(f"Group '{name}' not found")
    return GroupRef.of(group)


async def ensure_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    topic: topics.AnyTopic,
    name: str,
    *,
    lease_ms: int | None = None,
    max_attempts: int | None = None,
    retry_delay_ms: int | None = None,
    start: str | None = None,
    retry: bool = True,
) -> tuple[GroupRef, bool]:
    """The group, created with defaults (or the given settings) on first use; settings
    given for an existing group replace its own. Returns (group, created)."""
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        group = await repo.get(topic.tenant_id, topic.id, name)
        if group is not None:
            changed = False
            for attr, value in (
                ("lease_ms", lease_ms),
                ("max_attempts", max_attempts),
                ("retry_delay_ms", retry_delay_ms),
            ):
                if value is not None and getattr(group, attr) != value:
                    setattr(group, attr, value)
                    changed = True
            if changed:
                await session.flush()
                await session.commit()
            return GroupRef.of(group), False
    starts = await _starts(bus, topic, start or "earliest")
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        group = ConsumerGroup(
            id=uuid.uuid4(),
            tenant_id=topic.tenant_id,
            project_id=topic.project_id,
            topic_id=topic.id,
            name=name,
            lease_ms=lease_ms or DEFAULT_LEASE_MS,
            max_attempts=max_attempts or DEFAULT_MAX_ATTEMPTS,
            retry_delay_ms=DEFAULT_RETRY_DELAY_MS if retry_delay_ms is None else retry_delay_ms,
        )
        try:
            await repo.add(group, starts)
            await session.commit()
            return GroupRef.of(group), True
        except IntegrityError:
            await session.rollback()
    if not retry:
        # Not created by anyone else either: the topic itself is gone (deleted since it
        # was looked up, and its groups with it).
        raise NotFound(f"Topic '{topic.name}' not found")
    # Another process created it first: use theirs (and apply the settings asked for).
    return await ensure_group(
        sessionmaker,
        bus,
        topic,
        name,
        lease_ms=lease_ms,
        max_attempts=max_attempts,
        retry_delay_ms=retry_delay_ms,
        retry=False,
    )


async def delete_group(session: AsyncSession, topic: topics.AnyTopic, name: str) -> None:
    repo = GroupRepository(session)
    group = await repo.get(topic.tenant_id, topic.id, name)
    if group is None:
        raise NotFound(f"Group '{name}' not found")
    await repo.delete(group)


# -- polling ---------------------------------------------------------------------------


def assignment(members: Sequence[str], partitions: int) -> dict[int, str]:
    """The deterministic balance: partition ``p`` to the ``p mod n``-th live member in
    sorted order. Every process computes the same answer from the same member list."""
    ordered = sorted(members)
    if not ordered:
        return {}
    return {p: ordered[p % len(ordered)] for p in range(partitions)}


async def _lease(
    sessionmaker: async_sessionmaker[AsyncSession], group: GroupRef, member: str
) -> tuple[dict[int, _Lease], datetime]:
    now = utcnow()
    lease = timedelta(milliseconds=group.lease_ms)
    expires = now + lease
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        await repo.touch(group.id, member, now)
        live = await repo.members_since(group.id, now - lease)
        rows = await repo.partitions(group.id)
        target = assignment(live, len(rows))
        mine: list[int] = []
        for row in rows:
            p = row.partition
            if row.member == member:
                if target.get(p) != member:
                    await repo.release(group.id, p, member)
                elif await repo.renew(group.id, p, member, expires):
                    mine.append(p)
            elif (
                target.get(p) == member
                and (
                    row.member is None
                    or row.lease_expires_at is None
                    or row.lease_expires_at <= now
                )
                and await repo.take(group.id, p, member, now, expires)
            ):
                mine.append(p)
        await repo.forget_members(group.id, now - lease * FORGET_MEMBERS_AFTER_LEASES)
        await session.commit()
        # Read back what this transaction wrote: generation and position to read from.
        held = {
            row.partition: _Lease(row.generation, row.delivered, row.paused_until)
            for row in await repo.partitions(group.id)
            if row.partition in mine and row.member == member
        }
        await session.commit()
    return held, expires


async def poll(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    topic: topics.AnyTopic,
    group: GroupRef,
    member: str,
    *,
    max_records: int,
    wait_ms: int,
) -> PollResult:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_ms / 1000
    # A read never outlives the lease it is made under.
    longest_read = group.lease_ms / 2000
    result = PollResult(member)
    while True:
        held, expires = await _lease(sessionmaker, group, member)
        result.partitions = sorted(held)
        result.lease_expires_at = expires if held else None
        now = utcnow()
        readable = {
            p: lease
            for p, lease in held.items()
            if lease.paused_until is None or lease.paused_until <= now
        }
        remaining = deadline - loop.time()
        if readable:
            records = await _read(
                sessionmaker,
                bus,
                topic,
                group,
                member,
                readable,
                max_records,
                timeout=max(0.0, min(remaining, longest_read)),
            )
            if records:
                result.records = records
                nxt: dict[int, int] = {}
                for item in records:
                    nxt[item.record.partition] = item.record.offset + 1
                result.cursor = encode_cursor(nxt)
                return result
        elif remaining > 0:
            await asyncio.sleep(min(IDLE_RECHECK_S, remaining))
        if deadline - loop.time() <= 0:
            return result


async def _read(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    topic: topics.AnyTopic,
    group: GroupRef,
    member: str,
    held: Mapping[int, _Lease],
    max_records: int,
    *,
    timeout: float,
) -> list[Delivered]:
    starts = {p: lease.delivered for p, lease in held.items()}
    try:
        if timeout < READY_READ_S and bus.name != "embedded":
            ends = await bus.end_offsets(topic.physical_name)
            if any(ends.get(p, 0) > offset for p, offset in starts.items()):
                timeout = READY_READ_S
        reader = bus.reader(topic.physical_name, starts)
        try:
            records = await reader.read(timeout=timeout, max_records=max_records)
            after = reader.positions()
        finally:
            await reader.close()
    except BusTopicNotFound:
        return []
    except BusError as exc:
        raise _unavailable(exc) from exc
    by_partition: dict[int, list[Record]] = {}
    for record in records:
        if record.offset >= starts.get(record.partition, 0):
            by_partition.setdefault(record.partition, []).append(record)
    moved = {p: after.get(p, starts[p]) for p in starts if after.get(p, starts[p]) != starts[p]}
    if not moved:
        return []
    now = utcnow()
    out: list[Delivered] = []
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        attempts = await repo.attempts(group.id, sorted(moved))
        kept: set[int] = set()
        for p, to in sorted(moved.items()):
            lease = held[p]
            if await repo.advance(group.id, p, member, lease.generation, lease.delivered, to, now):
                kept.add(p)
        await session.commit()
    for record in records:
        if record.partition not in kept:
            continue  # the lease changed under the read: someone else may have these
        tried = attempts.get((record.partition, record.offset))
        if tried is not None and tried.dead:
            continue
        out.append(Delivered(record, 1 + (tried.attempts if tried is not None else 0)))
    return out


# -- commit, nack, reset ---------------------------------------------------------------


def check_positions(topic: topics.AnyTopic, positions: Positions, field_name: str) -> None:
    if any(p >= topic.partitions for p in positions):
        raise ValidationFailed(
            f"Invalid {field_name}: it names a partition this topic does not have",
            details=[{"field": field_name, "reason": "partition out of range"}],
        )


async def _ends(bus: EventBus, topic: topics.AnyTopic) -> Positions:
    try:
        found = await bus.end_offsets(topic.physical_name)
    except BusTopicNotFound:
        found = {}
    except BusError as exc:
        raise _unavailable(exc) from exc
    return {p: found.get(p, 0) for p in range(topic.partitions)}


async def commit(
    session: AsyncSession,
    bus: EventBus,
    topic: topics.AnyTopic,
    group: GroupRef,
    positions: Positions,
) -> dict[int, int]:
    check_positions(topic, positions, "cursor")
    ends = await _ends(bus, topic)
    if any(offset > ends[p] for p, offset in positions.items()):
        raise ValidationFailed(
            "Invalid cursor: it is past the end of the topic",
            details=[{"field": "cursor", "reason": "past the end"}],
        )
    repo = GroupRepository(session)
    await repo.commit(group.id, positions)
    await session.flush()
    return {row.partition: row.committed for row in await repo.partitions(group.id)}


@dataclass(frozen=True, slots=True)
class NackResult:
    partition: int
    offset: int
    attempts: int
    dead_lettered: bool
    redeliver_after: datetime | None
    dead_letter_topic: str | None


def single_record(topic: topics.AnyTopic, positions: Positions) -> tuple[int, int]:
    check_positions(topic, positions, "cursor")
    if len(positions) != 1 or next(iter(positions.values())) == 0:
        raise ValidationFailed(
            "A nack names one record: send that record's own cursor",
            details=[{"field": "cursor", "reason": "not a record's cursor"}],
        )
    partition, after = next(iter(positions.items()))
    return partition, after - 1


async def nack(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    topic: topics.AnyTopic,
    group: GroupRef,
    partition: int,
    offset: int,
    reason: str | None,
) -> NackResult:
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        row = await session.get(ConsumerGroupPartition, (group.id, partition))
        if row is None:
            raise NotFound(f"Group '{group.name}' not found")
        if offset < row.committed:
            raise Conflict("That record is already committed by the group")
        if offset >= row.delivered:
            raise Conflict("That record has not been delivered to the group")
        found = await repo.attempt(group.id, partition, offset)
        if found is not None and found.dead:
            raise Conflict("That record is already in the dead-letter topic")
        tried = (found.attempts if found is not None else 0) + 1
        if tried < group.max_attempts:
            delay = min(group.retry_delay_ms * 2 ** (tried - 1), MAX_RETRY_DELAY_MS)
            until = utcnow() + timedelta(milliseconds=delay)
            try:
                await repo.count_attempt(group.id, partition, offset, reason, dead=False)
                await repo.rewind(group.id, partition, offset, until)
                await session.commit()
            except IntegrityError as exc:
                raise Conflict("A nack of the same record is under way; try again") from exc
            return NackResult(partition, offset, tried, False, until, None)
    dlq = await dead_letter(sessionmaker, bus, topic, group, partition, offset, tried, reason)
    async with sessionmaker() as session:
        repo = GroupRepository(session)
        try:
            await repo.count_attempt(group.id, partition, offset, reason, dead=True)
            await repo.clear_pause(group.id, partition)
            await session.commit()
        except IntegrityError as exc:
            raise Conflict("A nack of the same record is under way; try again") from exc
    return NackResult(partition, offset, tried, True, None, dlq)


async def _read_one(bus: EventBus, physical: str, partition: int, offset: int) -> Record:
    reader = bus.reader(physical, {partition: offset})
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DLQ_READ_TIMEOUT_S
        while loop.time() < deadline:
            for record in await reader.read(timeout=0.5, max_records=1):
                if record.offset == offset:
                    return record
                if record.offset > offset:
                    raise Conflict("That record is no longer in the topic (retention)")
    finally:
        await reader.close()
    raise Unavailable(
        "The record could not be read back from the log; try again",
        headers={"Retry-After": "2"},
    )


async def dead_letter(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    topic: topics.AnyTopic,
    group: GroupRef,
    partition: int,
    offset: int,
    attempts: int,
    reason: str | None,
) -> str:
    """Publish the record to ``{topic}.dlq`` (created on demand in the topic's project)
    with headers saying where it came from, who gave up and why; returns that name."""
    name = topic.name + DLQ_SUFFIX
    if len(name) > 100:
        raise Conflict(f"Topic name too long for a dead-letter topic '{topic.name}.dlq'")
    try:
        record = await _read_one(bus, topic.physical_name, partition, offset)
    except BusError as exc:
        raise _unavailable(exc) from exc
    async with sessionmaker() as session:
        project = await session.get(Project, topic.project_id)
        if project is None:
            raise NotFound(f"Topic '{topic.name}' not found")
        try:
            dlq = await topics.ensure_topic(session, project, name, TopicKind.user)
            ref = topics.TopicRef.of(dlq)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            dlq = await topics.ensure_topic(session, project, name, TopicKind.user)
            ref = topics.TopicRef.of(dlq)
    await topics.ensure_log_topic(bus, ref, strict=True)
    kept = tuple((k, v) for k, v in record.headers if v is not None)
    headers = (
        *kept,
        ("x-dlq-topic", topic.name.encode()),
        ("x-dlq-partition", str(partition).encode()),
        ("x-dlq-offset", str(offset).encode()),
        ("x-dlq-group", group.name.encode()),
        ("x-dlq-attempts", str(attempts).encode()),
        ("x-dlq-reason", (reason or "").encode()),
        ("x-dlq-timestamp", str(record.timestamp_ms).encode()),
    )
    try:
        await bus.publish(
            ref.physical_name,
            [OutRecord(value=record.value or b"null", key=record.key, headers=headers)],
        )
    except BusError as exc:
        raise _unavailable(exc) from exc
    return name


async def reset_positions(
    bus: EventBus, topic: topics.AnyTopic, to: str, time_ms: int | None, cursor: Positions | None
) -> Positions:
    try:
        if to == "earliest":
            found = await bus.beginning_offsets(topic.physical_name)
        elif to == "latest":
            found = await bus.end_offsets(topic.physical_name)
        elif to == "time":
            assert time_ms is not None
            found = await bus.offsets_for_time(topic.physical_name, time_ms)
        else:
            assert cursor is not None
            check_positions(topic, cursor, "cursor")
            ends = await _ends(bus, topic)
            return {p: min(o, ends[p]) for p, o in cursor.items()}
    except BusTopicNotFound:
        found = {}
    except BusError as exc:
        raise _unavailable(exc) from exc
    return {p: found.get(p, 0) for p in range(topic.partitions)}


async def reset(session: AsyncSession, group: GroupRef, positions: Positions) -> None:
    await GroupRepository(session).reset(group.id, positions)


# -- describing ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionView:
    partition: int
    member: str | None
    lease_expires_at: datetime | None
    committed: int
    end: int
    lag: int
    paused_until: datetime | None


@dataclass(frozen=True, slots=True)
class MemberView:
    member: str
    last_seen_at: datetime
    partitions: list[int]


@dataclass(frozen=True, slots=True)
class GroupView:
    group: GroupRef
    lag: int
    members: list[MemberView]
    partitions: list[PartitionView]


def lag_of(committed: int, beginning: int, end: int) -> int:
    return max(0, end - max(committed, beginning))


async def describe(
    session: AsyncSession, bus: EventBus, topic: topics.AnyTopic, groups: Sequence[GroupRef]
) -> list[GroupView]:
    repo = GroupRepository(session)
    now = utcnow()
    rows = await repo.partitions_of([g.id for g in groups])
    members = {g.id: await repo.members(g.id) for g in groups}
    await session.commit()  # hold no connection while the log answers
    try:
        beginning = await bus.beginning_offsets(topic.physical_name)
        end = await bus.end_offsets(topic.physical_name)
    except BusTopicNotFound:
        beginning, end = {}, {}
    except BusError as exc:
        raise _unavailable(exc) from exc
    views = []
    for group in groups:
        lease = timedelta(milliseconds=group.lease_ms)
        parts = sorted((r for r in rows if r.group_id == group.id), key=lambda r: r.partition)
        partition_views = []
        holding: dict[str, list[int]] = {}
        for r in parts:
            live = (
                r.member is not None and r.lease_expires_at is not None and r.lease_expires_at > now
            )
            e = end.get(r.partition, 0)
            partition_views.append(
                PartitionView(
                    r.partition,
                    r.member if live else None,
                    r.lease_expires_at if live else None,
                    r.committed,
                    e,
                    lag_of(r.committed, beginning.get(r.partition, 0), e),
                    r.paused_until if r.paused_until and r.paused_until > now else None,
                )
            )
            if live and r.member is not None:
                holding.setdefault(r.member, []).append(r.partition)
        member_views = [
            MemberView(m.member, m.last_seen_at, holding.get(m.member, []))
            for m in members[group.id]
            if m.last_seen_at > now - lease
        ]
        views.append(
            GroupView(group, sum(v.lag for v in partition_views), member_views, partition_views)
        )
    return views


async def groups_of(session: AsyncSession, topic: topics.AnyTopic) -> list[GroupRef]:
    return [
        GroupRef.of(g) for g in await GroupRepository(session).of_topic(topic.tenant_id, topic.id)
    ]
