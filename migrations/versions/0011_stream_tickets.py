"""used stream tickets, kept across restarts

Revision ID: 0011_stream_tickets
Revises: 0010_app_topics
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_stream_tickets"
down_revision: str | None = "0010_app_topics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_tickets",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_stream_tickets")),
    )
    op.create_index(
        op.f("ix_stream_tickets_expires_at"), "stream_tickets", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stream_tickets_expires_at"), table_name="stream_tickets")
    op.drop_table("stream_tickets")
