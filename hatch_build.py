"""Puts the built web console into the wheel as ``topichub/_console``.

Editable installs (``uv sync``, ``make install``) skip this: there ``topichub serve``
finds ``console/dist`` in the source tree. A wheel needs the console built first
(``make package`` does both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ConsoleBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        dist = Path(self.root) / "console" / "dist"
        if not (dist / "index.html").is_file():
            raise RuntimeError(
                "console/dist is not built: run `make console` (or `make package`) first"
            )
        build_data["force_include"][str(dist)] = "topichub/_console"
