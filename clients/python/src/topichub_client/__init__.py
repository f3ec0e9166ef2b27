"""topichub-client: publish with safe retries, and resumable SSE and WebSocket streams.

>>> from topichub_client import Client, Message
>>> with Client("http://127.0.0.1:8000", api_key="thk_...") as hub:
...     hub.publish("events", [{"n": 1}, {"n": 2}])
...     for item in hub.stream("events", start="earliest"):
...         print(item)
"""

from topichub_client.aio import AsyncClient
from topichub_client.client import Client
from topichub_client.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TopichubError,
    Unavailable,
    ValidationFailed,
)
from topichub_client.models import Close, Gap, Message, Stored, StreamItem

__all__ = [
    "AsyncClient",
    "AuthenticationFailed",
    "BadRequest",
    "Client",
    "Close",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "Gap",
    "Message",
    "NotFound",
    "PayloadTooLarge",
    "QuotaExceeded",
    "RateLimited",
    "ServerError",
    "Stored",
    "StreamItem",
    "TopichubError",
    "Unavailable",
    "ValidationFailed",
]
