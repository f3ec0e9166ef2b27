"""``topichub.serving.OneWrite``: an answer goes out in one write, and the bytes on the
wire are those uvicorn wrote before, in the same order, with the same closes.

Three layers: the uvicorn code ``OneWrite`` relies on is pinned; a real uvicorn
``RequestResponseCycle`` run with and without ``OneWrite`` over many generated
responses writes the same bytes; a real ``topichub serve`` answers raw sockets.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from tests.scale.support import ServerProcess, server_env
from topichub.api_docs import ASSETS_DIR, ASSETS_URL
from topichub.serving import OneWrite

App = Callable[[Any, Any, Any], Any]

# --- the uvicorn code OneWrite relies on ------------------------------------------------

PINNED = {
    "RequestResponseCycle": "e67d470d435dcc1ce6de9773841524a4439a06afd3a7243e458dc7f7c952b310",
    "HttpToolsProtocol.on_headers_complete": (
        "1ea8589acfad92d8ff9182775f337d98fc469e0fa39642a83195fca920f5ca96"
    ),
}


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def test_the_uvicorn_code_one_write_relies_on_is_unchanged() -> None:
    """``OneWrite`` knows when uvicorn writes a response head and its body, and that
    ``on_headers_complete`` makes the request's cycle (see its docstring). If this fails,
    uvicorn changed (uv.lock): re-read ``RequestResponseCycle`` and
    ``HttpToolsProtocol.on_headers_complete`` against that docstring, then update the
    digests."""
    found = {
        "RequestResponseCycle": _digest(inspect.getsource(RequestResponseCycle)),
        "HttpToolsProtocol.on_headers_complete": _digest(
            inspect.getsource(HttpToolsProtocol.on_headers_complete)
        ),
    }
    assert found == PINNED


# --- the same bytes as uvicorn alone ----------------------------------------------------


class Connection:
    """Stands in for the connection's transport: records writes and closes."""

    def __init__(self) -> None:
        self.events: list[bytes | None] = []  # None: close()
        self.closing = False

    def write(self, data: bytes) -> None:
        assert not self.closing, "write after close"
        self.events.append(bytes(data))

    def close(self) -> None:
        self.events.append(None)
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    @property
    def writes(self) -> list[bytes]:
        return [event for event in self.events if event is not None]

    def wire(self) -> list[bytes]:
        """What the client sees: the bytes before each close, and after the last."""
        segments = [b""]
        for event in self.events:
            if event is None:
                segments.append(b"")
            else:
                segments[-1] += event
        return segments


@dataclass
class Run:
    connection: Connection
    cycle: RequestResponseCycle
    completed: int  # on_response calls (what starts the next pipelined request)
    logged: list[tuple[str, str]]  # uvicorn's log lines, with the exception


class Logged(logging.Handler):
    """What uvicorn logs (its errors, the access line), kept for comparison."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.seen.append((record.getMessage(), repr(exc)))


_uvicorn_log = logging.getLogger("tests.test_serving.uvicorn")
_uvicorn_log.propagate = False  # "Exception in ASGI application" is what some cases are about
_uvicorn_log.setLevel(logging.INFO)
_logged = Logged()
_uvicorn_log.addHandler(_logged)


MakeApp = Callable[[Connection, RequestResponseCycle], App]


async def run_cycle(
    make_app: MakeApp,
    *,
    one_write: bool,
    method: str = "GET",
    keep_alive: bool = True,
    expect_100_continue: bool = False,
    request_body: bytes = b"",
    access_log: bool = False,
) -> Run:
    """One request through a real uvicorn ``RequestResponseCycle``, as uvicorn's
    protocol would run it, or (``one_write``) as ``ServeProtocol`` runs it, with
    ``OneWrite`` in front of the connection."""
    connection = Connection()
    completed = 0

    def on_response() -> None:
        nonlocal completed
        completed += 1

    cycle = RequestResponseCycle(
        scope={  # type: ignore[typeddict-item]
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "root_path": "",
            "headers": [],
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5555),
            "state": {},
        },
        transport=connection,  # type: ignore[arg-type]
        flow=FlowControl(connection),  # type: ignore[arg-type]
        logger=_uvicorn_log,
        access_logger=_uvicorn_log,
        access_log=access_log,
        default_headers=[(b"date", b"Sat, 05 Dec 2026 22:00:00 GMT")],
        message_event=asyncio.Event(),
        expect_100_continue=expect_100_continue,
        keep_alive=keep_alive,
        on_response=on_response,
    )
    cycle.body += request_body
    cycle.more_body = False
    cycle.message_event.set()
    _logged.seen.clear()
    if one_write:
        cycle.transport = OneWrite(cycle)
    await cycle.run_asgi(make_app(connection, cycle))
    return Run(connection, cycle, completed, list(_logged.seen))


async def both(make_app: MakeApp, **kwargs: Any) -> tuple[Run, Run]:
    """The same request as uvicorn runs it, then as ``ServeProtocol`` does: the client
    sees the same, and uvicorn logs the same errors."""
    before = await run_cycle(make_app, one_write=False, **kwargs)
    after = await run_cycle(make_app, one_write=True, **kwargs)
    assert after.connection.wire() == before.connection.wire()
    assert after.completed == before.completed
    assert after.cycle.response_complete == before.cycle.response_complete
    assert after.logged == before.logged
    return before, after


def response_app(
    status: int,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    ending: str = "complete",
) -> App:
    """An app answering ``chunks`` (the last with ``more_body`` false); ``ending``
    ``raise`` fails instead of sending the last chunk, ``return`` sends no body at all."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if ending == "return":
            return
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if ending == "raise" and last:
                raise RuntimeError("the app failed mid-response")
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})

    return app


HEADER_NAMES = [b"X-Custom", b"Connection", b"Transfer-Encoding", b"Content-Length"]
HEADER_NAMES += [b"bad name", b"bad\x01", b"x(y", b"", b"\x7f"]  # uvicorn refuses these
HEADER_VALUES = [b"close", b"Keep-Alive, CLOSE", b"chunked", b"7", b"tab\tok", b"", b"x" * 200]
HEADER_VALUES += [b"bad\nvalue", b"\x7f", b"\x00"]  # and these


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    status=st.sampled_from([200, 201, 204, 304, 404, 500]),
    chunks=st.lists(st.binary(max_size=40), min_size=1, max_size=4),
    length=st.sampled_from(["exact", "none", "short", "long"]),
    close=st.booleans(),
    keep_alive=st.booleans(),
    ending=st.sampled_from(["complete", "complete", "raise", "return"]),
    extra=st.lists(
        st.tuples(
            st.sampled_from(HEADER_NAMES),
            st.sampled_from(HEADER_VALUES) | st.binary(max_size=8),
        ),
        max_size=3,
    ),
    access_log=st.booleans(),
)
async def test_the_wire_bytes_are_those_of_uvicorn_alone(
    method: str,
    status: int,
    chunks: list[bytes],
    length: str,
    close: bool,
    keep_alive: bool,
    ending: str,
    extra: list[tuple[bytes, bytes]],
    access_log: bool,
) -> None:
    """Whatever the response (HEAD, 204/304, Content-Length right or wrong or absent
    (chunked), ``connection: close``, no keep-alive, headers uvicorn refuses, an app
    failing or returning mid-response), the client gets the same bytes and the same
    closes, uvicorn logs the same, in one write fewer when uvicorn wrote the head and
    then body bytes."""
    total = sum(map(len, chunks))
    headers = [(b"content-type", b"text/plain"), *extra]
    if length != "none":
        declared = {"exact": total, "short": max(total - 1, 0), "long": total + 1}[length]
        headers.append((b"content-length", str(declared).encode()))
    if close:
        headers.append((b"connection", b"close"))
    app = response_app(status, headers, chunks, ending)

    before, after = await both(
        lambda _c, _r: app, method=method, keep_alive=keep_alive, access_log=access_log
    )
    writes_before, writes_after = before.connection.writes, after.connection.writes
    held = not after.cycle.chunked_encoding  # Content-Length, or 204/304 (or HEAD)
    if held and method != "HEAD" and len(writes_before) >= 2:
        assert len(writes_after) == len(writes_before) - 1
    else:
        assert len(writes_after) == len(writes_before)


async def test_an_answer_with_content_length_is_one_write() -> None:
    app = response_app(
        200,
        [(b"content-type", b"application/json"), (b"content-length", b"11")],
        [b'{"ok":true}'],
    )
    before, after = await both(lambda _c, _r: app)
    assert len(before.connection.writes) == 2
    [answer] = after.connection.writes
    assert answer.startswith(b"HTTP/1.1 200 OK\r\ndate: ")
    assert answer.endswith(b'\r\n\r\n{"ok":true}')
    assert None not in after.connection.events  # kept alive
    assert after.cycle.transport is after.connection  # OneWrite is out of the way


@pytest.mark.parametrize(
    ("headers", "written_at_start"),
    [
        ([(b"content-type", b"text/event-stream")], 1),  # chunked: the head at once
        ([(b"content-length", b"6")], 0),  # the head goes with the first chunk
    ],
)
async def test_a_head_is_held_only_when_body_bytes_are_sure_to_follow(
    headers: list[tuple[bytes, bytes]], written_at_start: int
) -> None:
    """An event stream's head reaches the client before its first event, however long
    that takes; a Content-Length answer's head goes with its first body chunk."""
    seen: list[int] = []

    def make_app(connection: Connection, _cycle: RequestResponseCycle) -> App:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            seen.append(len(connection.writes))
            await send({"type": "http.response.body", "body": b"abc", "more_body": True})
            seen.append(len(connection.writes))
            await send({"type": "http.response.body", "body": b"def"})

        return app

    await both(make_app)
    assert seen == [1, 2, written_at_start, written_at_start + 1]


async def test_head_is_one_write_of_the_head_alone() -> None:
    app = response_app(200, [(b"content-length", b"5")], [b""])
    before, after = await both(lambda _c, _r: app, method="HEAD")
    assert after.connection.writes == before.connection.writes
    [head] = after.connection.writes
    assert head.endswith(b"content-length: 5\r\n\r\n")


async def test_100_continue_goes_out_when_the_app_reads_the_body() -> None:
    """The interim answer is written as before (the client waits for it to send its
    body); the final answer is then one write."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    before, after = await both(lambda _c, _r: app, expect_100_continue=True, request_body=b"hello")
    interim, answer = after.connection.writes
    assert interim == before.connection.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert answer.endswith(b"\r\n\r\nhello")


async def test_an_app_failing_before_its_answer_gets_a_500_in_one_write() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    _, after = await both(lambda _c, _r: app)
    [answer] = after.connection.writes
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert answer.endswith(b"\r\n\r\nInternal Server Error")
    assert after.connection.events[-1] is None  # connection: close


async def test_a_client_gone_before_the_body_gets_nothing_more() -> None:
    """uvicorn writes nothing once the connection is lost; a head kept back is dropped
    with the connection (before, it went out before the loss was noticed), and the app
    carries on without an error."""

    def make_app(connection: Connection, cycle: RequestResponseCycle) -> App:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            headers = [(b"content-length", b"2")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            # What HttpToolsProtocol.connection_lost does to the transport and the cycle.
            connection.close()
            cycle.disconnected = True
            await send({"type": "http.response.body", "body": b"ok"})

        return app

    after = await run_cycle(make_app, one_write=True)
    assert after.connection.events == [None]
    assert not after.cycle.response_complete


# --- a real server ----------------------------------------------------------------------


@dataclass
class Served:
    port: int
    api_key: str


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    tmp = tmp_path_factory.mktemp("serving")
    env = server_env(
        database_url=None,
        kafka=None,
        redis_url=None,
        redis_prefix="serving",
        data_dir=tmp / "data",
    )
    server = ServerProcess("serving", env, tmp)
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answer = await client.post(
                "/auth/signup",
                json={"email": "wire@example.com", "password": "Correct-horse-42"},
            )
            token = answer.json()["token"]
            answer = await client.post(
                "/api/v1/api-keys",
                json={"name": "wire", "permissions": ["read", "write"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            yield Served(server.port, answer.json()["key"])
    finally:
        server.stop()


PUBLISH_BODY = b'{"messages": [{"value": {"n": 1, "text": "hello, topichub"}}]}'


def publish_request(api_key: str, *, extra: bytes = b"", body: bytes = PUBLISH_BODY) -> bytes:
    return (
        b"POST /api/v1/topics/events/publish HTTP/1.1\r\nHost: localhost\r\n"
        b"X-API-Key: " + api_key.encode() + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body
    )


class Answer:
    def __init__(self, head: bytes, body: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
        self.body = body

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        assert len(values) <= 1, self.headers
        return values[0] if values else None


def read_answer(sock: socket.socket, buffer: bytearray, *, has_body: bool = True) -> Answer:
    """One answer with a Content-Length from ``sock``; ``buffer`` keeps what follows."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(1 << 16)
        assert data, f"closed mid-head: {bytes(buffer)!r}"
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    answer = Answer(head, b"")
    length = int(answer.header("content-length") or 0) if has_body else 0
    buffer[:] = rest
    while len(buffer) < length:
        data = sock.recv(1 << 20)
        assert data, "closed mid-body"
        buffer += data
    answer.body = bytes(buffer[:length])
    del buffer[:length]
    return answer


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


async def test_a_publish_answer_arrives_whole_in_one_recv(served: Served) -> None:
    """One write on the server: the first recv, however early it wakes, holds it all
    (two writes would often show a recv of the head alone). No ``server`` header."""

    def run() -> None:
        with connect(served.port) as sock:
            for _ in range(30):
                sock.sendall(publish_request(served.api_key))
                data = sock.recv(1 << 16)
                head, _, body = data.partition(b"\r\n\r\n")
                answer = Answer(head, body)
                assert answer.status_line == "HTTP/1.1 200 OK", data
                assert len(body) == int(answer.header("content-length") or -1), data
                assert answer.header("server") is None
                assert answer.header("date") is not None
                assert answer.header("content-type") == "application/json"

    await asyncio.to_thread(run)


async def test_pipelined_requests_are_answered_in_order(served: Served) -> None:
    def run() -> None:
        with connect(served.port) as sock:
            sock.sendall(
                publish_request(served.api_key)
                + b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
                + publish_request(served.api_key, body=b"{")
                + b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            buffer = bytearray()
            answers = [read_answer(sock, buffer) for _ in range(4)]
            assert sock.recv(1) == b""  # closed after the last, as asked
        assert [a.status_line for a in answers] == [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 422 Unprocessable Entity",
            "HTTP/1.1 200 OK",
        ]
        assert b'"status":"healthy"' in answers[1].body
        assert answers[3].header("connection") == "close"
        assert [a.header("connection") for a in answers[:3]] == [None, None, None]
        assert buffer == b""

    await asyncio.to_thread(run)


async def test_head_304_and_a_large_file_on_one_connection(served: Served) -> None:
    """HEAD: the head alone, and the connection goes on; 304: no body; a file larger
    than a write (several body chunks behind one Content-Length) arrives intact."""
    small = "favicon.png"
    large = max(Path(ASSETS_DIR).iterdir(), key=lambda p: p.stat().st_size)
    assert large.stat().st_size > 256 * 1024

    def run() -> None:
        with connect(served.port) as sock:
            buffer = bytearray()
            request = f"HEAD {ASSETS_URL}/{small} HTTP/1.1\r\nHost: localhost\r\n\r\n"
            sock.sendall(request.encode())
            head = read_answer(sock, buffer, has_body=False)
            assert head.status_line == "HTTP/1.1 200 OK"
            assert head.header("content-length") == str((Path(ASSETS_DIR) / small).stat().st_size)
            etag = head.header("etag")
            assert etag

            request = (
                f"GET {ASSETS_URL}/{small} HTTP/1.1\r\nHost: localhost\r\n"
                f"If-None-Match: {etag}\r\n\r\n"
            )
            sock.sendall(request.encode())
            not_modified = read_answer(sock, buffer, has_body=False)
            assert not_modified.status_line == "HTTP/1.1 304 Not Modified"
            assert not_modified.header("content-length") is None
            assert not_modified.header("transfer-encoding") is None

            request = f"GET {ASSETS_URL}/{large.name} HTTP/1.1\r\nHost: localhost\r\n\r\n"
            sock.sendall(request.encode())
            whole = read_answer(sock, buffer)
            assert whole.status_line == "HTTP/1.1 200 OK"
            assert whole.body == large.read_bytes()
            assert buffer == b""

    await asyncio.to_thread(run)


async def test_100_continue(served: Served) -> None:
    def run() -> None:
        with connect(served.port) as sock:
            request = publish_request(served.api_key, extra=b"Expect: 100-continue\r\n")
            head, _, body = request.partition(b"\r\n\r\n")
            sock.sendall(head + b"\r\n\r\n")
            buffer = bytearray()
            while b"\r\n\r\n" not in buffer:
                buffer += sock.recv(1 << 16)
            assert bytes(buffer) == b"HTTP/1.1 100 Continue\r\n\r\n"
            buffer.clear()
            sock.sendall(body)
            answer = read_answer(sock, buffer)
            assert answer.status_line == "HTTP/1.1 200 OK"
            assert b'"offset"' in answer.body or b"partition" in answer.body

    await asyncio.to_thread(run)


async def test_an_event_stream_head_comes_before_any_event(served: Served) -> None:
    """A stream's head is not kept back: it arrives while no message was published,
    chunked, then the published message follows."""
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    try:
        writer.write(
            b"GET /api/v1/topics/events/stream HTTP/1.1\r\nHost: localhost\r\n"
            b"X-API-Key: " + served.api_key.encode() + b"\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        answer = Answer(head[:-4], b"")
        assert answer.status_line == "HTTP/1.1 200 OK"
        assert (answer.header("content-type") or "").startswith("text/event-stream")
        assert answer.header("transfer-encoding") == "chunked"
        assert answer.header("content-length") is None
        assert answer.header("server") is None

        def publish() -> None:
            with connect(served.port) as sock:
                sock.sendall(publish_request(served.api_key, body=b'{"messages": [{"value": 7}]}'))
                assert read_answer(sock, bytearray()).status_line == "HTTP/1.1 200 OK"

        await asyncio.to_thread(publish)
        seen = b""
        async with asyncio.timeout(10):
            while b'"value":7' not in seen:
                seen += await reader.read(1 << 16)
    finally:
        writer.close()
