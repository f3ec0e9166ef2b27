"""Live streams of a topic over Server-Sent Events and WebSocket.

Authentication: the usual headers, or ``?ticket=`` (a single-use stream ticket from
``POST /api/v1/stream-tickets``) for browsers, whose EventSource and WebSocket cannot set
headers; WebSocket clients may also send ``{"type": "auth", "ticket"|"token": …}`` as
their first frame.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Request, Response, WebSocket
from fastapi.security import HTTPAuthorizationCredentials

from topichub.dependencies import NoStore, ResourcesDep, SessionDep, get_resources
from topichub.errors import TopichubError
from topichub.identity.dependencies import (
    PrincipalDep,
    get_principal,
)
from topichub.identity.tickets import stream_binding
from topichub.identity.websocket import principal_from_ticket, ws_credential, ws_principal
from topichub.limits.dependencies import RateLimited
from topichub.limits.enforce import enforce_rate_limit
from topichub.topics.schemas import StreamTicketOut
from topichub.topics.stream.frames import CloseReason, ws_close_code
from topichub.topics.stream.group_hook import GROUP_NAME_PATTERN, check_group_start, group_opener
from topichub.topics.stream.opening import find_stream_topic, open_stream, parse_start
from topichub.topics.stream.sse import SSEResponse
from topichub.topics.stream.websocket import pump

router = APIRouter(tags=["streams"])

AUTH_FRAME_TIMEOUT_S = 5.0
FromQuery = Annotated[
    str | None, Query(alias="from", description="`earliest` or `latest` (default)")
]
SinceQuery = Annotated[datetime | None, Query(description="ISO-8601 time to start from")]
CursorQuery = Annotated[
    str | None, Query(max_length=4096, description="An event id to resume after")
]
TicketQuery = Annotated[
    str | None,
    Query(
        max_length=2048,
        description="A stream ticket: single-use, except that an SSE stream's ticket "
        "may reopen that same stream (EventSource's automatic reconnect)",
    ),
]
ProjectQuery = Annotated[uuid.UUID | None, Query()]
GroupQuery = Annotated[
    str | None,
    Query(
        pattern=GROUP_NAME_PATTERN,
        max_length=100,
        description="Join this consumer group: the stream gets only its share of the "
        "partitions (docs/groups.md)",
    ),
]
AutocommitQuery = Annotated[
    bool, Query(description="With group: commit each batch once it is written to the stream")
]


@router.post(
    "/stream-tickets",
    summary="Get a stream ticket (browsers)",
    response_model=StreamTicketOut,
    dependencies=[NoStore, RateLimited],
)
async def create_stream_ticket(principal: PrincipalDep, resources: ResourcesDep) -> StreamTicketOut:
    """A credential for one stream, valid for a minute (for browsers): used once, except
    that a ticket that opened an SSE stream may reopen that same stream, as a browser's
    EventSource does by itself after a network blip."""
    user_id = principal.require_user()
    assert principal.token_version is not None
    ticket = resources.tickets.issue(user_id, principal.tenant_id, principal.token_version)
    return StreamTicketOut(ticket=ticket, expires_in=resources.tickets.ttl_s)


@router.get(
    "/topics/{name}/stream",
    summary="Stream a topic (Server-Sent Events)",
    response_class=SSEResponse,
    # SSEResponse's constructor has no default status FastAPI can read for the document.
    status_code=200,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "example": ": connected\n\n"
                    'id: 0:42\ndata: {"value":{"order_id":1043},"key":"customer-7",'
                    '"headers":{},"partition":0,"offset":41,'
                    '"timestamp":"2026-12-04T09:40:00.120Z"}\n\n'
                    ": heartbeat\n\n"
                    'event: close\ndata: {"reason":"topic_deleted"}\n\n'
                }
            },
            "description": "An SSE stream (frames: /docs/streams)",
        }
    },
)
async def stream_sse(
    name: str,
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    start_from: FromQuery = None,
    since: SinceQuery = None,
    cursor: CursorQuery = None,
    ticket: TicketQuery = None,
    project_id: ProjectQuery = None,
    group: GroupQuery = None,
    autocommit: AutocommitQuery = False,
    last_event_id: Annotated[str | None, Header(max_length=4096)] = None,
) -> Response:
    """Server-Sent Events: a comment on connect, then `id: <cursor>` and `data: {…}` per
    message, heartbeat comments, and `event: close` when the server ends the stream.
    Reconnect with `Last-Event-ID` (browsers do it by themselves) to resume with no gap
    and no duplicate."""
    if ticket:
        # EventSource re-sends this URL to reconnect: the ticket may reopen this stream.
        binding = stream_binding("sse", request.url.path, project_id)
        principal = await principal_from_ticket(session, resources, ticket, stream=binding)
    else:
        principal = await get_principal(
            request, session, resources, _bearer(request), request.headers.get("x-api-key")
        )
    await enforce_rate_limit(request, session, resources, principal)
    topic = await find_stream_topic(session, resources, principal, name, project_id)
    if group is not None:
        check_group_start(**{"from": start_from, "since": since, "cursor": cursor})
        opener = group_opener(resources)
        member = await opener(
            session, resources, principal, topic, group, autocommit=autocommit, transport="sse"
        )
        return member.sse_response()
    start = parse_start(
        topic, start_from=start_from, since=since, cursor=cursor, last_event_id=last_event_id
    )
    live = await open_stream(session, resources, principal, topic, start, "sse")
    return SSEResponse(
        live.subscription,
        on_write=resources.tickets.keeper(ticket) if ticket else None,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        on_close=live.finish,
    )


def _bearer(request: Request) -> HTTPAuthorizationCredentials | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return HTTPAuthorizationCredentials(scheme="Bearer", credentials=value.strip())
    return None


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers always send Origin on a WebSocket upgrade; a page of another site must not
    ride on the user's credentials. Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host


@router.websocket("/topics/{name}/ws")
async def stream_ws(
    websocket: WebSocket,
    name: str,
    start_from: FromQuery = None,
    since: SinceQuery = None,
    cursor: CursorQuery = None,
    ticket: TicketQuery = None,
    project_id: ProjectQuery = None,
    group: GroupQuery = None,
    autocommit: AutocommitQuery = False,
) -> None:
    """WebSocket stream: one JSON text frame per message (`{"id": <cursor>, "value": …}`),
    heartbeats, and a close code saying why the server ended it (4001 unauthenticated,
    4003 revoked or forbidden, 4004 not found, 4008 slow consumer, 4022 bad request,
    4029 stream limit or quota, 1001 shutdown)."""
    resources = get_resources(websocket)
    if not origin_allowed(websocket, resources.settings.cors_origins):
        await websocket.close(code=ws_close_code(CloseReason.FORBIDDEN), reason="origin")
        return
    await websocket.accept()
    credential = await ws_credential(websocket, ticket=ticket)
    if credential is None:
        await websocket.close(code=4001, reason="unauthenticated")
        return
    try:
        # The session is closed before streaming starts: nothing holds it while we pump.
        async with resources.sessionmaker() as session:
            principal = await ws_principal(session, resources, credential)
            # Opening a socket costs what opening an SSE stream costs: rate-limit both.
            await enforce_rate_limit(websocket, session, resources, principal)
            topic = await find_stream_topic(session, resources, principal, name, project_id)
            if group is not None:
                check_group_start(**{"from": start_from, "since": since, "cursor": cursor})
                member = await group_opener(resources)(
                    session,
                    resources,
                    principal,
                    topic,
                    group,
                    autocommit=autocommit,
                    transport="ws",
                )
            else:
                start = parse_start(
                    topic, start_from=start_from, since=since, cursor=cursor, last_event_id=None
                )
                live = await open_stream(session, resources, principal, topic, start, "ws")
    except TopichubError as exc:
        await websocket.close(code=_ws_code(exc), reason=exc.message[:120])
        return
    if group is not None:
        await member.pump(websocket)
        return
    try:
        await pump(websocket, live.subscription)
    finally:
        await live.finish()


def _ws_code(error: TopichubError) -> int:
    return {401: 4001, 403: 4003, 404: 4004, 422: 4022, 429: 4029, 503: 1013}.get(
        error.status_code, 1011
    )
