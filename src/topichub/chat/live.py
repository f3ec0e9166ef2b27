"""``WS /subscribe/{group_id}``: a group's new, edited and deleted messages, live.

Delivery goes through the bus, never process memory: the outbox relay publishes every
message event to the platform topic ``th.sys.chat`` (keyed by group id), each process's
stream hub keeps one live reader on it, and each socket takes its group's events from
that shared feed. A member connected to any process therefore gets the messages sent
through every other one, in the order the relay published them.

Frames sent (JSON text): first ``{"type": "subscribed", "group_id"}`` once the socket is
live (everything committed after it is delivered), then each event as published, e.g.
``{"event": "message_created", "event_id", "group_id", "id", "message_id", "user_id",
"author", "message", "created_at", "edited_at", "occurred_at"}``; ``message_edited`` has
the same shape and ``message_deleted`` carries ``id``/``message_id``/``deleted_by``. An
event delivered twice by the at-least-once relay is sent once (``event_id``). No
application heartbeats: the server's WebSocket pings keep idle connections alive.

Close codes: 4001 no or bad credential, 4003 foreign origin or removed from the group or
credential revoked, 4004 not a member (or no such group), 4008 too slow to keep up with
the feed (reconnect and reload history), 1001 shutdown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from topichub.bus import BusError, TopicNotFound
from topichub.chat import service
from topichub.errors import RateLimitExceeded, TopichubError
from topichub.identity.principal import Permission, Principal
from topichub.identity.websocket import Credential, ws_credential, ws_principal
from topichub.limits.enforce import enforce_rate_limit, plan_for
from topichub.limits.plans import Plan
from topichub.resources import Resources
from topichub.tenancy import service as tenancy
from topichub.topics.stream.endpoints import origin_allowed
from topichub.topics.stream.frames import CloseReason, Event, ws_close_code
from topichub.topics.stream.hub import HubClosed, Start
from topichub.topics.stream.opening import register, take_slot
from topichub.topics.stream.subscription import Subscription
from topichub.topics.stream.websocket import pump

log = logging.getLogger(__name__)

CLOSE_GRACE_S = 1.0
TRANSPORT = "chat-ws"
NOT_A_MEMBER = 4004
UNAUTHENTICATED = 4001
_DEDUP_WINDOW = 1024


async def _authenticate(
    websocket: WebSocket, resources: Resources, credential: Credential
) -> tuple[Principal, uuid.UUID, Plan]:
    """The principal, its default project and plan, in a session closed before
    streaming. The open counts against the tenant's rate limit, as any stream's does."""
    async with resources.sessionmaker() as session:
        principal = await ws_principal(session, resources, credential)
        principal.require(Permission.read)
        await enforce_rate_limit(websocket, session, resources, principal)
        plan = await plan_for(session, resources, principal)
        project = await tenancy.default_project(session, principal.tenant_id)
        # resolve_credential may record a key's last use: keep it.
        await session.commit()
    return principal, project.id, plan


def _close_code(error: TopichubError) -> int:
    if error.status_code == 401:
        return UNAUTHENTICATED
    if error.status_code == 429:
        return ws_close_code(CloseReason.STREAM_LIMIT)
    return ws_close_code(CloseReason.FORBIDDEN)


async def _subscribe(resources: Resources, group_id: uuid.UUID) -> Subscription:
    labels = {"transport": TRANSPORT, "group": str(group_id)}
    try:
        return await resources.hub.subscribe(service.FANOUT.name, Start.latest(), labels=labels)
    except TopicNotFound:
        # Nothing was ever sent on this cluster yet: create the feed topic now.
        await resources.bus.create_topic(service.FANOUT)
        return await resources.hub.subscribe(service.FANOUT.name, Start.latest(), labels=labels)


async def serve(
    websocket: WebSocket,
    resources: Resources,
    group: str,
    token: str | None,
    ticket: str | None,
) -> None:
    """Authenticate, check membership, then stream the group's events until either side
    ends it. No database session is held while streaming."""
    if not origin_allowed(websocket, resources.settings.cors_origins):
        await websocket.close(code=ws_close_code(CloseReason.FORBIDDEN), reason="origin")
        return
    await websocket.accept()
    credential = await ws_credential(websocket, ticket=ticket, token=token)
    if credential is None:
        await websocket.close(code=UNAUTHENTICATED, reason="unauthenticated")
        return
    try:
        group_id = uuid.UUID(group)
    except ValueError:
        await websocket.close(code=NOT_A_MEMBER, reason="group not found")
        return
    try:
        principal, project_id, plan = await _authenticate(websocket, resources, credential)
    except TopichubError as exc:
        await websocket.close(code=_close_code(exc), reason=exc.message[:120])
        return
    # A chat socket is a stream like any other: it takes one of the user's slots.
    try:
        slot = await take_slot(
            resources,
            principal,
            plan,
            topic=service.FANOUT.name,
            project_id=project_id,
            transport=TRANSPORT,
        )
    except RateLimitExceeded as exc:
        code = ws_close_code(CloseReason.STREAM_LIMIT)
        await websocket.close(code=code, reason=exc.message[:120])
        return
    try:
        await _serve_member(websocket, resources, principal, project_id, group_id)
    finally:
        with contextlib.suppress(Exception):
            await slot.release()


async def _serve_member(
    websocket: WebSocket,
    resources: Resources,
    principal: Principal,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
) -> None:
    user_id = principal.user_id
    try:
        subscription = await _subscribe(resources, group_id)
    except BusError:
        log.warning("chat feed unavailable", exc_info=True)
        await websocket.close(code=1013, reason="try again later")
        return
    except HubClosed:
        await websocket.close(code=ws_close_code(CloseReason.SHUTDOWN), reason="shutdown")
        return
    try:
        # Checked after subscribing: a removal committed in between is then either seen
        # here or delivered on the feed, never missed.
        async with resources.sessionmaker() as session:
            member = user_id is not None and await service.is_member(session, group_id, user_id)
        if not member:
            subscription.close(CloseReason.FORBIDDEN)
            await websocket.close(code=NOT_A_MEMBER, reason="group not found")
            return
        entry = register(
            resources,
            principal,
            subscription,
            topic=service.FANOUT.name,
            project_id=project_id,
            transport=TRANSPORT,
        )
        try:
            # Everything committed from now on will be delivered: say so, so a client
            # knows from when on its history fetch and the live feed overlap.
            with contextlib.suppress(WebSocketDisconnect):
                await websocket.send_text(
                    json.dumps({"type": "subscribed", "group_id": str(group_id)})
                )
                render = _Render(subscription, str(group_id), str(user_id))
                # No application heartbeats: the server's WebSocket pings keep it alive.
                await pump(
                    websocket,
                    subscription,
                    render=render,
                    heartbeats=False,
                    close_grace_s=CLOSE_GRACE_S,
                )
        finally:
            resources.streams.remove(entry)
    finally:
        subscription.close(CloseReason.CLIENT_GONE)


def _event(item: Event, group: str) -> dict[str, Any] | None:
    record = item.record
    if record.value is None or record.key is None:
        return None
    if record.key.decode("utf-8", "replace") != group:
        return None
    try:
        value = json.loads(record.value)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class _Render:
    """Chat's frames on the shared pump: only this group's message events, each once,
    and the end of the stream when this user is removed from the group."""

    def __init__(self, sub: Subscription, group: str, user: str) -> None:
        self._sub = sub
        self._group = group
        self._user = user
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __call__(self, item: Event) -> str | None:
        event = _event(item, self._group)
        if event is None:
            return None
        event_id = str(event.get("event_id"))
        if event_id in self._seen:
            return None
        self._seen[event_id] = None
        if len(self._seen) > _DEDUP_WINDOW:
            self._seen.popitem(last=False)
        kind = event.get("event")
        if kind == service.MEMBER_REMOVED and str(event.get("user_id")) == self._user:
            self._sub.close(CloseReason.REMOVED)
            return None
        if kind in service.MESSAGE_EVENTS:
            # _event() returned a dict, so the value is JSON text, never a tombstone.
            return (item.record.value or b"").decode("utf-8", "replace")
        return None
