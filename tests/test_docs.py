"""The documentation points at things that exist in this repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# `docs/x.md`, `src/topichub/...`, `deploy/...`, `recommend/model.py` in backticks.
PATH_IN_BACKTICKS = re.compile(r"`((?:\.\./)?[\w./-]+/[\w.-]+\.(?:md|py|yaml|yml|ts|mjs|json))`")
PACKAGE_DIRS = [ROOT, ROOT / "src" / "topichub", ROOT / "console"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_file_a_document_names_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    assert "../shared" not in text, "points outside the repository"
    missing = [
        path
        for path in PATH_IN_BACKTICKS.findall(text)
        if not any((base / path).exists() for base in PACKAGE_DIRS)
    ]
    assert missing == [], f"{document.name} names files that do not exist"


def test_console_npm_scripts_name_files_that_exist() -> None:
    scripts = json.loads((ROOT / "console" / "package.json").read_text())["scripts"]
    for name, command in scripts.items():
        for path in re.findall(r"(scripts/[\w.-]+)", command):
            assert (ROOT / "console" / path).exists(), f"npm run {name}: {path} is missing"
