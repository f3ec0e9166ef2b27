"""Chat across two app instances sharing one PostgreSQL database and one Kafka broker: a
member connected to instance B receives what is sent through instance A, and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.chat.support import close_code, make_group, next_frame, send, subscriber
from tests.conftest import make_settings, running_app
from tests.support.factories import signup
from tests.support.server import serving
from tests.support.services import create_pg_database, drop_pg_database, unavailable
from tests.support.tansu import TansuBroker

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    try:
        url = await create_pg_database()
    except (OSError, Exception) as exc:
        unavailable("PostgreSQL", exc)
        raise
    try:
        yield url
    finally:
        await drop_pg_database(url)


async def test_members_on_different_instances_chat_through_the_bus(
    pg_url: str, tmp_path: Path
) -> None:
    broker = await TansuBroker.start()
    try:
        settings = [
            make_settings(pg_url, tmp_path / name, kafka_bootstrap_servers=broker.bootstrap_servers)
            for name in ("a", "b")
        ]
        async with (
            running_app(settings[0]) as app_a,
            running_app(settings[1]) as app_b,
            serving(app_a) as url_a,
            serving(app_b) as url_b,
            httpx.AsyncClient(base_url=url_a, timeout=30) as a,
            httpx.AsyncClient(base_url=url_b, timeout=30) as b,
        ):
            alice = await signup(a)
            bob = await signup(b)
            group = await make_group(a, alice, {"member": bob})

            async with (
                subscriber(url_b, group, bob) as bob_on_b,
                subscriber(url_a, group, alice) as alice_on_a,
            ):
                sent = await send(a, alice, group, "hello from A")
                frame = await next_frame(bob_on_b)
                assert (frame["event"], frame["id"]) == ("message_created", sent["id"])
                assert (await next_frame(alice_on_a))["id"] == sent["id"]

                reply = await send(b, bob, group, "hello from B")
                assert (await next_frame(alice_on_a))["message"] == "hello from B"
                assert (await next_frame(bob_on_b))["message"] == "hello from B"

                edited = await a.put(
                    f"/edit-message/{sent['id']}",
                    json={"message": "edited on A"},
                    headers=alice.headers,
                )
                assert edited.status_code == 200
                frame = await next_frame(bob_on_b)
                assert (frame["event"], frame["message"]) == ("message_edited", "edited on A")

                burst = [(await send(a, alice, group, f"n{i}"))["id"] for i in range(10)]
                received = [(await next_frame(bob_on_b))["id"] for _ in burst]
                assert received == burst, "a group's messages arrive in order"

                history = await b.get(f"/messages/{group}", headers=bob.headers)
                ids = [message["id"] for message in history.json()]
                assert ids == [*reversed(burst), reply["id"], sent["id"]]

                removed = await a.delete(
                    f"/api/v1/chat/groups/{group}/members/{bob.user['id']}",
                    headers=alice.headers,
                )
                assert removed.status_code == 204
                assert await close_code(bob_on_b, timeout=10) == 4003
    finally:
        broker.stop()
