"""Consumer groups over HTTP: workers share a topic's records (docs/groups.md)."""
