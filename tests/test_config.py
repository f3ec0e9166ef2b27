"""Configuration rules: production refuses unsafe settings; scale-out needs shared engines."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from topichub import cli, settings_doc
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


def test_every_setting_is_described() -> None:
    undescribed = [name for name, f in Settings.model_fields.items() if not f.description]
    assert undescribed == [], "give each of these a docstring in config.py"


def test_the_readmes_settings_table_is_generated_from_settings() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    _head, _start, rest = readme.partition(settings_doc.START)
    documented, _end, _tail = rest.partition(settings_doc.END)
    assert documented.strip() == settings_doc.settings_table(), (
        "README's settings table is stale: run `make settings-doc` and commit README.md"
    )


def test_topichub_config_prints_the_settings_in_effect_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = secrets.token_urlsafe(48)
    monkeypatch.setenv("TOPICHUB_JWT_SECRET", secret)
    monkeypatch.setenv("TOPICHUB_MAX_STREAMS_PER_USER", "7")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(cli.app, ["config"])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.output.splitlines()
        if line.count("│") == 3
    }
    assert rows["TOPICHUB_JWT_SECRET"] == settings_doc.MASK
    assert rows["TOPICHUB_MAX_STREAMS_PER_USER"] == "7"
    assert set(rows) == {settings_doc.env_name(name) for name in Settings.model_fields}
