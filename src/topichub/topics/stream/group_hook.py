"""``/stream?group=G``: a stream that is a member of a consumer group. The groups
package implements it (``topichub.groups.stream``) and the app hands it over as
``Resources.group_streams``; the stream endpoints only call it, so ``topics`` does not
import ``groups`` (which imports ``topics``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from starlette.responses import Response
from starlette.websockets import WebSocket

from topichub.errors import ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from topichub.identity.principal import Principal
    from topichub.resources import Resources
    from topichub.topics.service import AnyTopic

GROUP_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"


class GroupLive(Protocol):
    def sse_response(self) -> Response: ...

    async def pump(self, websocket: WebSocket) -> None: ...


class GroupStreamOpener(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        resources: Resources,
        principal: Principal,
        topic: AnyTopic,
        group: str,
        *,
        autocommit: bool,
        transport: str,
    ) -> GroupLive: ...


def check_group_start(**given: object) -> None:
    """A group stream starts where the group is: no start position of its own."""
    named = [name for name, value in given.items() if value]
    if named:
        raise ValidationFailed(
            f"A group stream starts at the group's position: drop {', '.join(named)}",
            details=[{"field": f, "reason": "not with group"} for f in named],
        )


def group_opener(resources: Resources) -> GroupStreamOpener:
    return resources.group_streams
