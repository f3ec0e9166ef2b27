"""Puts the built web console into the wheel as ``topichub/_console``.

Editable installs (``uv sync``, ``make install``) skip this: there ``topichub serve``
finds ``console/dist`` in the source tree.

A wheel built without ``console/dist`` (``uv tool install .``, ``pipx install .``, ``uv
build`` on a machine without Node) is an API-only install: the build says so and goes
on, and such a server answers browsers at ``/`` with a page saying how to get the
console. ``make package`` sets ``TOPICHUB_WHEEL_CONSOLE=required``: a release wheel
without the console is an error there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

REQUIRED_ENV = "TOPICHUB_WHEEL_CONSOLE"


class ConsoleBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        dist = Path(self.root) / "console" / "dist"
        if (dist / "index.html").is_file():
            build_data["force_include"][str(dist)] = "topichub/_console"
            return
        if os.environ.get(REQUIRED_ENV) == "required":
            raise RuntimeError(
                "console/dist is not built: run `make console` (or `make package`) first"
            )
        self.app.display_warning(
            "topichub: console/dist is not built, so this wheel serves the API only (no web "
            "console at /). For the console, build it first: `make package` (needs Node 20+)."
        )
