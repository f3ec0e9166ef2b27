"""``uv tool install`` of a fresh clone gives a working ``topichub`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_uv_tool_install_of_a_fresh_clone_lists_the_commands(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TOPICHUB_", "VIRTUAL_ENV"))},
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
    }
    # `uv tool install` resolves afresh and ignores uv.lock, so the lock's versions are given
    # as constraints: the tool gets what `make install` tested. Not --offline: resolving
    # needs each wheel's metadata, which uv's cache need not hold even when it holds the
    # wheel; the package registry is reachable wherever `make test` installs its tools.
    constraints = tmp_path / "constraints.txt"
    subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--no-emit-package",
            "topichub-client",
            "-o",
            str(constraints),
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    installed = subprocess.run(
        [uv, "tool", "install", "--editable", ".", "-c", str(constraints)],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    shown = subprocess.run(
        [str(tmp_path / "bin" / "topichub"), "--help"],
        env={**env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for command in ("login", "publish", "tail", "topics", "keys", "serve", "admin"):
        assert f" {command} " in shown.stdout, shown.stdout
    assert "Exit codes" in shown.stdout


def test_the_sdk_builds_a_wheel(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run(
        [uv, "build", "--offline", "--quiet", "--out-dir", str(tmp_path), "clients/python"],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("topichub_client-*-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "topichub_client/py.typed" in names
    assert "topichub_client/client.py" in names
