"""Issue 12.4: the login throttle counts per account, however the account is named:
padding, case, or its username instead of its email do not start a fresh count."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD


async def test_lockout_holds_for_every_name_of_the_account(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(own_database_url, tmp_path, login_attempts_per_minute=3)
    async with running_app(settings) as app, client_for(app) as client:
        created = await client.post(
            "/register",
            json={"username": "throttled_user", "email": "user@x.example", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        for _ in range(3):
            failed = await client.post(
                "/auth/login", json={"email": "user@x.example", "password": "Wrong-pass-123"}
            )
            assert failed.status_code == 401
        for login in ("   user@x.example", "USER@X.example  ", "throttled_user"):
            response = await client.post(
                "/auth/login", json={"username": login, "password": PASSWORD}
            )
            assert response.status_code == 429, login
            assert int(response.headers["retry-after"]) >= 1
