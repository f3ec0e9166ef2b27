"""Issue 12.5: every message an app puts on the log counts against its tenant's daily
quotas like a publish does, and a refused write changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import signup


async def test_app_writes_count_against_the_daily_message_quota(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(own_database_url, tmp_path, quota_user_messages_per_day=3)
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        for n in range(3):
            created = await client.post(
                "/todos", json={"title": f"todo {n}"}, headers=account.headers
            )
            assert created.status_code == 201, created.text
        refused = await client.post(
            "/todos", json={"title": "one too many"}, headers=account.headers
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "QUOTA_EXCEEDED"
        assert "retry-after" in refused.headers
        todos = await client.get("/todos", headers=account.headers)
        assert "one too many" not in todos.text
        publish = await client.post(
            "/topics/events/publish", json={"messages": [{"value": 1}]}, headers=account.headers
        )
        assert publish.status_code == 429


async def test_a_batch_of_interactions_over_the_quota_is_refused_whole(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(own_database_url, tmp_path, quota_user_messages_per_day=10)
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        batch = [
            {"user_id": f"u{n}", "item_id": "i1", "interaction_type": "view"} for n in range(11)
        ]
        refused = await client.post(
            "/api/v1/interactions", json={"interactions": batch}, headers=account.headers
        )
        assert refused.status_code == 429, refused.text
        fits = await client.post(
            "/api/v1/interactions", json={"interactions": batch[:10]}, headers=account.headers
        )
        assert fits.status_code == 200, fits.text
