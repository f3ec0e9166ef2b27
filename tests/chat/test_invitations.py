"""Chat invitations (issue 12.10): adding an email from outside the admin's tenant records
an invitation that only the holder of that account email can accept or decline; group
admins list and revoke them; expired ones cannot be accepted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from tests.chat.support import accept, join_tenant, make_group, send
from tests.support.factories import Account, signup
from topichub.kit.time import utcnow
from topichub.models import ChatInvitation


async def _invite(
    client: httpx.AsyncClient, admin: Account, group: str, email: str, role: str = "member"
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/chat/groups/{group}/members",
        json={"email": email, "role": role},
        headers=admin.headers,
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _mine(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/chat/invitations", headers=account.headers)
    assert response.status_code == 200, response.text
    invitations: list[dict[str, Any]] = response.json()["invitations"]
    return invitations


async def _pending(client: httpx.AsyncClient, admin: Account, group: str) -> list[str]:
    response = await client.get(f"/api/v1/chat/groups/{group}/invitations", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["invitations"]]


async def test_accepting_makes_a_member_with_the_invited_role(client: httpx.AsyncClient) -> None:
    admin, grace = await signup(client), await signup(client)
    group = await make_group(client, admin)
    # The address as typed by someone else: case does not matter.
    invited = await _invite(client, admin, group, grace.email.upper(), role="moderator")
    assert invited["status"] == "invited"
    assert invited["email"] == grace.email
    assert invited["role"] == "moderator"
    assert "user_id" not in invited

    assert await _pending(client, admin, group) == [invited["invitation_id"]]
    [mine] = await _mine(client, grace)
    assert mine["id"] == invited["invitation_id"]
    assert (mine["group_id"], mine["group_name"], mine["role"]) == (group, "team", "moderator")
    assert mine["invited_by"] == admin.email
    # Not a member until accepted.
    assert (await client.get(f"/messages/{group}", headers=grace.headers)).status_code == 404

    accepted = await client.post(
        f"/api/v1/chat/invitations/{invited['invitation_id']}/accept", headers=grace.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["id"], accepted.json()["role"]) == (group, "moderator")
    await send(client, grace, group, "hello, team")
    detail = (await client.get(f"/api/v1/chat/groups/{group}", headers=admin.headers)).json()
    assert {m["email"]: m["role"] for m in detail["members"]}[grace.email] == "moderator"
    assert await _mine(client, grace) == []
    assert await _pending(client, admin, group) == []
    again = await client.post(
        f"/api/v1/chat/invitations/{invited['invitation_id']}/accept", headers=grace.headers
    )
    assert again.status_code == 404, "answered once"
    member = await client.post(
        f"/api/v1/chat/groups/{group}/members", json={"email": grace.email}, headers=admin.headers
    )
    assert member.status_code == 409


async def test_only_the_addressee_can_see_accept_or_decline(client: httpx.AsyncClient) -> None:
    admin, grace, mallory = await signup(client), await signup(client), await signup(client)
    group = await make_group(client, admin)
    invitation = (await _invite(client, admin, group, grace.email))["invitation_id"]
    for someone in (mallory, admin):
        assert await _mine(client, someone) == []
        for action in ("accept", "decline"):
            response = await client.post(
                f"/api/v1/chat/invitations/{invitation}/{action}", headers=someone.headers
            )
            assert response.status_code == 404, (action, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await client.get(f"/messages/{group}", headers=mallory.headers)).status_code == 404
    assert [i["id"] for i in await _mine(client, grace)] == [invitation]


async def test_decline_and_revoke_end_an_invitation(client: httpx.AsyncClient) -> None:
    admin, grace, hopper, plain = [await signup(client) for _ in range(4)]
    group = await make_group(client, admin, {"member": plain})
    declined = (await _invite(client, admin, group, grace.email))["invitation_id"]
    response = await client.post(
        f"/api/v1/chat/invitations/{declined}/decline", headers=grace.headers
    )
    assert response.status_code == 204
    assert await _mine(client, grace) == []
    response = await client.post(
        f"/api/v1/chat/invitations/{declined}/accept", headers=grace.headers
    )
    assert response.status_code == 404

    revoked = (await _invite(client, admin, group, hopper.email))["invitation_id"]
    path = f"/api/v1/chat/groups/{group}/invitations"
    # A plain member neither sees nor revokes the group's invitations.
    assert (await client.get(path, headers=plain.headers)).status_code == 403
    assert (await client.delete(f"{path}/{revoked}", headers=plain.headers)).status_code == 403
    assert (await client.delete(f"{path}/{revoked}", headers=admin.headers)).status_code == 204
    assert (await client.delete(f"{path}/{revoked}", headers=admin.headers)).status_code == 404
    assert await _mine(client, hopper) == []
    response = await client.post(
        f"/api/v1/chat/invitations/{revoked}/accept", headers=hopper.headers
    )
    assert response.status_code == 404
    # Revoking through another group (where one is admin) does not reach it.
    other = await make_group(client, admin)
    again = (await _invite(client, admin, group, hopper.email))["invitation_id"]
    assert again != revoked
    response = await client.delete(
        f"/api/v1/chat/groups/{other}/invitations/{again}", headers=admin.headers
    )
    assert response.status_code == 404


async def test_inviting_again_renews_the_pending_invitation(client: httpx.AsyncClient) -> None:
    admin, grace = await signup(client), await signup(client)
    group = await make_group(client, admin)
    first = await _invite(client, admin, group, grace.email)
    second = await _invite(client, admin, group, grace.email, role="admin")
    assert second["invitation_id"] == first["invitation_id"]
    assert second["expires_at"] >= first["expires_at"]
    [mine] = await _mine(client, grace)
    assert mine["role"] == "admin"


async def test_an_expired_invitation_cannot_be_accepted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin, grace = await signup(client), await signup(client)
    group = await make_group(client, admin)
    invitation = (await _invite(client, admin, group, grace.email))["invitation_id"]
    async with app.state.resources.sessionmaker() as session:
        await session.execute(
            update(ChatInvitation)
            .where(ChatInvitation.id == uuid.UUID(invitation))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert await _mine(client, grace) == []
    assert await _pending(client, admin, group) == []
    response = await client.post(
        f"/api/v1/chat/invitations/{invitation}/accept", headers=grace.headers
    )
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    assert (await client.get(f"/messages/{group}", headers=grace.headers)).status_code == 404
    # A new invitation can be made and accepted.
    renewed = (await _invite(client, admin, group, grace.email))["invitation_id"]
    await accept(client, grace, renewed)


async def test_a_user_of_the_admins_tenant_is_added_at_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin, colleague = await signup(client), await signup(client)
    await join_tenant(app, colleague, admin.tenant_id)
    group = await make_group(client, admin)
    response = await client.post(
        f"/api/v1/chat/groups/{group}/members",
        json={"email": colleague.email, "role": "moderator"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == colleague.user["id"]
    assert await _mine(client, colleague) == []


async def test_a_read_only_key_cannot_answer_invitations(client: httpx.AsyncClient) -> None:
    from tests.support.factories import create_key

    admin, grace = await signup(client), await signup(client)
    group = await make_group(client, admin)
    invitation = (await _invite(client, admin, group, grace.email))["invitation_id"]
    key = await create_key(client, grace, ["read"])
    headers = {"X-API-Key": key["key"]}
    listed = await client.get("/api/v1/chat/invitations", headers=headers)
    assert [i["id"] for i in listed.json()["invitations"]] == [invitation]
    response = await client.post(f"/api/v1/chat/invitations/{invitation}/accept", headers=headers)
    assert response.status_code == 403
