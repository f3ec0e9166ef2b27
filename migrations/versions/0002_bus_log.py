"""embedded event log: topics, partitions, records, consumer-group offsets

Revision ID: 0002_bus_log
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_bus_log"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bus_topics",
        sa.Column("name", sa.String(length=249), nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column("retention_ms", sa.BigInteger(), nullable=True),
        sa.Column("retention_bytes", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bus_topics")),
    )
    op.create_table(
        "bus_partitions",
        sa.Column("topic", sa.String(length=249), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic"],
            ["bus_topics.name"],
            name=op.f("fk_bus_partitions_topic_bus_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic", "partition", name=op.f("pk_bus_partitions")),
    )
    op.create_table(
        "bus_records",
        sa.Column("topic", sa.String(length=249), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", "offset", name=op.f("pk_bus_records")),
    )
    op.create_index(
        "ix_bus_records_topic_partition_timestamp_ms",
        "bus_records",
        ["topic", "partition", "timestamp_ms", "offset"],
        unique=False,
    )
    op.create_table(
        "bus_group_offsets",
        sa.Column("group_id", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=249), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "topic", "partition", name=op.f("pk_bus_group_offsets")
        ),
    )


def downgrade() -> None:
    op.drop_table("bus_group_offsets")
    op.drop_index("ix_bus_records_topic_partition_timestamp_ms", table_name="bus_records")
    op.drop_table("bus_records")
    op.drop_table("bus_partitions")
    op.drop_table("bus_topics")
