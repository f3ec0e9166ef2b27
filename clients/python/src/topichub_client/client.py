"""The sync client, generated from ``aio.py`` by ``clients/python/unasync.py``: edit
that file, not this one."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import connect as ws_connect

from topichub_client._core import (
    MAX_BATCH,
    Backoff,
    SSEParser,
    StreamState,
    batches,
    message_body,
    new_idempotency_key,
    publish_retryable,
    resumable,
    stored,
    stream_open_retryable,
    ws_close,
)
from topichub_client.errors import (
    WS_OPEN_ERRORS,
    ConnectionFailed,
    TopichubError,
    error_from,
    error_from_response,
)
from topichub_client.models import Close, Stored, StreamItem

DEFAULT_URL = "http://127.0.0.1:8000"
HEARTBEAT_GRACE_S = 45.0
"""Read timeout of a stream: the server sends a heartbeat every 15 s by default."""


def default_url() -> str:
    """``TOPICHUB_URL``, else the local server on ``TOPICHUB_PORT``, else port 8000."""
    if url := os.environ.get("TOPICHUB_URL"):
        return url
    port = os.environ.get("TOPICHUB_PORT", "").strip()
    return f"http://127.0.0.1:{port}" if port.isdigit() else DEFAULT_URL


class Client:
    """A topichub client (synchronous).

    ``url`` defaults to ``TOPICHUB_URL``; ``api_key`` to ``TOPICHUB_API_KEY`` (an access
    token from ``sign_in`` works as well). Publishing retries up to ``max_retries`` times
    with backoff (``Retry-After`` first) and one Idempotency-Key per batch, so a retry never
    stores a batch twice. Streams reconnect by themselves from their last cursor.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or default_url()).rstrip("/")
        self.api_key = api_key or os.environ.get("TOPICHUB_API_KEY") or None
        self.max_retries = max_retries
        self._timeout = timeout
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- plumbing -------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method, path, json=json, params=params, headers={**self._auth(), **(headers or {})}
            )
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"cannot reach {self.url}: {exc!r}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    # --- accounts and keys ----------------------------------------------------------

    def sign_up(self, email: str, password: str) -> dict[str, Any]:
        """Create an account; the client then acts as it (its access token)."""
        body: dict[str, Any] = (
            self._request("POST", "/auth/signup", json={"email": email, "password": password})
        ).json()
        self.api_key = body["access_token"]
        return body

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Log in; the client then acts as that user (its access token)."""
        body: dict[str, Any] = (
            self._request("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        ).json()
        self.api_key = body["access_token"]
        return body

    def list_keys(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = (self._request("GET", "/api/v1/api-keys")).json()
        return keys

    def create_key(
        self,
        name: str,
        permissions: Iterable[str] = ("read", "write"),
        *,
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """A new API key; its secret (``"key"``) is in this answer only."""
        body: dict[str, Any] = {"name": name, "permissions": list(permissions)}
        if project_id:
            body["project_id"] = project_id
        created: dict[str, Any] = (self._request("POST", "/api/v1/api-keys", json=body)).json()
        return created

    def revoke_key(self, key_id: str) -> None:
        self._request("DELETE", f"/api/v1/api-keys/{key_id}")

    # --- topics ---------------------------------------------------------------------

    def list_topics(self) -> list[dict[str, Any]]:
        body = (self._request("GET", "/api/v1/topics")).json()
        topics: list[dict[str, Any]] = body["topics"] if isinstance(body, dict) else body
        return topics

    def get_topic(self, name: str) -> dict[str, Any]:
        topic: dict[str, Any] = (self._request("GET", f"/api/v1/topics/{name}")).json()
        return topic

    def create_topic(self, name: str, **options: Any) -> dict[str, Any]:
        """Create a topic; ``options`` are the API's (``partitions``, ``partitioner``,
        ``retention_hours``, ``retention_bytes``)."""
        topic: dict[str, Any] = (
            self._request("POST", "/api/v1/topics", json={"name": name, **options})
        ).json()
        return topic

    def delete_topic(self, name: str) -> None:
        self._request("DELETE", f"/api/v1/topics/{name}")

    def topic_stats(self, name: str) -> dict[str, Any]:
        """Offsets per partition, messages and bytes retained, the last message's time,
        messages and bytes in and out over the last minute and hour, open streams."""
        stats: dict[str, Any] = (self._request("GET", f"/api/v1/topics/{name}/stats")).json()
        return stats

    def get_schema(self, topic: str) -> dict[str, Any]:
        """The topic's JSON Schema in force (``NotFound`` when it has none)."""
        schema: dict[str, Any] = (self._request("GET", f"/api/v1/topics/{topic}/schema")).json()
        return schema

    def set_schema(
        self, topic: str, schema: dict[str, Any] | bool, *, force: bool = False
    ) -> dict[str, Any]:
        """Set the topic's JSON Schema (draft 2020-12); ``force`` replaces one that may
        accept messages the new one refuses (otherwise ``Conflict``)."""
        params = {"force": "true"} if force else None
        stored: dict[str, Any] = (
            self._request(
                "PUT", f"/api/v1/topics/{topic}/schema", json={"schema": schema}, params=params
            )
        ).json()
        return stored

    def delete_schema(self, topic: str) -> None:
        self._request("DELETE", f"/api/v1/topics/{topic}/schema")

    # --- publish --------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        values: Iterable[Any],
        *,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        partition: int | None = None,
        batch_size: int = MAX_BATCH,
        on_batch: Callable[[list[Stored]], None] | None = None,
    ) -> list[Stored]:
        """Publish JSON ``values`` in batches of ``batch_size``; returns where each was
        stored, in order. Each batch is durable when its answer arrives; a failure raises
        after the batches before it were stored (their results went to ``on_batch``)."""
        results: list[Stored] = []
        for batch in batches(values, batch_size):
            body = {"messages": [message_body(v, key, headers, partition) for v in batch]}
            done = stored(self._publish_batch(topic, body))
            results.extend(done)
            if on_batch is not None:
                on_batch(done)
        return results

    def publish_one(self, topic: str, value: Any, **options: Any) -> Stored:
        (result,) = self.publish(topic, [value], **options)
        return result

    def _publish_batch(self, topic: str, body: dict[str, Any]) -> dict[str, Any]:
        # One key for every attempt of this batch: a retry after a lost answer gets the
        # first attempt's answer back instead of storing the batch again.
        headers = {"Idempotency-Key": new_idempotency_key()}
        backoff = Backoff()
        while True:
            try:
                response = self._request(
                    "POST", f"/api/v1/topics/{topic}/publish", json=body, headers=headers
                )
                answer: dict[str, Any] = response.json()
                return answer
            except TopichubError as exc:
                if backoff.attempt >= self.max_retries or not publish_retryable(exc):
                    raise
                time.sleep(backoff.delay(exc.retry_after))

    # --- streams --------------------------------------------------------------------

    def stream(
        self,
        topic: str,
        *,
        start: Literal["earliest", "latest"] = "latest",
        since: str | None = None,
        cursor: str | None = None,
        transport: Literal["sse", "websocket"] = "sse",
        reconnect: bool = True,
    ) -> Iterator[StreamItem]:
        """The topic's messages (``Message``) and retention gaps (``Gap``) as they come.

        After a dropped connection, a server shutdown or a slow-consumer cut, the stream
        reconnects from its last cursor (no gap, no duplicate) with backoff, waiting out
        ``Retry-After`` when the server sends one; a server that cannot be reached at the
        first attempt raises ``ConnectionFailed``. Any other end of the stream is yielded
        as a ``Close`` and ends the iteration; a refusal to open raises its typed error.
        With ``reconnect=False`` the first end of any kind is yielded as ``Close``.
        """
        state = StreamState(start=start, since=since, cursor=cursor)
        opener = self._sse_once if transport == "sse" else self._ws_once
        while True:
            close: Close | None = None
            try:
                with contextlib.closing(opener(topic, state)) as items:
                    for item in items:
                        if isinstance(item, Close):
                            close = item
                            break
                        state.backoff.reset()
                        yield item
            except TopichubError as exc:
                first = isinstance(exc, ConnectionFailed) and not state.opened
                if first or not reconnect or not stream_open_retryable(exc):
                    raise
                time.sleep(state.backoff.delay(exc.retry_after))
                continue
            if close is not None and not resumable(close):
                yield close
                return
            if not reconnect:
                yield close or Close(reason="connection_lost")
                return
            time.sleep(state.backoff.delay())

    def _sse_once(self, topic: str, state: StreamState) -> Generator[StreamItem, None, None]:
        timeout = httpx.Timeout(self._timeout, read=HEARTBEAT_GRACE_S)
        try:
            with self._http.stream(
                "GET",
                f"/api/v1/topics/{topic}/stream",
                params=state.params(),
                headers=self._auth(),
                timeout=timeout,
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise error_from_response(response)
                state.opened = True
                parser = SSEParser()
                for line in response.iter_lines():
                    event = parser.feed(line)
                    if event is not None and (item := state.sse_item(*event)) is not None:
                        yield item
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"stream from {self.url} lost: {exc!r}") from exc

    def _ws_once(self, topic: str, state: StreamState) -> Generator[StreamItem, None, None]:
        base = "ws" + self.url.removeprefix("http")
        url = f"{base}/api/v1/topics/{topic}/ws?{urlencode(state.params())}"
        try:
            with ws_connect(
                url, additional_headers=self._auth(), open_timeout=self._timeout
            ) as websocket:
                state.opened = True
                started = False
                with contextlib.suppress(ConnectionClosed):
                    for frame in websocket:
                        item = state.ws_item(frame if isinstance(frame, str) else frame.decode())
                        if item is None:
                            continue
                        started = True
                        yield item
                        if isinstance(item, Close):
                            return
                code, reason = websocket.close_code, websocket.close_reason
        except InvalidStatus as exc:
            raise error_from(
                exc.response.status_code,
                exc.response.reason_phrase,
                exc.response.headers,
                None,
            ) from exc
        except (OSError, WebSocketException, TimeoutError) as exc:
            raise ConnectionFailed(f"stream from {self.url} lost: {exc!r}") from exc
        if not started and code in WS_OPEN_ERRORS:
            raise WS_OPEN_ERRORS[code](reason or f"closed with {code}", status_code=None)
        yield ws_close(code, reason)
