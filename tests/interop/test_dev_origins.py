"""Issue 15 item 9: the console's Vite dev server may call a development server; a
production server stays closed to browsers until an operator names their origins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET, client_for, make_settings, running_app
from topichub.config import VITE_DEV_ORIGINS, Settings

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/db.sqlite"


@pytest.mark.parametrize("origin", VITE_DEV_ORIGINS)
async def test_development_allows_the_vite_dev_origins_by_default(
    tmp_path: Path, origin: str
) -> None:
    async with running_app(make_settings(_db(tmp_path), tmp_path)) as app, client_for(app) as c:
        preflight = await c.options("/auth/login", headers={"Origin": origin, **PREFLIGHT})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        simple = await c.get("/health", headers={"Origin": origin})
        assert simple.headers["access-control-allow-origin"] == origin
        other = await c.get("/health", headers={"Origin": "http://localhost:3000"})
        assert "access-control-allow-origin" not in other.headers


async def test_production_stays_closed_unless_configured(tmp_path: Path) -> None:
    settings = make_settings(_db(tmp_path), tmp_path, env="production")
    assert settings.cors_origins == []
    async with running_app(settings) as app, client_for(app) as c:
        answer = await c.get("/health", headers={"Origin": VITE_DEV_ORIGINS[0]})
        assert "access-control-allow-origin" not in answer.headers


def test_configured_origins_replace_the_development_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TOPICHUB_CORS_ORIGINS", '["https://console.example.com"]')
    assert Settings(data_dir=tmp_path).cors_origins == ["https://console.example.com"]
    monkeypatch.setenv("TOPICHUB_CORS_ORIGINS", "[]")
    assert Settings(data_dir=tmp_path).cors_origins == []
    monkeypatch.delenv("TOPICHUB_CORS_ORIGINS")
    assert Settings(data_dir=tmp_path).cors_origins == list(VITE_DEV_ORIGINS)
    production = Settings(data_dir=tmp_path, env="production", jwt_secret=TEST_SECRET)
    assert production.cors_origins == []
