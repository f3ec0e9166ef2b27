"""utctoday: the UTC date, made once per day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from topichub.kit import time as th_time


def test_utctoday_follows_the_clock_across_midnight_and_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert th_time.utctoday() == datetime.now(UTC).date()
    midnight = datetime(2026, 12, 6, tzinfo=UTC).timestamp()
    today = th_time._Today()
    for at, expected in [
        (midnight - 0.000001, date(2026, 12, 5)),
        (midnight, date(2026, 12, 6)),
        (midnight + 86_399.9, date(2026, 12, 6)),
        (midnight + 86_400, date(2026, 12, 7)),
        (midnight - 1, date(2026, 12, 5)),  # the clock stepped back
    ]:
        monkeypatch.setattr(th_time.time, "time", lambda at=at: at)
        assert today() == expected
