"""topics choose how keys map to partitions

Revision ID: 0009_topic_partitioner
Revises: 0008_idempotency
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_topic_partitioner"
down_revision: str | None = "0008_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("topics") as batch:
        batch.add_column(
            sa.Column("partitioner", sa.String(length=24), nullable=False, server_default="murmur2")
        )


def downgrade() -> None:
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("partitioner")
