"""The web console: the static files built from ``console/`` served at ``/``.

``GET /`` answers browsers (``Accept: text/html``) with the console's ``index.html`` and
every other client with the JSON status it always gave. The console routes with the URL
fragment (``/#/topics``), so none of its pages collides with an API or seed path and a
reload always lands on ``index.html``. Built assets carry a content hash in their names
and are cached for a year; ``index.html`` is revalidated on every load.

The files are looked for in ``TOPICHUB_CONSOLE_DIR``, then inside the installed package
(``topichub/_console``, put there by the wheel build), then in the source tree
(``console/dist``, what ``make run`` builds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PACKAGED: Final = Path(__file__).parent / "_console"
SOURCE_TREE: Final = Path(__file__).resolve().parents[2] / "console" / "dist"

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}

NOT_BUILT: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>topichub</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;">
<h1>topichub is running</h1>
<p>This installation has no web console: it was built without one (an API-only install,
such as <code>uv tool install .</code> on a machine without Node). In a clone of the
repository, <code>make run</code> builds the console when its sources change (or
<code>make console</code>); <code>make package</code> builds a wheel with it inside.</p>
<p>The API documentation is at <a href="/docs">/docs</a>.</p>
</body></html>
"""


class RootOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "topichub running",
                    "name": "topichub",
                    "version": "0.1.0",
                    "docs": "/docs",
                    "console": "/",
                }
            ]
        }
    )

    status: str
    name: str
    version: str
    docs: str = "/docs"
    console: str = "/"


def find_console(configured: Path | None) -> Path | None:
    """The first directory holding a built console, or None."""
    candidates = [configured] if configured else [PACKAGED, SOURCE_TREE]
    for candidate in candidates:
        if candidate is not None and (candidate / "index.html").is_file():
            return candidate
    return None


def wants_html(request: Request) -> bool:
    """True for a browser navigation: ``text/html`` accepted, ahead of JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept


class _ImmutableStaticFiles(StaticFiles):
    """Vite's assets have content-hashed names: safe to cache for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class Console:
    """Serves the built console; mounted by ``create_app``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def mount(self, app: FastAPI) -> None:
        if self.directory is not None and (self.directory / "assets").is_dir():
            app.mount(
                "/assets",
                _ImmutableStaticFiles(directory=self.directory / "assets"),
                name="console-assets",
            )

    def index(self) -> HTMLResponse:
        if self.directory is None:
            return HTMLResponse(NOT_BUILT, headers=HTML_HEADERS)
        html = (self.directory / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=HTML_HEADERS)
