"""usernames are unique whatever their case

Revision ID: 0013_username_case
Revises: 0012_api_usage_split
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_username_case"
down_revision: str | None = "0012_api_usage_split"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT lower(username) FROM users WHERE username IS NOT NULL "
                "GROUP BY lower(username) HAVING count(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if clashes:
        # Renaming someone's account is not a migration's call: the operator decides.
        raise RuntimeError(
            "usernames that differ only in case must be made distinct before upgrading "
            f"(rename all but one of each): {', '.join(sorted(clashes))}"
        )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_username_lower", table_name="users")
