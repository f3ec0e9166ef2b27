"""The audit consumer: every app event stored once in ``event_log``, and the API to read it."""
