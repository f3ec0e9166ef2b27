"""Consumer groups across two ``topichub serve`` processes sharing PostgreSQL, Redis and
the Kafka broker: members poll through either process and the group behaves as one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.groups import checks
from tests.scale.support import Cluster, cluster
from tests.support.factories import signup

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.kafka,
    pytest.mark.timeout(240),
]


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    async with cluster(tmp_path_factory.mktemp("groups"), {"a": 1, "b": 1}) as group:
        yield group


@pytest.fixture(scope="module")
async def clients(servers: Cluster) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(httpx.AsyncClient(base_url=server.url, timeout=60))
            for server in servers.servers.values()
        ]


async def test_three_members_on_two_processes_receive_every_record_exactly_once(
    clients: list[httpx.AsyncClient],
) -> None:
    account = await signup(clients[0])
    await checks.three_members_get_every_record_once(clients, account, count=180)


async def test_a_member_killed_on_one_process_is_taken_over_on_the_other(
    clients: list[httpx.AsyncClient],
) -> None:
    account = await signup(clients[1])
    await checks.killed_members_records_go_to_another(clients, account)


async def test_nack_to_the_dead_letter_topic_through_another_process(
    clients: list[httpx.AsyncClient],
) -> None:
    account = await signup(clients[0])
    await checks.nack_until_dead_letter(clients[1], account)
