"""Seed 002's group chat on the core: groups with roles, durable history, and live delivery
over WebSocket through the bus (so every process's subscribers get every message)."""
