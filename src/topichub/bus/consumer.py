"""The one consumer-group runner: open, read a batch, hand it over, commit after the work.

Delivery rules every consumer built on it gets (CONVENTIONS.md 8):

- Offsets are committed only after ``handle`` returned for the batch, so a crash or a
  failure in between delivers the batch again: handlers must be idempotent (keyed by
  event id). Nothing is auto-committed.
- ``handle`` raising (or the bus failing) closes the consumer and opens a new one after
  a jittered exponential backoff; the group resumes after its last commit. A handler
  that must not redeliver a poison record parks it itself (the audit consumer's
  dead-letter table) and returns normally.
- Cancelling the task stops it; every other failure is logged and retried, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from topichub.bus.port import EventBus, GroupConsumer, Record
from topichub.kit.backoff import Backoff

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[Record]], Awaitable[None]]


def next_offsets(records: Sequence[Record]) -> dict[tuple[str, int], int]:
    """``(topic, partition) -> next offset`` after ``records``: what a commit takes."""
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = max(offsets.get(key, 0), record.offset + 1)
    return offsets


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    poll_s: float = 1.0
    batch_size: int = 500
    retry_initial_s: float = 0.2
    retry_max_s: float = 10.0


async def run_group(
    bus: EventBus,
    group: str,
    handle: Handler,
    *,
    topics: Sequence[str] = (),
    pattern: str | None = None,
    name: str,
    options: ConsumerOptions = ConsumerOptions(),
) -> None:
    """Consume ``topics`` (or every topic matching ``pattern``) as ``group`` until
    cancelled; see the module docstring. ``name`` says which consumer in the logs."""
    backoff = Backoff(options.retry_initial_s, options.retry_max_s)
    while True:
        consumer: GroupConsumer | None = None
        try:
            consumer = bus.group_consumer(group, list(topics), pattern=pattern)
            while True:
                records = await consumer.read(
                    timeout=options.poll_s, max_records=options.batch_size
                )
                if records:
                    await handle(records)
                    await consumer.commit(next_offsets(records))
                backoff.reset()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("%s failed; reopening", name, exc_info=True)
        finally:
            if consumer is not None:
                with contextlib.suppress(Exception):
                    await consumer.close()
        await backoff.sleep()
