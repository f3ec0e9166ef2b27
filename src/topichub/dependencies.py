"""Request-level dependencies shared by every domain package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from topichub.resources import Resources


def get_resources(connection: HTTPConnection) -> Resources:
    resources: Resources = connection.app.state.resources
    return resources


async def _resources(connection: HTTPConnection) -> Resources:
    # Async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a
    # thread hop on every request for what is an attribute read.
    return get_resources(connection)


ResourcesDep = Annotated[Resources, Depends(_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One session per request, committed after the endpoint returns and before the
    response is sent (``scope="function"``), so a 2xx always means committed."""
    async with resources.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def _no_store(response: Response) -> None:
    # Answers carrying credentials (tokens, keys, tickets) must not be kept by a
    # browser or a proxy cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


NoStore = Depends(_no_store)
