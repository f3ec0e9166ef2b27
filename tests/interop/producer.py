"""A Kafka producer that writes what the protocol allows but Python clients refuse.

aiokafka's producer encodes a header name with ``str.encode``; librdkafka (via
confluent-kafka) takes names as text too. Header names that are not UTF-8 are written
here through aiokafka's own pure-Python batch builder, which asks the name object for its
bytes, so the record batch on the wire is what a C client writing raw bytes produces.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import aiokafka.producer.message_accumulator as accumulator_module
import aiokafka.producer.producer as producer_module
from aiokafka import AIOKafkaProducer
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy


class RawName(str):
    """A header name whose wire bytes are ``raw``, UTF-8 or not."""

    raw: bytes

    def __new__(cls, raw: bytes) -> RawName:
        name = super().__new__(cls, raw.decode("latin-1"))
        name.raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw


Headers = Sequence[tuple[str, bytes | None]]


@contextlib.asynccontextmanager
async def raw_producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """An aiokafka producer building batches in Python (so ``RawName`` s go out raw)."""
    saved = accumulator_module.DefaultRecordBatchBuilder, producer_module.DefaultRecordBatchBuilder
    accumulator_module.DefaultRecordBatchBuilder = _DefaultRecordBatchBuilderPy  # type: ignore[misc]
    producer_module.DefaultRecordBatchBuilder = _DefaultRecordBatchBuilderPy  # type: ignore[misc]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        linger_ms=20,
        max_request_size=4 * 1024 * 1024,
    )
    try:
        await producer.start()
        yield producer
    finally:
        await producer.stop()
        accumulator_module.DefaultRecordBatchBuilder, producer_module.DefaultRecordBatchBuilder = (
            saved
        )


async def produce(
    bootstrap: str, topic: str, records: Sequence[tuple[bytes | None, bytes | None, Headers]]
) -> None:
    """Write ``(value, key, headers)`` records to partition 0 of ``topic``, in order,
    in one batch (so a bad record sits between good ones, as on a busy topic)."""
    async with raw_producer(bootstrap) as producer:
        futures = [
            await producer.send(topic, value, key=key, partition=0, headers=list(headers))
            for value, key, headers in records
        ]
        for future in futures:
            await future
