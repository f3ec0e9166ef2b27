"""Topics: the registry, publishing and realtime streams (SSE and WebSocket)."""
