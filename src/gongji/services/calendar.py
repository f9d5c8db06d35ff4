"""The working-day calendar of the whole platform (issue 14 §1, SPEC §7): read it, and let
provincial staff keep it up to date.

Every deadline in working days (the one-thing service's 2/3 working days, the back office's
remittance and clearing limits) is counted on ``load(uow)``: the official schedule from
``chinesecalendar`` plus the overrides and confirmed years staff entered. Days of a year the
package does not cover follow Mon–Fri and are marked provisional until staff enter that year's
holidays and make-up days (the State Council publishes them each November) and confirm it.

Editing is for staff with a province-wide scope (省级经办); every change is audited with the
day's state before and after. Reading is for any signed-in user.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import CalendarOverride, CalendarYear
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.official_calendar import official_schedule
from gongji.domain.calendar import DayInfo, DayOverride, Deadline, WorkCalendar
from gongji.domain.errors import Forbidden, InvalidRequest, NotFound
from gongji.domain.registry import scope_prefix
from gongji.policy.schema import Profile
from gongji.services.auth import Principal, Role
from gongji.services.registry.context import Ctx, audit_event, require_reason

FIRST_YEAR, LAST_YEAR = 2000, 2100


def load(uow: UnitOfWork) -> WorkCalendar:
    """The calendar as it stands: official schedule, staff overrides, confirmed years."""
    overrides = [DayOverride(row.day, row.working, row.name) for row in uow.session.scalars(select(CalendarOverride))]
    years = list(uow.session.scalars(select(CalendarYear.year)))
    return WorkCalendar(official_schedule(), overrides, years)


def deadline(uow: UnitOfWork, start: date, working_days: int) -> Deadline:
    """The day a limit of ``working_days`` counted from ``start`` ends (start not counted)."""
    return load(uow).deadline(start, working_days)


def remittance_deadline(
    cal: WorkCalendar, profile: Profile, *, region_code: str, benefit_year: int, collected_on: date
) -> Deadline:
    """双限报解 [002]: cash a township collected on ``collected_on`` (for ``benefit_year``) and still
    below the threshold is remitted at the latest ``max_working_days`` working days later, on the
    official calendar (the region's terms, ``collection.remittance``)."""
    terms = profile.resident_terms(benefit_year, region_code)
    return cal.deadline(collected_on, terms.remittance.max_working_days)


# --- who may edit ------------------------------------------------------------------------------


def require_editor(principal: Principal) -> None:
    """Provincial staff (a scope such as 620000) keep the calendar: it governs every deadline."""
    principal.require(Role.STAFF)
    if not any(len(scope_prefix(r)) == 2 for r in principal.regions):
        raise Forbidden(
            "仅省级医保经办人员可维护工作日历", "Only province-wide staff maintain the working-day calendar"
        )


def may_edit(principal: Principal | None) -> bool:
    try:
        if principal is None:
            return False
        require_editor(principal)
    except Forbidden:
        return False
    return True


def _check_day(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidRequest(
            f"日期应在{FIRST_YEAR}-{LAST_YEAR}年之间", f"Date in {FIRST_YEAR}..{LAST_YEAR}", field="day"
        )


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidRequest(
            f"年度应在{FIRST_YEAR}-{LAST_YEAR}之间", f"Year in {FIRST_YEAR}..{LAST_YEAR}", field="year"
        )


def day_view(info: DayInfo) -> dict[str, Any]:
    return {
        "day": info.day.isoformat(),
        "weekday": info.day.isoweekday(),
        "working": info.working,
        "kind": info.kind,
        "kind_zh": info.kind_zh,
        "name": info.name,
        "source": info.source,
        "source_zh": info.source_zh,
        "provisional": info.provisional,
    }


# --- use cases ---------------------------------------------------------------------------------


def set_day(uow: UnitOfWork, ctx: Ctx, *, day: date, working: bool, name: str, note: str) -> dict[str, Any]:
    """Make ``day`` a holiday (``working`` false) or a working day, whatever the schedule says."""
    require_editor(ctx.principal)
    _check_day(day)
    name = (name or "").strip()
    if len(name) > 60:
        raise InvalidRequest("名称不超过60个字符", "Name: at most 60 characters", field="name")
    note = require_reason(note)
    before = load(uow).day(day)
    row = uow.session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day)
        uow.session.add(row)
    row.working, row.name, row.note = working, name, note
    row.updated_by_user_id, row.updated_at = ctx.principal.user_id, ctx.clock.now()
    uow.session.flush()
    after = load(uow).day(day)
    audit_event(
        uow, ctx, "calendar.override.set", "calendar_override", day.isoformat(),
        before=_brief(before), after=_brief(after), note=note,
    )  # fmt: skip
    return day_view(after)


def clear_day(uow: UnitOfWork, ctx: Ctx, *, day: date, note: str) -> dict[str, Any]:
    """Remove the override of ``day``: the schedule (or Mon–Fri) applies again."""
    require_editor(ctx.principal)
    note = require_reason(note)
    row = uow.session.get(CalendarOverride, day)
    if row is None:
        raise NotFound("该日期没有经办调整", "No override for this day", day=day.isoformat())
    before = load(uow).day(day)
    uow.session.delete(row)
    uow.session.flush()
    after = load(uow).day(day)
    audit_event(
        uow, ctx, "calendar.override.clear", "calendar_override", day.isoformat(),
        before=_brief(before), after=_brief(after), note=note,
    )  # fmt: skip
    return day_view(after)


def confirm_year(uow: UnitOfWork, ctx: Ctx, *, year: int, source: str) -> dict[str, Any]:
    """The State Council's schedule of ``year`` is entered: its days are no longer provisional.
    ``source`` names the notice (e.g. 国办发明电〔2026〕N号)."""
    require_editor(ctx.principal)
    _check_year(year)
    source = require_reason(source)
    if year in official_schedule().years:
        raise InvalidRequest(
            "该年度已由官方日历数据覆盖，无需确认", "This year is covered by the official data already", year=year
        )
    row = uow.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        uow.session.add(row)
    row.source, row.confirmed_by_user_id, row.confirmed_at = source, ctx.principal.user_id, ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "calendar.year.confirm", "calendar_year", year, source=source)
    return year_view(uow, year)


def unconfirm_year(uow: UnitOfWork, ctx: Ctx, *, year: int, note: str) -> dict[str, Any]:
    require_editor(ctx.principal)
    note = require_reason(note)
    row = uow.session.get(CalendarYear, year)
    if row is None:
        raise NotFound("该年度未确认", "This year is not confirmed", year=year)
    uow.session.delete(row)
    uow.session.flush()
    audit_event(uow, ctx, "calendar.year.unconfirm", "calendar_year", year, note=note)
    return year_view(uow, year)


def year_view(uow: UnitOfWork, year: int) -> dict[str, Any]:
    """The year month by month, its overrides with who set them, and its standing."""
    _check_year(year)
    cal = load(uow)
    confirmed = uow.session.get(CalendarYear, year)
    overrides = uow.session.scalars(
        select(CalendarOverride)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)
    )
    official = year in cal.schedule.years
    return {
        "year": year,
        "official": official,
        "confirmed": confirmed is not None,
        "confirmed_source": confirmed.source if confirmed else None,
        "provisional": not official and confirmed is None,
        "months": [[day_view(i) for i in cal.month(year, m)] for m in range(1, 13)],
        "overrides": [
            {"day": o.day.isoformat(), "working": o.working, "name": o.name, "note": o.note} for o in overrides
        ],
    }


def _brief(info: DayInfo) -> dict[str, Any]:
    return {"working": info.working, "kind": info.kind, "name": info.name, "source": info.source}
