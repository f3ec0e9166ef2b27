"""The rate limit is its own route dependency, not part of authentication: every HTTP
route that authenticates a principal must carry it (or count the request itself, as the
SSE route and the WebSockets do)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from topichub.app import create_app
from topichub.config import Settings
from topichub.identity.dependencies import get_principal
from topichub.limits.dependencies import rate_limit


def _calls(dependant: Dependant, target: Any) -> bool:
    return dependant.call is target or any(_calls(d, target) for d in dependant.dependencies)


def _routes(
    routes: Sequence[Any], inherited: tuple[Any, ...] = ()
) -> Iterator[tuple[str, APIRoute, tuple[Any, ...]]]:
    """Every API route with the dependencies its includes add (FastAPI keeps an included
    router's own routes and applies ``include_router(dependencies=...)`` on top)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = route.include_context
            for prefix, inner, deps in _routes(
                original.routes, inherited + tuple(context.dependencies or ())
            ):
                yield context.prefix + prefix, inner, deps
        elif isinstance(route, APIRoute):
            yield "", route, inherited


def test_every_authenticated_route_is_rate_limited() -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    authenticated, unlimited = 0, []
    for prefix, route, deps in _routes(app.routes):
        if not _calls(route.dependant, get_principal):
            continue
        authenticated += 1
        limited = _calls(route.dependant, rate_limit) or any(
            d.dependency is rate_limit for d in deps
        )
        if not limited:
            unlimited.append(f"{sorted(route.methods)} {prefix}{route.path}")
    assert authenticated > 90
    assert unlimited == []
