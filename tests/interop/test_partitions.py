"""Issue 15 items 3 and 4: a topic names its Kafka topic and chooses its partitioner, and
a librdkafka producer (confluent-kafka's wheel) configured alike puts every key on the
partition HTTP publish puts it on."""

from __future__ import annotations

import asyncio
import random
import string

import httpx
from confluent_kafka import KafkaError, Message, Producer

from tests.support.factories import signup

PARTITIONS = 6


def _keys() -> list[str]:
    rng = random.Random(15)
    keys = [f"user-{n}" for n in range(40)] + ["", "é", "键", "a b", "0"]
    keys += ["".join(rng.choices(string.printable, k=rng.randrange(1, 60))) for _ in range(40)]
    return keys


def _librdkafka_partitions(bootstrap: str, topic: str, partitioner: str | None) -> list[int]:
    """Produce one record per key with librdkafka; the partitions its delivery reports name."""
    config: dict[str, str | int | bool] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": False,
        "linger.ms": 5,
    }
    if partitioner is not None:
        config["partitioner"] = partitioner
    producer = Producer(config)
    keys = _keys()
    delivered: dict[int, int] = {}

    def report(index: int):  # type: ignore[no-untyped-def]
        def on_delivery(error: KafkaError | None, message: Message) -> None:
            assert error is None, error
            delivered[index] = message.partition()

        return on_delivery

    for index, key in enumerate(keys):
        producer.produce(topic, value=b"{}", key=key.encode(), on_delivery=report(index))
    assert producer.flush(30) == 0
    return [delivered[i] for i in range(len(keys))]


async def _http_partitions(
    client: httpx.AsyncClient, headers: dict[str, str], name: str
) -> list[int]:
    messages = [{"value": {"i": i}, "key": key} for i, key in enumerate(_keys())]
    response = await client.post(
        f"/api/v1/topics/{name}/publish", json={"messages": messages}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [m["partition"] for m in response.json()["messages"]]


async def _topic(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, partitioner: str | None
) -> dict[str, object]:
    body: dict[str, object] = {"name": name, "partitions": PARTITIONS}
    if partitioner is not None:
        body["partitioner"] = partitioner
    response = await client.post("/api/v1/topics", json=body, headers=headers)
    assert response.status_code == 201, response.text
    topic: dict[str, object] = response.json()
    return topic


async def test_http_and_librdkafka_default_agree_on_a_consistent_random_topic(
    kafka_client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    account = await signup(kafka_client)
    topic = await _topic(kafka_client, account.headers, "rdkafka", "consistent_random")
    assert topic["partitioner"] == "consistent_random"
    kafka_name = topic["kafka_topic_name"]
    assert isinstance(kafka_name, str)
    assert kafka_name == f"th.t.{str(topic['id']).replace('-', '')}"
    # librdkafka's default partitioner is consistent_random: no setting on the producer.
    native = await asyncio.to_thread(_librdkafka_partitions, kafka_bootstrap, kafka_name, None)
    over_http = await _http_partitions(kafka_client, account.headers, "rdkafka")
    keyed = [i for i, key in enumerate(_keys()) if key]  # empty keys go anywhere
    assert [over_http[i] for i in keyed] == [native[i] for i in keyed]
    assert len(set(native)) > 1


async def test_http_and_librdkafka_murmur2_agree_on_a_default_topic(
    kafka_client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    account = await signup(kafka_client)
    topic = await _topic(kafka_client, account.headers, "javaish", None)
    assert topic["partitioner"] == "murmur2"
    kafka_name = str(topic["kafka_topic_name"])
    # murmur2_random: Java's placement for keys (and for the empty key), random for null.
    native = await asyncio.to_thread(
        _librdkafka_partitions, kafka_bootstrap, kafka_name, "murmur2_random"
    )
    assert await _http_partitions(kafka_client, account.headers, "javaish") == native
    # The two schemes really differ here, so the choice matters.
    crc = await asyncio.to_thread(_librdkafka_partitions, kafka_bootstrap, kafka_name, None)
    assert crc != native


async def test_topics_show_their_kafka_name_and_partitioner(
    kafka_client: httpx.AsyncClient,
) -> None:
    account = await signup(kafka_client)
    listed = await kafka_client.get("/topics", headers=account.headers)
    (events,) = [t for t in listed.json()["topics"] if t["name"] == "events"]
    assert events["partitioner"] == "murmur2"
    assert events["kafka_topic_name"].startswith("th.t.")
    one = await kafka_client.get("/api/v1/topics/events", headers=account.headers)
    assert one.json()["kafka_topic_name"] == events["kafka_topic_name"]


async def test_the_embedded_log_has_no_kafka_name(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = (await client.get("/api/v1/topics/events", headers=account.headers)).json()
    assert topic["kafka_topic_name"] is None
    assert topic["partitioner"] == "murmur2"


async def test_an_unknown_partitioner_is_a_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.post(
        "/api/v1/topics", json={"name": "x", "partitioner": "random"}, headers=account.headers
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["partitioner"]
