"""A short middleware stack for the hot routes (the publish, the SSE stream).

Starlette runs every request through its error layer, FastAPI's telemetry and body
limit layers, the app's user middleware, Starlette's exception layer, FastAPI's exit
stack and the router: each an ``await`` and most a ``send`` wrapper, per request. A hot
route that recognises its request up front (method, path, headers, query) can skip all
but the layers that do something for it: ``ShortStack`` is the app's user middleware
(the same classes with the same options: request id, access log, metrics, headers,
CORS, body and host checks) around the route's own handler, and answers the errors the
handler raises with the app's exception handlers, as Starlette's exception layer would.
An exception no handler takes goes on to the user middleware, whose 500 answer is the
app's (``topichub.middleware``).

``inner_stack`` finds, in the app's full stack, the layers inside the user middleware:
where a hot route hands a request it cannot finish after all (a body that does not
validate), without passing the user middleware a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Any
"""An exception handler of the app: ``(request, exc) -> Response`` (maybe async)."""


class ShortStack:
    """``middleware`` (the app's ``user_middleware``, outermost first) around ``serve``;
    call it as an ASGI app. ``answer`` renders an exception with ``handlers`` (the app's
    ``exception_handlers``)."""

    def __init__(
        self,
        serve: ASGIApp,
        middleware: Iterable[Any] = (),
        handlers: Mapping[Any, Handler] | None = None,
    ) -> None:
        app = serve
        for cls, args, kwargs in reversed(list(middleware)):
            app = cls(app, *args, **kwargs)
        self.app = app
        # What Starlette's exception layer answers: every handler but the catch-all one
        # (``Exception``/500 is the outermost layer's, and the request middleware
        # answers what no handler took).
        self.handlers = {
            key: handler for key, handler in (handlers or {}).items() if key not in (500, Exception)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def handler_for(self, exc: Exception) -> Handler | None:
        if isinstance(exc, HTTPException) and exc.status_code in self.handlers:
            return self.handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None

    async def answer(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``exc`` with its handler; re-raise it when there is none."""
        handler = self.handler_for(exc)
        if handler is None:
            raise exc
        request = Request(scope, receive)
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)


def inner_stack(stack: ASGIApp, middleware: Iterable[Any]) -> ASGIApp:
    """The layer of ``stack`` (an app's built middleware stack) just inside the last of
    its user ``middleware``: each layer is reached through the ``app`` attribute of the
    one around it, as Starlette's and FastAPI's middleware keep it."""
    classes = tuple(cls for cls, _args, _kwargs in middleware)
    if not classes:
        return stack
    layer: Any = stack
    innermost: Any = None
    while layer is not None:
        if isinstance(layer, classes[-1]):
            innermost = layer
            break
        layer = getattr(layer, "app", None)
    if innermost is None:
        raise RuntimeError("the app's user middleware is not in its middleware stack")
    inner: ASGIApp = innermost.app
    return inner


def put_in_front(app: Any, layer: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``layer(stack)`` in front of ``app``'s middleware stack. Starlette builds the
    stack at the first request, after every middleware was added: so is the layer."""
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return layer(build())

    app.build_middleware_stack = build_middleware_stack
