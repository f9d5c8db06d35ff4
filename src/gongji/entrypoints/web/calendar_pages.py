"""zh-CN staff page of the working-day calendar (工作日历, issue 14 §1).

``/staff/calendar?year=2027``: the year month by month — holidays, make-up working days (调休),
days staff adjusted, and whether the year is official, confirmed or provisional (Mon–Fri until
the State Council's notice is entered); a "N working days after" calculator. Provincial staff
also set or clear a day and confirm the year (``services.calendar``, audited).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _gj, _need, act, error_page, render
from gongji.services import calendar
from gongji.services.auth import Principal, Role
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
WEEKDAY_ZH = "一二三四五六日"
DONE = {
    "set": "已保存该日期的调整",
    "cleared": "已取消该日期的调整，恢复按国务院安排（或周一至周五）",
    "confirmed": "已确认本年度节假日安排",
    "unconfirmed": "已撤销本年度确认",
}


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidRequest("日期格式应为 yyyy-MM-dd", "Date: yyyy-MM-dd", field=field) from None


def _int(value: str, field: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise InvalidRequest("请输入整数", "An integer is expected", field=field) from None


def _page(request: Request, principal: Principal, year: int | None, *, error: GongjiError | None = None) -> Response:
    gj = _gj(request)
    q = request.query_params
    year = year if year is not None else gj.clock.today().year
    try:
        view = gj.run(lambda uow: calendar.year_view(uow, year))
        result = None
        if q.get("start") and q.get("n"):
            start, n = _date(q["start"], "start"), _int(q["n"], "n")
            d = gj.run(lambda uow: calendar.deadline(uow, start, n))
            result = {"start": start.isoformat(), "n": n, "due": d.due.isoformat(), "provisional": d.provisional}
    except GongjiError as err:
        if error is None:
            error = err
        view = gj.run(lambda uow: calendar.year_view(uow, gj.clock.today().year))
        result = None
    return render(
        request,
        "staff_calendar.html",
        principal,
        failed=error,
        v=view,
        weekday_zh=WEEKDAY_ZH,
        editable=calendar.may_edit(principal),
        done=DONE.get(q.get("done", "")),
        result=result,
        today=gj.clock.today().isoformat(),
    )


@router.get("/staff/calendar")
def calendar_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    raw = request.query_params.get("year") or str(_gj(request).clock.today().year)
    try:
        year = _int(raw, "year")
    except GongjiError as err:
        return error_page(request, principal, err)
    return _page(request, principal, year)


def _act(request: Request, year: int | None, use_case: Any, done: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        use_case,
        on_error=lambda err: _page(request, principal, year, error=err),
        redirect_to=lambda _: f"/staff/calendar?year={year or ''}&done={done}",
    )


@router.post("/staff/calendar/days")
def set_day(request: Request, day: Str = "", working: Str = "", name: Str = "", note: Str = "") -> Response:
    year = _year_of(day)

    def go(uow: Any, ctx: Ctx) -> Any:
        if working not in ("0", "1"):
            raise InvalidRequest("请选择放假或上班", "Choose holiday or working day", field="working")
        return calendar.set_day(uow, ctx, day=_date(day, "day"), working=working == "1", name=name, note=note)

    return _act(request, year, go, "set")


@router.post("/staff/calendar/days/{day}/clear")
def clear_day(request: Request, day: str, note: Str = "") -> Response:
    return _act(
        request,
        _year_of(day),
        lambda uow, ctx: calendar.clear_day(uow, ctx, day=_date(day, "day"), note=note),
        "cleared",
    )


@router.post("/staff/calendar/years/{year}/confirm")
def confirm_year(request: Request, year: int, source: Str = "") -> Response:
    return _act(request, year, lambda uow, ctx: calendar.confirm_year(uow, ctx, year=year, source=source), "confirmed")


@router.post("/staff/calendar/years/{year}/unconfirm")
def unconfirm_year(request: Request, year: int, note: Str = "") -> Response:
    return _act(request, year, lambda uow, ctx: calendar.unconfirm_year(uow, ctx, year=year, note=note), "unconfirmed")


def _year_of(day: str) -> int | None:
    """The year of the page to go back to (None: an unparsable day, refused by the use case)."""
    try:
        return date.fromisoformat(day.strip()).year
    except ValueError:
        return None
