"""The clock seam: business time is Asia/Shanghai; tests pass a fixed clock."""

from __future__ import annotations

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
    def now(self) -> datetime:
        return datetime.now(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stands still (or moves only when told), for tests."""

    def __init__(self, at: datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.astimezone(SHANGHAI).date()

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta
