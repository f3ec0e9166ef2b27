"""A stream as a consumer-group member: ``GET /topics/{name}/stream?group=G`` (SSE) and
``/ws?group=G`` (WebSocket).

The stream is a member like any poller (member id ``stream-<random>``): it long-polls
the group (``service.poll``) and writes each batch as events whose id is the *record's
own* cursor (``"<partition>:<offset + 1>"``), to commit with ``POST …/commit`` — or the
stream commits each batch itself once written with ``autocommit=true``. It holds a
stream slot, counts as outbound usage, is listed and revocable like any stream, and
leaves the group when it ends (its partitions go to the others at once, uncommitted
records included). A reconnect rejoins the group; ``Last-Event-ID`` is not used: the
group's committed offsets say where it resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from topichub.errors import TopichubError
from topichub.groups import service
from topichub.groups.repository import GroupRepository
from topichub.identity.principal import Principal
from topichub.limits import Slot
from topichub.limits.plans import Plan
from topichub.resources import Resources
from topichub.topics.service import AnyTopic, TopicRef
from topichub.topics.stream.frames import Closed, CloseReason, Event, record_size, ws_close_code
from topichub.topics.stream.opening import admit_stream, meter_delivery
from topichub.topics.stream.registry import OpenStream
from topichub.topics.stream.sse import CONNECTED, HEARTBEAT

log = logging.getLogger(__name__)

BATCH = 100
RETRY_S = 1.0
WS_HEARTBEAT = '{"type":"heartbeat"}'


class GroupMemberStream:
    """One open group stream (see the module's docstring)."""

    def __init__(
        self,
        resources: Resources,
        principal: Principal,
        plan: Plan,
        topic: TopicRef,
        group: service.GroupRef,
        slot: Slot,
        *,
        autocommit: bool,
        transport: str,
    ) -> None:
        self.resources = resources
        self.principal = principal
        self.plan = plan
        self.topic = topic
        self.group = group
        self.autocommit = autocommit
        self.member = f"stream-{uuid.uuid4().hex[:16]}"
        self.closed_reason: str | None = None
        self._closing = asyncio.Event()
        self._slot: Slot | None = slot
        self._finished = False
        self.entry = OpenStream(
            tenant_id=principal.tenant_id,
            project_id=topic.project_id,
            topic=topic.physical_name,
            transport=transport,
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
            token_version=principal.token_version if not principal.is_key else None,
            close=self.close,
            expires_at=principal.credential_expires_at,
        )

    def close(self, reason: str = CloseReason.CLOSED) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
        self._closing.set()

    async def batches(self) -> AsyncIterator[list[Event] | None]:
        """Each batch the group gives this member, or None when a heartbeat is due."""
        settings = self.resources.settings
        wait_ms = int(min(settings.stream_heartbeat_s, 30.0) * 1000)
        while self.closed_reason is None:
            poll = asyncio.ensure_future(
                service.poll(
                    self.resources.sessionmaker,
                    self.resources.bus,
                    self.topic,
                    self.group,
                    self.member,
                    max_records=BATCH,
                    wait_ms=wait_ms,
                )
            )
            closing = asyncio.ensure_future(self._closing.wait())
            try:
                await asyncio.wait({poll, closing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                closing.cancel()
                if not poll.done():
                    poll.cancel()
                    await asyncio.gather(poll, return_exceptions=True)
            if poll.cancelled():
                return
            try:
                result = poll.result()
            except TopichubError:
                log.warning("group stream poll failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_S)
                yield None
                continue
            if result.records:
                yield [
                    Event(item.record, f"{item.record.partition}:{item.record.offset + 1}")
                    for item in result.records
                ]
            else:
                yield None

    async def delivered(self, batch: list[Event]) -> None:
        """Meter what was written; commit it with ``autocommit``."""
        exhausted = await meter_delivery(
            self.resources,
            self.principal,
            self.plan,
            self.entry,
            len(batch),
            sum(record_size(e.record) for e in batch),
        )
        if self.autocommit:
            positions: dict[int, int] = {}
            for event in batch:
                positions[event.partition] = event.offset + 1
            async with self.resources.sessionmaker() as session:
                await service.commit(session, self.resources.bus, self.topic, self.group, positions)
                await session.commit()
        if exhausted:
            self.close(CloseReason.QUOTA_EXCEEDED)

    async def finish(self) -> None:
        """Leave the group (its partitions go to the others at once), free the slot."""
        if self._finished:
            return
        self._finished = True
        self.close(CloseReason.CLIENT_GONE)
        self.resources.streams.remove(self.entry)
        try:
            async with self.resources.sessionmaker() as session:
                await GroupRepository(session).leave(self.group.id, self.member)
                await session.commit()
        except Exception:
            log.warning("leaving the group failed; its leases expire by themselves", exc_info=True)
        if self._slot is not None:
            slot, self._slot = self._slot, None
            with contextlib.suppress(Exception):
                await slot.release()

    def sse_response(self) -> Response:
        return _GroupSSE(self)

    async def pump(self, websocket: WebSocket) -> None:
        receiver = asyncio.ensure_future(_receive(websocket))
        receiver.add_done_callback(lambda _: self.close(CloseReason.CLIENT_GONE))
        try:
            with contextlib.suppress(WebSocketDisconnect, OSError):
                async for batch in self.batches():
                    if batch is None:
                        await websocket.send_text(WS_HEARTBEAT)
                        continue
                    for event in batch:
                        await websocket.send_text(event.ws_text())
                    await self.delivered(batch)
                reason = self.closed_reason
                if reason is not None and reason != CloseReason.CLIENT_GONE:
                    await websocket.close(code=ws_close_code(reason), reason=reason)
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
            await self.finish()


class _GroupSSE(Response):
    media_type = "text/event-stream"

    def __init__(self, stream: GroupMemberStream) -> None:
        self.stream = stream
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = self.stream
        watcher = asyncio.ensure_future(_disconnected(receive))
        watcher.add_done_callback(lambda _: stream.close(CloseReason.CLIENT_GONE))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": CONNECTED, "more_body": True})
            async for batch in stream.batches():
                chunk = HEARTBEAT if batch is None else b"".join(e.sse_frame() for e in batch)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if batch is not None:
                    await stream.delivered(batch)
            reason = stream.closed_reason
            if reason is not None and reason != CloseReason.CLIENT_GONE:
                await send(
                    {
                        "type": "http.response.body",
                        "body": Closed(reason).sse_frame(),
                        "more_body": True,
                    }
                )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client left
        finally:
            watcher.cancel()
            await stream.finish()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _receive(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def open_group_stream(
    session: AsyncSession,
    resources: Resources,
    principal: Principal,
    topic: AnyTopic,
    group: str,
    *,
    autocommit: bool,
    transport: str,
) -> GroupMemberStream:
    """Check limits, take a stream slot and join the group (created on first use)."""
    ref = topic if isinstance(topic, TopicRef) else TopicRef.of(topic)
    plan, slot = await admit_stream(session, resources, principal, ref, transport)
    try:
        group_ref, _ = await service.ensure_group(resources.sessionmaker, resources.bus, ref, group)
    except BaseException:
        await slot.release()
        raise
    stream = GroupMemberStream(
        resources,
        principal,
        plan,
        ref,
        group_ref,
        slot,
        autocommit=autocommit,
        transport=transport,
    )
    resources.streams.add(stream.entry)
    return stream
