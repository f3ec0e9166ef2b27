"""Issue 12.14: ``/metrics`` is not public in production. With a metrics token the
scraper must present it; in production without one the endpoint does not exist."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import bearer

METRICS_TOKEN = "scraper-token-8d1f63e2a9b04c7f"


async def test_production_without_a_metrics_token_has_no_metrics(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(own_database_url, tmp_path, env="production")
    async with running_app(settings) as app, client_for(app) as client:
        response = await client.get("/metrics")
        assert response.status_code == 404
        assert "topichub_" not in response.text


async def test_a_metrics_token_is_required_once_set(own_database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        own_database_url, tmp_path, env="production", metrics_token=METRICS_TOKEN
    )
    async with running_app(settings) as app, client_for(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers=bearer("wrong"))).status_code == 401
        scraped = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert scraped.status_code == 200
        assert "topichub_" in scraped.text
