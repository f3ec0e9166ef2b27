"""Seed 001's todo backend on the core: per-owner todos whose changes are events on the
``todos`` topic (through the outbox), plus the Dapr pub/sub endpoints."""
