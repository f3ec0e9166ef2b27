"""usage counters: daily messages and bytes per scope and direction

Revision ID: 0003_usage
Revises: 0002_bus_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_usage"
down_revision = "0002_bus_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_counters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages_in", sa.BigInteger(), nullable=False),
        sa.Column("bytes_in", sa.BigInteger(), nullable=False),
        sa.Column("messages_out", sa.BigInteger(), nullable=False),
        sa.Column("bytes_out", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_counters")),
        sa.UniqueConstraint(
            "scope", "scope_id", "day", name=op.f("uq_usage_counters_scope_scope_id_day")
        ),
        sa.CheckConstraint(
            "scope IN ('user', 'project', 'tenant', 'cluster')",
            name=op.f("ck_usage_counters_scope"),
        ),
    )


def downgrade() -> None:
    op.drop_table("usage_counters")
