"""Sign-up (it opens a tenant and its default topics) and project deletion (it retires
the project's topics): the two endpoints that span identity, tenancy and topics."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.accounts.service import create_account, create_log_topics, provision_account
from topichub.dependencies import NoStore, ResourcesDep, SessionDep
from topichub.identity import service as identity
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.schemas import RegisterIn, SignupIn, TokenOut
from topichub.identity.service import NewUser
from topichub.limits.signups import check_signup
from topichub.resources import Resources
from topichub.tenancy import service as tenancy
from topichub.topics import service as topics
from topichub.topics.retire import retire_topics

signup_router = APIRouter(tags=["auth"])
"""No principal: no rate limit as a whole, sign-ups have their own (``check_signup``)."""

projects_router = APIRouter(tags=["projects"])
"""Beside ``tenancy/endpoints.py``'s project routes, with the rate limit as a whole."""


async def _open_account(
    session: AsyncSession, resources: Resources, data: SignupIn | RegisterIn
) -> TokenOut:
    new = NewUser(email=data.email, username=data.username, password=data.password)
    user = await create_account(session, resources.hasher, new)
    new_topics = await provision_account(session, user)
    tokens = await identity.issue_tokens(
        session, resources.tokens, identity.TokenSettings.of(resources.settings), user
    )
    await session.commit()
    await create_log_topics(resources.bus, new_topics)
    return tokens


async def _limit_signups(request: Request, resources: ResourcesDep) -> None:
    settings = resources.settings
    await check_signup(
        resources.rate_limiter,
        request.client.host if request.client else "unknown",
        per_address_per_hour=settings.signup_per_address_per_hour,
        per_hour=settings.signup_per_hour,
    )


SignupLimit = Depends(_limit_signups)


@signup_router.post(
    "/auth/signup",
    summary="Sign up: create an account",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SignupLimit, NoStore],
)
async def signup(data: SignupIn, session: SessionDep, resources: ResourcesDep) -> TokenOut:
    """Create an account with its own tenant, default project and default topic."""
    return await _open_account(session, resources, data)


@signup_router.post(
    "/register",
    summary="Register (seed 004's sign-up)",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SignupLimit, NoStore],
)
async def register(data: RegisterIn, session: SessionDep, resources: ResourcesDep) -> TokenOut:
    """Seed 004's registration: a username and/or an email, and a password."""
    return await _open_account(session, resources, data)


@projects_router.delete(
    "/projects/{project_id}", summary="Delete a project", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_project(
    project_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> None:
    """Delete a project with its topics, their messages and their keys; open streams on
    its topics are closed."""
    project = await tenancy.get_project(session, principal, project_id)
    log_topics = await topics.project_log_topics(session, project.id)
    await tenancy.delete_project(session, principal, project_id)
    await retire_topics(session, resources.streams, resources.bus, set(log_topics))
