"""Tables of the embedded event log (``topichub.bus.embedded``).

The log lives in the application database so the embedded engine needs no other service.
Only ``EmbeddedBus`` writes these tables; everything else goes through the bus port.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base
from topichub.kit.time import utcnow

TOPIC_NAME_LENGTH = 249
"""Kafka's limit on topic names; the embedded log accepts the same names."""


class BusTopic(Base):
    __tablename__ = "bus_topics"

    name: Mapped[str] = mapped_column(String(TOPIC_NAME_LENGTH), primary_key=True)
    partitions: Mapped[int] = mapped_column(Integer)
    retention_ms: Mapped[int | None] = mapped_column(BigInteger)
    retention_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BusPartition(Base):
    """One row per partition. ``next_offset`` is the offset the next record gets; it is
    kept here rather than derived from ``bus_records`` so that retention, which deletes
    the oldest records, can never make an offset be handed out twice."""

    __tablename__ = "bus_partitions"

    topic: Mapped[str] = mapped_column(
        String(TOPIC_NAME_LENGTH),
        ForeignKey("bus_topics.name", ondelete="CASCADE"),
        primary_key=True,
    )
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger, default=0)


class BusRecord(Base):
    """A stored record. ``headers`` is the encoding of ``topichub.bus.embedded``
    (order and repeated names preserved, NULL when there are none); ``size`` is the
    record's byte count that ``retention_bytes`` budgets.

    No foreign key to ``bus_partitions``: the single writer already checks the
    partition in the same transaction, and a per-row key lookup would tax every insert.
    """

    __tablename__ = "bus_records"
    __table_args__ = (
        # offsets_for_time and age-based retention: the first offset at or after a time.
        Index(
            "ix_bus_records_topic_partition_timestamp_ms",
            "topic",
            "partition",
            "timestamp_ms",
            "offset",
        ),
    )

    topic: Mapped[str] = mapped_column(String(TOPIC_NAME_LENGTH), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)


class BusGroupOffset(Base):
    """A consumer group's committed position: the next offset it will read."""

    __tablename__ = "bus_group_offsets"

    group_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    topic: Mapped[str] = mapped_column(String(TOPIC_NAME_LENGTH), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger)


BUS_TABLES: tuple[Table, ...] = tuple(
    Base.metadata.tables[model.__tablename__]
    for model in (BusTopic, BusPartition, BusRecord, BusGroupOffset)
)
"""The embedded log's tables, for ``Base.metadata.create_all(tables=...)`` in tests."""
