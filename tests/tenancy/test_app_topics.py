"""Every account has its apps' topics from sign-up: watch first, then act."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import delete

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import signup
from tests.support.server import serving, sse
from topichub.kit.migrations import alembic_config
from topichub.models import Topic

APP_TOPICS = {"chat", "interactions", "logs", "todos"}


async def test_a_stream_on_an_app_topic_opened_before_the_first_event_gets_it(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    async with sse(http, "/topics/todos/stream", headers=account.headers) as stream:
        await asyncio.sleep(0.2)  # the stream is live before the todo exists
        created = await http.post(
            "/todos", json={"title": "watch, then act"}, headers=account.headers
        )
        assert created.status_code == 201, created.text
        event = await stream.next(timeout=15)
    assert event.json()["value"]["event"] == "todo_created"
    assert event.json()["value"]["id"] == created.json()["id"]


async def test_app_topics_do_not_count_against_the_topic_limit(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, max_topics_per_project=2
    )
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        created = await client.post(
            "/api/v1/topics", json={"name": "orders"}, headers=account.headers
        )
        assert created.status_code == 201, created.text
        refused = await client.post(
            "/api/v1/topics", json={"name": "returns"}, headers=account.headers
        )
        assert refused.status_code == 409, refused.text


async def test_the_migration_gives_existing_accounts_their_app_topics(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite"
    settings = make_settings(url, tmp_path)
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        engine = app.state.resources.engine
        # An account from before the migration: only its `events` topic.
        async with engine.begin() as connection:
            await connection.execute(delete(Topic).where(Topic.name.in_(APP_TOPICS)))

            def down_and_up(sync_connection: object) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = sync_connection
                command.downgrade(config, "0009_topic_partitioner")
                command.upgrade(config, "head")

            await connection.run_sync(down_and_up)
        async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
            listed = await http.get("/api/v1/topics", headers=account.headers)
            assert {t["name"] for t in listed.json()["topics"]} == {"events"} | APP_TOPICS
            async with sse(http, "/topics/logs/stream", headers=account.headers):
                pass
