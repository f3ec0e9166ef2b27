"""``POST /api/v1/topics/{name}/publish`` (and the seed path) off FastAPI's per-request
machinery.

The publish ``APIRoute`` in ``topics.endpoints`` stays what the OpenAPI document and
every unusual request see. In front of the app's middleware stack sits
``PublishRoute``, a pure ASGI handler that answers the common request itself: a JSON
body that validates, one credential in ``Authorization: Bearer`` or ``X-API-Key``, no
``Idempotency-Key``. It does what the dependencies did (credential -> principal, rate
limit, log context), in the same order and with the same functions, but without
FastAPI's dependency solving, its generator dependency's exit stack and cancel scopes,
and a database session opened for nothing: the session is opened only when a cache
misses. It runs inside a short middleware stack (``topichub.kit.short_stack``): the
app's user middleware, without Starlette's error and exception layers, FastAPI's body
limit, telemetry and exit stack, and the router, which cost a single publish about 6%
of its CPU (py-spy of the in-process request path).

Anything else — no credential, a body that does not validate, a malformed
``project_id``, an ``Idempotency-Key`` — is handed, body and all, to the ``APIRoute``
(through the full stack, or, for a body found invalid, through the layers inside the
user middleware it has passed), so every error answer stays exactly FastAPI's. The fast path has no
error answers of its own: it raises the same ``TopichubError``s the endpoint raises,
rendered by the same handlers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from topichub.identity.dependencies import resolve_credential
from topichub.identity.principal import Permission, Principal
from topichub.kit.short_stack import Handler, ShortStack, inner_stack, put_in_front
from topichub.limits.enforce import rate_hit
from topichub.limits.rate import RateHit
from topichub.resources import Resources
from topichub.topics import schema_check, service
from topichub.topics.endpoints import PUBLISH_BODY, publish_batch

_PATH = re.compile(r"^(?:/api/v1)?/topics/([^/]+)/publish$")
_FAST: Final = "topichub.publish_fast"
"""Scope key of a fast-path request's credential and ``project_id``, from
``PublishRoute`` through the short middleware stack to ``PublishRoute.serve``."""


class LazySession:
    """An ``AsyncSession`` made on first use: a request whose answers all come from the
    caches never opens one. ``commit``, ``rollback`` and ``close`` of a session never
    made do nothing."""

    __slots__ = ("_make", "session")

    def __init__(self, resources: Resources) -> None:
        self._make = resources.sessionmaker
        self.session: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self.session is None:
            self.session = self._make()
        return getattr(self.session, name)

    async def commit(self) -> None:
        if self.session is not None:
            await self.session.commit()

    async def rollback(self) -> None:
        if self.session is not None:
            await self.session.rollback()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def header_credential(scope: Scope) -> str | None:
    """The credential when it is given in one of the two usual ways, else None (the
    ``APIRoute`` then decides, with FastAPI's security schemes)."""
    authorization: bytes | None = None
    api_key: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is not None:
                return None
            authorization = value
        elif name == b"x-api-key":
            if api_key is not None:
                return None
            api_key = value
    return _credential(authorization, api_key)


def _credential(authorization: bytes | None, api_key: bytes | None) -> str | None:
    """The credential of an ``Authorization: Bearer`` or ``X-API-Key`` header (the
    former wins), or None when the one given is not usable that way."""
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        return token
    if api_key:
        return api_key.decode("latin-1")
    return None


def _fast_credential(scope: Scope) -> str | None:
    """``header_credential``, for a request the fast path takes: a JSON body and no
    ``Idempotency-Key``; else None. One pass over the headers."""
    authorization: bytes | None = None
    api_key: bytes | None = None
    content_type: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is not None:
                return None
            authorization = value
        elif name == b"x-api-key":
            if api_key is not None:
                return None
            api_key = value
        elif name == b"content-type":
            if content_type is None:
                content_type = value
        elif name == b"idempotency-key":
            return None
    if content_type is None or (
        content_type != b"application/json"
        and content_type.split(b";", 1)[0].strip().lower() != b"application/json"
    ):
        return None
    return _credential(authorization, api_key)


async def _read_body(receive: Receive) -> bytes:
    """The whole request body, as ``Request.body`` reads it (a disconnect before its end
    raises ``ClientDisconnect``), without the stream's async generator."""
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        body: bytes = message.get("body", b"")
        return body
    chunks: list[bytes] = []
    while True:
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
        message = await receive()


class PublishRoute:
    """An ASGI layer in front of the app's middleware stack (as ``StreamRoute`` is, see
    ``topichub.kit.short_stack``): a ``POST`` of a publish path that the fast path
    takes (a JSON body, one usable credential, no ``Idempotency-Key``, a well-formed
    ``project_id`` if any) is answered through a short stack, the app's user middleware
    around ``serve``; everything else, and every other method on those paths (405 as
    before), goes on to the full stack. ``api_route`` is set as the scope's route, so
    the request is logged and measured under the same route template. Not a route
    itself: route walkers (the isolation matrix, the OpenAPI document) see the
    ``APIRoute`` only."""

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
        # A body that does not validate goes on from inside the user middleware it has
        # already passed: to Starlette's exception layer, the router and the APIRoute.
        self.inner = inner_stack(app, middleware)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = get_route_path(scope)
            if path.endswith("/publish"):
                found = _PATH.match(path)
                if found is not None and self._take(scope, found.group(1)):
                    await self.fast(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _take(self, scope: Scope, name: str) -> bool:
        """Whether the fast path serves this request; if so, its credential and
        ``project_id`` are put in the scope for ``serve``."""
        credential = _fast_credential(scope)
        if credential is None:
            return False
        project_id: uuid.UUID | None = None
        if scope.get("query_string"):
            raw = QueryParams(scope["query_string"]).get("project_id")
            if raw is not None:
                try:
                    project_id = uuid.UUID(raw)
                except ValueError:
                    return False
        params = dict(scope.get("path_params", {}))
        params["name"] = name
        scope["path_params"] = params
        scope["route"] = self.api_route
        scope[_FAST] = (credential, project_id)
        return True

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The publish, inside the short middleware stack."""
        credential, project_id = scope.pop(_FAST)
        body = await _read_body(receive)
        try:
            data = PUBLISH_BODY.validate_json(body)
        except ValidationError:
            await self._slow(scope, body, receive, send)
            return
        try:
            answer = await self._answer(Request(scope, receive), credential, project_id, data)
        except Exception as exc:  # noqa: BLE001  (the app's handler answers, or it is re-raised)
            await self.fast.answer(exc, scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(answer)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def _answer(
        self, request: Request, credential: str, project_id: uuid.UUID | None, data: Any
    ) -> bytes:
        scope = request.scope
        resources: Resources = scope["app"].state.resources
        lazy = LazySession(resources)
        session: AsyncSession = lazy  # type: ignore[assignment]
        try:
            principal = await resolve_credential(session, resources, credential)
            # The rate-limit hit is made with the quota, in one Redis round trip
            # (``QuotaService.consume_in``); a request refused before that makes it
            # alone first, so it is counted and over the limit answers 429 as before.
            rate = await rate_hit(request, session, resources, principal)
            try:
                result = await self._publish(
                    scope, session, resources, principal, data, project_id, rate
                )
            except Exception:
                if rate is not None and not rate.attempted:
                    await rate.run()
                raise
            await lazy.commit()
        except BaseException:
            await lazy.rollback()
            raise
        finally:
            await lazy.close()
        return result.json()

    @staticmethod
    async def _publish(
        scope: Scope,
        session: AsyncSession,
        resources: Resources,
        principal: Principal,
        data: Any,
        project_id: uuid.UUID | None,
        rate: RateHit | None,
    ) -> service.Published:
        log_context = scope.get("state", {}).get("log_context")
        if isinstance(log_context, dict):
            log_context["tenant_id"] = principal.tenant_key
            log_context["user_id"] = principal.quota_holder if principal.user_id else None
            log_context["auth"] = principal.kind
        principal.require(Permission.write)
        name = scope["path_params"]["name"]
        topic = await service.find_topic(
            session, resources.caches.topics, principal, name, project_id
        )
        service.check_publishable(topic)
        settings = resources.settings
        extra_headers = await schema_check.check_batch(session, topic, data["messages"])
        batch = service.encode_messages(
            data["messages"],
            topic=topic,
            max_batch=settings.max_batch_messages,
            max_message_bytes=settings.max_message_bytes,
            extra_headers=extra_headers,
        )
        return await publish_batch(session, resources, principal, topic, batch, rate)

    async def _slow(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """The request as FastAPI would have had it: on to the layers inside the user
        middleware (which it has passed already) and the router, with the body already
        read replayed."""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        del scope["route"]
        await self.inner(scope, replay, send)


def install(app: Any) -> None:
    """Put ``PublishRoute`` in front of ``app``'s middleware stack (the ``APIRoute`` it
    shortcuts keeps its place, and the OpenAPI document is unchanged)."""
    from topichub.topics.endpoints import router as topics_router

    path = "/topics/{name}/publish"
    api_route = next(r for r in topics_router.routes if getattr(r, "path", None) == path)
    put_in_front(
        app,
        lambda stack: PublishRoute(stack, api_route, app.user_middleware, app.exception_handlers),
    )
