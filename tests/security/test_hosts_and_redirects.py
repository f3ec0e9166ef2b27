"""Issue 12.15: a redirect never sends a client to the host its request named (the
``Host`` header is the attacker's), and ``TOPICHUB_ALLOWED_HOSTS`` refuses other hosts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import client_for, make_settings, running_app


async def test_redirects_are_relative_whatever_the_host_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/send-message", headers={"Host": "evil.example"})
    assert response.status_code in {307, 308}
    location = response.headers["location"]
    assert location.startswith("/"), location
    assert not location.startswith("//"), location
    assert "evil.example" not in location


async def test_only_allowed_hosts_are_answered(own_database_url: str, tmp_path: Path) -> None:
    settings = make_settings(own_database_url, tmp_path, allowed_hosts=["api.example.com"])
    async with running_app(settings) as app, client_for(app) as client:
        refused = await client.get("/health", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        answered = await client.get("/health", headers={"Host": "api.example.com"})
        assert answered.status_code == 200
