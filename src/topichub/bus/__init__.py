"""The event bus: one port (``topichub.bus.port``), two engines, one factory.

``create_bus`` picks the engine: Kafka when bootstrap servers are configured, otherwise
the embedded log in the SQL database. Both keep the delivery semantics documented in
``topichub.bus.port``; the engines' own docstrings say what each adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from topichub.bus.embedded import EmbeddedBus
from topichub.bus.kafka import KafkaBus
from topichub.bus.port import (
    BusError,
    BusTimeout,
    BusUnavailable,
    EventBus,
    GroupConsumer,
    Headers,
    InvalidPartition,
    OutBatch,
    OutRecord,
    Positions,
    Reader,
    Record,
    RecordMetadata,
    Stored,
    TopicNotFound,
    TopicSpec,
)


@dataclass(frozen=True, slots=True)
class BusOptions:
    """Engine settings, named for what they do rather than for one engine's knobs."""

    publish_timeout_s: float = 10.0
    """How long ``publish`` waits for durability before ``BusTimeout`` (outcome unknown)."""
    topic_scan_interval_s: float = 1.0
    """How soon a pattern subscription sees a topic created after it started."""
    kafka_client_id: str = "topichub"
    kafka_idempotence: bool = False
    """Kafka's idempotent producer; off by default because the test broker refuses it."""
    kafka_replication_factor: int = 1
    kafka_request_timeout_ms: int = 30_000
    kafka_session_timeout_ms: int = 10_000
    """Consumer-group session timeout. Kafka brokers refuse less than their
    ``group.min.session.timeout.ms`` (6 s by default); tansu takes about half of it to
    complete a join, so tests lower it."""
    kafka_heartbeat_interval_ms: int = 3_000


def create_bus(
    *,
    kafka_bootstrap_servers: str | None,
    engine: AsyncEngine | None,
    options: BusOptions,
) -> EventBus:
    """The Kafka engine when ``kafka_bootstrap_servers`` is set, else the embedded log
    on ``engine``. The bus is not started."""
    if kafka_bootstrap_servers:
        return KafkaBus(
            kafka_bootstrap_servers,
            client_id=options.kafka_client_id,
            publish_timeout_s=options.publish_timeout_s,
            idempotence=options.kafka_idempotence,
            replication_factor=options.kafka_replication_factor,
            request_timeout_ms=options.kafka_request_timeout_ms,
            session_timeout_ms=options.kafka_session_timeout_ms,
            heartbeat_interval_ms=options.kafka_heartbeat_interval_ms,
            topic_scan_interval_s=options.topic_scan_interval_s,
        )
    if engine is None:
        raise ValueError("the embedded bus needs the database engine")
    return EmbeddedBus(
        engine,
        publish_timeout_s=options.publish_timeout_s,
        topic_scan_interval_s=options.topic_scan_interval_s,
    )


__all__ = [
    "BusError",
    "BusOptions",
    "BusTimeout",
    "BusUnavailable",
    "EmbeddedBus",
    "EventBus",
    "GroupConsumer",
    "Headers",
    "InvalidPartition",
    "KafkaBus",
    "OutBatch",
    "OutRecord",
    "Positions",
    "Reader",
    "Record",
    "RecordMetadata",
    "Stored",
    "TopicNotFound",
    "TopicSpec",
    "create_bus",
]
