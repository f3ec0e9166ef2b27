"""What reading Kafka fetches through ``topichub.bus.kafka.records`` costs.

    uv run python -m bench.kafka_decode [--records 200000]

No broker: fetch-response bytes are built once with aiokafka's batch builder (batches
of 500 records, 2 headers each, 200-byte values), then decoded by aiokafka's own
fetcher code (``PartitionRecords``) over its ``MemoryRecords`` (the baseline) and over
``TolerantMemoryRecords`` (what topichub's consumers use), best of 5 runs each. A third
row decodes the same bytes with one header name that is not UTF-8 in every batch (the
fallback path; aiokafka alone cannot read those at all).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from aiokafka.consumer.fetcher import READ_UNCOMMITTED, PartitionRecords
from aiokafka.record.default_records import (
    DefaultRecordBatchBuilder,
    _DefaultRecordBatchBuilderPy,
)
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import TopicPartition

from topichub.bus.kafka.records import TolerantMemoryRecords

BATCH = 500
TP = TopicPartition("bench", 0)


class _RawName(str):
    raw: bytes

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw


def _bad_name() -> _RawName:
    name = _RawName("bad")
    name.raw = b"\xffbad"
    return name


def fetch_bytes(records: int, *, poisoned: bool) -> bytes:
    out = bytearray()
    value = b"x" * 200
    for base in range(0, records, BATCH):
        builder: Any = (_DefaultRecordBatchBuilderPy if poisoned else DefaultRecordBatchBuilder)(
            magic=2,
            compression_type=0,
            is_transactional=0,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=1 << 30,
        )
        for i in range(min(BATCH, records - base)):
            name = _bad_name() if poisoned and i == BATCH // 2 else "event_id"
            builder.append(i, 1_700_000_000_000, b"k", value, [(name, b"1"), ("t", b"2")])
        batch = builder.build()
        batch[0:8] = base.to_bytes(8, "big")  # base offset
        out += batch
    return bytes(out)


def decode(data: bytes, records_type: Callable[[bytes], Any]) -> int:
    partition = PartitionRecords(
        TP, records_type(data), None, 0, None, None, False, READ_UNCOMMITTED
    )
    return sum(1 for _ in partition)


def best(runs: int, fn: Callable[[], int], expected: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert fn() == expected
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    n = parser.parse_args().records
    clean, poisoned = fetch_bytes(n, poisoned=False), fetch_bytes(n, poisoned=True)
    load = os.getloadavg()[0]
    baseline = best(5, lambda: decode(clean, MemoryRecords), n)
    tolerant = best(5, lambda: decode(clean, TolerantMemoryRecords), n)
    fallback = best(5, lambda: decode(poisoned, TolerantMemoryRecords), n)
    print(
        f"decoding {n:,} records (load average {load:.2f} before); ratio = throughput / aiokafka's"
    )
    print(f"  aiokafka MemoryRecords        {n / baseline:>12,.0f} rec/s  1.00x")
    print(
        f"  TolerantMemoryRecords         {n / tolerant:>12,.0f} rec/s  {baseline / tolerant:.2f}x"
    )
    print(
        f"  ... one bad header per batch  {n / fallback:>12,.0f} rec/s  {baseline / fallback:.2f}x"
    )


if __name__ == "__main__":
    main()
