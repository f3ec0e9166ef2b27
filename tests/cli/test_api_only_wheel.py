"""A wheel built where the console is not (``uv tool install .`` or ``pipx install .`` on a
machine without Node) is an API-only install that says so; ``make package`` still
refuses to build a release wheel without the console."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _build(clone: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    return subprocess.run(
        [uv, "build", "--wheel", "--offline", "--out-dir", str(out)],
        cwd=clone,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("TOPICHUB_")}, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.timeout(600)
def test_a_wheel_without_the_built_console_is_api_only_and_says_so(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    assert not (clone / "console" / "dist").exists()

    built = _build(clone, tmp_path / "api-only")
    assert built.returncode == 0, built.stderr[-3000:]
    assert "serves the API only" in built.stderr
    (wheel,) = (tmp_path / "api-only").glob("topichub-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "topichub/app.py" in names
    assert not [name for name in names if name.startswith("topichub/_console/")]

    release = _build(clone, tmp_path / "release", TOPICHUB_WHEEL_CONSOLE="required")
    assert release.returncode != 0
    assert "console/dist is not built" in release.stderr
