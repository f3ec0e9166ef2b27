"""``topichub`` command line: serve, migrate, admin tasks; the client commands of a
running server (login, topics, keys, publish, tail) are in ``cli_client``.

Exit codes (also in ``topichub --help``): 0 done; 1 the server or the database refused
(its message is printed); 2 bad usage or input; 3 the server could not be reached;
4 a stream was ended by the server (``tail``; the user's own Ctrl-C exits 0)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from topichub import __version__
from topichub.cli_client import EXIT_CODES_HELP, ExitCode, install
from topichub.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(
    help=f"topichub: multi-tenant event streaming.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    # Locals would print API keys and passwords; what a user meets is handled, one line each.
    pretty_exceptions_show_locals=False,
)
admin_app = typer.Typer(help="Administration tasks run against the configured database.")
app.add_typer(admin_app, name="admin")
install(app)
console = Console(stderr=True)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]configuration error:[/red] {error['msg']}")
        raise typer.Exit(ExitCode.USAGE) from exc


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
    os.environ["TOPICHUB_HEADER_TIMEOUT_S"] = str(settings.header_timeout_s)
    _stop_cleanly_on_signals()
    from topichub.serving import ServeProtocol

    uvicorn.run(
        "topichub.app:asgi",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=ServeProtocol,
        server_header=False,  # "server: uvicorn" tells attackers the stack, for nothing
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
    rows = effective_settings(load_settings())
    table = Table("variable", "value")
    for name, value in rows:
        table.add_row(name, value)
    # Never cut a name or a value: piped or on a narrow terminal, the table grows wider.
    widest = max(len(name) + len(value) for name, value in rows) + 7
    Console(width=max(Console().width, widest)).print(table)


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


def _database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return f"PostgreSQL {parsed.render_as_string(hide_password=True)}"


def _admin_settings() -> Settings:
    """The settings of an admin command, once its database is known to exist.

    An admin command pointed at the wrong place must fail, not create an empty SQLite
    file and report on (or add a user to) a database no server reads; it names the
    database it opened so that a wrong one is seen at once."""
    from sqlalchemy.engine import make_url

    settings = load_settings()
    url = settings.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        console.print(
            f"[red]error:[/red] no database at {parsed.database} — point "
            "TOPICHUB_DATA_DIR or TOPICHUB_DATABASE_URL at the server's, or create one "
            "with `topichub migrate`",
            soft_wrap=True,
        )
        raise typer.Exit(ExitCode.ERROR)
    console.print(f"database: {_database_label(url)}", soft_wrap=True)
    return settings


@contextlib.asynccontextmanager
async def _admin_session(url: str) -> AsyncIterator[AsyncSession]:
    """A session on the database alone. An admin task needs no event bus, stream hub or
    background tasks; those would also leave work running when the command's loop ends."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from topichub.kit.db import create_engine, create_sessionmaker

    engine = create_engine(url)
    try:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            console.print(
                f"[red]error:[/red] cannot open {_database_label(url)}: {reason}", soft_wrap=True
            )
            raise typer.Exit(ExitCode.ERROR) from exc
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def _new_password() -> str:
    # Never an argument: it would show in `ps` and in the shell's history.
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Email of the new user")],
    platform_admin: Annotated[bool, typer.Option("--platform-admin")] = False,
) -> None:
    """Create a user (with its own tenant and default project). The password is asked
    for, hidden, twice."""
    from topichub.accounts.service import create_account
    from topichub.errors import TopichubError
    from topichub.identity import service
    from topichub.identity.passwords import Hasher
    from topichub.identity.schemas import SignupIn

    settings = _admin_settings()
    password = _new_password()
    try:
        # The API's own rules: an email the sign-up form would refuse is refused here too.
        valid = SignupIn(email=email, password=password)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            console.print(f"[red]invalid {field}:[/red] {error['msg']}", soft_wrap=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    try:
        service.check_password_policy(valid.password, str(valid.email))
    except TopichubError as exc:
        console.print(f"[red]invalid password:[/red] {exc.message}", soft_wrap=True)
        raise typer.Exit(ExitCode.USAGE) from exc

    async def run() -> str:
        async with _admin_session(settings.resolved_database_url) as session:
            new = service.NewUser(
                email=str(valid.email),
                username=None,
                password=valid.password,
                platform_admin=platform_admin,
            )
            user = await create_account(session, Hasher(1), new)
            await session.commit()
            return str(user.id)

    try:
        user_id = asyncio.run(run())
    except TopichubError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(ExitCode.ERROR) from exc
    console.print(f"created user {valid.email} ({user_id})")


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
    from topichub.accounts import bootstrap
    from topichub.errors import TopichubError
    from topichub.identity.passwords import Hasher

    settings = _admin_settings()
    password: str | None = None
    if not keep_password:
        password = (
            settings.admin_password.get_secret_value()
            if settings.admin_password
            else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        )

    async def run() -> None:
        async with _admin_session(settings.resolved_database_url) as session:
            await bootstrap.promote(session, Hasher(1), email, password)
            await session.commit()

    try:
        asyncio.run(run())
    except (TopichubError, bootstrap.NotPromoted) as exc:
        message = exc.message if isinstance(exc, TopichubError) else str(exc)
        console.print(f"[red]error:[/red] {message}")
        raise typer.Exit(ExitCode.ERROR) from exc
    how = "kept its password" if keep_password else "password replaced, sessions and keys ended"
    console.print(f"promoted {email} to platform admin ({how})")


@admin_app.command("list-users")
def list_users(limit: int = 100) -> None:
    """List users."""
    from topichub.identity.repository import IdentityRepository

    settings = _admin_settings()

    async def run() -> list[tuple[str, str, str, str, str]]:
        async with _admin_session(settings.resolved_database_url) as session:
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

    table = Table("id", "email", "username", "active", "platform admin")
    for row in asyncio.run(run()):
        table.add_row(*row)
    Console().print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())
