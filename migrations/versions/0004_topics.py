"""topics registry

Revision ID: 0004_topics
Revises: 0003_usage
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_topics"
down_revision: str | None = "0003_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("physical_name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column("retention_ms", sa.BigInteger(), nullable=True),
        sa.Column("retention_bytes", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_topics_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_topics_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("physical_name", name=op.f("uq_topics_physical_name")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_topics_project_id_name")),
    )
    op.create_index(op.f("ix_topics_project_id"), "topics", ["project_id"], unique=False)
    op.create_index(op.f("ix_topics_tenant_id"), "topics", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_topics_tenant_id"), table_name="topics")
    op.drop_index(op.f("ix_topics_project_id"), table_name="topics")
    op.drop_table("topics")
