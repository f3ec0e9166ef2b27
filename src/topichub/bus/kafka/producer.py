"""The Kafka engine's produce path: records go out in ``create_batch()`` /
``send_batch()`` batches, one future per batch (a future per message costs more than
the broker does, see DESIGN.md). Concurrent publishes to a partition share batches:
while one batch waits for the producer, the next one fills, so many small publishes
cost few requests (like the embedded engine's group commit)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

from topichub.bus.kafka.errors import retrieve_exception
from topichub.bus.port import BusUnavailable, OutRecord, RecordMetadata
from topichub.kit.time import now_ms

MAX_BATCH_BYTES = 512 * 1024
"""Producer batch size; below the brokers' default ``message.max.bytes`` (about 1 MiB)."""


class _Slot:
    """One producer batch being filled, and the future its callers wait on."""

    __slots__ = ("batch", "count", "delivered")

    def __init__(self, batch: Any) -> None:
        self.batch = batch
        self.count = 0
        self.delivered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # Callers that timed out no longer read it; keep asyncio from reporting that.
        self.delivered.add_done_callback(retrieve_exception)

    def settle(self, sent: asyncio.Future[Any]) -> None:
        if self.delivered.done():
            return
        if sent.cancelled():
            self.delivered.set_exception(BusUnavailable("the batch was cancelled"))
        elif (error := sent.exception()) is not None:
            self.delivered.set_exception(error)
        else:
            self.delivered.set_result(sent.result())

    def fail(self, error: BaseException) -> None:
        if not self.delivered.done():
            self.delivered.set_exception(error)


class _Lane:
    """The records waiting for one partition: batches in send order, the last one open
    to further appends until its flusher takes it."""

    __slots__ = ("flusher", "slots")

    def __init__(self) -> None:
        self.slots: deque[_Slot] = deque()
        self.flusher: asyncio.Task[None] | None = None

    def append(
        self, producer: Any, key: bytes | None, value: bytes, headers: Any, timestamp: int
    ) -> tuple[_Slot, int]:
        if not self.slots or (
            self.slots[-1].batch.append(timestamp=timestamp, key=key, value=value, headers=headers)
            is None
        ):
            # No open batch, or it is full: start another. The first record always fits
            # (an oversized one is refused by the broker, and the error reaches the caller).
            self.slots.append(_Slot(producer.create_batch()))
            self.slots[-1].batch.append(timestamp=timestamp, key=key, value=value, headers=headers)
        slot = self.slots[-1]
        slot.count += 1
        return slot, slot.count - 1


class BatchProducer:
    """Per (topic, partition), the publishes waiting to be handed to aiokafka's
    producer, batched as described in the module docstring."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self._lanes: dict[tuple[str, int], _Lane] = {}

    async def produce(
        self, topic: str, records: Sequence[OutRecord], partitions: list[int]
    ) -> list[RecordMetadata]:
        now = now_ms()
        timestamps = [r.timestamp_ms if r.timestamp_ms is not None else now for r in records]
        placed: list[tuple[_Slot, int]] = []
        touched: dict[int, _Lane] = {}
        producer = self._producer
        # No await in this loop: appends of concurrent calls never interleave. It is the
        # only per-record work: one append into the partition's open batch.
        for record, partition, ts in zip(records, partitions, timestamps, strict=True):
            lane = touched.get(partition)
            if lane is None:
                lane = self._lanes.get((topic, partition))
                if lane is None:
                    lane = self._lanes[(topic, partition)] = _Lane()
                touched[partition] = lane
            # aiokafka's C record builder takes a list, nothing else.
            headers = list(record.headers) if record.headers else []
            placed.append(lane.append(producer, record.key, record.value, headers, ts))
        for partition, lane in touched.items():
            if lane.flusher is None:
                lane.flusher = asyncio.create_task(self._flush(topic, partition, lane))
        slots = {slot for slot, _ in placed}
        # asyncio.wait, not gather: a caller that gives up must not cancel the slots
        # other callers share.
        await asyncio.wait([slot.delivered for slot in slots])
        failed = [slot for slot in slots if slot.delivered.exception() is not None]
        if failed and len(failed) < len(slots):
            # Other batches of this call are stored: a definite error for the failed
            # ones must not read as "nothing stored".
            raise BusUnavailable(
                f"publish to {topic!r} partly failed ({failed[0].delivered.exception()!r}); "
                "some records were stored"
            )
        # Per batch, not per record: its base offset and, with LogAppendTime, the
        # broker's timestamp (-1 otherwise: ours stands).
        bases: dict[_Slot, tuple[int, int]] = {}
        for slot in slots:
            delivered = slot.delivered.result()  # raises the batch's error
            bases[slot] = (delivered.offset, delivered.timestamp)
        out: list[RecordMetadata] = []
        for (slot, relative), partition, ts in zip(placed, partitions, timestamps, strict=True):
            base, broker_ts = bases[slot]
            out.append(
                RecordMetadata(
                    topic, partition, base + relative, ts if broker_ts == -1 else broker_ts
                )
            )
        return out

    async def _flush(self, topic: str, partition: int, lane: _Lane) -> None:
        """Hand a lane's batches to the producer, oldest first. aiokafka accepts a
        partition's next batch only once the previous one is on its way, and that wait
        is what lets concurrent publishes pile into the lane's open batch meanwhile."""
        try:
            while lane.slots:
                slot = lane.slots.popleft()
                slot.batch.close()
                try:
                    future = await self._producer.send_batch(slot.batch, topic, partition=partition)
                except Exception as exc:  # noqa: BLE001  (handed to every waiting caller)
                    slot.fail(exc)
                    continue
                future.add_done_callback(slot.settle)
        except asyncio.CancelledError:
            for slot in lane.slots:
                slot.fail(BusUnavailable("the Kafka bus stopped"))
            raise
        finally:
            lane.flusher = None
            if not lane.slots and self._lanes.get((topic, partition)) is lane:
                del self._lanes[(topic, partition)]
