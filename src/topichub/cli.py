"""``topichub`` command line: serve, migrate, admin tasks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from topichub import __version__
from topichub.config import ConfigError, Settings

app = typer.Typer(help="topichub: multi-tenant event streaming.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration tasks run against the configured database.")
app.add_typer(admin_app, name="admin")
console = Console(stderr=True)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]configuration error:[/red] {error['msg']}")
        raise typer.Exit(2) from exc


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (TOPICHUB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (TOPICHUB_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (TOPICHUB_WORKERS)")] = None,
) -> None:
    """Start the API server."""
    settings = load_settings(host=host, port=port, workers=workers)
    try:
        settings.check_scale_out()
    except ConfigError as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc
    engines = settings.engines_summary()
    console.print(
        f"topichub {__version__} listening on http://{settings.host}:{settings.port} "
        f"(API docs /docs) — database: {engines['database']}, "
        f"event log: {engines['event_log']}, limits: {engines['limits']}, "
        f"workers: {settings.workers}, env: {settings.env.value}",
        soft_wrap=True,  # one line however narrow the terminal: logs and greps keep it whole
    )
    # Settings travel to the workers through the environment.
    os.environ["TOPICHUB_HOST"] = settings.host
    os.environ["TOPICHUB_PORT"] = str(settings.port)
    os.environ["TOPICHUB_WORKERS"] = str(settings.workers)
    _stop_cleanly_on_signals()
    uvicorn.run(
        "topichub.app:asgi",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        proxy_headers=True,
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=10,
    )


def _stop_cleanly_on_signals() -> None:
    """uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the
    handler that was there before it. Python's defaults turn that into a KeyboardInterrupt
    traceback (Ctrl-C) or death by signal (status 143, ``make: *** Error 143``); a stop
    that was asked for is a clean exit."""

    def stopped(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopped)


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout")
    ] = None,
) -> None:
    """Print the OpenAPI document (the web console's client is generated from it)."""
    from topichub.app import create_app

    document = json.dumps(create_app(load_settings()).openapi(), indent=2, sort_keys=True)
    if output is None:
        typer.echo(document)
    else:
        output.write_text(document + "\n", encoding="utf-8")


@app.command("config")
def show_config(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The README's table of every setting instead")
    ] = False,
) -> None:
    """Print the settings in effect (environment, .env, defaults), secrets masked."""
    from topichub.settings_doc import effective_settings, settings_table

    if markdown:
        typer.echo(settings_table())
        return
    table = Table("variable", "value")
    for name, value in effective_settings(load_settings()):
        table.add_row(name, value)
    console.print(table)


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (needed before starting on PostgreSQL)."""
    from topichub.kit import migrations
    from topichub.kit.db import create_engine

    settings = load_settings()

    async def run() -> None:
        if settings.resolved_database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url)
        try:
            await migrations.upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())
    console.print(f"database migrated to {revision} ({settings.engines_summary()['database']})")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Email of the new user")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    platform_admin: Annotated[bool, typer.Option("--platform-admin")] = False,
) -> None:
    """Create a user (with its own tenant and default project)."""
    from topichub.errors import TopichubError
    from topichub.identity import service
    from topichub.identity.passwords import Hasher

    async def run(resources_settings: Settings) -> str:
        from topichub.app import build_resources

        resources = await build_resources(resources_settings)
        try:
            async with resources.sessionmaker() as session:
                user = await service.create_user(
                    session,
                    Hasher(1),
                    email=email,
                    username=None,
                    password=password,
                    platform_admin=platform_admin,
                )
                await session.commit()
                return str(user.id)
        finally:
            await resources.engine.dispose()

    try:
        user_id = asyncio.run(run(load_settings()))
    except TopichubError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    console.print(f"created user {email} ({user_id})")


@admin_app.command("promote")
def promote(
    email: Annotated[str, typer.Option(help="Email or username of the account")],
    keep_password: Annotated[
        bool,
        typer.Option(
            "--keep-password",
            help="Promote without taking the account over: only when you know who owns it",
        ),
    ] = False,
) -> None:
    """Make an existing account platform admin. By default the account is taken over:
    its password becomes TOPICHUB_ADMIN_PASSWORD (prompted when unset) and its sessions
    and API keys end."""
    from topichub.errors import TopichubError
    from topichub.identity import bootstrap
    from topichub.identity.passwords import Hasher

    settings = load_settings()
    password: str | None = None
    if not keep_password:
        password = (
            settings.admin_password.get_secret_value()
            if settings.admin_password
            else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        )

    async def run() -> None:
        from topichub.app import build_resources

        resources = await build_resources(settings)
        try:
            async with resources.sessionmaker() as session:
                await bootstrap.promote(session, Hasher(1), email, password)
                await session.commit()
        finally:
            await resources.aclose()

    try:
        asyncio.run(run())
    except (TopichubError, bootstrap.NotPromoted) as exc:
        message = exc.message if isinstance(exc, TopichubError) else str(exc)
        console.print(f"[red]error:[/red] {message}")
        raise typer.Exit(1) from exc
    how = "kept its password" if keep_password else "password replaced, sessions and keys ended"
    console.print(f"promoted {email} to platform admin ({how})")


@admin_app.command("list-users")
def list_users(limit: int = 100) -> None:
    """List users."""
    from topichub.identity.repository import IdentityRepository

    async def run() -> list[tuple[str, str, str, str, str]]:
        from topichub.app import build_resources

        resources = await build_resources(load_settings())
        try:
            async with resources.sessionmaker() as session:
                users = await IdentityRepository(session).list_users(limit=limit, offset=0)
                return [
                    (
                        str(u.id),
                        u.email or "",
                        u.username or "",
                        "yes" if u.is_active else "no",
                        "yes" if u.is_platform_admin else "no",
                    )
                    for u in users
                ]
        finally:
            await resources.engine.dispose()

    table = Table("id", "email", "username", "active", "platform admin")
    for row in asyncio.run(run()):
        table.add_row(*row)
    Console().print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())


def _client_headers(key: str | None) -> dict[str, str]:
    if not key:
        console.print("[red]an API key or token is needed:[/red] --key or TOPICHUB_API_KEY")
        raise typer.Exit(2)
    return {"Authorization": f"Bearer {key}"}


KeyOption = Annotated[
    str | None, typer.Option("--key", envvar="TOPICHUB_API_KEY", help="API key or access token")
]
UrlOption = Annotated[str, typer.Option("--url", envvar="TOPICHUB_URL", help="Server URL")]


@app.command()
def publish(
    topic: Annotated[str, typer.Argument(help="Topic name")],
    values: Annotated[
        list[str] | None, typer.Argument(help="JSON values; read lines from stdin when absent")
    ] = None,
    key: KeyOption = None,
    url: UrlOption = "http://127.0.0.1:8000",
    message_key: Annotated[str | None, typer.Option("--message-key", help="Record key")] = None,
) -> None:
    """Publish JSON values (arguments, or one per line on stdin) to a topic."""
    import json

    import httpx

    raw = values if values else [line for line in sys.stdin.read().splitlines() if line.strip()]
    messages = []
    for text in raw:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text  # plain text is published as a JSON string
        message: dict[str, object] = {"value": value}
        if message_key is not None:
            message["key"] = message_key
        messages.append(message)
    if not messages:
        console.print("nothing to publish")
        raise typer.Exit(1)
    with httpx.Client(base_url=url, headers=_client_headers(key), timeout=30) as client:
        for start in range(0, len(messages), 1000):
            response = client.post(
                f"/api/v1/topics/{topic}/publish", json={"messages": messages[start : start + 1000]}
            )
            if response.status_code != 200:
                console.print(f"[red]{response.status_code}:[/red] {response.json().get('detail')}")
                raise typer.Exit(1)
            for result in response.json()["messages"]:
                console.print(
                    f"stored at partition {result['partition']} offset {result['offset']}"
                )


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="Topic name")],
    key: KeyOption = None,
    url: UrlOption = "http://127.0.0.1:8000",
    start: Annotated[str, typer.Option("--from", help="earliest or latest")] = "latest",
    cursor: Annotated[str | None, typer.Option(help="Resume after this event id")] = None,
) -> None:
    """Print a topic's messages as they arrive (Ctrl-C to stop)."""
    import httpx

    params = {"cursor": cursor} if cursor else {"from": start}
    try:
        with (
            # No read timeout: a quiet topic sends only heartbeats, every 15 s by default.
            httpx.Client(
                base_url=url,
                headers=_client_headers(key),
                timeout=httpx.Timeout(10.0, read=60.0),
            ) as client,
            client.stream("GET", f"/api/v1/topics/{topic}/stream", params=params) as response,
        ):
            if response.status_code != 200:
                response.read()
                console.print(f"[red]{response.status_code}:[/red] {response.json().get('detail')}")
                raise typer.Exit(1)
            event_id = None
            for line in response.iter_lines():
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    typer.echo(f"{event_id}\t{line[5:].strip()}")
    except KeyboardInterrupt:
        pass
