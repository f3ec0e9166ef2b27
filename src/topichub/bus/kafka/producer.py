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

from topichub.bus.deadlines import Deadlines
from topichub.bus.kafka.errors import retrieve_exception
from topichub.bus.port import BusUnavailable, Headers, OutBatch, Stored
from topichub.kit.time import now_ms

MAX_BATCH_BYTES = 512 * 1024
"""Producer batch size; below the brokers' default ``message.max.bytes`` (about 1 MiB)."""


class _Slot:
    """One producer batch being filled, the future of its delivery, and the calls
    waiting for it."""

    __slots__ = ("batch", "count", "delivered", "waits")

    def __init__(self, batch: Any) -> None:
        self.batch = batch
        self.count = 0
        self.delivered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # Callers that timed out no longer read it; keep asyncio from reporting that.
        self.delivered.add_done_callback(retrieve_exception)
        self.waits: list[_Wait] = []

    def settle(self, sent: asyncio.Future[Any]) -> None:
        if self.delivered.done():
            return
        if sent.cancelled():
            self.delivered.set_exception(BusUnavailable("the batch was cancelled"))
        elif (error := sent.exception()) is not None:
            self.delivered.set_exception(error)
        else:
            self.delivered.set_result(sent.result())
        self._wake()

    def fail(self, error: BaseException) -> None:
        if not self.delivered.done():
            self.delivered.set_exception(error)
            self._wake()

    def _wake(self) -> None:
        waits, self.waits = self.waits, []
        for wait in waits:
            wait.one_settled()


class _Wait:
    """A publish call waiting for its batches to settle, on a future of its own: a
    caller that gives up (timeout, disconnect) cancels nothing that other callers
    share. One future set by the batches, rather than ``asyncio.wait`` over theirs,
    which cost a waiter future and a callback per batch per call."""

    __slots__ = ("future", "pending")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future
        self.pending = 0

    def one_settled(self) -> None:
        self.pending -= 1
        if not self.pending and not self.future.done():
            self.future.set_result(None)


class _Lane:
    """The records waiting for one partition: batches in send order, the last one open
    to further appends until its flusher takes it."""

    __slots__ = ("flusher", "slots")

    def __init__(self) -> None:
        self.slots: deque[_Slot] = deque()
        self.flusher: asyncio.Task[None] | None = None

    def append(
        self,
        producer: Any,
        keys: Sequence[bytes | None],
        values: Sequence[bytes],
        headers: Sequence[Headers],
        timestamps: Sequence[int],
        segments: list[_Segment],
    ) -> None:
        """Append a run of records to the open batch, opening others as they fill up;
        each batch's share of the run goes to ``segments`` (slot, first relative offset,
        records). No await: appends of concurrent calls never interleave."""
        slot = self.slots[-1] if self.slots else None
        append = None if slot is None else slot.batch.append
        first = 0 if slot is None else slot.count
        count = first
        # aiokafka's C record builder takes a list of headers, nothing else; the records
        # of a publish share one tuple (most often the empty one), converted once.
        last_tuple: Headers | None = None
        last_list: list[tuple[str, bytes]] = []
        for key, value, header, ts in zip(keys, values, headers, timestamps, strict=True):
            if header is not last_tuple:
                last_tuple, last_list = header, list(header)
            if (
                append is None
                or append(timestamp=ts, key=key, value=value, headers=last_list) is None
            ):
                # No open batch, or it is full: start another. The first record always
                # fits (an oversized one is refused by the broker, and the error reaches
                # the caller).
                if slot is not None and count > first:
                    slot.count = count
                    segments.append((slot, first, count - first))
                slot = _Slot(producer.create_batch())
                self.slots.append(slot)
                append = slot.batch.append
                first = count = 0
                append(timestamp=ts, key=key, value=value, headers=last_list)
            count += 1
        if slot is not None and count > first:
            slot.count = count
            segments.append((slot, first, count - first))


_Segment = tuple[_Slot, int, int]
"""A run of a call's records in one batch: the slot, its first relative offset, how many."""


class BatchProducer:
    """Per (topic, partition), the publishes waiting to be handed to aiokafka's
    producer, batched as described in the module docstring."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self._lanes: dict[tuple[str, int], _Lane] = {}
        self._deadlines = Deadlines(lambda _topic: TimeoutError())

    def _lane(self, topic: str, partition: int) -> _Lane:
        lane = self._lanes.get((topic, partition))
        if lane is None:
            lane = self._lanes[(topic, partition)] = _Lane()
        return lane

    async def produce(
        self, topic: str, records: OutBatch, partitions: list[int], deadline: float
    ) -> Stored:
        """Append the records to their partitions' open batches and wait for those to
        be delivered; ``TimeoutError`` at ``deadline`` (event loop time), from the
        producer's ``Deadlines`` rather than a timer per call."""
        now = now_ms()
        count = len(records)
        stamps = records.timestamps
        timestamps = (
            [now] * count if stamps is None else [ts if ts is not None else now for ts in stamps]
        )
        keys, values, headers = records.keys, records.values, records.headers
        # Per partition, its records in input order (Kafka keeps order per partition
        # only): the whole call when it is keyless (sticky) or has one key, else the
        # call's records grouped by partition, ``None`` standing for "all of them".
        groups: dict[int, list[int] | None]
        if partitions.count(partitions[0]) == count:
            groups = {partitions[0]: None}
        else:
            grouped: dict[int, list[int]] = {}
            for i, partition in enumerate(partitions):
                found = grouped.get(partition)
                if found is None:
                    grouped[partition] = [i]
                else:
                    found.append(i)
            groups = dict(grouped)
        # (indices, segments): where each partition's records went.
        placed: list[tuple[list[int] | None, list[_Segment]]] = []
        producer = self._producer
        # No await from here to the flushers' start: appends of concurrent calls never
        # interleave.
        for partition, indices in groups.items():
            lane = self._lane(topic, partition)
            segments: list[_Segment] = []
            if indices is None:
                lane.append(producer, keys, values, headers, timestamps, segments)
            else:
                lane.append(
                    producer,
                    [keys[i] for i in indices],
                    [values[i] for i in indices],
                    [headers[i] for i in indices],
                    [timestamps[i] for i in indices],
                    segments,
                )
            placed.append((indices, segments))
            if lane.flusher is None:
                lane.flusher = asyncio.create_task(self._flush(topic, partition, lane))
        slots = {slot for _, segments in placed for slot, _, _ in segments}
        loop = asyncio.get_running_loop()
        wait = _Wait(loop.create_future())
        for slot in slots:
            if not slot.delivered.done():
                wait.pending += 1
                slot.waits.append(wait)
        if wait.pending:
            self._deadlines.watch(wait.future, deadline, topic)
            await wait.future
        failed = [slot for slot in slots if slot.delivered.exception() is not None]
        if failed and len(failed) < len(slots):
            # Other batches of this call are stored: a definite error for the failed
            # ones must not read as "nothing stored".
            raise BusUnavailable(
                f"publish to {topic!r} partly failed ({failed[0].delivered.exception()!r}); "
                "some records were stored"
            )
        # Per batch, not per record: its base offset (a range of offsets per segment)
        # and, with LogAppendTime, the broker's timestamp (-1 otherwise: ours stands).
        offsets = [0] * count
        for indices, segments in placed:
            run: list[int] = []
            broker: list[tuple[int, int, int]] = []  # (position in run, records, time)
            for slot, first, n in segments:
                delivered = slot.delivered.result()  # raises the batch's error
                if delivered.timestamp != -1:
                    broker.append((len(run), n, delivered.timestamp))
                base = delivered.offset + first
                run.extend(range(base, base + n))
            if indices is None:
                offsets = run
                for position, n, ts in broker:
                    timestamps[position : position + n] = [ts] * n
            else:
                for i, offset in zip(indices, run, strict=True):
                    offsets[i] = offset
                for position, n, ts in broker:
                    for i in indices[position : position + n]:
                        timestamps[i] = ts
        return Stored(topic, partitions, offsets, timestamps)

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
