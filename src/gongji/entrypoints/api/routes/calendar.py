"""The working-day calendar (工作日历, issue 14 §1) and the business clock.

Reading (any signed-in user): ``GET /api/calendar/{year}`` the year day by day;
``GET /api/calendar/days/{day}``; ``GET /api/calendar/add?start=&n=`` ("N working days after");
``GET /api/calendar/between?start=&end=``; ``GET /api/clock`` the business clock.
Editing (provincial staff, audited): ``PUT``/``DELETE /api/calendar/overrides/{day}``,
``POST``/``DELETE /api/calendar/years/{year}/confirmation``. Rules: ``services.calendar``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, StrictBool

from gongji.domain.clock import is_simulated
from gongji.entrypoints.api.deps import CtxDep, CurrentPrincipal, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services import calendar

router = APIRouter(tags=["calendar 工作日历"])

Year = Annotated[int, Query(ge=calendar.FIRST_YEAR, le=calendar.LAST_YEAR)]


class OverrideIn(Body):
    working: StrictBool = Field(description="true 上班（调休上班）/ false 放假")
    name: str = Field(default="", max_length=60, description="显示名称，如 元旦、春节调休上班")
    note: str = Field(min_length=2, max_length=200, description="依据或原因，如 国办发明电〔2026〕N号")


class NoteIn(Body):
    note: str = Field(min_length=2, max_length=200, description="原因")


class ConfirmIn(Body):
    source: str = Field(min_length=2, max_length=200, description="国务院办公厅通知文号")


@router.get("/api/clock")
def clock(gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The business clock: ``simulated`` when ``GONGJI_CLOCK`` set it (demo, training)."""
    now = gj.clock.now()
    return {
        "now": now.isoformat(timespec="seconds"),
        "today": now.date().isoformat(),
        "simulated": is_simulated(gj.clock),
    }


@router.get("/api/calendar/add")
def add_working_days(
    gj: GjDep, principal: CurrentPrincipal, start: date, n: Annotated[int, Query(ge=0, le=3660)]
) -> dict[str, Any]:
    """The ``n``-th working day after ``start`` (``start`` not counted), and whether it is provisional."""
    d = gj.run(lambda uow: calendar.deadline(uow, start, n))
    return {"start": start.isoformat(), "working_days": n, "due": d.due.isoformat(), "provisional": d.provisional}


@router.get("/api/calendar/between")
def working_days_between(gj: GjDep, principal: CurrentPrincipal, start: date, end: date) -> dict[str, Any]:
    """Working days in (start, end]."""

    def go(uow: Any) -> dict[str, Any]:
        cal = calendar.load(uow)
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "working_days": cal.working_days_between(start, end),
            "provisional": cal.provisional_between(start, end),
        }

    return gj.run(go)


@router.get("/api/calendar/days/{day}")
def day(day: date, gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return gj.run(lambda uow: calendar.day_view(calendar.load(uow).day(day)))


@router.get("/api/calendar/{year}")
def year(year: int, gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return gj.run(lambda uow: calendar.year_view(uow, year))


def _commit(gj: Any, use_case: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        result: dict[str, Any] = use_case(uow)
        uow.commit()
        return result

    return gj.run(go)  # type: ignore[no-any-return]


@router.put("/api/calendar/overrides/{day}")
def set_override(day: date, body: OverrideIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(
        gj, lambda uow: calendar.set_day(uow, ctx, day=day, working=body.working, name=body.name, note=body.note)
    )


@router.delete("/api/calendar/overrides/{day}")
def clear_override(day: date, body: NoteIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: calendar.clear_day(uow, ctx, day=day, note=body.note))


@router.post("/api/calendar/years/{year}/confirmation")
def confirm(year: int, body: ConfirmIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: calendar.confirm_year(uow, ctx, year=year, source=body.source))


@router.delete("/api/calendar/years/{year}/confirmation")
def unconfirm(year: int, body: NoteIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: calendar.unconfirm_year(uow, ctx, year=year, note=body.note))
