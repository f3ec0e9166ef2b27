"""Per-topic traffic counters: the last minute and hour of each topic, and the bounded
per-topic series in /metrics."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.factories import signup
from topichub.topics.traffic import OTHER, Figures, TopicTraffic


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_last_minute_and_hour_slide() -> None:
    clock = Clock()
    traffic = TopicTraffic(clock=clock)
    traffic.record_in("t", 2, 20)
    clock.now += 30
    traffic.record_out("t", 1, 7)
    traffic.record_in("t", 0, 0)  # nothing published: nothing counted
    assert traffic.window("t", 60) == Figures(2, 20, 1, 7)
    clock.now += 31  # the first record is 61 s old
    assert traffic.window("t", 60) == Figures(0, 0, 1, 7)
    assert traffic.window("t", 3600) == Figures(2, 20, 1, 7)
    clock.now += 3600
    assert traffic.window("t", 3600) == Figures()
    assert traffic.window("unknown", 60) == Figures()
    assert traffic.published("t") == 2


def test_a_bucket_reused_an_hour_later_starts_from_zero() -> None:
    clock = Clock()
    traffic = TopicTraffic(clock=clock)
    traffic.record_in("t", 5, 50)
    clock.now += 3600  # the same minute slot and second slot, one hour later
    traffic.record_in("t", 1, 10)
    assert traffic.window("t", 60) == Figures(1, 10)
    assert traffic.window("t", 3600) == Figures(1, 10)


def test_series_are_bounded_and_only_grow() -> None:
    traffic = TopicTraffic()
    traffic.max_labelled = 2
    for topic in ("a", "b", "c", "d"):
        traffic.record_in(topic, 1, 10)
    traffic.record_out("d", 3, 30)
    totals = dict(traffic.totals())
    assert set(totals) == {"a", "b", OTHER}
    assert totals["a"] == [1, 10, 0, 0]
    assert totals[OTHER] == [2, 20, 3, 30]


async def test_metrics_carry_per_topic_messages_and_bytes(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await client.get("/api/v1/topics/events", headers=account.headers)
    physical = "th.t." + topic.json()["id"].replace("-", "")
    response = await client.post(
        "/api/v1/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": "abc"}, {"value": 1}]},
    )
    assert response.status_code == 200, response.text
    await client.get("/api/v1/topics/events/messages", headers=account.headers)
    scraped = (await client.get("/metrics")).text
    samples = {
        (s.name, s.labels.get("topic"), s.labels.get("direction")): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
        if s.name.startswith("topichub_topic_")
    }
    if ("topichub_topic_messages_total", physical, "in") not in samples:
        # Past the cap (other tests' topics came first in this process): under "other".
        assert samples[("topichub_topic_messages_total", OTHER, "in")] >= 2
        return
    assert samples[("topichub_topic_messages_total", physical, "in")] == 2
    assert samples[("topichub_topic_bytes_total", physical, "in")] == len('"abc"1')
    assert samples[("topichub_topic_messages_total", physical, "out")] == 2
