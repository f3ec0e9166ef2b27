"""Prometheus metrics. Label values are bounded: route templates, never raw paths or ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["method", "endpoint", "status_code"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration",
    ["method", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ACTIVE_STREAMS = Gauge("topichub_active_streams", "Open SSE and WebSocket streams", ["transport"])
MESSAGES_PUBLISHED = Counter("topichub_messages_published_total", "Messages stored", ["engine"])
MESSAGES_DELIVERED = Counter(
    "topichub_messages_delivered_total", "Messages delivered to streams", ["transport"]
)
RATE_LIMITED = Counter("topichub_rate_limited_total", "Requests refused by limits", ["kind"])

HUB_TOPICS = Gauge("topichub_hub_live_topics", "Topics with a live reader in this process")
HUB_SUBSCRIBERS = Gauge("topichub_hub_subscribers", "Stream subscriptions in this process")
HUB_REPLAYING = Gauge("topichub_hub_replaying", "Subscriptions still replaying history")
OUTBOX_BACKLOG = Gauge("topichub_outbox_backlog", "App events written but not yet relayed")


def watch_hub(stats: Callable[[], Any]) -> None:
    """Read the hub's counters at scrape time (the latest app's hub wins, which is the
    only one outside tests)."""
    HUB_TOPICS.set_function(lambda: float(stats().topics))
    HUB_SUBSCRIBERS.set_function(lambda: float(stats().subscribers))
    HUB_REPLAYING.set_function(lambda: float(stats().replaying))
