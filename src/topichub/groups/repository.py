"""SQL of consumer groups. Leases and positions change only through compare-and-set
``UPDATE``s (their ``WHERE`` says what the caller saw), never through row locks, so the
same statements are safe on SQLite and on PostgreSQL shared by several processes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.db import upsert
from topichub.kit.repository import scoped
from topichub.models import (
    ConsumerGroup,
    ConsumerGroupAttempt,
    ConsumerGroupMember,
    ConsumerGroupPartition,
)

Part = ConsumerGroupPartition


def _rows(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class GroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- groups --------------------------------------------------------------------

    async def get(
        self, tenant_id: uuid.UUID, topic_id: uuid.UUID, name: str
    ) -> ConsumerGroup | None:
        statement = scoped(select(ConsumerGroup), ConsumerGroup, tenant_id=tenant_id)
        return await self.session.scalar(
            statement.where(ConsumerGroup.topic_id == topic_id, ConsumerGroup.name == name)
        )

    async def of_topic(self, tenant_id: uuid.UUID, topic_id: uuid.UUID) -> Sequence[ConsumerGroup]:
        statement = scoped(select(ConsumerGroup), ConsumerGroup, tenant_id=tenant_id)
        rows = await self.session.scalars(
            statement.where(ConsumerGroup.topic_id == topic_id).order_by(ConsumerGroup.name)
        )
        return rows.all()

    async def add(self, group: ConsumerGroup, starts: Mapping[int, int]) -> None:
        self.session.add(group)
        await self.session.flush()
        for partition, offset in sorted(starts.items()):
            self.session.add(
                Part(
                    group_id=group.id,
                    partition=partition,
                    committed=offset,
                    delivered=offset,
                    generation=0,
                )
            )
        await self.session.flush()

    async def delete(self, group: ConsumerGroup) -> None:
        await self.session.execute(delete(ConsumerGroup).where(ConsumerGroup.id == group.id))

    async def all_groups(self) -> Sequence[tuple[uuid.UUID, str]]:
        """Every group's id and its topic's log name (metrics)."""
        from topichub.models import Topic

        rows = await self.session.execute(
            select(ConsumerGroup.id, Topic.physical_name).join(
                Topic, Topic.id == ConsumerGroup.topic_id
            )
        )
        return [(row[0], row[1]) for row in rows.all()]

    # -- partitions ----------------------------------------------------------------

    async def partitions(self, group_id: uuid.UUID) -> list[Part]:
        rows = await self.session.scalars(
            select(Part).where(Part.group_id == group_id).order_by(Part.partition)
        )
        return list(rows.all())

    async def partitions_of(self, group_ids: Sequence[uuid.UUID]) -> list[Part]:
        if not group_ids:
            return []
        rows = await self.session.scalars(select(Part).where(Part.group_id.in_(group_ids)))
        return list(rows.all())

    async def take(
        self, group_id: uuid.UUID, partition: int, member: str, now: datetime, expires: datetime
    ) -> bool:
        """Lease a free or expired partition to ``member``; the new holder starts at the
        last commit (everything delivered before and not committed comes again)."""
        result = await self.session.execute(
            update(Part)
            .where(
                Part.group_id == group_id,
                Part.partition == partition,
                or_(Part.member.is_(None), Part.lease_expires_at <= now),
            )
            .values(
                member=member,
                lease_expires_at=expires,
                generation=Part.generation + 1,
                delivered=Part.committed,
            )
        )
        return _rows(result) == 1

    async def renew(
        self, group_id: uuid.UUID, partition: int, member: str, expires: datetime
    ) -> bool:
        # Still ours, even if the lease ran out meanwhile: nobody took it, so nobody
        # else got its records, and the position need not go back.
        result = await self.session.execute(
            update(Part)
            .where(Part.group_id == group_id, Part.partition == partition, Part.member == member)
            .values(lease_expires_at=expires)
        )
        return _rows(result) == 1

    async def release(self, group_id: uuid.UUID, partition: int, member: str) -> None:
        await self.session.execute(
            update(Part)
            .where(Part.group_id == group_id, Part.partition == partition, Part.member == member)
            .values(member=None, lease_expires_at=None, generation=Part.generation + 1)
        )

    async def advance(
        self,
        group_id: uuid.UUID,
        partition: int,
        member: str,
        generation: int,
        seen: int,
        to: int,
        now: datetime,
    ) -> bool:
        """Move ``delivered`` from ``seen`` to ``to`` if the lease the read was made
        under still holds and nobody moved the partition meanwhile."""
        result = await self.session.execute(
            update(Part)
            .where(
                Part.group_id == group_id,
                Part.partition == partition,
                Part.member == member,
                Part.generation == generation,
                Part.delivered == seen,
                Part.lease_expires_at > now,
            )
            .values(delivered=to)
        )
        return _rows(result) == 1

    async def commit(self, group_id: uuid.UUID, positions: Mapping[int, int]) -> None:
        for partition, offset in positions.items():
            await self.session.execute(
                update(Part)
                .where(
                    Part.group_id == group_id,
                    Part.partition == partition,
                    Part.committed < offset,
                )
                .values(
                    committed=offset,
                    delivered=case((Part.delivered < offset, offset), else_=Part.delivered),
                )
            )
            await self.session.execute(
                delete(ConsumerGroupAttempt).where(
                    ConsumerGroupAttempt.group_id == group_id,
                    ConsumerGroupAttempt.partition == partition,
                    ConsumerGroupAttempt.offset < offset,
                )
            )

    async def rewind(
        self, group_id: uuid.UUID, partition: int, offset: int, paused_until: datetime
    ) -> None:
        await self.session.execute(
            update(Part)
            .where(Part.group_id == group_id, Part.partition == partition)
            .values(
                delivered=case((Part.delivered > offset, offset), else_=Part.delivered),
                paused_until=paused_until,
            )
        )

    async def reset(self, group_id: uuid.UUID, positions: Mapping[int, int]) -> None:
        for partition, offset in positions.items():
            await self.session.execute(
                update(Part)
                .where(Part.group_id == group_id, Part.partition == partition)
                .values(
                    committed=offset,
                    delivered=offset,
                    member=None,
                    lease_expires_at=None,
                    paused_until=None,
                    generation=Part.generation + 1,
                )
            )
        await self.session.execute(
            delete(ConsumerGroupAttempt).where(ConsumerGroupAttempt.group_id == group_id)
        )

    async def leave(self, group_id: uuid.UUID, member: str) -> None:
        """The member is gone: its partitions are free now (not when its leases expire)."""
        await self.session.execute(
            update(Part)
            .where(Part.group_id == group_id, Part.member == member)
            .values(member=None, lease_expires_at=None, generation=Part.generation + 1)
        )
        await self.session.execute(
            delete(ConsumerGroupMember).where(
                ConsumerGroupMember.group_id == group_id, ConsumerGroupMember.member == member
            )
        )

    # -- members -------------------------------------------------------------------

    async def touch(self, group_id: uuid.UUID, member: str, now: datetime) -> None:
        values = {"group_id": group_id, "member": member, "last_seen_at": now}
        statement = upsert(self.session, ConsumerGroupMember).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["group_id", "member"],
                set_={"last_seen_at": statement.excluded.last_seen_at},
            )
        )

    async def members_since(self, group_id: uuid.UUID, since: datetime) -> list[str]:
        rows = await self.session.scalars(
            select(ConsumerGroupMember.member)
            .where(
                ConsumerGroupMember.group_id == group_id,
                ConsumerGroupMember.last_seen_at > since,
            )
            .order_by(ConsumerGroupMember.member)
        )
        return list(rows.all())

    async def members(self, group_id: uuid.UUID) -> list[ConsumerGroupMember]:
        rows = await self.session.scalars(
            select(ConsumerGroupMember)
            .where(ConsumerGroupMember.group_id == group_id)
            .order_by(ConsumerGroupMember.member)
        )
        return list(rows.all())

    async def forget_members(self, group_id: uuid.UUID, before: datetime) -> None:
        await self.session.execute(
            delete(ConsumerGroupMember).where(
                ConsumerGroupMember.group_id == group_id,
                ConsumerGroupMember.last_seen_at < before,
            )
        )

    async def count_members(
        self, group_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, int]:
        if not group_ids:
            return {}
        rows = await self.session.execute(
            select(ConsumerGroupMember.group_id, func.count())
            .where(
                ConsumerGroupMember.group_id.in_(group_ids),
                ConsumerGroupMember.last_seen_at > since,
            )
            .group_by(ConsumerGroupMember.group_id)
        )
        return {row[0]: int(row[1]) for row in rows.all()}

    # -- attempts ------------------------------------------------------------------

    async def attempts(
        self, group_id: uuid.UUID, partitions: Sequence[int]
    ) -> dict[tuple[int, int], ConsumerGroupAttempt]:
        if not partitions:
            return {}
        rows = await self.session.scalars(
            select(ConsumerGroupAttempt).where(
                ConsumerGroupAttempt.group_id == group_id,
                ConsumerGroupAttempt.partition.in_(partitions),
            )
        )
        return {(a.partition, a.offset): a for a in rows.all()}

    async def attempt(
        self, group_id: uuid.UUID, partition: int, offset: int
    ) -> ConsumerGroupAttempt | None:
        return await self.session.get(ConsumerGroupAttempt, (group_id, partition, offset))

    async def count_attempt(
        self, group_id: uuid.UUID, partition: int, offset: int, reason: str | None, *, dead: bool
    ) -> int:
        """Add one nack to the record; returns its attempts so far."""
        found = await self.attempt(group_id, partition, offset)
        if found is None:
            found = ConsumerGroupAttempt(
                group_id=group_id, partition=partition, offset=offset, attempts=0, dead=False
            )
            self.session.add(found)
        found.attempts += 1
        found.reason = reason
        found.dead = dead
        await self.session.flush()
        return found.attempts

    async def clear_pause(self, group_id: uuid.UUID, partition: int) -> None:
        await self.session.execute(
            update(Part)
            .where(and_(Part.group_id == group_id, Part.partition == partition))
            .values(paused_until=None)
        )
