"""The README's `make run` on machines that lack what the web console needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make(target: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(shutil.which("make")), "--no-print-directory", target],
        cwd=ROOT,
        env={"PATH": str(path), "HOME": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_node_the_api_starts_with_a_one_line_hint(tmp_path: Path) -> None:
    done = _make("console-if-node", tmp_path)  # a PATH with neither node nor npm
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    assert "starting the API without the web console" in lines[0]
    assert "Node.js >= 20.19" in lines[0]


def test_with_an_old_node_the_api_starts_with_a_one_line_hint(tmp_path: Path) -> None:
    for tool, script in {
        "node": 'case "$1" in --version) echo v18.0.0;; *) exit 1;; esac',
        "npm": "exit 0",
    }.items():
        fake = tmp_path / tool
        fake.write_text(f"#!/bin/sh\n{script}\n")
        fake.chmod(0o755)
    done = _make("console-if-node", Path(f"{tmp_path}:/usr/bin:/bin"))
    assert done.returncode == 0, done.stderr
    assert "Node.js v18.0.0 is older than 20.19" in done.stdout


def test_make_run_installs_the_runtime_dependencies_only() -> None:
    plan = subprocess.run(
        [str(shutil.which("make")), "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "sync --frozen --no-dev" in plan
    assert ".venv/bin/topichub serve" in plan
