"""Key → partition, the same way in both engines and in Kafka's own clients.

Keyed records use murmur2 exactly as Kafka's Java client does
(``toPositive(murmur2(key)) % partitions``), so a topic moved between the embedded log and a
Kafka cluster, or written by a Java producer (or any client configured for murmur2, such
as librdkafka with ``partitioner=murmur2_random``), keeps every key on the same partition.

librdkafka-based producers (confluent-kafka, kcat, the Go, .NET and Node clients) do NOT
use murmur2 by default: their default is ``consistent_random``, ``crc32(key) % partitions``
with empty and null keys spread at random. A topic whose writers are such producers can
choose ``consistent_random`` (``KeyHash``) so that its keys published over HTTP land where
those producers put them; ``key_partition`` computes either.

Keyless records are *sticky per publish call*: all keyless records of one call go to one
partition, and successive calls rotate round-robin over the partitions. That keeps a
call's keyless records in order relative to each other, lets the Kafka engine send them
as one batch (Kafka's own sticky partitioner, KIP-480, does this for the same reason) and
still spreads load across partitions over time.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Iterator, Sequence
from enum import StrEnum

from aiokafka.partitioner import murmur2 as _murmur2

from topichub.bus.port import InvalidPartition, OutBatch, OutRecord

_SPREAD = random.Random()  # noqa: S311  (load spreading, not security)
"""Its own generator, not the global ``random`` state (see ``kit.backoff``)."""


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of ``data`` (unsigned 32 bits), as ``Utils.murmur2`` in Java."""
    return int(_murmur2(data))


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's Java client gives ``key`` among ``partitions`` (murmur2)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyHash(StrEnum):
    """How a topic maps keys to partitions: which producers' placement it agrees with."""

    murmur2 = "murmur2"
    """Kafka's Java client and librdkafka's ``murmur2_random``; topichub's default."""
    consistent_random = "consistent_random"
    """librdkafka's default: CRC32 of the key; empty keys go anywhere."""


def key_partition(key: bytes, partitions: int, scheme: KeyHash) -> int | None:
    """The partition ``scheme`` gives ``key``; None when the scheme places it freely
    (``consistent_random`` with an empty key), so the caller treats it as keyless."""
    if scheme is KeyHash.murmur2:
        return partition_for_key(key, partitions)
    if not key:
        return None
    return zlib.crc32(key) % partitions


class Partitioner:
    """Assigns a partition to every record of a publish call.

    Holds only the round-robin cursor for keyless records, per topic; safe to share
    between tasks of one event loop (assignment never awaits).
    """

    def __init__(self) -> None:
        self._cursors: dict[str, Iterator[int]] = {}

    def assign(self, topic: str, records: Sequence[OutRecord], partitions: int) -> list[int]:
        """One partition per record, in input order.

        An explicit ``record.partition`` wins (``InvalidPartition`` when out of range),
        then the key, then the call's sticky partition for keyless records.
        """
        if not isinstance(records, OutBatch):
            records = OutBatch.of(records)
        count = len(records)
        if not count:
            return []
        keys, pinned = records.keys, records.partitions
        if keys.count(None) == count and pinned.count(None) == count:
            # The common batch: keyless, nothing pinned. One call, no per-record work.
            return [self._next(topic, partitions)] * count
        sticky: int | None = None
        result: list[int] = []
        for key, partition in zip(keys, pinned, strict=True):
            if partition is not None:
                if not 0 <= partition < partitions:
                    raise InvalidPartition(
                        f"partition {partition} out of range for topic {topic!r} "
                        f"with {partitions} partition(s)"
                    )
                result.append(partition)
            elif key is not None:
                result.append(partition_for_key(key, partitions))
            else:
                if sticky is None:
                    sticky = self._next(topic, partitions)
                result.append(sticky)
        return result

    def _next(self, topic: str, partitions: int) -> int:
        cursor = self._cursors.get(topic)
        if cursor is None:
            # A random start keeps many processes from all beginning on partition 0.
            start = _SPREAD.randrange(partitions)
            cursor = self._cursors[topic] = itertools.count(start)
        return next(cursor) % partitions

    def forget(self, topic: str) -> None:
        """Drop the cursor of a deleted topic."""
        self._cursors.pop(topic, None)
