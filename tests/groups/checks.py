"""The consumer-group scenarios, run by test_groups.py on SQLite and PostgreSQL (embedded
log), on the Kafka broker, and by test_two_processes.py across two server processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx

from tests.groups.support import (
    PARTITIONS,
    commit,
    consume_until,
    describe,
    group_url,
    make_topic,
    poll,
    publish,
)
from tests.support.factories import Account

LEASE_S = 2.0


async def three_members_get_every_record_once(
    clients: Sequence[httpx.AsyncClient], account: Account, count: int = 300
) -> None:
    client = clients[0]
    topic = await make_topic(client, account)
    values = [f"r{i}" for i in range(count)]
    await publish(client, account, topic, values)
    history = await consume_until(
        clients, account, topic, "workers", ["m-a", "m-b", "m-c"], set(values)
    )
    assert set(history.all) == set(values)
    assert history.duplicates() == {}
    # Shared: more than one member did work.
    assert sum(1 for got in history.received.values() if got) >= 2
    group = await describe(client, account, topic, "workers")
    assert group["lag"] == 0
    assert all(p["lag"] == 0 for p in group["partitions"])
    assert [p["committed_offset"] for p in group["partitions"]] == [
        count // PARTITIONS
    ] * PARTITIONS


async def killed_members_records_go_to_another(
    clients: Sequence[httpx.AsyncClient], account: Account, count: int = 60
) -> None:
    """Member A takes a batch and dies without committing; B gets every record A held
    within lease + 5 s; nothing is lost (lost = acknowledged - delivered = empty)."""
    client_a, client_b = clients[0], clients[-1]
    topic = await make_topic(client_a, account)
    response = await client_a.put(
        group_url(topic, "g"), headers=account.headers, json={"lease_s": LEASE_S}
    )
    assert response.status_code == 201, response.text
    values = [f"k{i}" for i in range(count)]
    await publish(client_a, account, topic, values)
    first = await poll(client_a, account, topic, "g", "doomed", max_records=25)
    assert 0 < len(first["records"]) <= 25
    assert sorted(first["partitions"]) == list(range(PARTITIONS))
    taken = {r["value"] for r in first["records"]}
    killed_at = time.monotonic()
    # A is gone. B polls; while A's leases hold, B gets nothing A holds.
    received: list[str] = []
    redelivered_at = None
    async with asyncio.timeout(LEASE_S + 5 + 10):
        while set(received) != set(values):
            batch = await poll(client_b, account, topic, "g", "survivor", wait_ms=500)
            got = [r["value"] for r in batch["records"]]
            if time.monotonic() - killed_at < LEASE_S * 0.9:
                assert not got, "a record went to a second member while its lease held"
            received += got
            if redelivered_at is None and taken <= set(received):
                redelivered_at = time.monotonic()
            if batch["cursor"]:
                await commit(client_b, account, topic, "g", batch["cursor"])
    assert redelivered_at is not None
    assert redelivered_at - killed_at <= LEASE_S + 5
    lost = set(values) - set(received)
    assert lost == set()
    group = await describe(client_b, account, topic, "g")
    assert group["lag"] == 0
    assert [m["member"] for m in group["members"]] == ["survivor"]


async def nack_until_dead_letter(client: httpx.AsyncClient, account: Account) -> None:
    topic = await make_topic(client, account, partitions=1)
    response = await client.put(
        group_url(topic, "g"),
        headers=account.headers,
        json={"max_attempts": 3, "retry_delay_ms": 0},
    )
    assert response.status_code == 201, response.text
    published = await client.post(
        f"/api/v1/topics/{topic}/publish",
        headers=account.headers,
        json={
            "messages": [
                {"value": {"poison": True}, "key": "bad", "headers": {"origin": "test"}},
                {"value": "fine"},
            ]
        },
    )
    assert published.status_code == 200, published.text
    for attempt in (1, 2, 3):
        batch = await poll(client, account, topic, "g", "m", max_records=1, wait_ms=2000)
        (record,) = batch["records"]
        assert record["value"] == {"poison": True}
        assert record["attempt"] == attempt
        response = await client.post(
            group_url(topic, "g", "nack"),
            headers=account.headers,
            json={"cursor": record["cursor"], "reason": f"boom {attempt}"},
        )
        assert response.status_code == 200, response.text
        nacked = response.json()
        assert nacked["attempts"] == attempt
        assert nacked["dead_lettered"] is (attempt == 3)
    assert nacked["dead_letter_topic"] == f"{topic}.dlq"
    # The group moved on.
    batch = await poll(client, account, topic, "g", "m", wait_ms=2000)
    assert [r["value"] for r in batch["records"]] == ["fine"]
    await commit(client, account, topic, "g", batch["cursor"])
    assert (await describe(client, account, topic, "g"))["lag"] == 0
    page = await client.get(f"/api/v1/topics/{topic}.dlq/messages", headers=account.headers)
    assert page.status_code == 200, page.text
    (dead,) = page.json()["messages"]
    assert dead["value"] == {"poison": True}
    assert dead["key"] == "bad"
    headers = dead["headers"]
    assert headers["origin"] == "test"
    assert headers["x-dlq-topic"] == topic
    assert headers["x-dlq-partition"] == "0"
    assert headers["x-dlq-offset"] == "0"
    assert headers["x-dlq-group"] == "g"
    assert headers["x-dlq-attempts"] == "3"
    assert headers["x-dlq-reason"] == "boom 3"
    assert int(headers["x-dlq-timestamp"]) > 0
    # Even when the partition is read again from the start, the dead record stays dead.
    response = await client.post(
        group_url(topic, "g", "reset"), headers=account.headers, json={"to": "earliest"}
    )
    assert response.status_code == 200, response.text
    batch = await poll(client, account, topic, "g", "m", wait_ms=2000)
    assert [r["value"] for r in batch["records"]] == [{"poison": True}, "fine"]
