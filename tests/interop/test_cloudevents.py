"""Issue 15 item 7: CloudEvents from the CloudEvents Python SDK reach the Dapr handler in
both content modes of the HTTP binding; what is wrong gets Dapr's answer for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import conversion as legacy
from cloudevents.v1.http.event import CloudEvent as LegacyCloudEvent

ROUTE = "/dapr/events/todos"
TODO = {"id": 1, "title": "Learn FastAPI", "created_by": "admin", "event": "todo_created"}
SUCCESS = {"status": "SUCCESS"}
DROP = {"status": "DROP"}


def _event(data: Any, **extra: Any) -> CloudEvent:
    attributes = {
        "type": "com.dapr.event.sent",
        "source": "todo-backend",
        "datacontenttype": "application/json",
        "subject": "todo 1 — créé",  # percent-encoded in binary mode
        "time": datetime(2026, 12, 4, 12, 0, tzinfo=UTC),
        "traceparent": "00-113ad9c4e42b27583ae98ba698d54255-e3743e35ff56f219-01",
        **extra,
    }
    return CloudEvent(attributes=attributes, data=data)


async def _post(client: httpx.AsyncClient, message: Any) -> httpx.Response:
    return await client.post(ROUTE, headers=message.headers, content=message.body)


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_the_sdks_events_reach_the_handler_in_both_modes(
    client: httpx.AsyncClient, mode: str
) -> None:
    encode = ce_http.to_binary_event if mode == "binary" else ce_http.to_structured_event
    message = encode(_event(TODO))
    if mode == "binary":
        assert message.headers["ce-specversion"] == "1.0"
    else:
        assert message.headers["content-type"].startswith("application/cloudevents+json")
    response = await _post(client, message)
    assert (response.status_code, response.json()) == (200, SUCCESS)


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_the_legacy_sdk_api_dapr_uses_reaches_the_handler(
    client: httpx.AsyncClient, mode: str
) -> None:
    event = LegacyCloudEvent(
        {"type": "com.dapr.event.sent", "source": "todo-backend", "pubsubname": "kafka-pubsub"},
        TODO,
    )
    headers, body = (legacy.to_binary if mode == "binary" else legacy.to_structured)(event)
    response = await client.post(ROUTE, headers=headers, content=body)
    assert (response.status_code, response.json()) == (200, SUCCESS)


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_an_event_that_is_no_todo_is_dropped_in_both_modes(
    client: httpx.AsyncClient, mode: str
) -> None:
    encode = ce_http.to_binary_event if mode == "binary" else ce_http.to_structured_event
    for data in ({"event": "something_else"}, "not json", b"\x00\xff"):
        response = await _post(client, encode(_event(data)))
        assert (response.status_code, response.json()) == (200, DROP), data


async def test_a_binary_event_without_a_required_attribute_is_a_400(
    client: httpx.AsyncClient,
) -> None:
    message = ce_http.to_binary_event(_event(TODO))
    headers = {k: v for k, v in message.headers.items() if k != "ce-source"}
    response = await client.post(ROUTE, headers=headers, content=message.body)
    assert response.status_code == 400
    assert "'source'" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "text/plain"}, b"hello"),
        ({"content-type": "application/cloudevents-batch+json"}, b"[]"),
        ({"ce-specversion": "0.3", "ce-id": "1", "ce-source": "s", "ce-type": "t"}, b"{}"),
    ],
)
async def test_what_is_not_a_cloudevent_is_a_400_never_a_silent_drop(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes
) -> None:
    response = await client.post(ROUTE, headers=headers, content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
