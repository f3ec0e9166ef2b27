"""Configuration rules: production refuses unsafe settings; scale-out needs shared engines."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from topichub.config import ConfigError, Settings

STRONG = secrets.token_urlsafe(48)


def test_production_requires_a_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET is required"):
        Settings(env="production")


@pytest.mark.parametrize("secret", ["secret", "short-but-not-32-bytes", "changeme"])
def test_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="too weak"):
        Settings(jwt_secret=secret)


def test_production_refuses_demo_data() -> None:
    with pytest.raises(ValidationError, match="DEMO"):
        Settings(env="production", jwt_secret=STRONG, demo=True)


def test_development_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret_key()
    second = Settings(data_dir=tmp_path).secret_key()
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0


def test_several_workers_need_shared_engines() -> None:
    with pytest.raises(ConfigError) as error:
        Settings(workers=2).check_scale_out()
    message = str(error.value)
    assert "PostgreSQL" in message
    assert "KAFKA_BOOTSTRAP_SERVERS" in message
    assert "REDIS_URL" in message
    Settings(
        workers=2,
        database_url="postgresql+asyncpg://db/topichub",
        kafka_bootstrap_servers="kafka:9092",
        redis_url="redis://redis:6379/0",
    ).check_scale_out()


def test_environment_variables_use_the_topichub_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPICHUB_PORT", "9001")
    monkeypatch.setenv("TOPICHUB_HOST", "0.0.0.0")
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 9001)
