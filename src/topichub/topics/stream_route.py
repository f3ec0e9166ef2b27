"""``GET /api/v1/topics/{name}/stream`` (and the seed path) off FastAPI's per-request
machinery, as ``topics.publish_route`` does for the publish.

The SSE ``APIRoute`` in ``topics.stream.endpoints`` stays what the OpenAPI document and
every unusual request see. In front of the router's route matching sits
``StreamRoute``, a pure ASGI handler that opens the common stream itself: one
credential in ``Authorization: Bearer`` or ``X-API-Key``, or a ``?ticket=``; no
``group`` and no ``since``; every other query parameter one of ``from``, ``cursor``,
``ticket``, ``project_id`` given once, within the endpoint's limits. It does what the
endpoint does (credential -> principal, rate limit, topic, start position,
``opening.open_stream``, ``sse.SSEResponse``) with the same functions and in the same
order, but without FastAPI's dependency solving, the request's exit stacks and the
resolved dependencies FastAPI keeps for the whole response (among them the request's
finished ``AsyncSession``), all of which a held stream used to keep alive for hours.
The database session is opened only when a cache misses, and closed before the first
byte of the stream.

A held stream also holds every ASGI layer it passed through, for as long as it runs
(issue 13: memory per stream). So ``StreamRoute`` sits in front of the whole middleware
stack, and serves a common stream through a short one of its own: the app's user
middleware (request id, access log, metrics, security headers, CORS, body and host
checks — the very same classes with the same options) around the stream, without
Starlette's error and exception layers, FastAPI's body limit, telemetry and exit stack,
and the router. The errors an open raises are answered by the app's own exception
handlers, as Starlette's exception layer would; an unexpected one by the request
middleware's 500, as before.

Anything else — no credential, a consumer group, ``since``, a malformed ``project_id``,
an over-long ``cursor``, ``ticket`` or ``Last-Event-ID``, a repeated parameter, an
unknown one — goes on to the ``APIRoute`` through the router, so its answer stays
exactly FastAPI's. The fast path has no error answers of its own: it raises the same
``TopichubError``s the endpoint raises, rendered by the same handlers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from topichub.identity.dependencies import resolve_credential
from topichub.identity.tickets import stream_binding
from topichub.identity.websocket import principal_from_ticket
from topichub.kit.short_stack import Handler, ShortStack, put_in_front
from topichub.limits.enforce import enforce_rate_limit
from topichub.resources import Resources
from topichub.topics.publish_route import LazySession, header_credential
from topichub.topics.stream.opening import LiveStream, find_stream_topic, open_stream, parse_start
from topichub.topics.stream.sse import SSEResponse

_PATH = re.compile(r"^(?:/api/v1)?/topics/([^/]+)/stream$")

# The query parameters the fast path takes, with the endpoint's max_length (None: none).
_TAKEN: dict[str, int | None] = {"from": None, "cursor": 4096, "ticket": 2048, "project_id": None}
_MAX_LAST_EVENT_ID = 4096
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_FAST: Final = "topichub.stream_fast"
"""Scope key of a fast-path request's parsed query and credential, from ``StreamRoute``
through the short middleware stack to ``StreamRoute.serve`` (which pops it)."""


class _Query:
    """The fast path's share of a stream's query string, or ``ok`` False when the
    request is one for the ``APIRoute``."""

    __slots__ = ("cursor", "ok", "project_id", "start_from", "ticket")

    def __init__(self, query_string: bytes) -> None:
        self.ok = False
        self.start_from: str | None = None
        self.cursor: str | None = None
        self.ticket: str | None = None
        self.project_id: uuid.UUID | None = None
        values: dict[str, str] = {}
        if query_string:
            for key, value in QueryParams(query_string).multi_items():
                if key not in _TAKEN or key in values:
                    return
                limit = _TAKEN[key]
                if limit is not None and len(value) > limit:
                    return
                values[key] = value
        if "project_id" in values:
            try:
                self.project_id = uuid.UUID(values["project_id"])
            except ValueError:
                return
        self.start_from = values.get("from")
        self.cursor = values.get("cursor")
        self.ticket = values.get("ticket")
        self.ok = True


def _last_event_id(scope: Scope) -> tuple[bool, str | None]:
    """(usable, value) of the ``Last-Event-ID`` header: not usable when it is sent twice
    or is over the endpoint's limit."""
    found: str | None = None
    for name, value in scope["headers"]:
        if name == b"last-event-id":
            if found is not None:
                return False, None
            found = value.decode("latin-1")
    if found is not None and len(found) > _MAX_LAST_EVENT_ID:
        return False, None
    return True, found


class StreamRoute:
    """An ASGI layer in front of the app's middleware stack: ``GET`` of a stream path is
    answered here when it is a common one, through ``middleware`` (the app's user
    middleware, outermost first) around ``serve``; everything else goes on to ``app``,
    the full stack. ``api_route`` is set as the scope's route, so the request is logged
    and measured under the same route template. Not a route itself: route walkers (the
    isolation matrix, the OpenAPI document) see the ``APIRoute`` only."""

    def __init__(
        self,
        app: ASGIApp,
        api_route: BaseRoute,
        middleware: Iterable[Any] = (),
        handlers: Mapping[Any, Handler] | None = None,
    ) -> None:
        self.app = app
        self.api_route = api_route
        self.fast = ShortStack(self.serve, middleware, handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What the fast path parsed travels in the scope, not in this frame's locals: a
        # held stream keeps the frames it runs in (and their locals) for its whole life.
        if self._take(scope):
            await self.fast(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _take(self, scope: Scope) -> bool:
        """Whether the fast path serves this request; if so, its parsed query and
        credential are put in the scope for ``serve``."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path = get_route_path(scope)
        if not path.endswith("/stream"):
            return False
        found = _PATH.match(path)
        if found is None:
            return False
        query = _Query(scope.get("query_string", b""))
        usable, last_event_id = _last_event_id(scope)
        credential = None if query.ticket else header_credential(scope)
        if not (query.ok and usable and (query.ticket or credential is not None)):
            return False
        params = dict(scope.get("path_params", {}))
        params["name"] = found.group(1)
        scope["path_params"] = params
        scope["route"] = self.api_route
        scope[_FAST] = (query, credential, last_event_id)
        return True

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The stream, inside the short middleware stack."""
        try:
            response = await self._response(scope, receive, *scope.pop(_FAST))
        except Exception as exc:  # noqa: BLE001  (the app's handler answers, or it is re-raised)
            await self.fast.answer(exc, scope, receive, send)
            return
        await response(scope, receive, send)

    async def _response(
        self,
        scope: Scope,
        receive: Receive,
        query: _Query,
        credential: str | None,
        last_event_id: str | None,
    ) -> Response:
        """The open stream's response (nothing of the request is kept by it)."""
        resources: Resources = scope["app"].state.resources
        live = await self._open(
            Request(scope, receive), resources, query, credential, last_event_id
        )
        ticket = query.ticket
        return SSEResponse(
            live.subscription,
            on_write=resources.tickets.keeper(ticket) if ticket else None,
            headers=_HEADERS,
            on_close=live.finish,
        )

    async def _open(
        self,
        request: Request,
        resources: Resources,
        query: _Query,
        credential: str | None,
        last_event_id: str | None,
    ) -> LiveStream:
        """What the endpoint does before its response, with a session opened only when a
        cache misses and closed before the stream starts."""
        lazy = LazySession(resources)
        session: AsyncSession = lazy  # type: ignore[assignment]
        live: LiveStream | None = None
        try:
            if query.ticket:
                # EventSource re-sends this URL to reconnect: the ticket may reopen this
                # stream.
                binding = stream_binding("sse", request.url.path, query.project_id)
                principal = await principal_from_ticket(
                    session, resources, query.ticket, stream=binding
                )
            else:
                assert credential is not None
                principal = await resolve_credential(session, resources, credential)
                log_context = request.scope.get("state", {}).get("log_context")
                if isinstance(log_context, dict):
                    log_context["tenant_id"] = str(principal.tenant_id)
                    log_context["user_id"] = str(principal.user_id) if principal.user_id else None
                    log_context["auth"] = principal.kind
            await enforce_rate_limit(request, session, resources, principal)
            name = request.scope["path_params"]["name"]
            topic = await find_stream_topic(session, resources, principal, name, query.project_id)
            start = parse_start(
                topic,
                start_from=query.start_from,
                since=None,
                cursor=query.cursor,
                last_event_id=last_event_id,
            )
            live = await open_stream(session, resources, principal, topic, start, "sse")
            await lazy.commit()
        except BaseException:
            await lazy.rollback()
            if live is not None:
                await live.finish()
            raise
        finally:
            await lazy.close()
        return live


def install(app: Any) -> None:
    """Put ``StreamRoute`` in front of ``app``'s middleware stack (the ``APIRoute`` it
    shortcuts keeps its place, and the OpenAPI document is unchanged)."""
    from topichub.topics.stream.endpoints import router as streams_router

    path = "/topics/{name}/stream"
    api_route = next(r for r in streams_router.routes if getattr(r, "path", None) == path)
    put_in_front(
        app,
        lambda stack: StreamRoute(stack, api_route, app.user_middleware, app.exception_handlers),
    )
