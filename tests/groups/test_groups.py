"""Consumer groups over HTTP (issue 18) on SQLite and PostgreSQL with the embedded log,
and on the Kafka broker: sharing, redelivery after a member dies, nack to the dead-letter
topic, lag, reset, delete, bad input and another tenant."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import client_for, make_settings, running_app
from tests.groups import checks
from tests.groups.support import commit, describe, group_url, make_topic, poll, publish
from tests.support.factories import create_key, signup


async def test_three_members_receive_every_record_exactly_once(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await checks.three_members_get_every_record_once([client], account)


async def test_a_killed_members_records_go_to_another_within_lease_plus_5s(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await checks.killed_members_records_go_to_another([client], account)


async def test_nack_until_max_attempts_dead_letters_with_headers(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    await checks.nack_until_dead_letter(client, account)


@pytest.fixture
async def kafka_app(tmp_path: Path, kafka_bootstrap: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    async with running_app(settings) as app:
        yield app


@pytest.mark.kafka
async def test_groups_on_kafka(kafka_app: FastAPI) -> None:
    async with client_for(kafka_app) as client:
        account = await signup(client)
        await checks.three_members_get_every_record_once([client], account, count=120)
        await checks.killed_members_records_go_to_another([client], account)
        await checks.nack_until_dead_letter(client, account)


async def test_polling_without_committing_continues_and_lag_counts_the_rest(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=2)
    await publish(client, account, topic, [f"v{i}" for i in range(10)], partitions=2)
    first = await poll(client, account, topic, "g", max_records=4)
    member = first["member"]
    assert len(member) == 32  # generated
    assert len(first["records"]) == 4
    second = await poll(client, account, topic, "g", member, max_records=100)
    assert len(second["records"]) == 6
    seen = [r["value"] for r in first["records"] + second["records"]]
    assert sorted(seen) == sorted(f"v{i}" for i in range(10))
    group = await describe(client, account, topic, "g")
    assert group["lag"] == 10
    assert group["members"][0]["member"] == member
    assert group["members"][0]["partitions"] == [0, 1]
    assert {p["member"] for p in group["partitions"]} == {member}
    # A record's own cursor commits its partition up to it.
    record = second["records"][0]
    committed = await commit(client, account, topic, "g", record["cursor"])
    assert committed["committed"][str(record["partition"])] == record["offset"] + 1
    await commit(client, account, topic, "g", second["cursor"])
    await commit(client, account, topic, "g", first["cursor"])  # late: never goes back
    group = await describe(client, account, topic, "g")
    assert group["lag"] == 0
    assert [p["committed_offset"] for p in group["partitions"]] == [5, 5]
    listed = await client.get(f"/api/v1/topics/{topic}/groups", headers=account.headers)
    assert [g["name"] for g in listed.json()["groups"]] == ["g"]


async def test_long_poll_answers_when_a_record_arrives(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    started = time.monotonic()
    waiting = asyncio.create_task(poll(client, account, topic, "g", "m", wait_ms=10_000))
    await asyncio.sleep(0.5)
    await publish(client, account, topic, ["late"], partitions=1)
    batch = await waiting
    assert [r["value"] for r in batch["records"]] == ["late"]
    assert time.monotonic() - started < 5
    empty = await poll(client, account, topic, "g", "m", wait_ms=300)
    assert empty["records"] == []
    assert empty["cursor"] is None


async def test_reset_to_earliest_latest_and_cursor(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=2)
    await publish(client, account, topic, [f"v{i}" for i in range(6)], partitions=2)
    batch = await poll(client, account, topic, "g", "m")
    await commit(client, account, topic, "g", batch["cursor"])
    url = group_url(topic, "g", "reset")
    response = await client.post(url, headers=account.headers, json={"to": "earliest"})
    assert response.status_code == 200, response.text
    assert response.json()["lag"] == 6
    assert len((await poll(client, account, topic, "g", "m"))["records"]) == 6
    response = await client.post(url, headers=account.headers, json={"to": "latest"})
    assert response.json()["lag"] == 0
    response = await client.post(
        url, headers=account.headers, json={"to": "cursor", "cursor": "0:2,1:3"}
    )
    assert [p["committed_offset"] for p in response.json()["partitions"]] == [2, 3]
    response = await client.post(
        url, headers=account.headers, json={"to": "time", "time": "2000-01-01T00:00:00Z"}
    )
    assert response.json()["lag"] == 6
    response = await client.delete(group_url(topic, "g"), headers=account.headers)
    assert response.status_code == 204
    response = await client.get(group_url(topic, "g"), headers=account.headers)
    assert response.status_code == 404


async def test_a_new_group_can_start_at_the_end(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    await publish(client, account, topic, ["old"], partitions=1)
    response = await client.put(
        group_url(topic, "g"), headers=account.headers, json={"start": "latest"}
    )
    assert response.status_code == 201
    assert response.json()["lag"] == 0
    await publish(client, account, topic, ["new"], partitions=1)
    batch = await poll(client, account, topic, "g", "m", wait_ms=2000)
    assert [r["value"] for r in batch["records"]] == ["new"]
    again = await client.put(group_url(topic, "g"), headers=account.headers, json={"lease_s": 5})
    assert again.status_code == 200
    assert again.json()["lease_s"] == 5


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("poll", {"max": 0}, "max"),
        ("poll", {"max": 501}, "max"),
        ("poll", {"wait_ms": 30_001}, "wait_ms"),
        ("poll", {"member": "bad member!"}, "member"),
        ("poll", {"surprise": 1}, "surprise"),
        ("commit", {"cursor": "not a cursor"}, "cursor"),
        ("commit", {"cursor": "9:1"}, "cursor"),
        ("commit", {"cursor": "0:999"}, "cursor"),
        ("nack", {"cursor": "0:1,1:1"}, "cursor"),
        ("nack", {"cursor": "0:0"}, "cursor"),
        ("reset", {"to": "sometime"}, "to"),
        ("reset", {"to": "time"}, "time"),
        ("reset", {"to": "time", "time": "2026-01-01T00:00:00"}, "time"),
        ("reset", {"to": "cursor"}, "cursor"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, action: str, body: dict[str, object], field: str
) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=2)
    await poll(client, account, topic, "g", "m")
    response = await client.post(group_url(topic, "g", action), headers=account.headers, json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_unknown_group_topic_or_bad_group_name(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    h = account.headers
    assert (await client.get(group_url(topic, "nope"), headers=h)).status_code == 404
    response = await client.post(
        group_url(topic, "nope", "commit"), headers=h, json={"cursor": "0:0"}
    )
    assert response.status_code == 404
    response = await client.post(group_url("no-topic", "g", "poll"), headers=h, json={})
    assert response.status_code == 404
    response = await client.post(group_url(topic, "bad%20name", "poll"), headers=h, json={})
    assert response.status_code == 422


async def test_nack_of_a_record_not_delivered_or_already_committed_is_409(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    await publish(client, account, topic, ["a", "b"], partitions=1)
    batch = await poll(client, account, topic, "g", "m", max_records=1)
    url = group_url(topic, "g", "nack")
    response = await client.post(url, headers=account.headers, json={"cursor": "0:2"})
    assert response.status_code == 409, response.text
    await commit(client, account, topic, "g", batch["cursor"])
    response = await client.post(url, headers=account.headers, json={"cursor": "0:1"})
    assert response.status_code == 409, response.text


async def test_a_read_only_key_consumes_but_cannot_reset_or_delete(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    await publish(client, account, topic, ["a"], partitions=1)
    key = await create_key(client, account, ["read"])
    h = {"X-API-Key": key["key"]}
    response = await client.post(group_url(topic, "g", "poll"), headers=h, json={})
    assert response.status_code == 200, response.text
    cursor = response.json()["cursor"]
    response = await client.post(
        group_url(topic, "g", "commit"), headers=h, json={"cursor": cursor}
    )
    assert response.status_code == 200, response.text
    response = await client.post(group_url(topic, "g", "reset"), headers=h, json={"to": "earliest"})
    assert response.status_code == 403
    assert (await client.delete(group_url(topic, "g"), headers=h)).status_code == 403


async def test_another_tenant_cannot_see_poll_commit_or_reset(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    topic = await make_topic(client, owner, partitions=1)
    await publish(client, owner, topic, ["secret"], partitions=1)
    await poll(client, owner, topic, "g", "m")
    h = other.headers
    for method, action, body in [
        ("POST", "poll", {}),
        ("POST", "commit", {"cursor": "0:1"}),
        ("POST", "nack", {"cursor": "0:1"}),
        ("POST", "reset", {"to": "earliest"}),
        ("GET", "", None),
        ("PUT", "", {}),
        ("DELETE", "", None),
    ]:
        response = await client.request(method, group_url(topic, "g", action), headers=h, json=body)
        assert response.status_code == 404, (method, action, response.text)
        assert "secret" not in response.text
    listed = await client.get(f"/api/v1/topics/{topic}/groups", headers=h)
    assert listed.status_code == 404
    # And the owner's group is untouched.
    assert (await describe(client, owner, topic, "g"))["lag"] == 1


async def test_delivered_records_count_as_outbound_usage(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    await publish(client, account, topic, ["a", "b", "c"], partitions=1)

    async def sent() -> int:
        response = await client.get("/api/v1/usage", headers=account.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["messages_out"]["used"])

    before = await sent()
    batch = await poll(client, account, topic, "g", "m")
    assert len(batch["records"]) == 3
    assert await sent() == before + 3


async def test_lag_in_metrics_has_no_group_or_tenant_label(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from topichub.groups import metrics

    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    await publish(client, account, topic, [f"v{i}" for i in range(7)], partitions=1)
    await poll(client, account, topic, "lagging", "m", max_records=1)
    resources = app.state.resources
    metrics.publish(await metrics.sample(resources.sessionmaker, resources.bus))
    text = (await client.get("/metrics")).text
    lines = [line for line in text.splitlines() if line.startswith("topichub_consumer_group")]
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in lines}
    assert values["topichub_consumer_groups"] >= 1
    assert values["topichub_consumer_group_lag_max"] >= 7
    assert values["topichub_consumer_group_lag_total"] >= 7
    assert (
        values['topichub_consumer_groups_by_lag{le="+Inf"}'] == values["topichub_consumer_groups"]
    )
    assert "lagging" not in text
    assert topic not in text
    assert account.tenant_id not in text


async def test_a_dead_lettered_record_stays_dead_when_another_member_takes_over(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    response = await client.put(
        group_url(topic, "g"), headers=account.headers, json={"max_attempts": 1, "lease_s": 1}
    )
    assert response.status_code == 201, response.text
    await publish(client, account, topic, ["poison", "fine"], partitions=1)
    batch = await poll(client, account, topic, "g", "a")
    assert [r["value"] for r in batch["records"]] == ["poison", "fine"]
    response = await client.post(
        group_url(topic, "g", "nack"),
        headers=account.headers,
        json={"cursor": batch["records"][0]["cursor"]},
    )
    assert response.json()["dead_lettered"] is True
    # "a" never commits and stops polling: "b" resumes after the last commit (none),
    # which is before the dead record; it is not delivered again.
    got: list[str] = []
    async with asyncio.timeout(10):
        while not got:
            got = [
                r["value"]
                for r in (await poll(client, account, topic, "g", "b", wait_ms=500))["records"]
            ]
    assert got == ["fine"]


async def test_joining_a_group_of_a_topic_deleted_meanwhile_is_404(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from topichub.errors import NotFound
    from topichub.groups import service
    from topichub.topics.service import TopicRef

    account = await signup(client)
    topic = await make_topic(client, account, partitions=1)
    response = await client.get(f"/api/v1/topics/{topic}", headers=account.headers)
    body = response.json()
    resources = app.state.resources
    async with resources.sessionmaker() as session:
        from topichub.models import Topic

        ref = TopicRef.of(await session.get(Topic, uuid.UUID(body["id"])))
    assert (
        await client.delete(f"/api/v1/topics/{topic}", headers=account.headers)
    ).status_code == 204
    # A stale cached topic (another process deleted it): no endless retry, a 404.
    with pytest.raises(NotFound):
        await service.ensure_group(resources.sessionmaker, resources.bus, ref, "g")
    response = await client.post(group_url(topic, "g", "poll"), headers=account.headers, json={})
    assert response.status_code == 404
