"""The recommender's consumer: feeds ``interaction_tracked`` events from the bus into
this process's tenant models (``registry.py``).

Why a consumer as well as the after-commit hook of the request that stores an
interaction: the hook only reaches the process that served the request. With several
processes (PostgreSQL + Kafka), every process must see every interaction, so each
process joins its *own* consumer group (``topichub-recommend-<random>``): a shared
group would split the topics between processes and leave each model with a part. On the
embedded bus there is one process and the group is the fixed ``topichub-recommend``.

Delivery semantics:

- The consumer reads every app topic (``th.app.*``: physical names do not tell which
  app a topic belongs to) and keeps the records whose ``event_type`` header is
  ``interaction_tracked``; the others are skipped without being parsed.
- A record counts only if its topic belongs, in the topic registry, to the tenant its
  ``tenant_id`` header names: a header alone never lets an event reach another
  tenant's model.
- Applying an event is idempotent: a model counts each event id once (it also knows the
  ids it was built from), so a redelivered record, a record of an interaction the hook
  already applied, or one the model's build read from the database changes nothing.
- An event for a tenant with no model in this process is dropped: the model, when it
  is built, reads the interaction from the database (an event is only published after
  its interaction committed).
- Offsets are committed after the batch is applied. A malformed record is logged and
  skipped (the audit consumer dead-letters it); a bus failure reopens the consumer,
  which resumes after the last commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from topichub.bus.consumer import ConsumerOptions, run_group
from topichub.bus.port import EventBus, Record
from topichub.recommend.model import DEFAULT_WEIGHTS, INTERACTION_TYPES, InteractionEvent
from topichub.recommend.registry import ModelRegistry
from topichub.recommend.repository import RecommendRepository
from topichub.recommend.service import EVENT_TYPE

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

GROUP = "topichub-recommend"
APP_TOPICS = r"^th\.app\."
_TYPES = frozenset(INTERACTION_TYPES)
_MAX_OWNERS_CACHED = 10_000
assert set(DEFAULT_WEIGHTS) <= _TYPES


class Malformed(ValueError):
    """The record claims to be an interaction but cannot be read as one."""


def _header(record: Record, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return None if value is None else value.decode("utf-8", "replace")
    return None


def parse(record: Record) -> tuple[uuid.UUID, InteractionEvent] | None:
    """The tenant and interaction of a record; ``None`` for another app's event."""
    if _header(record, "event_type") != EVENT_TYPE:
        return None
    if record.value is None:
        raise Malformed("interaction event with a null value")
    try:
        value = json.loads(record.value)
        tenant_id = uuid.UUID(_header(record, "tenant_id") or "")
        event_id = uuid.UUID(_header(record, "event_id") or str(value.get("event_id")))
        user_id, item_id = value["user_id"], value["item_id"]
        kind, weight = value["interaction_type"], value["weight"]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise Malformed(f"unreadable interaction event: {type(exc).__name__}") from None
    valid = (
        isinstance(user_id, str)
        and isinstance(item_id, str)
        and kind in _TYPES
        and isinstance(weight, (int, float))
        and not isinstance(weight, bool)
    )
    if not valid:
        raise Malformed("interaction event with invalid fields")
    return tenant_id, InteractionEvent(event_id.int, user_id, item_id, kind, float(weight))


@dataclass
class RecommendConsumer:
    """Applies interaction events to this process's models; see the module docstring."""

    bus: EventBus
    registry: ModelRegistry = field(repr=False)
    group: str = GROUP
    pattern: str = APP_TOPICS
    options: ConsumerOptions = field(default_factory=ConsumerOptions)
    seen: int = 0
    """Interaction events read from the bus."""
    applied: int = 0
    """Events that changed a model (new to it)."""
    skipped: int = 0
    """Malformed interaction records, or records on a topic of another tenant."""
    _owners: dict[str, uuid.UUID] = field(default_factory=dict, repr=False)

    async def handle(self, records: Sequence[Record]) -> None:
        per_tenant: dict[uuid.UUID, list[InteractionEvent]] = {}
        for record in records:
            try:
                parsed = parse(record)
                if parsed is None:
                    continue
                owner = await self._owner(record.topic)
                if owner is None:
                    continue  # the topic was deleted, and its project with it
                if owner != parsed[0]:
                    raise Malformed("interaction event on a topic of another tenant")
            except Malformed as exc:
                self.skipped += 1
                log.warning("%s at %s[%d]@%d", exc, record.topic, record.partition, record.offset)
                continue
            self.seen += 1
            per_tenant.setdefault(owner, []).append(parsed[1])
        for tenant_id, events in per_tenant.items():
            self.applied += self.registry.apply_interactions(tenant_id, events)

    async def _owner(self, physical: str) -> uuid.UUID | None:
        known = self._owners.get(physical)
        if known is not None:
            return known
        async with self.registry.sessionmaker() as session:
            owner = await RecommendRepository(session).topic_tenant(physical)
        if owner is None:
            return None
        if len(self._owners) >= _MAX_OWNERS_CACHED:
            self._owners.clear()
        self._owners[physical] = owner
        return owner

    async def run(self) -> None:
        """Consume until cancelled (``bus.consumer.run_group``: offsets are committed
        after the batch is applied; failures are logged and the consumer reopened)."""
        await run_group(
            self.bus,
            self.group,
            self.handle,
            pattern=self.pattern,
            name="recommend consumer",
            options=self.options,
        )


def group_for(bus: EventBus) -> str:
    """The fixed group on the embedded bus (one process), a group per process elsewhere."""
    return GROUP if bus.name == "embedded" else f"{GROUP}-{uuid.uuid4().hex[:16]}"
