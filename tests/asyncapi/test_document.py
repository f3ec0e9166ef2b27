"""``GET /asyncapi.json`` is a valid AsyncAPI 3.0 document (checked against the vendored
official JSON Schema) whose app event schemas match events the apps really emitted, and
whose stream frame schemas match real frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import websockets

from tests.chat.support import make_group, next_frame, send, ws_base
from tests.support.factories import Account, bearer, create_key, signup
from tests.support.server import sse

SCHEMA = json.loads((Path(__file__).parent / "schema" / "asyncapi-3.0.0.json").read_text())


def _errors(schema: dict[str, Any], instance: Any, document: dict[str, Any]) -> list[str]:
    # Component schemas point into the document ("#/components/schemas/…"): validate
    # inside a copy of it so those references resolve.
    wrapper = {**document, "$ref": "#/x-under-test", "x-under-test": schema}
    validator = jsonschema_rs.Draft7Validator(wrapper)
    return [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(instance)]


async def test_the_document_is_valid_asyncapi_3(client: httpx.AsyncClient) -> None:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    errors = list(jsonschema_rs.Draft7Validator(SCHEMA).iter_errors(document))
    assert not errors, [f"{e.instance_path}: {e.message}" for e in errors[:5]]
    assert document["asyncapi"] == "3.0.0"
    description = document["channels"]["topicWebSocket"]["description"]
    for code in ("4001", "4003", "4004", "4008", "4029", "1001"):
        assert f"`{code}`" in description


async def _emit_every_app_event(http: httpx.AsyncClient, account: Account) -> None:
    headers = account.headers
    todo = await http.post("/todos", json={"title": "write docs"}, headers=headers)
    assert todo.status_code == 201, todo.text
    todo_id = todo.json()["id"]
    replaced = await http.put(
        f"/todos/{todo_id}", json={"title": "write docs", "completed": True}, headers=headers
    )
    assert replaced.status_code == 200, replaced.text
    assert (await http.delete(f"/todos/{todo_id}", headers=headers)).status_code == 204

    friend = await signup(http)
    # Another tenant's friend: invited (member_invited on our topic); we accept theirs
    # (member_added on our topic).
    group_id = await make_group(http, account, {"moderator": friend})
    await make_group(http, friend, {"member": account})
    # Removed by the group's admin: the event goes to the admin's tenant's `chat` topic.
    removed = await http.delete(
        f"/api/v1/chat/groups/{group_id}/members/{friend.user['id']}", headers=headers
    )
    assert removed.status_code == 204, removed.text
    message = await send(http, account, group_id, "hello")
    edited = await http.put(
        f"/edit-message/{message['id']}", json={"message": "hello!"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    deleted = await http.delete(f"/delete-message/{message['id']}", headers=headers)
    assert deleted.status_code in (200, 204), deleted.text

    assert (await http.get("/math/add?a=2&b=3", headers=headers)).status_code == 200

    key = await create_key(http, account, ["read", "write"])
    tracked = await http.post(
        "/api/v1/interactions",
        json={"user_id": "u1", "item_id": "i1", "interaction_type": "view"},
        headers=bearer(key["key"]),
    )
    assert tracked.status_code == 200, tracked.text


async def test_each_app_event_schema_matches_an_event_the_app_emitted(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    await _emit_every_app_event(http, account)
    document = (await http.get("/asyncapi.json")).json()
    components = document["components"]
    expected = {
        "todos": ["todo_created", "todo_updated", "todo_deleted"],
        "chat": [
            "message_created",
            "message_edited",
            "message_deleted",
            "group_created",
            "member_added",
            "member_invited",
            "member_removed",
        ],
        "logs": ["math_operation"],
        "interactions": ["interaction_tracked"],
    }
    seen: set[str] = set()
    for topic, events in expected.items():
        channel = document["channels"][f"{topic}Events"]
        schemas = [
            components["schemas"][name]
            for name in (ref["$ref"].rsplit("/", 1)[1] for ref in channel["messages"].values())
        ]
        async with sse(
            http, f"/api/v1/topics/{topic}/stream?from=earliest", headers=account.headers
        ) as stream:
            while not set(events) <= seen:
                frame = await stream.next(timeout=30)
                payload = frame.json()
                assert not _errors(components["schemas"]["StreamEvent"], payload, document)
                value = payload["value"]
                assert value.get("event") in events, value
                matching = [s for s in schemas if not _errors(s, value, document)]
                assert len(matching) == 1, (
                    value,
                    [_errors(s, value, document) for s in schemas],
                )
                # And the schema is strict: a field it does not describe is refused.
                assert _errors(matching[0], {**value, "undescribed": 1}, document)
                seen.add(value["event"])


async def test_the_chat_socket_frames_match_the_document(
    http: httpx.AsyncClient, base_url: str
) -> None:
    account = await signup(http)
    group_id = await make_group(http, account)
    document = (await http.get("/asyncapi.json")).json()
    channel = document["channels"]["chatGroupWebSocket"]
    assert channel["address"] == "/api/v1/subscribe/{group_id}"
    for code in ("4001", "4003", "4004", "4008", "1001"):
        assert f"`{code}`" in channel["description"]
    schemas = document["components"]["schemas"]
    url = f"{ws_base(base_url)}/api/v1/subscribe/{group_id}?token={account.token}"
    async with websockets.connect(url) as ws:
        subscribed = await next_frame(ws)
        assert not _errors(schemas["ChatSubscribed"], subscribed, document)
        await send(http, account, group_id, "hello")
        created = await next_frame(ws)
        assert not _errors(schemas["ChatMessageEvent"], created, document), created


async def test_every_frame_example_matches_its_schema(client: httpx.AsyncClient) -> None:
    document = (await client.get("/asyncapi.json")).json()
    checked = 0
    for name, message in document["components"]["messages"].items():
        schema = document["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        for example in message.get("examples", []):
            assert not _errors(schema, example["payload"], document), name
            checked += 1
    assert checked >= 8
    page = (await client.get("/docs/streams")).text
    assert "slow_consumer" in page
    assert "&quot;heartbeat&quot;" in page
