"""Operator bootstrap, demo users only on request, and login throttling."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD, signup


async def test_demo_users_exist_only_when_asked_for(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite"
    async with running_app(make_settings(url, tmp_path)) as app, client_for(app) as client:
        response = await client.post(
            "/auth/login", params={"username": "admin", "password": "admin123"}
        )
        assert response.status_code == 401
    demo = make_settings(url, tmp_path, demo=True)
    async with running_app(demo) as app, client_for(app) as client:
        for username, password in (("admin", "admin123"), ("user", "user123"), ("demo", "demo123")):
            response = await client.post(
                "/auth/login", params={"username": username, "password": password}
            )
            assert response.status_code == 200, username
            assert response.json()["user"]["is_platform_admin"] is False


async def test_admin_bootstrap_creates_then_keeps_the_admin(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite"
    settings = make_settings(url, tmp_path, admin_email="ops@example.com", admin_password=PASSWORD)
    for _ in range(2):
        async with running_app(settings) as app, client_for(app) as client:
            response = await client.post(
                "/auth/login", json={"email": "ops@example.com", "password": PASSWORD}
            )
            assert response.status_code == 200
            assert response.json()["user"]["is_platform_admin"] is True


async def test_repeated_failed_logins_are_throttled(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite"
    settings = make_settings(url, tmp_path, login_attempts_per_minute=3)
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        for _ in range(3):
            failed = await client.post(
                "/auth/login", json={"email": account.email, "password": "Wrong-pass-123"}
            )
            assert failed.status_code == 401
        throttled = await client.post(
            "/auth/login", json={"email": account.email, "password": PASSWORD}
        )
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) >= 1
        assert throttled.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


async def test_login_throttle_keys_carry_the_deployment_prefix(redis_url: str) -> None:
    import uuid

    import redis.asyncio as aioredis

    from topichub.identity.throttle import LoginThrottle

    prefix = f"th-test-{uuid.uuid4().hex[:8]}:login"
    throttle = LoginThrottle(
        per_account=2, per_address=100, storage_uri=redis_url, key_prefix=prefix
    )
    await throttle.failed("Someone@Example.com")
    await throttle.failed("someone@example.com")
    assert await throttle.check("someone@example.com", "10.0.0.1") is not None
    client = aioredis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert keys, "no key under the deployment's prefix"
        assert not [key async for key in client.scan_iter(match="LIMITS:login*")]
        await client.delete(*keys)
    finally:
        await client.aclose()
        await throttle.aclose()
