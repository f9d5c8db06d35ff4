"""The business clock (issue 14 §1): ``GONGJI_CLOCK`` starts the clock at a moment and lets it run."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gongji.bootstrap import business_clock
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, OffsetClock, SystemClock, is_simulated, parse_clock_start


def test_an_offset_clock_starts_at_the_given_moment_and_runs_with_real_time() -> None:
    real = [datetime(2026, 12, 6, 14, 0, tzinfo=SHANGHAI)]
    clock = OffsetClock(datetime(2026, 9, 30, 9, 0), real=lambda: real[0])
    assert clock.now() == datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    real[0] += timedelta(hours=15, minutes=30)
    assert clock.now() == datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI)
    assert clock.today().isoformat() == "2026-10-01"
    assert is_simulated(clock) and not is_simulated(SystemClock())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-30T09:00", datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)),
        ("2026-09-30 16:45:10", datetime(2026, 9, 30, 16, 45, 10, tzinfo=SHANGHAI)),
        ("2026-09-30", datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)),
        ("2026-09-30T01:00:00+00:00", datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)),
    ],
)
def test_gongji_clock_takes_an_iso_date_or_date_time_in_beijing_time(text: str, expected: datetime) -> None:
    assert parse_clock_start(text) == expected


def test_a_malformed_gongji_clock_stops_start_up_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGJI_CLOCK", "30/09/2026")
    with pytest.raises(ValueError, match="GONGJI_CLOCK"):
        Settings.from_env()


def test_without_gongji_clock_the_server_runs_on_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGJI_CLOCK", raising=False)
    assert isinstance(business_clock(Settings.from_env()), SystemClock)
    monkeypatch.setenv("GONGJI_CLOCK", "2027-01-04T10:00")
    clock = business_clock(Settings.from_env())
    assert isinstance(clock, OffsetClock) and clock.today().isoformat() == "2027-01-04"
