"""topics can have a JSON Schema, versioned

Revision ID: 0015_topic_schemas
Revises: 0014_consumer_groups
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_topic_schemas"
down_revision: str | None = "0014_consumer_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_schemas",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_topic_schemas_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_topic_schemas_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_schemas")),
        sa.UniqueConstraint("topic_id", "version", name=op.f("uq_topic_schemas_topic_id_version")),
    )
    op.create_index(
        op.f("ix_topic_schemas_tenant_id"), "topic_schemas", ["tenant_id"], unique=False
    )
    with op.batch_alter_table("topics") as batch:
        batch.add_column(sa.Column("schema_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("schema_version")
    op.drop_index(op.f("ix_topic_schemas_tenant_id"), table_name="topic_schemas")
    op.drop_table("topic_schemas")
