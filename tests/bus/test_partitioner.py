"""Key placement agrees with Kafka's Java client, so both engines place keys alike."""

from __future__ import annotations

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner

from topichub.bus import InvalidPartition, OutRecord
from topichub.bus.partitioner import Partitioner, murmur2, partition_for_key


@pytest.mark.parametrize(
    ("key", "partition"),
    # Computed by org.apache.kafka.clients.producer.Partitioner over 1000 partitions
    # (the vectors kafka-python and aiokafka test against).
    [(b"", 681), (b"a", 524), (b"ab", 434), (b"abc", 107), (b"123456789", 566), (b"\x00 ", 742)],
)
def test_partition_for_key_matches_the_java_client(key: bytes, partition: int) -> None:
    assert partition_for_key(key, 1000) == partition


def test_partition_for_key_matches_aiokafkas_default_partitioner() -> None:
    rng = random.Random(7)
    default = DefaultPartitioner()
    for _ in range(500):
        key = rng.randbytes(rng.randrange(0, 40))
        partitions = rng.randrange(1, 64)
        assert partition_for_key(key, partitions) == default(
            key, list(range(partitions)), list(range(partitions))
        )
    assert 0 <= murmur2(b"kafka") < 2**32


def test_explicit_partition_then_key_then_sticky_keyless() -> None:
    partitioner = Partitioner()
    records = [
        OutRecord(value=b"1", key=b"k", partition=3),
        OutRecord(value=b"2", key=b"k"),
        OutRecord(value=b"3"),
        OutRecord(value=b"4"),
    ]
    first = partitioner.assign("t", records, 4)
    assert first[0] == 3
    assert first[1] == partition_for_key(b"k", 4)
    assert first[2] == first[3]
    second = partitioner.assign("t", records, 4)
    assert second[2] == (first[2] + 1) % 4


def test_out_of_range_partition_is_refused() -> None:
    with pytest.raises(InvalidPartition):
        Partitioner().assign("t", [OutRecord(value=b"x", partition=4)], 4)
    with pytest.raises(InvalidPartition):
        Partitioner().assign("t", [OutRecord(value=b"x", partition=-1)], 4)
