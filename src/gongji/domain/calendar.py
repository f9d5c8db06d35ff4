"""Working days (工作日) on the official holiday schedule with its make-up days (调休) — pure rules.

SPEC §7: working days follow the State Council's schedule (国务院办公厅关于部分节假日安排的通知),
not Mon–Fri. The calendar is data, handed in by the caller:

- the **official schedule** of the years it covers (holidays and make-up working days, from
  ``adapters.official_calendar``),
- the **overrides** staff entered (one day made a holiday or a working day), which beat it,
- the years staff **confirmed** once the notice for them is out (each November for the next year).

A day no override names, in a year the schedule does not cover, follows Mon–Fri; it is
*provisional* unless its year is confirmed. A deadline counted over a provisional day is
provisional too: the page says so, since a holiday published later may move it.

Counting is that of ``chinese_calendar.find_workday``: "N working days after d" is the N-th
working day strictly after d (d itself is not counted, whatever it is); N = 0 is d itself.
``working_days_between(a, b)`` counts the working days in (a, b], so
``working_days_between(d, add_working_days(d, n)) == n``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from gongji.domain.errors import InvalidRequest

DayKind = Literal["workday", "weekend", "holiday", "makeup"]
"""workday: an ordinary Mon–Fri; weekend: Sat/Sun off; holiday: a 法定节假日 (or a day staff
made one); makeup: a Sat/Sun worked (调休上班), or a day staff made a working day."""
DaySource = Literal["official", "override", "confirmed", "provisional"]

KIND_ZH: dict[str, str] = {"workday": "工作日", "weekend": "休息日", "holiday": "节假日", "makeup": "调休上班"}
SOURCE_ZH: dict[str, str] = {
    "official": "国务院公布",
    "override": "经办调整",
    "confirmed": "已确认年度",
    "provisional": "暂按周一至周五（待国务院公布）",
}
MAX_WORKING_DAYS = 3660
"""The longest count asked of the calendar (about ten years): a guard against a runaway loop."""


@dataclass(frozen=True)
class DayOverride:
    """A day staff set: ``working`` or not, with the name shown (e.g. 元旦, 春节调休上班)."""

    day: date
    working: bool
    name: str = ""


@dataclass(frozen=True)
class OfficialSchedule:
    """The official schedule: the years it covers, the holidays and the make-up working days."""

    years: frozenset[int]
    holidays: Mapping[date, str] = field(default_factory=dict)
    makeup_workdays: Mapping[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    kind: DayKind
    name: str
    source: DaySource

    @property
    def provisional(self) -> bool:
        return self.source == "provisional"

    @property
    def kind_zh(self) -> str:
        return KIND_ZH[self.kind]

    @property
    def source_zh(self) -> str:
        return SOURCE_ZH[self.source]


@dataclass(frozen=True)
class Deadline:
    """The day a limit of ``working_days`` counted from ``start`` ends, and whether a day it
    crossed is provisional (the date may still move)."""

    start: date
    working_days: int
    due: date
    provisional: bool


def _weekday(d: date) -> bool:
    return d.weekday() < 5


class WorkCalendar:
    """The working-day calendar over an official schedule, overrides and confirmed years."""

    def __init__(
        self,
        schedule: OfficialSchedule,
        overrides: Iterable[DayOverride] = (),
        confirmed_years: Iterable[int] = (),
    ) -> None:
        self.schedule = schedule
        self.overrides = {o.day: o for o in overrides}
        self.confirmed_years = frozenset(confirmed_years)

    # --- one day -------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        override = self.overrides.get(d)
        if override is not None:
            if override.working:
                kind: DayKind = "workday" if _weekday(d) else "makeup"
            else:
                kind = "holiday" if _weekday(d) else "weekend"
            return DayInfo(d, override.working, kind, override.name, "override")
        if d.year in self.schedule.years:
            if d in self.schedule.holidays:
                return DayInfo(d, False, "holiday", self.schedule.holidays[d], "official")
            if d in self.schedule.makeup_workdays:
                return DayInfo(d, True, "makeup", self.schedule.makeup_workdays[d], "official")
            source: DaySource = "official"
        else:
            source = "confirmed" if d.year in self.confirmed_years else "provisional"
        return DayInfo(d, _weekday(d), "workday" if _weekday(d) else "weekend", "", source)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def is_provisional(self, d: date) -> bool:
        return self.day(d).provisional

    def year_is_official(self, year: int) -> bool:
        """The year's schedule is known: the package covers it or staff confirmed it."""
        return year in self.schedule.years or year in self.confirmed_years

    # --- counting ------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` not counted); ``n = 0`` → ``start``."""
        return self.deadline(start, n).due

    def deadline(self, start: date, n: int) -> Deadline:
        _check_count(n)
        d, left, provisional = start, n, False
        while left > 0:
            d += timedelta(days=1)
            info = self.day(d)
            provisional = provisional or info.provisional
            if info.working:
                left -= 1
        return Deadline(start, n, d, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (the count of (end, start]) when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_WORKING_DAYS * 2:
            raise InvalidRequest("日期跨度过大", "Date range too long", start=start.isoformat(), end=end.isoformat())
        return sum(1 for k in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=k)))

    def provisional_between(self, start: date, end: date) -> bool:
        """A day in (start, end] is provisional."""
        lo, hi = min(start, end), max(start, end)
        return any(self.is_provisional(lo + timedelta(days=k)) for k in range(1, (hi - lo).days + 1))

    def next_working_day(self, d: date) -> date:
        """``d`` when it is a working day, else the first working day after it."""
        return d if self.is_working_day(d) else self.add_working_days(d, 1)

    def month(self, year: int, month: int) -> list[DayInfo]:
        first = date(year, month, 1)
        days = []
        d = first
        while d.month == month:
            days.append(self.day(d))
            d += timedelta(days=1)
        return days


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_WORKING_DAYS:
        raise InvalidRequest(
            f"工作日天数应为0-{MAX_WORKING_DAYS}之间的整数",
            f"Working days: an integer 0..{MAX_WORKING_DAYS}",
            field="n",
        )
