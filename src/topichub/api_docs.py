"""``/docs`` (Swagger UI) and ``/redoc`` served from files inside the installed packages.

FastAPI's own pages load their JavaScript and CSS from a CDN, so a server without internet
access (or behind a strict proxy) showed a blank page. The assets ship in the
``fastapi-offline`` wheel; we serve them ourselves under ``/docs/assets`` and build the
pages with FastAPI's helpers so nothing else changes.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from starlette.staticfiles import StaticFiles

ASSETS_URL: Final = "/docs/assets"
ASSETS_DIR: Final = Path(str(files("fastapi_offline") / "static"))

DESCRIPTION: Final = """Multi-tenant event streaming: publish over HTTP, stream over SSE and \
WebSocket, resumable from any point.

**Authenticate** with `Authorization: Bearer <API key or access token>` or `X-API-Key: <key>`
(sign up with `POST /api/v1/auth/signup`, then create a key with `POST /api/v1/api-keys`).
Errors share one envelope:
`{"detail": "<message>", "error": {"code", "message", "details", "request_id", "timestamp"}}`.

**Streams** (SSE `GET /api/v1/topics/{name}/stream`, WebSocket `/api/v1/topics/{name}/ws`,
chat's WebSocket `/api/v1/subscribe/{group_id}`): frames, cursors and close codes are
described in [/docs/streams](/docs/streams), and for machines in
[/asyncapi.json](/asyncapi.json) (AsyncAPI 3.0). OpenAPI cannot describe a WebSocket.
"""

TAGS: Final[list[dict[str, str]]] = [
    {"name": "auth", "description": "Accounts, sign-in, tokens and sessions."},
    {"name": "api-keys", "description": "Keys scoped to a project, with permissions."},
    {"name": "projects", "description": "Projects group topics and keys inside a tenant."},
    {"name": "topics", "description": "The topic registry, publishing, browsing and stats."},
    {
        "name": "streams",
        "description": "Live, resumable streams of a topic: SSE at "
        "`GET /api/v1/topics/{name}/stream` (below) and WebSocket at "
        "`/api/v1/topics/{name}/ws`, which OpenAPI cannot show: its frames and close codes "
        "are on [/docs/streams](/docs/streams) and in [/asyncapi.json](/asyncapi.json).",
    },
    {
        "name": "groups",
        "description": "Consumer groups over HTTP: members poll, commit and nack records of "
        "a topic, each record to one member at a time (docs/groups.md).",
    },
    {"name": "usage", "description": "Your messages and bytes against your plan's quotas."},
    {"name": "todos", "description": "The todo app (seed 002); events go to `todos`."},
    {
        "name": "chat",
        "description": "Group chat (seed 004); events go to `chat`, and members follow a "
        "group live over the WebSocket `/api/v1/subscribe/{group_id}` "
        "([/docs/streams](/docs/streams#chatGroupWebSocket)).",
    },
    {"name": "math", "description": "The calculator app (seed 001); events go to `logs`."},
    {
        "name": "recommendations",
        "description": "The recommender (seed 003); interactions go to `interactions`.",
    },
    {"name": "events", "description": "Every app event of your tenant, as stored by the audit."},
    {"name": "dapr", "description": "Dapr pub/sub subscription for the todo app."},
    {"name": "admin", "description": "Platform administration (admin accounts only)."},
    {"name": "health", "description": "Liveness, readiness and the root status document."},
    {"name": "docs", "description": "Machine-readable descriptions of the API."},
]


def _examples_by_model() -> dict[str, list[Any]]:
    """The ``json_schema_extra`` examples of every model, by the component names FastAPI
    may give its schema: the model's name, or its qualified name when two models share
    one (then the short name is left out: which one is meant is unknown)."""
    found: dict[str, list[list[Any]]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    seen: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        for sub in model.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(examples, list):
            found.setdefault(model.__name__, []).append(examples)
            # The name FastAPI uses when two models share one.
            qualified = f"{model.__module__}.{model.__qualname__}".replace(".", "__")
            found.setdefault(qualified, []).append(examples)
    return {name: lists[0] for name, lists in found.items() if len(lists) == 1}


def _keep_null_examples(app: FastAPI) -> None:
    """FastAPI drops every ``None`` from the document it generates, including the ``null``
    values inside examples (fastapi/fastapi#5559), so an example of a required nullable
    field (``"revoked_at": null``) lost that field and no longer matched its own schema.
    Put the models' examples back as written."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        examples = _examples_by_model()
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            written = examples.get(name.removesuffix("-Input").removesuffix("-Output"))
            if written is not None and "examples" in schema:
                schema["examples"] = jsonable_encoder(written)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_api_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Add the documentation pages to an app created with ``docs_url=None, redoc_url=None``."""
    _keep_null_examples(app)
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    title = f"{app.title} — API"

    # Mounted before the pages so ``/docs/assets/...`` never reaches a route.
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
