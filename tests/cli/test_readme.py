"""The README's command-line examples work as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.cli.support import account_with_key, cli_env
from tests.scale.support import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_lines(pattern: str) -> list[str]:
    return [line for line in README.read_text().splitlines() if re.match(pattern, line)]


async def test_the_readme_publish_example_runs_as_written(
    server: ServerProcess, tmp_path: Path
) -> None:
    (line,) = _readme_lines(r"uv run topichub publish ")
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
