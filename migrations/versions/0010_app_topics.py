"""every default project has the apps' topics (todos, chat, logs, interactions)

Accounts created before this revision got an app topic on its first event, so a stream
opened before that answered 404. New accounts get them at sign-up; this gives them to
existing ones. Their log topics are created on first use (a stream open or an event).

Revision ID: 0010_app_topics
Revises: 0009_topic_partitioner
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010_app_topics"
down_revision: str | None = "0009_topic_partitioner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_TOPICS = ("chat", "interactions", "logs", "todos")

projects = sa.table(
    "projects",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("is_default", sa.Boolean()),
)
topics = sa.table(
    "topics",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("project_id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("physical_name", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("partitions", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    connection = op.get_bind()
    existing = {
        (project_id, name)
        for project_id, name in connection.execute(
            sa.select(topics.c.project_id, topics.c.name).where(topics.c.name.in_(APP_TOPICS))
        )
    }
    now = datetime.now(UTC)
    rows = []
    for project_id, tenant_id in connection.execute(
        sa.select(projects.c.id, projects.c.tenant_id).where(projects.c.is_default.is_(True))
    ):
        for name in APP_TOPICS:
            if (project_id, name) in existing:
                continue
            topic_id = uuid.uuid4()
            rows.append(
                {
                    "id": topic_id,
                    "tenant_id": tenant_id,
                    "project_id": project_id,
                    "name": name,
                    "physical_name": f"th.app.{topic_id.hex}",
                    "kind": "app",
                    "partitions": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if rows:
        op.bulk_insert(topics, rows)


def downgrade() -> None:
    # The topics may hold events by now: they stay.
    pass
