"""consumer groups over HTTP: settings, leases, committed offsets, nack attempts

Revision ID: 0014_consumer_groups
Revises: 0013_username_case
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_consumer_groups"
down_revision: str | None = "0013_username_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumer_groups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lease_ms", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delay_ms", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_consumer_groups_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_consumer_groups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_consumer_groups_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_groups")),
        sa.UniqueConstraint("topic_id", "name", name=op.f("uq_consumer_groups_topic_id_name")),
    )
    with op.batch_alter_table("consumer_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consumer_groups_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consumer_groups_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consumer_groups_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "consumer_group_attempts",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("dead", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["consumer_groups.id"],
            name=op.f("fk_consumer_group_attempts_group_id_consumer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "partition", "offset", name=op.f("pk_consumer_group_attempts")
        ),
    )
    op.create_table(
        "consumer_group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["consumer_groups.id"],
            name=op.f("fk_consumer_group_members_group_id_consumer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "member", name=op.f("pk_consumer_group_members")),
    )
    op.create_table(
        "consumer_group_partitions",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["consumer_groups.id"],
            name=op.f("fk_consumer_group_partitions_group_id_consumer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "partition", name=op.f("pk_consumer_group_partitions")),
    )


def downgrade() -> None:
    op.drop_table("consumer_group_partitions")
    op.drop_table("consumer_group_members")
    op.drop_table("consumer_group_attempts")
    with op.batch_alter_table("consumer_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumer_groups_topic_id"))
        batch_op.drop_index(batch_op.f("ix_consumer_groups_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_consumer_groups_project_id"))

    op.drop_table("consumer_groups")
