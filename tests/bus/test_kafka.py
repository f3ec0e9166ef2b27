"""What only the Kafka engine must survive: a broker that stops answering."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tests.bus.conftest import read_from_beginning, unique
from tests.support.tansu import TansuBroker, free_port
from topichub.bus import BusTimeout, BusUnavailable, KafkaBus, OutRecord, TopicSpec

pytestmark = pytest.mark.kafka


@pytest.fixture
async def short_timeouts(tansu: TansuBroker) -> AsyncIterator[Callable[[], KafkaBus]]:
    """Buses with short timeouts on the session broker; stopped (and the broker
    resumed) even when the test fails."""
    buses: list[KafkaBus] = []

    def factory() -> KafkaBus:
        bus = KafkaBus(tansu.bootstrap_servers, publish_timeout_s=1.0, request_timeout_ms=2_000)
        buses.append(bus)
        return bus

    yield factory
    tansu.resume()
    for bus in buses:
        await bus.stop()


async def test_a_paused_broker_turns_into_timeouts_not_hangs(
    tansu: TansuBroker, short_timeouts: Callable[[], KafkaBus]
) -> None:
    bus = short_timeouts()
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    await bus.publish(topic, [OutRecord(value=b"before")])
    loop = asyncio.get_running_loop()

    tansu.pause()
    started = loop.time()
    with pytest.raises(BusTimeout):
        await bus.publish(topic, [OutRecord(value=b"during")])
    assert loop.time() - started < 3
    with pytest.raises(BusUnavailable):
        await bus.check()
    assert loop.time() - started < 8
    tansu.resume()

    # The producer reconnects by itself; retry until it has, not a fixed sleep.
    deadline = loop.time() + 15
    while True:
        try:
            await bus.publish(topic, [OutRecord(value=b"after")])
            break
        except BusUnavailable:
            if loop.time() > deadline:
                raise
    records = await read_from_beginning(bus, topic, 3)
    values = [r.value for r in records]
    # "during" had an unknown outcome: it may be stored, even after "after" (the
    # broker can read the timed-out request from its old connection late).
    assert [v for v in values if v != b"during"] == [b"before", b"after"]
    assert values.count(b"during") <= 1


async def test_stop_does_not_hang_on_a_paused_broker(
    tansu: TansuBroker, short_timeouts: Callable[[], KafkaBus]
) -> None:
    bus = short_timeouts()
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    loop = asyncio.get_running_loop()
    tansu.pause()
    pending = asyncio.create_task(bus.publish(topic, [OutRecord(value=b"x")]))
    await asyncio.sleep(0)  # the publish is under way when stop begins
    started = loop.time()
    await bus.stop()
    assert loop.time() - started < 15
    with pytest.raises(BusUnavailable):
        await pending


async def test_start_fails_cleanly_when_no_broker_listens() -> None:
    bus = KafkaBus(f"127.0.0.1:{free_port()}", request_timeout_ms=2_000)
    with pytest.raises(BusUnavailable):
        await bus.start()
    await bus.stop()
