"""Typed errors from a real server's error envelope. This module's server confirms no
publish in time (a 503 whose outcome is unknown) and throttles failed logins early."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.support import account_with_key, topichub_server
from tests.scale.support import ServerProcess
from topichub_client import (
    AsyncClient,
    AuthenticationFailed,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    Unavailable,
    ValidationFailed,
)


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    async with topichub_server(
        "sqlite",
        tmp_path_factory.mktemp("errors"),
        publish_timeout_s="0.000001",
        login_attempts_per_minute="2",
    ) as process:
        yield process


async def test_401_403_404_413_422_are_typed(server: ServerProcess) -> None:
    _, key = await account_with_key(server)
    async with AsyncClient(server.url, api_key="thk_not-a-key") as stranger:
        with pytest.raises(AuthenticationFailed) as unauthenticated:
            await stranger.list_topics()
    assert unauthenticated.value.status_code == 401
    assert unauthenticated.value.code == "AUTHENTICATION_FAILED"
    async with AsyncClient(server.url, api_key=key) as hub:
        reader = await hub.create_key("reader", ["read"])
        with pytest.raises(NotFound) as missing:
            await hub.publish("no-such-topic", [1])
        assert missing.value.request_id
        with pytest.raises(PayloadTooLarge):
            await hub.publish("events", ["x" * 70_000])
        with pytest.raises(ValidationFailed) as invalid:
            await hub.create_topic("not a name!")
        assert invalid.value.details
    async with AsyncClient(server.url, api_key=reader["key"]) as read_only:
        with pytest.raises(Forbidden):
            await read_only.publish("events", [1], batch_size=1)


async def test_429_carries_retry_after(server: ServerProcess) -> None:
    account, _ = await account_with_key(server)
    async with AsyncClient(server.url) as hub:
        for _ in range(2):  # the allowance of this server
            with pytest.raises(AuthenticationFailed):
                await hub.sign_in(account.email, "wrong-password-1")
        with pytest.raises(RateLimited) as throttled:
            await hub.sign_in(account.email, "wrong-password-1")
    assert throttled.value.status_code == 429
    assert throttled.value.retry_after is not None
    assert throttled.value.retry_after > 0


async def test_503_says_the_outcome_is_unknown_after_the_retries(server: ServerProcess) -> None:
    _, key = await account_with_key(server)
    async with AsyncClient(server.url, api_key=key, max_retries=1) as hub:
        with pytest.raises(Unavailable) as unavailable:
            await hub.publish("events", [1])
    assert unavailable.value.status_code == 503
    assert unavailable.value.details == {"outcome": "unknown"}
    assert unavailable.value.retry_after == 2


async def test_a_used_up_daily_quota_is_quota_exceeded_and_not_retried(tmp_path: Path) -> None:
    async with topichub_server("sqlite", tmp_path, quota_user_messages_per_day="1") as quota:
        _, key = await account_with_key(quota)
        async with AsyncClient(quota.url, api_key=key) as hub:
            await hub.publish("events", [1])
            with pytest.raises(QuotaExceeded) as exceeded:
                await hub.publish("events", [2])
    assert exceeded.value.status_code == 429
    assert exceeded.value.code == "QUOTA_EXCEEDED"
    assert exceeded.value.retry_after is not None
    assert exceeded.value.retry_after > 0
