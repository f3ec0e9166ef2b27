"""api usage: 4xx apart from 5xx, and streams kept out of the latency

Revision ID: 0012_api_usage_split
Revises: 0011_stream_tickets
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_api_usage_split"
down_revision: str | None = "0011_stream_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_usage") as batch:
        batch.add_column(
            sa.Column("client_errors", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("streams", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("api_usage") as batch:
        batch.drop_column("streams")
        batch.drop_column("client_errors")
