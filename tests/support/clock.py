"""Waiting for a point on the wall clock, for tests whose limits count per minute."""

from __future__ import annotations

import asyncio
import time


async def early_in_a_minute(room_s: float = 20.0) -> None:
    """Return when at least ``room_s`` seconds are left in the current wall-clock minute.

    The rate limiter is a sliding window counter: once a new minute starts, the previous
    minute's hits count only by the share of the window that still overlaps them, so a
    test that counts hits up to a limit and crosses a minute boundary sees one more
    request pass than it expects. Tests that count to a per-minute limit start here.
    """
    left = 60.0 - time.time() % 60.0
    if left < room_s:
        await asyncio.sleep(left + 0.05)
