"""The world of the isolation matrix: a victim with one object of every kind, an attacker
in another tenant, and every credential that must not reach the victim's objects.

Routes are read from the app (``fastapi.routing.iter_route_contexts``, which is how
FastAPI builds its OpenAPI document), so a new route with an id or a name in its path is
walked automatically; a new path parameter fails the matrix until ``World.values`` knows
which victim object it names.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, routing

from tests.support.factories import Account, create_key, signup

PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")
API_PREFIX = "/api/v1"

NOT_OBJECTS = {
    # A math function's name (seed 004): any user may compute; no tenant data behind it.
    "operation",
}
"""Path parameters that name no object of a tenant: another tenant's credentials get a
legitimate answer there, so only the credential checks that do not depend on ownership
apply (revoked, expired, tampered, ``alg: none``, read-only key)."""

READS_BY_POST = {
    # The body form of GET /math/{operation}: the same computation, open to readers as
    # the GET is (both append to the caller's own history).
    ("POST", "/math/{operation}"),
    # Consuming through a group (poll, commit, nack) needs only read, as Kafka's ACLs
    # need only Read on the topic and the group.
    ("POST", "/topics/{name}/groups/{group}/poll"),
    ("POST", "/topics/{name}/groups/{group}/commit"),
    ("POST", "/topics/{name}/groups/{group}/nack"),
    # Tries values against a topic's schema: stores nothing, open to readers.
    ("POST", "/topics/{name}/schema/check"),
}

PROJECT_SCOPED = {"project_id", "name", "key_id"}
"""Parameters naming objects that belong to one project: a key of another project of the
same tenant must not reach them."""

# Valid request bodies, so that a 422 cannot hide a missing ownership check. Keyed by
# (method, path without the /api/v1 prefix); a route with a body missing here fails.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/admin/tenants/{tenant_id}"): {"name": "taken over"},
    ("PATCH", "/api/admin/tenants/{tenant_id}"): {"rate_limits": {"per_minute": 1}},
    ("PATCH", "/projects/{project_id}"): {"name": "taken-over"},
    ("POST", "/topics/{name}/publish"): {"messages": [{"value": "injected"}]},
    ("PATCH", "/topics/{name}"): {"name": "taken-over"},
    ("PUT", "/topics/{name}/schema"): {"schema": {"type": "integer"}},
    ("POST", "/topics/{name}/schema/check"): {"values": ["injected"]},
    ("PUT", "/todos/{todo_id}"): {"title": "taken over", "completed": True},
    ("PATCH", "/todos/{todo_id}"): {"title": "taken over"},
    ("POST", "/chat/groups/{group_id}/members"): {"email": "<attacker>", "role": "admin"},
    ("PUT", "/edit-message/{message_id}"): {"message": "taken over"},
    ("POST", "/math/{operation}"): {"a": 2, "b": 3},
    ("POST", "/topics/{name}/groups/{group}/poll"): {"member": "attacker"},
    ("POST", "/topics/{name}/groups/{group}/commit"): {"cursor": "0:1"},
    ("POST", "/topics/{name}/groups/{group}/nack"): {"cursor": "0:1"},
    ("POST", "/topics/{name}/groups/{group}/reset"): {"to": "latest"},
    ("PUT", "/topics/{name}/groups/{group}"): {"lease_s": 1},
}
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/math/{operation}"): {"a": 2, "b": 3},
}


@dataclass(frozen=True)
class RouteCase:
    method: str  # "WS" for WebSocket routes
    path: str
    params: tuple[str, ...]
    query_params: frozenset[str]
    has_body: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path.removeprefix(API_PREFIX)

    @property
    def owns_objects(self) -> bool:
        return not set(self.params) & NOT_OBJECTS

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes_with_ids(app: FastAPI) -> list[RouteCase]:
    """Every route (seed paths and /api/v1 alike) with a parameter in its path."""
    cases = []
    for context in routing.iter_route_contexts(app.routes):
        params = tuple(PARAM.findall(context.path))
        if not params:
            continue
        route = context.original_route
        dependant = getattr(route, "dependant", None)
        query = frozenset(q.name for q in dependant.query_params) if dependant else frozenset()
        methods = sorted((context.methods or {"WS"}) - {"HEAD", "OPTIONS"})
        for method in methods:
            cases.append(
                RouteCase(
                    method=method,
                    path=context.path,
                    params=params,
                    query_params=query,
                    has_body=getattr(route, "body_field", None) is not None,
                )
            )
    return cases


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


@dataclass
class World:
    victim: Account
    attacker: Account
    values: dict[str, str]
    """Path parameter name → the victim's object it names."""
    project_id: str
    """The victim's default project (where its topic, keys and data live)."""
    canaries: set[str]
    """Strings only the victim's data contains: none may appear in an answer to anyone
    else (unless the request itself carried it, as in "Todo 5 not found")."""
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, route: RouteCase) -> str:
        missing = [p for p in route.params if p not in self.values]
        assert not missing, f"{route}: the matrix does not know which object {missing} names"
        path = PARAM.sub(lambda m: str(self.values[m.group(1)]), route.path)
        query = dict(QUERIES.get(route.key, {}))
        if "project_id" in route.query_params:
            # Naming the victim's project explicitly is the obvious way to try.
            query["project_id"] = self.project_id
        return str(httpx.URL(path, params=query))

    def body(self, route: RouteCase) -> Any:
        if not route.has_body or route.method in {"GET", "DELETE", "WS"}:
            return None
        assert route.key in BODIES, f"{route}: add a valid body to BODIES"
        return json.loads(json.dumps(BODIES[route.key]).replace("<attacker>", self.attacker.email))

    def leaked(self, text: str, url: str) -> list[str]:
        return [c for c in self.canaries if c in text and c not in url]


async def build_world(client: httpx.AsyncClient, app: FastAPI) -> World:
    marker = f"victim-canary-{uuid.uuid4().hex}"
    victim = await signup(client)
    attacker = await signup(client)
    h = victim.headers

    async def ok(response: httpx.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    projects = await ok(await client.get("/api/v1/projects", headers=h))
    default = next(p for p in projects if p["is_default"])
    other = await ok(
        await client.post(
            "/api/v1/projects", json={"name": f"{marker}-b", "description": marker}, headers=h
        )
    )
    key = await create_key(client, victim, ["read", "write", "admin"])
    read_key = await create_key(client, victim, ["read"])
    other_project_key = await create_key(
        client, victim, ["read", "write", "admin"], project_id=other["id"]
    )
    revoked = await create_key(client, victim, ["read", "write", "admin"])
    await ok(await client.delete(f"/api/v1/api-keys/{revoked['id']}", headers=h))
    topic = f"victim-{uuid.uuid4().hex[:12]}"
    await ok(await client.post("/api/v1/topics", json={"name": topic}, headers=h))
    await ok(
        await client.post(
            f"/api/v1/topics/{topic}/publish", json={"messages": [{"value": marker}]}, headers=h
        )
    )
    consumer_group = f"{marker}-workers"
    await ok(
        await client.post(
            f"/api/v1/topics/{topic}/groups/{consumer_group}/poll",
            json={"member": "victim"},
            headers=h,
        )
    )
    schema = {"title": marker, "type": "string"}
    await ok(await client.put(f"/api/v1/topics/{topic}/schema", json={"schema": schema}, headers=h))
    todo = await ok(
        await client.post("/api/v1/todos", json={"title": marker, "description": marker}, headers=h)
    )
    group = await ok(await client.post("/api/v1/chat/groups", json={"name": marker}, headers=h))
    # The victim's group invites an outsider, and a friend's group invites the victim: the
    # invitation addressed to the victim is the one the matrix tries to accept and revoke.
    invited_email = f"{marker}@example.com"
    await ok(
        await client.post(
            f"/api/v1/chat/groups/{group['id']}/members", json={"email": invited_email}, headers=h
        )
    )
    friend = await signup(client)
    friends_group = await ok(
        await client.post("/api/v1/chat/groups", json={"name": "friends"}, headers=friend.headers)
    )
    invitation = await ok(
        await client.post(
            f"/api/v1/chat/groups/{friends_group['id']}/members",
            json={"email": victim.email},
            headers=friend.headers,
        )
    )
    message = await ok(
        await client.post(
            "/api/v1/send-message/", json={"group_id": group["id"], "message": marker}, headers=h
        )
    )
    await ok(await client.get("/api/v1/math/add", params={"a": 40, "b": 2}, headers=h))
    history = await ok(await client.get("/api/v1/math/history", headers=h))
    attacker_key = await create_key(client, attacker, ["read", "write", "admin"])

    codec = app.state.resources.tokens
    claims = _claims(victim.token)
    expired = codec.issue(
        uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"]), claims["ver"], ttl_s=-120
    )
    # The attacker's own, validly signed token with the victim's identity pasted in.
    header, _, signature = attacker.token.split(".")
    stolen_claims = {**_claims(attacker.token), "sub": claims["sub"], "tid": claims["tid"]}
    tampered = f"{header}.{_b64(stolen_claims)}.{signature}"
    now = int(time.time())
    unsigned = {**claims, "iat": now, "exp": now + 600}
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(unsigned)}."

    values = {
        "tenant_id": victim.tenant_id,
        "user_id": str(victim.user["id"]),
        "project_id": default["id"],
        "key_id": key["id"],
        "name": topic,
        "group": consumer_group,
        "todo_id": str(todo["id"]),
        "group_id": group["id"],
        "invitation_id": invitation["invitation_id"],
        "message_id": str(message["id"]),
        "entry_id": str(history["items"][0]["id"]),
        "operation": "add",
    }
    canaries = {
        marker,
        victim.email,
        victim.tenant_id,
        str(victim.user["id"]),
        default["id"],
        other["id"],
        key["id"],
        key["key"],
        key["prefix"],
        read_key["key"],
        other_project_key["key"],
        topic,
        consumer_group,
        group["id"],
        invitation["invitation_id"],
        invited_email,
        values["entry_id"],
    }
    world = World(
        victim=victim,
        attacker=attacker,
        values=values,
        project_id=default["id"],
        canaries=canaries,
    )
    world.credentials = {
        "other tenant's user token": attacker.headers,
        "other tenant's API key": {"X-API-Key": attacker_key["key"]},
        "another project's API key": {"X-API-Key": other_project_key["key"]},
        "read-only key": {"X-API-Key": read_key["key"]},
        "revoked key": {"X-API-Key": revoked["key"]},
        "expired token": {"Authorization": f"Bearer {expired}"},
        "tampered token": {"Authorization": f"Bearer {tampered}"},
        "alg none": {"Authorization": f"Bearer {alg_none}"},
    }
    return world


CROSS_TENANT = {"other tenant's user token", "other tenant's API key"}
BAD_CREDENTIALS = {"revoked key", "expired token", "tampered token", "alg none"}
ALL_KINDS = [
    "other tenant's user token",
    "other tenant's API key",
    "another project's API key",
    "read-only key",
    "revoked key",
    "expired token",
    "tampered token",
    "alg none",
]


def applies(kind: str, route: RouteCase) -> bool:
    """Whether a credential kind must be refused on a route."""
    if kind in CROSS_TENANT:
        return route.owns_objects
    if kind == "another project's API key":
        return bool(set(route.params) & PROJECT_SCOPED)
    if kind == "read-only key":
        return route.method not in {"GET", "WS"} and route.key not in READS_BY_POST
    return True


def expected_statuses(kind: str) -> set[int]:
    # A credential that is not valid is "unauthenticated": 401, whatever the route.
    return {401} if kind in BAD_CREDENTIALS else {401, 403, 404}
