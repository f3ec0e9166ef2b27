"""chat invitations: adding a member from outside one's tenant invites by email

Revision ID: 0016_chat_invitations
Revises: 0015_topic_schemas
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_chat_invitations"
down_revision: str | None = "0015_topic_schemas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_invitations",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_groups.id"],
            name=op.f("fk_chat_invitations_group_id_chat_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_chat_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_invitations")),
    )
    op.create_index(
        op.f("ix_chat_invitations_group_id"), "chat_invitations", ["group_id"], unique=False
    )
    op.create_index(
        "ix_chat_invitations_email_status", "chat_invitations", ["email", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_chat_invitations_email_status", table_name="chat_invitations")
    op.drop_index(op.f("ix_chat_invitations_group_id"), table_name="chat_invitations")
    op.drop_table("chat_invitations")
