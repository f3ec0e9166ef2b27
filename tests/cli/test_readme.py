"""The README's command-line and Python examples work as written, against a real server."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli.support import account_with_key, cli_env
from tests.scale.support import TOPICHUB, ServerProcess
from tests.support.factories import PASSWORD, signup

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_lines(pattern: str) -> list[str]:
    return [line for line in README.read_text().splitlines() if re.match(pattern, line)]


def _block(heading: str, language: str) -> str:
    """The first ```language block after ``heading``."""
    text = README.read_text()
    start = text.index(f"\n{heading}\n")
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(text, start)
    assert match, f"no {language} block after {heading}"
    return match.group(1)


async def test_the_readme_publish_example_runs_as_written(
    server: ServerProcess, tmp_path: Path
) -> None:
    (line,) = _readme_lines(r"uv run topichub publish events ")
    command = line.split("#", 1)[0].strip()
    _, key = await account_with_key(server)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=README.parent,
        env=cli_env(KEY=key, TOPICHUB_URL=server.url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "stored at partition" in done.stderr


async def test_the_readme_command_line_and_python_walkthroughs_run(
    server: ServerProcess, tmp_path: Path
) -> None:
    commands = [
        line.split("  #", 1)[0].strip()
        for line in _block("### With the command line", "bash").splitlines()
        if line.strip()
    ]
    login, *rest, tail = commands
    email = re.search(r"--email (\S+)", login)
    assert email
    async with httpx.AsyncClient(base_url=server.url) as client:
        await signup(client, email.group(1))
    # Only the port of the local server is given: URL and key come from login's profile.
    env = cli_env(TOPICHUB_PORT=str(server.port), XDG_CONFIG_HOME=str(tmp_path / "config"))

    def run(command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command.replace("uv run topichub", TOPICHUB)],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=True,  # no terminal: the hidden prompt reads stdin
        )

    logged_in = run(login, stdin=f"{PASSWORD}\n")
    assert logged_in.returncode == 0, logged_in.stderr
    for command in rest:
        done = run(command)
        assert done.returncode == 0, (command, done.stderr)
    with subprocess.Popen(
        ["bash", "-c", f"exec {tail.replace('uv run topichub', TOPICHUB)}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as tailing:
        try:
            assert tailing.stdout is not None
            first, second = (json.loads(tailing.stdout.readline()) for _ in range(2))
            tailing.send_signal(signal.SIGINT)
            _, err = tailing.communicate(timeout=30)
        finally:
            tailing.kill()
    assert tailing.returncode == 0, err
    assert {first["value"]["n"], second["value"]["n"]} == {1, 2}
    assert first["headers"]["source"] == "readme"
    assert first["key"] == "user-7"

    profile = json.loads((tmp_path / "config" / "topichub" / "profiles.json").read_text())
    code = (
        _block("### With Python", "python")
        .replace("http://127.0.0.1:8000", server.url)
        .replace("thk_...", profile["profiles"]["default"]["key"])
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Message(") == 3, done.stdout
