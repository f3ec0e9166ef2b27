"""Issue 12.1: bootstrap never hands platform admin to an account whose password it did
not set; only the operator's explicit `topichub admin promote` does, and it takes the
account over."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET, client_for, make_settings, running_app
from tests.support.factories import bearer, create_key, signup, unique_email
from topichub.cli import app as cli

OPERATOR_PASSWORD = "Operator-chosen-secret-91"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": password})


async def test_bootstrap_refuses_to_promote_an_account_it_did_not_create(
    database_url: str, client: httpx.AsyncClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    email = unique_email("ops")
    squatter = await signup(client, email)
    settings = make_settings(
        database_url, tmp_path, admin_email=email, admin_password=OPERATOR_PASSWORD
    )
    with caplog.at_level(logging.WARNING, logger="topichub.accounts.bootstrap"):
        async with running_app(settings) as app, client_for(app) as admin_client:
            own = await _login(admin_client, email, squatter.password)
            assert own.status_code == 200
            assert own.json()["user"]["is_platform_admin"] is False
            assert (await _login(admin_client, email, OPERATOR_PASSWORD)).status_code == 401
            admin_only = await admin_client.get(
                "/api/admin/tenants", headers=bearer(own.json()["access_token"])
            )
            assert admin_only.status_code == 403
    warning = "\n".join(r.getMessage() for r in caplog.records)
    assert "NOT promoted" in warning
    assert "topichub admin promote" in warning
    assert OPERATOR_PASSWORD not in warning
    assert squatter.password not in warning


async def test_admin_promote_takes_the_account_over(
    database_url: str,
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = unique_email("ops")
    squatter = await signup(client, email)
    key = await create_key(client, squatter)
    for name, value in {
        "TOPICHUB_DATABASE_URL": database_url,
        "TOPICHUB_DATA_DIR": str(tmp_path),
        "TOPICHUB_JWT_SECRET": TEST_SECRET,
        "TOPICHUB_ADMIN_PASSWORD": OPERATOR_PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["admin", "promote", "--email", email]
    )
    assert result.exit_code == 0, result.output
    assert OPERATOR_PASSWORD not in result.output

    assert (await client.get("/auth/me", headers=squatter.headers)).status_code == 401
    assert (await client.get("/topics", headers=bearer(key["key"]))).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": squatter.refresh_token})
    assert refreshed.status_code == 401
    assert (await _login(client, email, squatter.password)).status_code == 401
    operator = await _login(client, email, OPERATOR_PASSWORD)
    assert operator.status_code == 200
    assert operator.json()["user"]["is_platform_admin"] is True


async def test_admin_promote_of_an_unknown_login_fails_cleanly(
    database_url: str, app: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `app` migrates the database: admin commands open an existing one, never create it.
    monkeypatch.setenv("TOPICHUB_DATABASE_URL", database_url)
    monkeypatch.setenv("TOPICHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOPICHUB_JWT_SECRET", TEST_SECRET)
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["admin", "promote", "--email", unique_email("nobody"), "--keep-password"],
    )
    assert result.exit_code == 1
    assert "no account" in result.output
