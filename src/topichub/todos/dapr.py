"""Dapr pub/sub: the programmatic subscription and the endpoint a sidecar delivers to.

A Dapr sidecar started beside topichub (``dapr run --app-id todo-backend --app-port 8000
-- topichub serve`` with ``deploy/dapr/pubsub.yaml``) calls ``GET /dapr/subscribe`` once
at start, then POSTs each message of the declared topics to its route as a CloudEvent 1.0
(structured; other senders may use binary mode, read as well). The answer follows Dapr's
contract: HTTP 200 with ``{"status": "SUCCESS"}`` acknowledges, ``{"status": "DROP"}``
discards a message that can never be handled (retrying would not help), anything else
(``RETRY``, a non-2xx status but 404) makes Dapr retry.

These two routes carry no user credential: Dapr does not send one. What it sends, when
the sidecar runs with ``APP_API_TOKEN``, is that token in ``dapr-api-token``; with
``TOPICHUB_DAPR_APP_TOKEN`` set to the same value, every other caller gets 401. Unset,
the routes are open in development (as in the seed) and refused in production. The
handler only validates, logs and acknowledges; it changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request

from topichub.config import Environment
from topichub.dependencies import ResourcesDep
from topichub.errors import AuthenticationFailed, BadRequest
from topichub.kit.cloudevents import NotACloudEvent, read_http
from topichub.todos.service import EVENT_TYPES, TOPIC

log = logging.getLogger(__name__)


async def verify_sidecar(request: Request, resources: ResourcesDep) -> None:
    """Only the Dapr sidecar may call these routes: it presents ``dapr-api-token``."""
    settings = resources.settings
    expected = settings.dapr_app_token
    if expected is None:
        if settings.env is Environment.production:
            raise AuthenticationFailed("The Dapr routes need TOPICHUB_DAPR_APP_TOKEN in production")
        return
    given = request.headers.get("dapr-api-token", "")
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise AuthenticationFailed("Missing or invalid dapr-api-token")


router = APIRouter(tags=["dapr"], dependencies=[Depends(verify_sidecar)])

PUBSUB_NAME = "kafka-pubsub"
"""The component name in ``deploy/dapr/pubsub.yaml`` (the seed's ``DAPR_PUBSUB_NAME``)."""
ROUTE = "/dapr/events/todos"
SUCCESS = {"status": "SUCCESS"}
DROP = {"status": "DROP"}


@router.get(
    "/dapr/subscribe",
    summary="Dapr subscription (for the sidecar)",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": [
                        {"pubsubname": PUBSUB_NAME, "topic": TOPIC, "route": ROUTE, "metadata": {}}
                    ]
                }
            }
        }
    },
)
async def dapr_subscribe() -> list[dict[str, Any]]:
    """Dapr's programmatic subscription: which topics of which component go where."""
    return [{"pubsubname": PUBSUB_NAME, "topic": TOPIC, "route": ROUTE, "metadata": {}}]


def todo_event_problem(data: Any) -> str | None:
    """Why a CloudEvent's data is not a todo event, or None."""
    if isinstance(data, str | bytes):
        # Some publishers put the JSON payload in as a string.
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            return "data is not JSON"
    if not isinstance(data, dict) or data.get("event") not in EVENT_TYPES:
        return "data is not a todo event"
    return None


@router.post(
    ROUTE,
    summary="Receive a todo event from Dapr",
    responses={
        200: {"content": {"application/json": {"example": SUCCESS}}},
        400: {"description": "Not a CloudEvent 1.0 (structured or binary mode)"},
    },
    openapi_extra={
        "requestBody": {
            "description": "A CloudEvent 1.0 (structured mode shown; binary mode with "
            "`ce-*` headers is read too) whose `data` is a todo event",
            "content": {
                "application/cloudevents+json": {
                    "example": {
                        "specversion": "1.0",
                        "id": "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
                        "source": "topichub",
                        "type": "com.dapr.event.sent",
                        "datacontenttype": "application/json",
                        "data": {"event": "todo_created", "id": 17, "title": "write docs"},
                    }
                }
            },
        }
    },
)
async def dapr_todo_event(request: Request) -> dict[str, str]:
    """Receive a todo event from the sidecar (as the seed's consumer did: log it).

    Structured and binary CloudEvents are both read. A request that is not a CloudEvent
    answers 400 (Dapr retries non-2xx answers: a sender that does not speak the protocol
    must hear so). A CloudEvent that can never be a todo event answers ``DROP``, so Dapr
    discards it rather than retrying. ``RETRY`` would be for a transient failure, which
    this handler, changing nothing, cannot have."""
    try:
        event = read_http(request.headers, await request.body())
    except NotACloudEvent as exc:
        raise BadRequest(f"Not a CloudEvent: {exc}") from exc
    problem = todo_event_problem(event.data)
    if problem is not None:
        log.warning("dropping a Dapr delivery: %s", problem)
        return DROP
    log.info(
        "todo event from Dapr",
        extra={
            "cloudevent_id": event.attributes["id"],
            "source": event.attributes["source"],
            "topic": TOPIC,
            "mode": event.mode,
        },
    )
    return SUCCESS
