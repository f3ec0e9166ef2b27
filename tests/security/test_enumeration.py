"""Issue 12.10: account enumeration. Chat's add-member answers the same for a stranger's
real address and for an address nobody holds (an invitation either way), invitations are
rate-limited per user, and sign-up's 409 "taken" is bounded by the sign-up rate limits."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.chat.support import join_tenant, make_group
from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import PASSWORD, signup, unique_email

# Headers whose values differ between any two answers, whatever they say (counters, ids,
# the clock): their names are compared, their values are not.
VOLATILE = {"date", "x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit"}


async def test_a_strangers_email_and_an_unknown_one_get_the_same_answer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await signup(client)
    stranger = await signup(client, unique_email("known"))  # another tenant's real user
    unknown = unique_email("nobdy")  # the same length; nobody holds it
    assert len(unknown) == len(stranger.email)
    group = await make_group(client, admin)
    path = f"/api/v1/chat/groups/{group}/members"

    answers = [
        await client.post(path, json={"email": email, "role": "member"}, headers=admin.headers)
        for email in (stranger.email, unknown)
    ]
    known_answer, unknown_answer = answers
    assert known_answer.status_code == unknown_answer.status_code == 202
    known_body, unknown_body = known_answer.json(), unknown_answer.json()
    assert (
        known_body.keys()
        == unknown_body.keys()
        == {
            "status",
            "invitation_id",
            "email",
            "role",
            "expires_at",
        }
    )
    assert (known_body["status"], known_body["role"]) == ("invited", "member")
    assert (unknown_body["status"], unknown_body["role"]) == ("invited", "member")
    assert stranger.user["id"] not in known_answer.text
    assert stranger.tenant_id not in known_answer.text

    def stable(response: httpx.Response) -> dict[str, str]:
        return {k: v for k, v in response.headers.items() if k not in VOLATILE}

    assert stable(known_answer) == stable(unknown_answer)
    assert sorted(known_answer.headers.keys()) == sorted(unknown_answer.headers.keys())
    # The stranger is not a member (nor is anyone) until they accept.
    detail = (await client.get(f"/api/v1/chat/groups/{group}", headers=admin.headers)).json()
    assert [m["email"] for m in detail["members"]] == [admin.email]

    # A user of the admin's own tenant is still added at once.
    colleague = await signup(client)
    await join_tenant(app, colleague, admin.tenant_id)
    added = await client.post(path, json={"email": colleague.email}, headers=admin.headers)
    assert added.status_code == 201
    assert added.json()["user_id"] == colleague.user["id"]


async def test_chat_invitations_are_rate_limited_per_user(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(own_database_url, tmp_path, chat_invitations_per_user_per_hour=3)
    async with running_app(settings) as app, client_for(app) as client:
        spammer, other = await signup(client), await signup(client)
        group = await make_group(client, spammer)
        path = f"/api/v1/chat/groups/{group}/members"
        for _ in range(3):
            sent = await client.post(path, json={"email": unique_email()}, headers=spammer.headers)
            assert sent.status_code == 202, sent.text
        refused = await client.post(path, json={"email": unique_email()}, headers=spammer.headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1
        # Revoking does not give the budget back.
        pending = await client.get(
            f"/api/v1/chat/groups/{group}/invitations", headers=spammer.headers
        )
        first = pending.json()["invitations"][0]["id"]
        revoked = await client.delete(
            f"/api/v1/chat/groups/{group}/invitations/{first}", headers=spammer.headers
        )
        assert revoked.status_code == 204
        again = await client.post(path, json={"email": unique_email()}, headers=spammer.headers)
        assert again.status_code == 429
        # The budget is the user's: someone else invites as usual.
        theirs = await make_group(client, other)
        sent = await client.post(
            f"/api/v1/chat/groups/{theirs}/members",
            json={"email": unique_email()},
            headers=other.headers,
        )
        assert sent.status_code == 202


async def test_sign_up_answers_taken_only_within_the_per_address_limit(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        own_database_url, tmp_path, signup_per_address_per_hour=3, signup_per_hour=None
    )
    async with running_app(settings) as app, client_for(app) as client:
        taken = (await signup(client)).email
        for _ in range(2):
            probe = await client.post("/auth/signup", json={"email": taken, "password": PASSWORD})
            assert probe.status_code == 409
        # Every probe counted, a 409 as much as a 201: the fourth is refused unanswered.
        for email in (taken, unique_email()):
            refused = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
            assert "retry-after" in refused.headers


async def test_sign_up_answers_taken_only_within_the_global_limit(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        own_database_url, tmp_path, signup_per_address_per_hour=None, signup_per_hour=2
    )
    async with running_app(settings) as app, client_for(app) as client:
        taken = (await signup(client)).email
        probe = await client.post("/register", json={"email": taken, "password": PASSWORD})
        assert probe.status_code == 409
        refused = await client.post("/auth/signup", json={"email": taken, "password": PASSWORD})
        assert refused.status_code == 429
