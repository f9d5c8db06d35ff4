"""The clock seam: business time is Asia/Shanghai; tests pass a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_date(at: datetime) -> date:
    """The Beijing date of a stored timestamp (SQLite gives back the naive Beijing time it was given)."""
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).date()


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    simulated = False

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stands still (or moves only when told), for tests."""

    simulated = False

    def __init__(self, at: datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.astimezone(SHANGHAI).date()

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


def _real_now() -> datetime:
    return datetime.now(SHANGHAI)


class OffsetClock:
    """Business time for demos and training (``GONGJI_CLOCK``, issue 14 §1): it reads ``start``
    when it is made and then runs with real time, so a server started at 2026-09-30T09:00 reads
    09:30 half an hour later. Pages show a banner with its date (``simulated``)."""

    simulated = True

    def __init__(self, start: datetime, *, real: Callable[[], datetime] = _real_now) -> None:
        start = start if start.tzinfo else start.replace(tzinfo=SHANGHAI)
        self._real = real
        self.offset = start - real()

    def now(self) -> datetime:
        return (self._real() + self.offset).astimezone(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


def parse_clock_start(text: str) -> datetime:
    """``GONGJI_CLOCK``'s value: an ISO date or date-time (``2026-09-30``, ``2026-09-30T09:00``,
    ``2026-09-30 09:00:00+08:00``); without an offset it is Beijing time, a date alone is 09:00."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            at = datetime.fromisoformat(raw).replace(hour=9)
        else:
            at = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"GONGJI_CLOCK={text!r} is not an ISO date-time (e.g. 2026-09-30T09:00 or 2026-09-30)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def is_simulated(clock: object) -> bool:
    return bool(getattr(clock, "simulated", False))
