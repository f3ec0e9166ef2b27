"""``topichub admin``: validates like the API, asks for passwords hidden, and never creates
a database it was merely pointed at."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.support.factories import PASSWORD, unique_email
from topichub.cli import app as cli


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "TOPICHUB_DATABASE_URL": database_url,
        "TOPICHUB_DATA_DIR": str(data_dir),
        "TOPICHUB_JWT_SECRET": TEST_SECRET,
        "TOPICHUB_MIGRATE_ON_START": "true",
    }


async def test_create_user_refuses_an_email_the_api_refuses(
    database_url: str, tmp_path: Path, app: object
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["admin", "create-user", "--email", "notanemail"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=_env(database_url, tmp_path),
    )
    assert result.exit_code == 2, result.output
    assert "invalid email" in result.output


async def test_create_user_asks_for_the_password_hidden_and_takes_none_as_argument(
    database_url: str, tmp_path: Path, app: object
) -> None:
    email = unique_email("op")
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["admin", "create-user", "--email", email],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=_env(database_url, tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert f"created user {email}" in result.output
    assert PASSWORD not in result.output  # the prompt echoed nothing
    assert "database: " in result.output
    as_argument = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["admin", "create-user", "--email", unique_email("op"), "--password", PASSWORD],
        env=_env(database_url, tmp_path),
    )
    assert as_argument.exit_code == 2
    assert "No such option" in as_argument.output


async def test_create_user_applies_the_password_policy(
    database_url: str, tmp_path: Path, app: object
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["admin", "create-user", "--email", unique_email("op")],
        input="short\nshort\n",
        env=_env(database_url, tmp_path),
    )
    assert result.exit_code == 2, result.output
    assert "invalid password" in result.output


async def test_list_users_names_the_database_it_opened(
    database_url: str, tmp_path: Path, app: object
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["admin", "list-users"], env=_env(database_url, tmp_path)
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(("database: SQLite file ", "database: PostgreSQL"))


def test_list_users_refuses_to_create_a_sqlite_database_that_does_not_exist(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(
        cli,
        ["admin", "list-users"],
        env={"TOPICHUB_DATA_DIR": str(tmp_path / "nothing"), "TOPICHUB_DATABASE_URL": ""},
    )
    assert result.exit_code == 1
    assert f"no database at {(tmp_path / 'nothing' / 'topichub.db').resolve()}" in result.output
    assert not (tmp_path / "nothing").exists()


@pytest.mark.postgres
def test_list_users_says_when_a_postgresql_database_does_not_exist(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["admin", "list-users"],
        env={
            "TOPICHUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/th_no_such_db",
            "TOPICHUB_DATA_DIR": str(tmp_path),
        },
    )
    assert result.exit_code == 1, result.output
    assert "cannot open PostgreSQL" in result.output
    assert "th_no_such_db" in result.output
    assert "Traceback" not in result.output
