"""api usage metering per tenant and day

Revision ID: 0007_api_usage
Revises: 0006_recommend
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_api_usage"
down_revision: str | None = "0006_recommend"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_usage",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("api_calls", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_total", sa.BigInteger(), nullable=False),
        sa.Column("recommendations", sa.BigInteger(), nullable=False),
        sa.Column("items_indexed", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_usage_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_usage")),
        sa.UniqueConstraint("tenant_id", "day", name=op.f("uq_api_usage_tenant_id_day")),
    )


def downgrade() -> None:
    op.drop_table("api_usage")
