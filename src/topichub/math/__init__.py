"""Seed 004's math service on the core: exact, bounded operations, each one an event on
the ``logs`` topic (through the outbox) and a row of the caller's history."""
