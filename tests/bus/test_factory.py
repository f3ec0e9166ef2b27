"""create_bus picks the engine from configuration."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from topichub.bus import BusOptions, EmbeddedBus, EventBus, KafkaBus, create_bus


def test_embedded_without_bootstrap_servers(sqlite_engine: AsyncEngine) -> None:
    bus = create_bus(kafka_bootstrap_servers=None, engine=sqlite_engine, options=BusOptions())
    assert isinstance(bus, EmbeddedBus)
    assert isinstance(bus, EventBus)
    assert bus.name == "embedded"


def test_kafka_with_bootstrap_servers() -> None:
    bus = create_bus(kafka_bootstrap_servers="127.0.0.1:9", engine=None, options=BusOptions())
    assert isinstance(bus, KafkaBus)
    assert isinstance(bus, EventBus)
    assert bus.name == "kafka"


def test_embedded_needs_the_database_engine() -> None:
    with pytest.raises(ValueError, match="engine"):
        create_bus(kafka_bootstrap_servers=None, engine=None, options=BusOptions())
