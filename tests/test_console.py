"""The built web console at ``/``: HTML for browsers, JSON for everyone else."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import client_for, make_settings, running_app
from topichub.console import find_console

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script>'


@pytest.fixture
def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX + "</head><body><div id=root></div></body></html>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log('topichub')")
    return dist


async def _client(tmp_path: Path, console_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    settings = make_settings(url, tmp_path / "data", console_dir=console_dir)
    async with running_app(settings) as app, client_for(app) as client:
        yield client


@pytest.fixture
async def console(tmp_path: Path, built: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(tmp_path, built):
        yield client


async def test_browsers_get_the_console(console: httpx.AsyncClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await console.get("/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<div id=root>" in response.text
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


async def test_api_clients_still_get_json(console: httpx.AsyncClient) -> None:
    for accept in (None, "application/json", "*/*"):
        headers = {"Accept": accept} if accept else {}
        response = await console.get("/", headers=headers)
        assert response.json()["docs"] == "/docs", accept


async def test_assets_are_served_and_cached_for_good(console: httpx.AsyncClient) -> None:
    response = await console.get("/assets/app-1a2b.js")
    assert response.status_code == 200
    assert "topichub" in response.text
    assert "immutable" in response.headers["cache-control"]
    missing = await console.get("/assets/nope.js")
    assert missing.status_code == 404
    assert "error" in missing.json()
    escape = await console.get("/assets/..%2F..%2Findex.html")
    assert escape.status_code == 404


async def test_an_unbuilt_console_explains_itself(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    async for client in _client(tmp_path, empty):
        response = await client.get("/", headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert "make run" in response.text
        assert "/docs" in response.text


def test_console_is_found_in_the_configured_directory_first(built: Path, tmp_path: Path) -> None:
    assert find_console(built) == built
    assert find_console(tmp_path / "nowhere") is None


def test_openapi_command_writes_the_document_the_console_client_is_generated_from(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from topichub.cli import app as cli

    target = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "-o", str(target)])
    assert result.exit_code == 0, result.output
    spec = json.loads(target.read_text())
    assert "/api/v1/topics/{name}/publish" in spec["paths"]
    # Stable output: the check in `make test` compares generated clients byte for byte.
    result = CliRunner().invoke(cli, ["openapi", "-o", str(tmp_path / "again.json")])
    assert (tmp_path / "again.json").read_text() == target.read_text()
