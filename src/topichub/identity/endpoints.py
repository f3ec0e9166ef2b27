"""Login, session and own-account endpoints, in the canonical shape and the seeds' shapes."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response, status
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.dependencies import NoStore, ResourcesDep, SessionDep
from topichub.errors import ValidationFailed
from topichub.identity import service
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.schemas import (
    LoginIn,
    MeUpdate,
    MeUpdated,
    RefreshIn,
    TokenOut,
    UserOut,
)
from topichub.resources import Resources

router = APIRouter(tags=["auth"])
"""Login and sessions: no principal, so no rate limit as a whole (sign-up is in
``accounts/endpoints.py``: it opens a tenant and its topics)."""

me_router = APIRouter(tags=["auth"])
"""The caller's own account; ``app.py`` puts the rate limit on it as a whole."""


def _token_settings(resources: Resources) -> service.TokenSettings:
    return service.TokenSettings.of(resources.settings)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_login(request: Request, username: str | None, password: str | None) -> LoginIn:
    """Seed 001 logs in with query parameters; everyone else sends JSON."""
    try:
        if username is not None or password is not None:
            return LoginIn(username=username, password=password or "")
        body = await request.body()
        if not body:
            raise ValidationFailed("Send a JSON body with email (or username) and password")
        return LoginIn.model_validate(json.loads(body))
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()
        ]
        raise ValidationFailed(f"Invalid login: {details[0]['reason']}", details=details) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed("Body is not valid JSON") from exc
    except (ValueError, RecursionError) as exc:
        # A number of thousands of digits (Python's int limit) or nesting deeper than
        # the parser's recursion: both are the client's, never a 500.
        raise ValidationFailed(
            "Body is JSON this API does not accept (too deep or too large)"
        ) from exc


async def _log_in(
    request: Request, session: AsyncSession, resources: Resources, login: str, password: str
) -> TokenOut:
    user = await service.authenticate(
        session,
        resources.hasher,
        resources.login_throttle,
        login=login,
        password=password,
        address=_client_address(request),
    )
    return await service.issue_tokens(session, resources.tokens, _token_settings(resources), user)


_LOGIN_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": LoginIn.model_json_schema()}},
    }
}


@router.post(
    "/auth/login",
    summary="Log in with a password",
    response_model=TokenOut,
    openapi_extra=_LOGIN_BODY,
    dependencies=[NoStore],
)
async def login(
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    username: Annotated[str | None, Query(max_length=320)] = None,
    password: Annotated[str | None, Query(max_length=1024)] = None,
) -> TokenOut:
    """Log in with a JSON body ``{"email"|"username", "password"}``, or (seed 001) with
    ``?username=…&password=…``."""
    data = await _read_login(request, username, password)
    return await _log_in(request, session, resources, data.login, data.password)


@router.post(
    "/token",
    summary="Log in with the OAuth2 password flow",
    response_model=TokenOut,
    dependencies=[NoStore],
)
async def oauth2_token(
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    username: Annotated[str, Form(min_length=1, max_length=320)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
) -> TokenOut:
    """OAuth2 password flow (seed 004): form fields ``username`` (or email) and ``password``."""
    return await _log_in(request, session, resources, username, password)


@router.post(
    "/auth/refresh",
    summary="Refresh a session's tokens",
    response_model=TokenOut,
    dependencies=[NoStore],
)
async def refresh(data: RefreshIn, session: SessionDep, resources: ResourcesDep) -> TokenOut:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    return await service.refresh(
        session, resources.tokens, _token_settings(resources), data.refresh_token
    )


@router.post(
    "/auth/logout", summary="Log out: end a session", status_code=status.HTTP_204_NO_CONTENT
)
async def logout(data: RefreshIn, session: SessionDep) -> Response:
    """End a session: the refresh token and every token rotated from the same login stop
    working. The refresh token is the credential, so no access token is needed. Always
    204, whether or not the token was known (the answer reveals nothing). Access tokens
    already issued live out their short lifetime."""
    await service.logout(session, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.get("/auth/me", summary="Who am I", response_model=UserOut)
async def me(principal: PrincipalDep, session: SessionDep) -> UserOut:
    """The signed-in user (or the owner of the API key), with their tenant and role."""
    user = await service.get_user(session, principal.require_user())
    return await service.user_out(session, user)


@me_router.patch(
    "/auth/me",
    summary="Change my email or password",
    response_model=MeUpdated,
    dependencies=[NoStore],
)
async def update_me(
    data: MeUpdate,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> MeUpdated:
    """Change email and/or password; both need `current_password`. A password change
    ends every other session and answers this one fresh tokens (`access_token`,
    `refresh_token`) beside the user."""
    user, password_changed = await service.update_me(
        session,
        resources.hasher,
        resources.login_throttle,
        principal,
        data,
        address=_client_address(request),
    )
    out = MeUpdated.model_validate((await service.user_out(session, user)).model_dump())
    if password_changed:
        tokens = await service.issue_tokens(
            session, resources.tokens, _token_settings(resources), user
        )
        out = out.model_copy(
            update={
                "token": tokens.access_token,
                "access_token": tokens.access_token,
                "token_type": tokens.token_type,
                "expires_in": tokens.expires_in,
                "refresh_token": tokens.refresh_token,
            }
        )
    return out


@me_router.delete(
    "/auth/me", summary="Deactivate my account", status_code=status.HTTP_204_NO_CONTENT
)
async def deactivate_me(principal: PrincipalDep, session: SessionDep) -> Response:
    """Deactivate the account: its tokens, refresh tokens and API keys stop working."""
    await service.deactivate(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
