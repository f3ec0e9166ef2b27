"""``topichub login`` and its profiles, ``topics``, ``keys`` and ``publish --file`` against
a real server."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import httpx
from typer.testing import CliRunner, Result

from tests.cli.support import account_with_key, cli_env, run_topichub
from tests.scale.support import ServerProcess
from tests.support.factories import PASSWORD, signup
from topichub.cli import app as cli
from topichub_client import AsyncClient, Message


async def _invoke(args: list[str], env: dict[str, str], stdin: str | None = None) -> Result:
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, args, input=stdin, env=env)


async def test_login_saves_a_profile_readable_by_the_user_alone_and_commands_use_it(
    server: ServerProcess, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        account = await signup(client)
    env = {"XDG_CONFIG_HOME": str(tmp_path), "TOPICHUB_URL": "", "TOPICHUB_API_KEY": ""}
    done = await _invoke(
        ["login", "--url", server.url, "--profile", "work", "--email", account.email],
        env,
        stdin=f"{PASSWORD}\n",
    )
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output
    profiles = tmp_path / "topichub" / "profiles.json"
    assert stat.S_IMODE(profiles.stat().st_mode) == 0o600
    saved = json.loads(profiles.read_text())
    assert saved["default"] == "work"
    assert saved["profiles"]["work"]["url"] == server.url
    assert saved["profiles"]["work"]["key"].startswith("thk_")
    # No URL and no key given: both come from the profile.
    listed = run_topichub(["topics", "list"], cli_env(XDG_CONFIG_HOME=str(tmp_path)), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "events" in listed.stdout
    unknown = run_topichub(
        ["topics", "list", "--profile", "nope"],
        cli_env(XDG_CONFIG_HOME=str(tmp_path)),
        cwd=tmp_path,
    )
    assert unknown.returncode == 2
    assert "no profile named 'nope'" in unknown.stderr


async def test_login_with_a_wrong_password_is_one_line_and_saves_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        account = await signup(client)
    done = await _invoke(
        ["login", "--url", server.url, "--email", account.email],
        {"XDG_CONFIG_HOME": str(tmp_path)},
        stdin="Wrong-password-99\n",
    )
    assert done.exit_code == 1
    assert "401:" in done.output
    assert not (tmp_path / "topichub").exists()


async def test_topics_and_keys_commands(server: ServerProcess, tmp_path: Path) -> None:
    _, key = await account_with_key(server)
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
    created = run_topichub(["topics", "create", "orders", "--partitions", "3"], env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "created topic orders (3 partitions)" in created.stderr
    assert "orders" in run_topichub(["topics", "list"], env, cwd=tmp_path).stdout
    again = run_topichub(["topics", "create", "orders"], env, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("409: ")
    published = run_topichub(["publish", "orders", '{"n": 1}', '{"n": 2}'], env, cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    shown = run_topichub(["topics", "stats", "orders"], env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    stats = json.loads(shown.stdout)  # piped: the answer as JSON
    assert stats["messages_retained"] == stats["messages_last_minute"] == 2
    assert len(stats["partitions"]) == 3
    missing = run_topichub(["topics", "stats", "nope"], env, cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith("404: ")
    deleted = run_topichub(["topics", "delete", "orders"], env, cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert "orders" not in run_topichub(["topics", "list"], env, cwd=tmp_path).stdout

    made = run_topichub(["keys", "create", "ci", "--permission", "read"], env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    key_id = made.stderr.split()[2]
    assert secret.startswith("thk_")
    listed = run_topichub(["keys", "list"], env, cwd=tmp_path)
    assert key_id in listed.stdout
    assert secret not in listed.stdout
    revoked = run_topichub(["keys", "revoke", key_id], env, cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    refused = run_topichub(["topics", "list", "--key", secret], env, cwd=tmp_path)
    assert refused.returncode == 1


async def test_publish_file_with_headers_partition_and_key(
    server: ServerProcess, tmp_path: Path
) -> None:
    _, key = await account_with_key(server)
    env = cli_env(TOPICHUB_URL=server.url, TOPICHUB_API_KEY=key)
    assert (
        run_topichub(
            ["topics", "create", "bulk", "--partitions", "2"], env, cwd=tmp_path
        ).returncode
        == 0
    )
    lines = tmp_path / "values.jsonl"
    lines.write_text("\n".join(json.dumps({"i": i}) for i in range(2500)) + "\n\n")
    done = run_topichub(
        [
            "publish",
            "bulk",
            "--file",
            str(lines),
            "--header",
            "source=cli",
            "-H",
            "run=7",
            "--partition",
            "1",
            "--key-name",
            "k",
        ],
        env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "stored 2500 messages (partitions 1)" in done.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ok": 1}\n\n{nope\n')
    refused = run_topichub(["publish", "bulk", "--file", str(bad)], env, cwd=tmp_path)
    assert refused.returncode == 2
    assert "line 3 is not JSON" in refused.stderr
    async with AsyncClient(server.url, api_key=key) as hub:
        async for item in hub.stream("bulk", start="earliest"):
            assert isinstance(item, Message)
            assert (item.value, item.key, item.partition) == ({"i": 0}, "k", 1)
            assert (item.headers["source"], item.headers["run"]) == ("cli", "7")
            break


async def test_login_with_an_existing_key_checks_it_before_saving_it(
    server: ServerProcess, tmp_path: Path
) -> None:
    _, key = await account_with_key(server)
    env = {"XDG_CONFIG_HOME": str(tmp_path), "TOPICHUB_URL": "", "TOPICHUB_API_KEY": ""}
    wrong = await _invoke(["login", "--url", server.url, "--key", "thk_wrong"], env)
    assert wrong.exit_code == 1
    assert not (tmp_path / "topichub").exists()
    done = await _invoke(["login", "--url", server.url, "--key", key, "--profile", "ci"], env)
    assert done.exit_code == 0, done.output
    saved = json.loads((tmp_path / "topichub" / "profiles.json").read_text())
    assert saved["profiles"]["ci"] == {"url": server.url, "key": key}
