"""The SDK's topic statistics and schema methods against a real server (both clients:
the sync one is generated from the async one)."""

from __future__ import annotations

import asyncio

import pytest

from tests.cli.support import account_with_key
from tests.scale.support import ServerProcess
from topichub_client import AsyncClient, Client, Conflict, NotFound, ValidationFailed

SCHEMA = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}


async def test_stats_and_schemas_async(server: ServerProcess) -> None:
    _, key = await account_with_key(server)
    async with AsyncClient(server.url, api_key=key) as hub:
        await hub.create_topic("measured", partitions=2)
        await hub.publish("measured", [{"n": 1}, {"n": 2}])
        stats = await hub.topic_stats("measured")
        assert stats["messages_retained"] == stats["messages_last_minute"] == 2
        assert len(stats["partitions"]) == 2
        with pytest.raises(NotFound):
            await hub.get_schema("measured")
        stored = await hub.set_schema("measured", SCHEMA)
        assert stored["version"] == 1
        assert (await hub.get_schema("measured"))["schema"] == SCHEMA
        with pytest.raises(ValidationFailed) as refused:
            await hub.publish("measured", [{"n": "one"}])
        assert refused.value.details[0]["pointer"] == "/n"
        stricter = {**SCHEMA, "required": ["n", "m"]}
        with pytest.raises(Conflict):
            await hub.set_schema("measured", stricter)
        assert (await hub.set_schema("measured", stricter, force=True))["version"] == 2
        await hub.delete_schema("measured")
        with pytest.raises(NotFound):
            await hub.topic_stats("missing")


async def test_stats_and_schemas_sync(server: ServerProcess) -> None:
    _, key = await account_with_key(server)

    def work() -> None:
        with Client(server.url, api_key=key) as hub:
            hub.publish("events", [{"n": 1}])
            assert hub.topic_stats("events")["messages_retained"] == 1
            assert hub.set_schema("events", SCHEMA)["version"] == 1
            assert hub.get_schema("events")["active"] is True
            hub.delete_schema("events")

    await asyncio.to_thread(work)
