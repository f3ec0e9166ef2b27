"""Seed 002's group chat over real HTTP and WebSocket: the documented flow, every route's
permissions (author, moderator, admin, member, non-member), live delivery, bad input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.audit.support import wait_for_events
from tests.chat.support import (
    accept,
    close_code,
    join_tenant,
    make_group,
    next_frame,
    send,
    subscriber,
    ws_base,
)
from tests.support.factories import PASSWORD, Account, create_key, signup
from tests.support.server import sse


async def test_seed_002_flow_send_subscribe_edit_delete_history(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob = await signup(http), await signup(http)  # two tenants: chat crosses them
    group = await make_group(http, alice, {"member": bob})
    async with subscriber(base_url, group, bob) as ws:
        sent = await http.post(
            "/send-message/",
            json={"group_id": group, "user_id": alice.user["id"], "message": "Hello!"},
            headers=alice.headers,
        )
        assert sent.status_code == 201, sent.text
        message = sent.json()
        assert message["message"] == "Hello!"
        assert message["user_id"] == alice.user["id"]
        created = await next_frame(ws)
        assert created["event"] == "message_created"
        assert (created["id"], created["message"]) == (message["id"], "Hello!")
        assert created["group_id"] == group
        assert created["author"] == alice.email

        edited = await http.put(
            f"/edit-message/{message['id']}",
            json={"message": "Hello, Kafka!"},
            headers=alice.headers,
        )
        assert edited.status_code == 200
        assert edited.json()["edited_at"] is not None
        frame = await next_frame(ws)
        assert (frame["event"], frame["message"]) == ("message_edited", "Hello, Kafka!")

        reply = await send(http, bob, group, "hi alice")
        assert (await next_frame(ws))["message"] == "hi alice"

        deleted = await http.delete(f"/delete-message/{message['id']}", headers=alice.headers)
        assert deleted.status_code == 200
        assert deleted.json() == {
            "status": "deleted",
            "message_id": message["id"],
            "group_id": group,
        }
        frame = await next_frame(ws)
        assert (frame["event"], frame["message_id"]) == ("message_deleted", message["id"])

    history = await http.get(f"/messages/{group}", headers=bob.headers)
    assert history.status_code == 200
    assert [m["id"] for m in history.json()] == [reply["id"]]
    assert history.json()[0]["author"] == bob.email

    kinds = {e["type"] for e in await wait_for_events(http, alice, 5, topic="chat")}
    # Bob is of another tenant: alice's add was an invitation, his accept is on his topic.
    assert kinds == {
        "group_created",
        "member_invited",
        "message_created",
        "message_edited",
        "message_deleted",
    }


async def test_history_is_durable_newest_first_and_paged(http: httpx.AsyncClient) -> None:
    alice = await signup(http)
    group = await make_group(http, alice)
    ids = [(await send(http, alice, group, f"m{i}"))["id"] for i in range(5)]
    first = (
        await http.get(f"/messages/{group}", params={"limit": 2}, headers=alice.headers)
    ).json()
    assert [m["id"] for m in first] == ids[:-3:-1]
    rest = (
        await http.get(
            f"/api/v1/messages/{group}",
            params={"before": first[-1]["id"], "limit": 10},
            headers=alice.headers,
        )
    ).json()
    assert [m["message"] for m in rest] == ["m2", "m1", "m0"]


async def test_the_sender_is_always_the_authenticated_user(http: httpx.AsyncClient) -> None:
    alice, bob = await signup(http), await signup(http)
    group = await make_group(http, alice, {"member": bob})
    for claimed in (bob.user["id"], 1, "someone"):
        response = await http.post(
            "/send-message/",
            json={"group_id": group, "user_id": claimed, "message": "spoof"},
            headers=alice.headers,
        )
        assert response.status_code == 403, claimed
    assert (await http.get(f"/messages/{group}", headers=alice.headers)).json() == []


async def status(
    http: httpx.AsyncClient, account: Account, method: str, path: str, body: Any = None
) -> int:
    response = await http.request(method, path, json=body, headers=account.headers)
    return response.status_code


async def test_permissions_on_every_route(http: httpx.AsyncClient, base_url: str) -> None:
    admin, moderator, author, member, outsider = [await signup(http) for _ in range(5)]
    group = await make_group(
        http, admin, {"moderator": moderator, "member1": author, "member2": member}
    )
    mine = (await send(http, author, group, "by the author"))["id"]
    other = (await send(http, author, group, "another"))["id"]
    third = (await send(http, member, group, "a third"))["id"]

    # Non-members: the group and its messages do not exist for them (404), everywhere.
    for method, path, body in (
        ("GET", f"/messages/{group}", None),
        ("POST", "/send-message/", {"group_id": group, "message": "let me in"}),
        ("PUT", f"/edit-message/{mine}", {"message": "x"}),
        ("DELETE", f"/delete-message/{mine}", None),
        ("GET", f"/api/v1/chat/groups/{group}", None),
        ("POST", f"/api/v1/chat/groups/{group}/members", {"email": outsider.email}),
        ("DELETE", f"/api/v1/chat/groups/{group}/members/{member.user['id']}", None),
    ):
        assert await status(http, outsider, method, path, body) == 404, (method, path)
    assert group not in [
        g["id"]
        for g in (await http.get("/api/v1/chat/groups", headers=outsider.headers)).json()["groups"]
    ]
    url = f"{ws_base(base_url)}/subscribe/{group}?token={outsider.token}"
    async with websockets.connect(url) as ws:
        assert await close_code(ws) == 4004

    # Editing: the author only.
    for who in (moderator, admin, member):
        assert await status(http, who, "PUT", f"/edit-message/{mine}", {"message": "x"}) == 403
    assert await status(http, author, "PUT", f"/edit-message/{mine}", {"message": "fixed"}) == 200

    # Deleting: the author, or a moderator or admin; a plain member is refused.
    assert await status(http, member, "DELETE", f"/delete-message/{mine}") == 403
    assert await status(http, moderator, "DELETE", f"/delete-message/{mine}") == 200
    assert await status(http, admin, "DELETE", f"/delete-message/{other}") == 200
    assert await status(http, member, "DELETE", f"/delete-message/{third}") == 200
    assert await status(http, member, "DELETE", f"/delete-message/{third}") == 404

    # Membership: admins add and remove; others may only leave.
    newcomer = await signup(http)
    for who in (moderator, member):
        body = {"email": newcomer.email, "role": "member"}
        assert await status(http, who, "POST", f"/api/v1/chat/groups/{group}/members", body) == 403
        path = f"/api/v1/chat/groups/{group}/members/{author.user['id']}"
        assert await status(http, who, "DELETE", path) == 403
    # The newcomer is of another tenant: invited (202) until they accept, then a member.
    invited = await http.post(
        f"/api/v1/chat/groups/{group}/members",
        json={"email": newcomer.email},
        headers=admin.headers,
    )
    assert invited.status_code == 202, invited.text
    await accept(http, newcomer, invited.json()["invitation_id"])
    assert (
        await status(
            http, admin, "POST", f"/api/v1/chat/groups/{group}/members", {"email": newcomer.email}
        )
        == 409
    )
    assert (
        await status(http, member, "DELETE", f"/chat/groups/{group}/members/{member.user['id']}")
        == 204
    )
    assert await status(http, member, "GET", f"/messages/{group}") == 404, "left the group"
    assert (
        await status(http, admin, "DELETE", f"/chat/groups/{group}/members/{newcomer.user['id']}")
        == 204
    )
    assert (
        await status(http, admin, "DELETE", f"/chat/groups/{group}/members/{admin.user['id']}")
        == 409
    )

    detail = (await http.get(f"/api/v1/chat/groups/{group}", headers=moderator.headers)).json()
    assert detail["role"] == "moderator"
    assert {m["email"]: m["role"] for m in detail["members"]} == {
        admin.email: "admin",
        moderator.email: "moderator",
        author.email: "member",
    }
    groups = (await http.get("/api/v1/chat/groups", headers=author.headers)).json()["groups"]
    assert [(g["id"], g["role"]) for g in groups] == [(group, "member")]


async def test_a_removed_member_is_disconnected_at_once(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice, bob, carol = await signup(http), await signup(http), await signup(http)
    group = await make_group(http, alice, {"member1": bob, "member2": carol})
    async with (
        subscriber(base_url, group, bob) as bob_ws,
        subscriber(base_url, group, carol) as carol_ws,
    ):
        removed = await http.delete(
            f"/api/v1/chat/groups/{group}/members/{bob.user['id']}", headers=alice.headers
        )
        assert removed.status_code == 204
        assert await close_code(bob_ws, timeout=5) == 4003
        await send(http, alice, group, "bob is gone")
        frame = await next_frame(carol_ws)
        assert frame["message"] == "bob is gone", "other members stay subscribed"


async def test_websocket_credentials(http: httpx.AsyncClient, base_url: str) -> None:
    alice = await signup(http)
    group = await make_group(http, alice)
    base = f"{ws_base(base_url)}/subscribe/{group}"
    async with websockets.connect(base) as ws:
        await ws.send(json.dumps({"type": "auth", "token": alice.token}))
        assert (await next_frame(ws))["type"] == "subscribed"
    ticket = (await http.post("/api/v1/stream-tickets", headers=alice.headers)).json()["ticket"]
    async with websockets.connect(f"{base}?ticket={ticket}") as ws:
        assert (await next_frame(ws))["type"] == "subscribed"
    key = await create_key(http, alice, ["read", "write"])
    async with websockets.connect(f"{base}?token={key['key']}") as ws:
        assert (await next_frame(ws))["type"] == "subscribed"
    async with websockets.connect(base, additional_headers=alice.headers) as ws:
        assert (await next_frame(ws))["type"] == "subscribed"
    for url in (f"{base}?token=garbage", f"{base}?ticket={ticket}"):  # the ticket is spent
        async with websockets.connect(url) as ws:
            assert await close_code(ws) == 4001
    async with websockets.connect(base) as ws:
        await ws.send("hello")
        assert await close_code(ws) == 4001
    async with websockets.connect(
        f"{ws_base(base_url)}/subscribe/not-a-group?token={alice.token}"
    ) as ws:
        assert await close_code(ws) == 4004
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            f"{base}?token={alice.token}", origin=websockets.Origin("https://evil.example")
        ):
            pass


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/send-message/", {"message": "no group"}, 422),
        ("POST", "/send-message/", {"group_id": "{group}"}, 422),
        ("POST", "/send-message/", {"group_id": "{group}", "message": ""}, 422),
        ("POST", "/send-message/", {"group_id": "{group}", "message": "   "}, 422),
        ("POST", "/send-message/", {"group_id": "{group}", "message": "x" * 4001}, 422),
        ("POST", "/send-message/", {"group_id": "not-a-uuid", "message": "hi"}, 422),
        ("POST", "/send-message/", {"group_id": "{group}", "message": "nul \u0000"}, 422),
        ("POST", "/send-message/", {"group_id": 1, "message": "hi"}, 422),
        ("POST", "/send-message/", {"group_id": "{group}", "message": ["hi"]}, 422),
        ("GET", "/messages/not-a-uuid", None, 422),
        ("GET", "/messages/{group}?limit=0", None, 422),
        ("GET", "/messages/{group}?limit=201", None, 422),
        ("GET", "/messages/{group}?before=0", None, 422),
        ("PUT", "/edit-message/{message}", {"message": ""}, 422),
        ("PUT", "/edit-message/{message}", {}, 422),
        ("PUT", "/edit-message/0", {"message": "x"}, 422),
        ("PUT", f"/edit-message/{2**63}", {"message": "x"}, 422),
        ("DELETE", "/delete-message/abc", None, 422),
        ("PUT", f"/edit-message/{2**62}", {"message": "x"}, 404),
        ("POST", "/api/v1/chat/groups", {"name": ""}, 422),
        ("POST", "/api/v1/chat/groups", {"name": "x" * 101}, 422),
        ("POST", "/api/v1/chat/groups", {}, 422),
        ("POST", "/api/v1/chat/groups/{group}/members", {"email": "not-an-email"}, 422),
        (
            "POST",
            "/api/v1/chat/groups/{group}/members",
            {"email": "a@example.com", "role": "owner"},
            422,
        ),
        ("POST", "/api/v1/chat/invitations/not-a-uuid/accept", None, 422),
        ("POST", "/api/v1/chat/invitations/{group}/accept", None, 404),
        ("POST", "/api/v1/chat/invitations/{group}/decline", None, 404),
        ("DELETE", "/api/v1/chat/groups/{group}/invitations/not-a-uuid", None, 422),
        ("DELETE", "/api/v1/chat/groups/{group}/invitations/{group}", None, 404),
        ("DELETE", "/api/v1/chat/groups/{group}/members/not-a-uuid", None, 422),
        ("GET", "/api/v1/chat/groups/not-a-uuid", None, 422),
    ],
)
async def test_bad_input_is_4xx_never_500(
    client: httpx.AsyncClient, method: str, path: str, body: Any, expected: int
) -> None:
    account = await signup(client)
    group = await make_group(client, account)
    message = (await send(client, account, group, "hi"))["id"]
    path = path.replace("{group}", group).replace("{message}", str(message))
    if isinstance(body, dict) and body.get("group_id") == "{group}":
        body = {**body, "group_id": group}
    response = await client.request(method, path, json=body, headers=account.headers)
    assert response.status_code == expected, response.text
    assert "error" in response.json()


async def test_chat_needs_a_credential(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/v1/chat/groups"),
        ("POST", "/send-message/"),
        ("GET", "/messages/00000000-0000-0000-0000-000000000000"),
        ("PUT", "/edit-message/1"),
        ("DELETE", "/delete-message/1"),
    ):
        response = await client.request(method, path)
        assert response.status_code == 401, path


async def test_password_change_closes_the_users_chat_sockets(
    http: httpx.AsyncClient, base_url: str
) -> None:
    alice = await signup(http)
    group = await make_group(http, alice)
    async with subscriber(base_url, group, alice) as ws:
        changed = await http.patch(
            "/auth/me",
            json={"password": "Brand-new-pass-77", "current_password": PASSWORD},
            headers=alice.headers,
        )
        assert changed.status_code == 200
        assert await close_code(ws, timeout=5) == 4003


async def test_adding_the_same_member_at_once_is_one_201_and_409s(
    http: httpx.AsyncClient, app: FastAPI
) -> None:
    admin, newcomer = await signup(http), await signup(http)
    await join_tenant(app, newcomer, admin.tenant_id)  # of the admin's tenant: added at once
    group = await make_group(http, admin)
    path = f"/api/v1/chat/groups/{group}/members"
    answers = await asyncio.gather(
        *(http.post(path, json={"email": newcomer.email}, headers=admin.headers) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409], [
        a.text for a in answers
    ]
    members = (await http.get(f"/api/v1/chat/groups/{group}", headers=admin.headers)).json()
    assert sum(m["user_id"] == newcomer.user["id"] for m in members["members"]) == 1


async def test_two_admins_removing_each_other_at_once_leave_one_admin(
    http: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        first, second = await signup(http), await signup(http)
        group = await make_group(http, first, {"admin": second})
        path = f"/api/v1/chat/groups/{group}/members"
        answers = await asyncio.gather(
            http.delete(f"{path}/{second.user['id']}", headers=first.headers),
            http.delete(f"{path}/{first.user['id']}", headers=second.headers),
        )
        codes = sorted(a.status_code for a in answers)
        # The loser was removed first (404: no longer a member) or is the last admin (409).
        assert codes in ([204, 404], [204, 409]), [a.text for a in answers]
        survivor = first if answers[0].status_code == 204 else second
        members = (await http.get(f"/api/v1/chat/groups/{group}", headers=survivor.headers)).json()
        assert [m["role"] for m in members["members"]] == ["admin"]


async def test_a_chat_socket_takes_one_of_the_users_stream_slots(
    http: httpx.AsyncClient, base_url: str
) -> None:
    """Chat opens through the same slot as topic streams: with both of the user's two
    slots held, the socket closes with 4029 and the seed's message; a slot freed by a
    chat socket serves a topic stream."""
    alice = await signup(http)
    group = await make_group(http, alice)
    async with (
        sse(http, "/topics/events/stream", headers=alice.headers),
        subscriber(base_url, group, alice),
    ):
        url = f"{ws_base(base_url)}/subscribe/{group}?token={alice.token}"
        async with websockets.connect(url) as ws:
            assert await close_code(ws) == 4029
            assert ws.close_reason == "Maximum 2 active stream connections allowed per user"
        refused = await http.get("/topics/events/stream", headers=alice.headers)
        assert refused.status_code == 429
    async with sse(http, "/topics/events/stream", headers=alice.headers):
        pass
