"""The event bus port: what topichub needs from a log, whichever engine provides it.

Two engines implement it: ``EmbeddedBus`` (a durable log in the SQL database, one process)
and ``KafkaBus`` (any Kafka-protocol cluster). Both pass the same contract suite in
``tests/bus``. Delivery semantics every caller may rely on:

- ``publish`` returns only once every record is durable (embedded: committed; Kafka:
  ``acks=all``), with the partition and offset the log assigned, in input order. If it
  raises ``BusUnavailable`` or ``BusTimeout`` the outcome is *unknown*: some or all
  records may have been stored.
- Offsets are dense per partition in the embedded engine and increasing in both.
- Records with the same key go to the same partition (murmur2, as Kafka's Java
  client) unless an explicit partition is given; keyless records are spread.
- A ``Reader`` sees each partition in offset order from the position it was given; it
  belongs to one task and holds no consumer group.
- A ``GroupConsumer`` resumes from the group's committed offsets (or earliest when the
  group has none) and commits only when told to: the caller commits after its work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, overload, runtime_checkable

Headers = tuple[tuple[str, bytes], ...]

ReadHeaders = tuple[tuple[str, bytes | None], ...]
"""Headers of a record read back: a Kafka producer may write a header with a null value
(``kcat -H name``), so a value read from the log may be None."""


class BusError(Exception):
    """Base class of every error an engine raises."""


class BusUnavailable(BusError):
    """The log cannot be reached; for publish the outcome is unknown."""


class BusTimeout(BusUnavailable):
    """The log did not answer in time; for publish the outcome is unknown."""


class TopicNotFound(BusError):
    pass


class InvalidPartition(BusError):
    pass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int = 1
    retention_ms: int | None = None
    """Records older than this may be deleted; None keeps them forever."""
    retention_bytes: int | None = None
    """Per-partition size budget; the oldest records go first. None means unbounded."""


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A record to publish."""

    value: bytes
    key: bytes | None = None
    headers: Headers = ()
    partition: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where the log stored a published record."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int


class OutBatch(Sequence[OutRecord]):
    """A publish's records column by column: what the HTTP publish path hands the log.

    A ``Sequence[OutRecord]`` (indexing builds the record), so it goes wherever a list of
    records goes; the engines read the columns directly, so a 1,000-record publish makes
    no per-record object on its way to the log. ``timestamps`` None means "stamped by
    the log" for every record. The columns are never changed after construction.
    """

    __slots__ = ("headers", "keys", "partitions", "timestamps", "values")

    def __init__(
        self,
        values: list[bytes],
        keys: list[bytes | None],
        headers: list[Headers],
        partitions: list[int | None],
        timestamps: list[int | None] | None = None,
    ) -> None:
        self.values = values
        self.keys = keys
        self.headers = headers
        self.partitions = partitions
        self.timestamps = timestamps

    @classmethod
    def of(cls, records: Sequence[OutRecord]) -> OutBatch:
        """The columns of ``records`` (itself when it already is an ``OutBatch``)."""
        if isinstance(records, OutBatch):
            return records
        stamps = [r.timestamp_ms for r in records]
        return cls(
            [r.value for r in records],
            [r.key for r in records],
            [r.headers for r in records],
            [r.partition for r in records],
            stamps if stamps.count(None) != len(stamps) else None,
        )

    def __len__(self) -> int:
        return len(self.values)

    def _record(self, i: int) -> OutRecord:
        stamp = self.timestamps[i] if self.timestamps is not None else None
        return OutRecord(self.values[i], self.keys[i], self.headers[i], self.partitions[i], stamp)

    @overload
    def __getitem__(self, index: int) -> OutRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[OutRecord]: ...
    def __getitem__(self, index: int | slice) -> OutRecord | list[OutRecord]:
        if isinstance(index, slice):
            return [self._record(i) for i in range(*index.indices(len(self)))]
        return self._record(range(len(self))[index])

    def __iter__(self) -> Iterator[OutRecord]:
        return map(self._record, range(len(self)))

    def __repr__(self) -> str:
        return f"OutBatch({list(self)!r})"


class Stored(Sequence[RecordMetadata]):
    """Where the log stored a publish's records, in input order, column by column.

    What ``EventBus.publish_columns`` returns: the publish answer reads the columns
    without a per-record object; it is also a ``Sequence[RecordMetadata]`` (indexing
    builds the metadata).
    """

    __slots__ = ("offsets", "partitions", "timestamps", "topic")

    def __init__(
        self, topic: str, partitions: list[int], offsets: list[int], timestamps: list[int]
    ) -> None:
        self.topic = topic
        self.partitions = partitions
        self.offsets = offsets
        self.timestamps = timestamps

    def __len__(self) -> int:
        return len(self.offsets)

    def _meta(self, i: int) -> RecordMetadata:
        return RecordMetadata(self.topic, self.partitions[i], self.offsets[i], self.timestamps[i])

    @overload
    def __getitem__(self, index: int) -> RecordMetadata: ...
    @overload
    def __getitem__(self, index: slice) -> list[RecordMetadata]: ...
    def __getitem__(self, index: int | slice) -> RecordMetadata | list[RecordMetadata]:
        if isinstance(index, slice):
            return [self._meta(i) for i in range(*index.indices(len(self)))]
        return self._meta(range(len(self))[index])

    def __iter__(self) -> Iterator[RecordMetadata]:
        return map(self._meta, range(len(self)))

    def __repr__(self) -> str:
        return f"Stored({list(self)!r})"


@dataclass(frozen=True, slots=True)
class Record:
    """A record read back from the log."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    value: bytes | None
    """None for a tombstone (a null value, written by Kafka clients to delete a key)."""
    key: bytes | None = None
    headers: ReadHeaders = field(default=())


Positions = dict[int, int]
"""Next offset to read, per partition."""


@runtime_checkable
class Reader(Protocol):
    """Reads one topic from explicit per-partition positions, without a consumer group."""

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        """Return the next records (possibly none after ``timeout`` seconds)."""
        ...

    def positions(self) -> Positions:
        """The next offset this reader will return, per partition."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class GroupConsumer(Protocol):
    """A member of a consumer group over several topics; commits are explicit."""

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]: ...

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Commit ``(topic, partition) -> next offset`` for the group."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class EventBus(Protocol):
    name: str
    """``"embedded"`` or ``"kafka"``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def check(self) -> None:
        """Raise ``BusUnavailable`` when the log cannot serve requests."""
        ...

    async def create_topic(self, spec: TopicSpec) -> None:
        """Create the topic; creating an existing topic is not an error."""
        ...

    async def delete_topic(self, name: str) -> None:
        """Delete the topic and its records; deleting a missing topic is not an error."""
        ...

    async def partitions(self, topic: str) -> int:
        """Number of partitions; ``TopicNotFound`` when the topic does not exist."""
        ...

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        """Store the records durably and return their metadata in input order."""
        ...

    async def publish_columns(self, topic: str, batch: OutBatch) -> Stored:
        """``publish`` column by column, for large batches (the HTTP publish path): the
        same semantics, no per-record object in or out."""
        ...

    async def beginning_offsets(self, topic: str) -> Positions:
        """The first offset still held, per partition (after retention)."""
        ...

    async def end_offsets(self, topic: str) -> Positions:
        """The offset the next published record will get, per partition."""
        ...

    async def offsets_for_time(self, topic: str, timestamp_ms: int) -> Positions:
        """Per partition, the first offset whose timestamp is >= ``timestamp_ms``,
        or the end offset when there is none."""
        ...

    def reader(self, topic: str, positions: Positions) -> Reader: ...

    def group_consumer(
        self, group: str, topics: Sequence[str], *, pattern: str | None = None
    ) -> GroupConsumer:
        """Join ``group`` on ``topics``, or on every topic whose name matches the regular
        expression ``pattern`` (``re.match``), including topics created later."""
        ...

    async def enforce_retention(self) -> int:
        """Apply retention now; returns how many records were dropped (0 where the
        engine's broker does this by itself)."""
        ...
