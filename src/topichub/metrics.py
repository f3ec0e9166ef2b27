"""Prometheus metrics. Label values are bounded: route templates, never raw paths or ids."""

from __future__ import annotations

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
