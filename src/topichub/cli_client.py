"""The client commands of ``topichub``, on the ``topichub-client`` SDK: login and named
profiles, topics, keys, publish and tail against a running server.

Where a setting comes from, first match wins: ``--url``/``--key``; ``TOPICHUB_URL`` /
``TOPICHUB_API_KEY``; the profile (``--profile``, ``TOPICHUB_PROFILE``, else the one
``login`` saved last); for the URL, the local server on ``TOPICHUB_PORT``, else port 8000.
Profiles live in ``$XDG_CONFIG_HOME/topichub/profiles.json`` (``~/.config`` when unset),
readable by the user alone (0600): they hold API keys.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from topichub_client import Client, StreamItem

# One line per message however narrow the terminal: scripts and greps keep it whole.
console = Console(stderr=True, soft_wrap=True)
DEFAULT_PORT = 8000


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    """The server or the database refused; its message is printed."""
    USAGE = 2
    """Bad arguments or input (click's own usage errors exit 2 as well)."""
    UNREACHABLE = 3
    """No answer from the server."""
    STREAM_CLOSED = 4
    """The server ended a stream (``tail``)."""


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 the server or database refused; 2 bad usage or input; "
    "3 server unreachable; 4 stream ended by the server."
)


# --- profiles -----------------------------------------------------------------------


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "topichub" / "profiles.json"


def _read_profiles() -> dict[str, Any]:
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"default": None, "profiles": {}}
    except (OSError, ValueError) as exc:
        _fail(f"cannot read {path}: {exc}", ExitCode.USAGE)
    return data if isinstance(data, dict) else {"default": None, "profiles": {}}


def _write_profiles(data: dict[str, Any]) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 before anything is written: the file holds API keys.
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.chmod(path.with_suffix(".tmp"), 0o600)
    os.replace(path.with_suffix(".tmp"), path)
    return path


@dataclass(frozen=True)
class Target:
    url: str
    key: str | None


def _target(url: str | None, key: str | None, profile: str | None) -> Target:
    data = _read_profiles() if (profile or not url or not key) else {"profiles": {}}
    name = profile or data.get("default")
    saved: dict[str, Any] = data.get("profiles", {}).get(name, {}) if name else {}
    if profile and not saved:
        _fail(
            f"no profile named {profile!r} in {config_path()} — run topichub login",
            ExitCode.USAGE,
        )
    port = os.environ.get("TOPICHUB_PORT", "").strip()
    local = f"http://127.0.0.1:{port if port.isdigit() else DEFAULT_PORT}"
    return Target(
        url=(url or os.environ.get("TOPICHUB_URL") or saved.get("url") or local).rstrip("/"),
        key=key or os.environ.get("TOPICHUB_API_KEY") or saved.get("key"),
    )


# --- errors -------------------------------------------------------------------------


def _fail(message: str, code: int) -> NoReturn:
    console.print(message, soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(code)


@contextlib.contextmanager
def _answers(target: Target) -> Iterator[None]:
    """Every SDK error as one line with a hint, and its exit code."""
    from topichub_client import ConnectionFailed, TopichubError

    try:
        yield
    except ConnectionFailed:
        _fail(
            f"cannot reach {target.url} — is the server running? set --url or TOPICHUB_URL",
            ExitCode.UNREACHABLE,
        )
    except TopichubError as exc:
        hint = {
            401: " — check --key, TOPICHUB_API_KEY or run topichub login",
            403: " — the key lacks the permission this needs",
        }.get(exc.status_code or 0, "")
        _fail(f"{exc.status_code}: {exc.message}{hint}", ExitCode.ERROR)


def _client(target: Target, *, need_key: bool = True) -> Client:
    from topichub_client import Client

    if need_key and not target.key:
        _fail(
            "an API key or token is needed: --key, TOPICHUB_API_KEY or topichub login",
            ExitCode.USAGE,
        )
    return Client(target.url, api_key=target.key)


KeyOption = Annotated[
    str | None, typer.Option("--key", help="API key or access token [env: TOPICHUB_API_KEY]")
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Server URL [env: TOPICHUB_URL; else the profile's; else "
        "http://127.0.0.1:$TOPICHUB_PORT, port 8000 when unset]",
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", envvar="TOPICHUB_PROFILE", help="Named profile saved by login"),
]


# --- login --------------------------------------------------------------------------


def login(
    url: UrlOption = None,
    profile: Annotated[str, typer.Option("--profile", help="Save under this name")] = "default",
    email: Annotated[str | None, typer.Option(help="Account email (asked when absent)")] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="Save this API key instead of signing in")
    ] = None,
) -> None:
    """Sign in and save the server's URL and a new API key as a named profile (0600).
    The password is asked for, hidden."""
    # The server: --url, TOPICHUB_URL, the last profile's (logging in again), the local one.
    target = Target(_target(url, None, None).url, key)
    with _answers(target), _client(target, need_key=False) as hub:
        if key:
            hub.list_topics()  # the key works before it is saved
            saved_key = key
            who = "the given API key"
        else:
            email = email or typer.prompt("Email")
            password = typer.prompt("Password", hide_input=True)
            hub.sign_in(email, password)
            created = hub.create_key(
                f"topichub CLI on {socket.gethostname()}", ["read", "write", "admin"]
            )
            saved_key, who = created["key"], str(email)
    data = _read_profiles()
    data.setdefault("profiles", {})[profile] = {"url": target.url, "key": saved_key}
    data["default"] = profile
    path = _write_profiles(data)
    console.print(f"logged in to {target.url} as {who}; profile {profile!r} saved in {path}")


# --- topics and keys ----------------------------------------------------------------


def _print_table(columns: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal; piped, tab-separated lines under a header line, whole
    (a terminal-width table would cut ids short)."""
    if sys.stdout.isatty():
        table = Table(*columns)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    for row in [columns, *rows]:
        typer.echo("\t".join(row))


topics_app = typer.Typer(
    help="List, create and delete topics, and read their statistics.", no_args_is_help=True
)
keys_app = typer.Typer(help="List, create and revoke API keys.", no_args_is_help=True)


@topics_app.command("list")
def topics_list(
    url: UrlOption = None, key: KeyOption = None, profile: ProfileOption = None
) -> None:
    """The topics this key can see."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        topics = hub.list_topics()
    _print_table(
        ["name", "kind", "partitions", "partitioner", "created"],
        [
            [
                topic["name"],
                str(topic.get("kind", "")),
                str(topic.get("partitions", "")),
                str(topic.get("partitioner", "")),
                str(topic.get("created_at", ""))[:19],
            ]
            for topic in topics
        ],
    )


@topics_app.command("create")
def topics_create(
    name: str,
    partitions: Annotated[int, typer.Option(min=1)] = 1,
    partitioner: Annotated[
        str | None, typer.Option(help="murmur2 (default) or consistent_random")
    ] = None,
    url: UrlOption = None,
    key: KeyOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create a topic."""
    target = _target(url, key, profile)
    options: dict[str, Any] = {"partitions": partitions}
    if partitioner:
        options["partitioner"] = partitioner
    with _answers(target), _client(target) as hub:
        topic = hub.create_topic(name, **options)
    console.print(f"created topic {topic['name']} ({topic['partitions']} partitions)")


@topics_app.command("delete")
def topics_delete(
    name: str, url: UrlOption = None, key: KeyOption = None, profile: ProfileOption = None
) -> None:
    """Delete a topic and its messages; its open streams end with topic_deleted."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        hub.delete_topic(name)
    console.print(f"deleted topic {name}")


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


@topics_app.command("stats")
def topics_stats(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
    url: UrlOption = None,
    key: KeyOption = None,
    profile: ProfileOption = None,
) -> None:
    """A topic's statistics: messages and bytes retained, the last message's time,
    traffic over the last minute and hour, offsets per partition."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        stats = hub.topic_stats(name)
    if as_json or not sys.stdout.isatty():
        typer.echo(json.dumps(stats))
        return
    console.print(
        f"[bold]{stats['topic']}[/bold]: {_count(stats['messages_retained'])} messages, "
        f"{_count(stats['bytes_retained'])} bytes retained; last message "
        f"{stats['last_message_at'] or 'never'}; {stats['open_streams']} open stream(s) here"
    )
    _print_table(
        ["window", "messages in", "bytes in", "messages out", "bytes out"],
        [
            [
                window,
                _count(stats[f"messages_last_{window}"]),
                _count(stats[f"bytes_last_{window}"]),
                _count(stats[f"messages_out_last_{window}"]),
                _count(stats[f"bytes_out_last_{window}"]),
            ]
            for window in ("minute", "hour")
        ],
    )
    _print_table(
        ["partition", "earliest offset", "next offset", "messages"],
        [
            [
                str(p["partition"]),
                str(p["earliest_offset"]),
                str(p["next_offset"]),
                _count(p["messages"]),
            ]
            for p in stats["partitions"]
        ],
    )


@keys_app.command("list")
def keys_list(url: UrlOption = None, key: KeyOption = None, profile: ProfileOption = None) -> None:
    """API keys of the account (never their secrets)."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        keys = hub.list_keys()
    _print_table(
        ["id", "name", "permissions", "prefix", "created"],
        [
            [
                str(item.get("id")),
                str(item.get("name", "")),
                ",".join(item.get("permissions") or []),
                str(item.get("prefix", item.get("key_prefix", ""))),
                str(item.get("created_at", ""))[:19],
            ]
            for item in keys
        ],
    )


@keys_app.command("create")
def keys_create(
    name: str,
    permission: Annotated[
        list[str] | None, typer.Option("--permission", help="read, write or admin (repeat)")
    ] = None,
    url: UrlOption = None,
    key: KeyOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create an API key; its secret is printed once, on stdout."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        created = hub.create_key(name, permission or ["read", "write"])
    console.print(f"created key {created.get('id')} ({','.join(created['permissions'])})")
    typer.echo(created["key"])


@keys_app.command("revoke")
def keys_revoke(
    key_id: str, url: UrlOption = None, key: KeyOption = None, profile: ProfileOption = None
) -> None:
    """Revoke an API key; its open streams end within about a second."""
    target = _target(url, key, profile)
    with _answers(target), _client(target) as hub:
        hub.revoke_key(key_id)
    console.print(f"revoked key {key_id}")


# --- publish ------------------------------------------------------------------------


def _json_value(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(
            f"{label} is not JSON: {exc.msg} at column {exc.colno} — quote strings as JSON "
            "('\"text\"') or pass --raw to publish text",
            ExitCode.USAGE,
        )


def _headers(pairs: list[str] | None) -> dict[str, str]:
    headers = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"--header {pair!r}: expected name=value", ExitCode.USAGE)
        headers[name] = value
    return headers


def publish(
    topic: Annotated[str, typer.Argument(help="Topic name")],
    values: Annotated[
        list[str] | None,
        typer.Argument(help="JSON values; read one per line from stdin when absent"),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Read one JSON value per line from this file"),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Publish each value as text (a JSON string)")
    ] = False,
    key_name: Annotated[
        str | None, typer.Option("--key-name", "--message-key", help="Record key")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Record header name=value (repeat)")
    ] = None,
    partition: Annotated[int | None, typer.Option(min=0, help="Write to this partition")] = None,
    url: UrlOption = None,
    key: KeyOption = None,
    profile: ProfileOption = None,
) -> None:
    """Publish JSON values (arguments, --file, or one per line on stdin) to a topic. Each
    batch is retried safely (one Idempotency-Key per batch) when the answer is lost."""
    if values and file:
        _fail("give values or --file, not both", ExitCode.USAGE)
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot read {file}: {exc.strerror}", ExitCode.USAGE)
        lines, where = text.splitlines(), "line"
    elif values:
        lines, where = values, "value"
    else:
        lines, where = sys.stdin.read().splitlines(), "line"
    # Blank lines are skipped but still counted, so that an error names the right line.
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    parsed = [line if raw else _json_value(line, f"{where} {n}") for n, line in numbered]
    if not parsed:
        _fail("nothing to publish", ExitCode.USAGE)
    target = _target(url, key, profile)
    headers = _headers(header)
    from rich.progress import Progress

    with (
        _answers(target),
        _client(target) as hub,
        Progress(
            console=console, transient=True, disable=len(parsed) < 2 or not console.is_terminal
        ) as progress,
    ):
        task = progress.add_task(f"publishing to {topic}", total=len(parsed))
        stored = hub.publish(
            topic,
            parsed,
            key=key_name,
            headers=headers or None,
            partition=partition,
            on_batch=lambda done: progress.advance(task, len(done)),
        )
    if len(stored) == 1:
        console.print(f"stored at partition {stored[0].partition} offset {stored[0].offset}")
    else:
        spans = sorted({s.partition for s in stored})
        console.print(f"stored {len(stored)} messages (partitions {', '.join(map(str, spans))})")


# --- tail ---------------------------------------------------------------------------


def _show(item: StreamItem, terminal: bool) -> None:
    from topichub_client import Close, Gap

    if not terminal:
        # Piped: one JSON object a line, in the WebSocket frames' shape.
        if isinstance(item, Gap):
            line: dict[str, Any] = {
                "type": "gap",
                "id": item.id,
                "partition": item.partition,
                "requested": item.requested,
                "available": item.available,
            }
        elif isinstance(item, Close):
            line = {"type": "close", "reason": item.reason}
        else:
            line = {"id": item.id, **item.raw}
        typer.echo(json.dumps(line, ensure_ascii=False))
        return
    out = Console(highlight=False, soft_wrap=True)
    if isinstance(item, Gap):
        out.print(
            f"[yellow]gap:[/yellow] partition {item.partition} offsets {item.requested}.."
            f"{item.available - 1} were removed by retention before they could be delivered"
        )
    elif not isinstance(item, Close):
        from rich.markup import escape

        key = f" [magenta]{escape(item.key)}[/magenta]" if item.key is not None else ""
        value = escape(json.dumps(item.value, ensure_ascii=False))
        out.print(
            f"[dim]{item.timestamp}[/dim] [cyan]{item.partition}:{item.offset}[/cyan]{key} {value}"
        )


def tail(
    topic: Annotated[str, typer.Argument(help="Topic name")],
    start: Annotated[str, typer.Option("--from", help="earliest or latest")] = "latest",
    cursor: Annotated[str | None, typer.Option(help="Resume after this event id")] = None,
    websocket: Annotated[bool, typer.Option("--websocket", help="Stream over WebSocket")] = False,
    url: UrlOption = None,
    key: KeyOption = None,
    profile: ProfileOption = None,
) -> None:
    """Print a topic's messages as they arrive (Ctrl-C to stop): coloured on a terminal,
    one JSON object a line when piped. Reconnects by itself from the last cursor after a
    lost connection or a server restart; exits 4 when the server ends the stream."""
    from topichub_client import Close

    if start not in ("earliest", "latest"):
        _fail("--from is earliest or latest", ExitCode.USAGE)
    target = _target(url, key, profile)
    terminal = sys.stdout.isatty()
    try:
        with _answers(target), _client(target) as hub:
            for item in hub.stream(
                topic,
                start=start,  # type: ignore[arg-type]  # checked above
                cursor=cursor,
                transport="websocket" if websocket else "sse",
            ):
                _show(item, terminal)
                if isinstance(item, Close):
                    _fail(f"stream closed by the server: {item.reason}", ExitCode.STREAM_CLOSED)
    except KeyboardInterrupt:
        return
    except BrokenPipeError:
        # The reader left (`tail … | head`): done, as for Ctrl-C. Python would still try
        # to flush stdout at exit and complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return


def install(app: typer.Typer) -> None:
    """Add the client commands to the ``topichub`` application."""
    app.command()(login)
    app.command()(publish)
    app.command()(tail)
    app.add_typer(topics_app, name="topics")
    app.add_typer(keys_app, name="keys")
