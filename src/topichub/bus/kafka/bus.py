"""The Kafka engine: the bus port on any Kafka-protocol cluster, through aiokafka.

Delivery semantics (the port's, made concrete):

- ``publish`` produces with ``acks=all`` and returns once the leader has the records
  replicated to every in-sync replica. Records go out in ``create_batch()`` /
  ``send_batch()`` batches, one future per batch (a future per message costs more than
  the broker does, see DESIGN.md). Concurrent publishes to a partition share batches:
  while one batch waits for the producer, the next one fills, so many small publishes
  cost few requests (like the embedded engine's group commit).
  ``BusTimeout``/``BusUnavailable`` mean *unknown*: the producer may still deliver a
  batch after we gave up, a call spanning several batches may be partly stored, and
  without the idempotent producer (``idempotence=False``, required by the tansu test
  broker) an internal retry can store a record twice. Consumers de-duplicate, as
  RELIABILITY.md asks. Other ``BusError`` s (a record too large, ...) mean nothing of
  the call was stored.
- Partitions are chosen here, by ``topichub.bus.partitioner`` (murmur2 as Kafka's
  Java client; not librdkafka's default, see there), never by aiokafka, so both engines
  place keys alike.
- Readers are ``AIOKafkaConsumer`` s without a group (assign + seek); group consumers
  use normal group membership, never auto-commit, and start at the earliest offset
  when the group has no commit for a partition.
- Every call to the cluster is bounded by an asyncio timeout, so a paused or
  partitioned broker turns into ``BusTimeout``/``BusUnavailable``, never a hang.

Broker quirks handled here:

- Metadata look-ups ask with ``allow_auto_topic_creation=False``: brokers with
  ``auto.create.topics.enable`` (tansu, and Apache Kafka by default) would otherwise
  create any topic we merely ask about. aiokafka's own clients do not send that flag,
  so a producer refreshing metadata for a deleted topic can re-create it on such a
  broker; disable auto-creation on production clusters.
- ``retention.ms``/``retention.bytes`` are passed as topic configs. tansu 0.6 accepts
  and reports them (DescribeConfigs) but did not enforce them in our probes (records
  a minute past ``retention.ms`` stayed readable); a broker that refuses them gets the
  topic without them, with a warning. Retention is the broker's
  job here, so ``enforce_retention`` returns 0.
- ``end_offsets`` confirms the broker's ListOffsets answer by fetching the last record
  it admits to: tansu reports the last *batch's* base offset + 1, which is short by the
  batch's length minus one. On Kafka that fetch returns exactly one record.
- ``offsets_for_time`` takes the broker's ListOffsets answer as a starting point and
  reads forward to the first record at or after the time: tansu answers offset 0 for
  any time, while a real Kafka broker's answer is already exact (one fetch confirms it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import (
    KafkaError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    for_code,
)
from aiokafka.protocol.metadata import MetadataRequest

from topichub.bus.kafka.consumers import KafkaGroupConsumer, KafkaReader
from topichub.bus.kafka.errors import (
    CLUSTER_ERRORS,
    RETENTION_CONFIG_ERRORS,
    bounded,
    to_bus_error,
)
from topichub.bus.kafka.producer import MAX_BATCH_BYTES, BatchProducer
from topichub.bus.partitioner import Partitioner
from topichub.bus.port import (
    BusError,
    BusUnavailable,
    OutBatch,
    OutRecord,
    Positions,
    RecordMetadata,
    Stored,
    TopicNotFound,
    TopicSpec,
)

log = logging.getLogger(__name__)

_METADATA_TTL_S = 5.0
_CHECK_TIMEOUT_S = 5.0
_POLL_INTERVAL_S = 0.05


class KafkaBus:
    """The event bus on a Kafka-protocol cluster. See the module docstring for its
    delivery semantics and the broker quirks it handles."""

    name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "topichub",
        publish_timeout_s: float = 10.0,
        idempotence: bool = False,
        replication_factor: int = 1,
        request_timeout_ms: int = 30_000,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        topic_scan_interval_s: float = 1.0,
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._publish_timeout_s = publish_timeout_s
        self._idempotence = idempotence
        self._replication_factor = replication_factor
        self._request_timeout_ms = request_timeout_ms
        self._request_timeout_s = request_timeout_ms / 1000
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._topic_scan_interval_s = topic_scan_interval_s
        self._partitioner = Partitioner()
        self._partition_cache: dict[str, tuple[int, float]] = {}
        self._producer: Any = None
        self._admin: Any = None
        self._meta: Any = None
        self._offsets: Any = None
        # Reads a few records to pin down offsets (see end_offsets); one task at a time.
        self._probe: Any = None
        self._probe_lock = asyncio.Lock()
        self._consumers: set[KafkaReader | KafkaGroupConsumer] = set()
        self._batches: BatchProducer | None = None
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._lifecycle = asyncio.Lock()
        self._state = "new"

    # -- lifecycle -------------------------------------------------------------------

    def _consumer_config(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self._bootstrap_servers,
            "client_id": self._client_id,
            "enable_auto_commit": False,
        }

    async def start(self) -> None:
        """Connect the producer and the admin/metadata clients; ``BusUnavailable`` when
        the cluster cannot be reached within the request timeout."""
        async with self._lifecycle:
            if self._state == "running":
                return
            if self._state != "new":
                raise BusUnavailable("a stopped KafkaBus cannot be restarted; create a new one")
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=self._idempotence,
                linger_ms=0,
                max_batch_size=MAX_BATCH_BYTES,
                request_timeout_ms=self._request_timeout_ms,
            )
            self._batches = BatchProducer(self._producer)
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                request_timeout_ms=self._request_timeout_ms,
            )
            self._meta = AIOKafkaClient(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                request_timeout_ms=self._request_timeout_ms,
            )
            self._offsets = AIOKafkaConsumer(group_id=None, **self._consumer_config())
            self._probe = AIOKafkaConsumer(
                group_id=None,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=100,
                **self._consumer_config(),
            )
            try:
                async with bounded("connecting to Kafka", self._request_timeout_s):
                    await self._producer.start()
                    await self._admin.start()
                    await self._meta.bootstrap()
                    await self._offsets.start()
                    await self._probe.start()
            except BaseException:
                await self._close_clients()
                self._state = "stopped"
                raise
            self._state = "running"

    async def stop(self) -> None:
        """Refuse new publishes, wait for those in flight (each is bounded by
        ``publish_timeout_s``), then close every client; idempotent."""
        async with self._lifecycle:
            if self._state != "running":
                self._state = "stopped"
                return
            self._state = "stopping"
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._publish_timeout_s + 1):
                    await self._idle.wait()
            for consumer in list(self._consumers):
                await consumer.close()
            await self._close_clients()
            self._state = "stopped"

    async def _close_clients(self) -> None:
        # A paused broker can keep a close waiting on its requests; after the request
        # timeout the clients give up by themselves, so this bound is a backstop.
        for what, close in (
            ("producer", self._producer.stop if self._producer else None),
            ("admin client", self._admin.close if self._admin else None),
            ("metadata client", self._meta.close if self._meta else None),
            ("offsets consumer", self._offsets.stop if self._offsets else None),
            ("probe consumer", self._probe.stop if self._probe else None),
        ):
            if close is None:
                continue
            try:
                async with asyncio.timeout(self._request_timeout_s + 5):
                    await close()
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("closing the Kafka %s failed: %r", what, exc)

    def _ensure_running(self) -> None:
        if self._state != "running":
            raise BusUnavailable(f"the Kafka bus is {self._state}")

    async def check(self) -> None:
        self._ensure_running()
        async with bounded("Kafka health check", min(_CHECK_TIMEOUT_S, self._request_timeout_s)):
            await self._metadata([])

    async def describe_cluster(self) -> dict[str, Any]:
        """The brokers, and how many topics and partitions the cluster holds (the admin
        health page): one metadata request for every topic."""
        self._ensure_running()
        async with bounded(
            "Kafka cluster metadata", min(_CHECK_TIMEOUT_S, self._request_timeout_s)
        ):
            metadata = await self._metadata(None)
        topics = [t for t in metadata["topics"] if t["error_code"] == 0]
        return {
            "brokers": [
                {"node_id": b["node_id"], "host": b["host"], "port": b["port"]}
                for b in metadata["brokers"]
            ],
            "topics": len(topics),
            "partitions": sum(len(t["partitions"]) for t in topics),
        }

    # -- topics ----------------------------------------------------------------------

    async def _metadata(self, topics: list[str] | None) -> dict[str, Any]:
        """A metadata request that never creates the topics it names (None: every topic)."""
        node = self._meta.get_random_node()
        if node is None:
            raise BusUnavailable("no Kafka broker known")
        response = await self._meta.send(
            node, MetadataRequest(topics, allow_auto_topic_creation=False)
        )
        return dict(response.to_object())

    async def _lookup(self, topic: str) -> int | None:
        """Partition count from the cluster, None when the topic does not exist."""
        metadata = await self._metadata([topic])
        for entry in metadata["topics"]:
            if entry["topic"] != topic:
                continue
            code = entry["error_code"]
            if code == UnknownTopicOrPartitionError.errno:
                return None
            if code != 0:
                raise to_bus_error(for_code(code)(), f"metadata of {topic!r}")
            return len(entry["partitions"]) or None
        return None

    def _cached_partition_count(self, topic: str) -> int | None:
        cached = self._partition_cache.get(topic)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return None

    async def _partition_count(self, topic: str) -> int:
        cached = self._cached_partition_count(topic)
        if cached is not None:
            return cached
        async with bounded(f"metadata of {topic!r}", self._request_timeout_s):
            count = await self._lookup(topic)
        if count is None:
            self._partition_cache.pop(topic, None)
            raise TopicNotFound(topic)
        self._partition_cache[topic] = (count, time.monotonic() + _METADATA_TTL_S)
        return count

    async def partitions(self, topic: str) -> int:
        self._ensure_running()
        return await self._partition_count(topic)

    async def create_topic(self, spec: TopicSpec) -> None:
        self._ensure_running()
        if spec.partitions < 1:
            raise BusError(f"a topic needs at least one partition, got {spec.partitions}")
        configs: dict[str, str] = {}
        if spec.retention_ms is not None:
            configs["retention.ms"] = str(spec.retention_ms)
        if spec.retention_bytes is not None:
            configs["retention.bytes"] = str(spec.retention_bytes)
        async with bounded(f"creating topic {spec.name!r}", self._request_timeout_s):
            error = await self._create(spec, configs)
            if isinstance(error, RETENTION_CONFIG_ERRORS) and configs:
                log.warning(
                    "broker refused retention configs for %r (%r); creating it without",
                    spec.name,
                    error,
                )
                error = await self._create(spec, {})
            if error is not None and not isinstance(error, TopicAlreadyExistsError):
                raise to_bus_error(error, f"creating topic {spec.name!r}")
            # Creation is asynchronous in Kafka: wait until metadata serves the topic so
            # a publish right after this call finds it.
            count = await self._await_topic(spec.name, present=True)
        if count is not None:
            self._partition_cache[spec.name] = (count, time.monotonic() + _METADATA_TTL_S)

    async def _await_topic(self, name: str, *, present: bool) -> int | None:
        """Poll metadata until the topic is (or is no longer) served; the protocol has
        no notification for it. The caller bounds the wait."""
        while True:
            count = await self._lookup(name)
            if (count is not None) == present:
                return count
            await asyncio.sleep(_POLL_INTERVAL_S)

    async def _create(self, spec: TopicSpec, configs: dict[str, str]) -> KafkaError | None:
        response = await self._admin.create_topics(
            [NewTopic(spec.name, spec.partitions, self._replication_factor, topic_configs=configs)]
        )
        for entry in response.topic_errors:
            name, code = entry[0], entry[1]
            if name == spec.name and code != 0:
                error: KafkaError = for_code(code)(*entry[2:])
                return error
        return None

    async def delete_topic(self, name: str) -> None:
        self._ensure_running()
        async with bounded(f"deleting topic {name!r}", self._request_timeout_s):
            response = await self._admin.delete_topics([name])
            for topic, code in response.topic_error_codes:
                if topic == name and code not in (0, UnknownTopicOrPartitionError.errno):
                    raise to_bus_error(for_code(code)(), f"deleting topic {name!r}")
            # Deletion is asynchronous too; a create right after must not race it.
            await self._await_topic(name, present=False)
            # Stop the producer refreshing metadata for the topic: on a broker that
            # auto-creates topics, that refresh would bring it back.
            client = self._producer.client
            await client.set_topics(client.cluster.topics() - {name})
        self._partition_cache.pop(name, None)
        self._partitioner.forget(name)

    # -- publish ---------------------------------------------------------------------

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        return list(await self.publish_columns(topic, OutBatch.of(records)))

    async def publish_columns(self, topic: str, batch: OutBatch) -> Stored:
        self._ensure_running()
        self._inflight += 1
        self._idle.clear()
        # Bounded as ``bounded`` does, without its asyncio.timeout on the common path
        # (partition count cached): the producer bounds its wait by ``deadline``.
        deadline = asyncio.get_running_loop().time() + self._publish_timeout_s
        try:
            count = self._cached_partition_count(topic)
            if count is None:
                async with asyncio.timeout_at(deadline):
                    count = await self._partition_count(topic)
            partitions = self._partitioner.assign(topic, batch, count)
            if not batch:
                return Stored(topic, [], [], [])
            assert self._batches is not None  # running
            return await self._batches.produce(topic, batch, partitions, deadline)
        except CLUSTER_ERRORS as exc:
            raise to_bus_error(exc, f"publish to {topic!r}") from exc
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    # -- offsets ---------------------------------------------------------------------

    async def _partitions_of(self, topic: str) -> list[TopicPartition]:
        self._ensure_running()
        return [TopicPartition(topic, p) for p in range(await self._partition_count(topic))]

    async def beginning_offsets(self, topic: str) -> Positions:
        tps = await self._partitions_of(topic)
        async with bounded(f"beginning offsets of {topic!r}", self._request_timeout_s):
            offsets = await self._offsets.beginning_offsets(tps)
        return {tp.partition: int(offset) for tp, offset in offsets.items()}

    async def end_offsets(self, topic: str) -> Positions:
        tps = await self._partitions_of(topic)
        async with bounded(f"end offsets of {topic!r}", self._request_timeout_s):
            listed = await self._offsets.end_offsets(tps)
            first = await self._offsets.beginning_offsets(tps)
            ends = {tp.partition: int(offset) for tp, offset in listed.items()}
            # Confirm each end by fetching the last record the broker admits to: a
            # Kafka broker hands back exactly that record, while tansu, which reports
            # the last *batch's* base offset + 1, hands back the whole last batch.
            probe = {p: end - 1 for p, end in ends.items() if end > first[TopicPartition(topic, p)]}
            if probe:
                async with self._probing(topic, probe) as consumer:
                    batches = await consumer.getmany(timeout_ms=1000)
                for tp, messages in batches.items():
                    if messages:
                        ends[tp.partition] = max(ends[tp.partition], messages[-1].offset + 1)
        return ends

    async def offsets_for_time(self, topic: str, timestamp_ms: int) -> Positions:
        tps = await self._partitions_of(topic)
        ends = await self.end_offsets(topic)
        async with bounded(f"offsets of {topic!r} for a time", self._request_timeout_s):
            found = await self._offsets.offsets_for_times(dict.fromkeys(tps, timestamp_ms))
            hints = {
                tp.partition: (ends[tp.partition] if answer is None else int(answer.offset))
                for tp, answer in found.items()
            }
            return await self._first_at_or_after(topic, hints, ends, timestamp_ms)

    @contextlib.asynccontextmanager
    async def _probing(self, topic: str, starts: Positions) -> AsyncIterator[Any]:
        """The probe consumer, assigned to ``starts`` and seeked there, for one task at
        a time."""
        async with self._probe_lock:
            consumer = self._probe
            consumer.assign([TopicPartition(topic, p) for p in starts])
            try:
                for p, offset in starts.items():
                    consumer.seek(TopicPartition(topic, p), offset)
                yield consumer
            finally:
                consumer.unsubscribe()

    async def _first_at_or_after(
        self, topic: str, hints: Positions, ends: Positions, timestamp_ms: int
    ) -> Positions:
        """Read forward from each hint to the first record with a timestamp at or after
        ``timestamp_ms``; the end offset when there is none."""
        result = {p: ends[p] for p, hint in hints.items() if hint >= ends[p]}
        todo = {p: hint for p, hint in hints.items() if hint < ends[p]}
        if not todo:
            return result
        async with self._probing(topic, todo) as consumer:
            while todo:
                batches = await consumer.getmany(timeout_ms=200)
                for tp, messages in batches.items():
                    match = next((m for m in messages if m.timestamp >= timestamp_ms), None)
                    if match is not None and tp.partition in todo:
                        result[tp.partition] = match.offset
                        del todo[tp.partition]
                        consumer.pause(tp)
                for p in list(todo):
                    tp = TopicPartition(topic, p)
                    if await consumer.position(tp) >= ends[p]:
                        result[p] = ends[p]
                        del todo[p]
                        consumer.pause(tp)
        return result

    # -- reading ---------------------------------------------------------------------

    def reader(self, topic: str, positions: Positions) -> KafkaReader:
        self._ensure_running()
        reader = KafkaReader(self, topic, positions)
        self._consumers.add(reader)
        return reader

    def group_consumer(
        self, group: str, topics: Sequence[str], *, pattern: str | None = None
    ) -> KafkaGroupConsumer:
        self._ensure_running()
        consumer = KafkaGroupConsumer(self, group, topics, pattern)
        self._consumers.add(consumer)
        return consumer

    async def enforce_retention(self) -> int:
        """Retention is the broker's job on Kafka."""
        return 0
