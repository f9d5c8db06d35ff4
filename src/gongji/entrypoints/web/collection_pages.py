"""zh-CN staff pages for collection (征缴, issue 16 §1–§2, §5; seed 002 §八–§九).

- ``/staff/collection``: progress on a day against the target steps (SVG line), the ranking of
  the children (SVG bars, red when behind), drill-down province → city → district → township →
  village (``?area=``), every number a link to the people behind it;
- ``/staff/collection/people``: those people, masked, within the viewer's scope;
- ``/staff/collection/bulletin/{weekly|monthly|quarterly}``: 周通报、月清理、季汇总 as a page,
  ``?format=xlsx`` or ``?format=pdf``;
- ``/staff/collection/units``: units of the viewer's scope, add units, move a person;
- ``/staff/collection/task``: compute, freeze, take out leavers, adjust, recorded changes.
A township clerk (``collection_staff_scope``) sees their township only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.pdf import collection_report
from gongji.domain import collection as C
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web import collection_svg
from gongji.entrypoints.web.pages import _ctx, _gj, _limit, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.collection import bulletins, people, progress, task, units
from gongji.services.collection.demo import benefit_year_for
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

FLASH = {
    "computed": "参保任务已生成",
    "frozen": "参保任务冻结日期已设定",
    "synced": "已将参加职工医保、死亡人员移出参保任务（均有记录）",
    "adjusted": "参保任务已调整（已记录原因）",
    "unit": "征缴单位已添加",
    "assigned": "人员归属已变更（已记录）",
}


def _plain(row: Any, *names: str) -> dict[str, Any] | None:
    """The columns a template shows, read while the session is open."""
    return None if row is None else {n: getattr(row, n) for n in names}


def _period(request: Request, clock_today: date) -> tuple[int, date]:
    q = request.query_params
    try:
        day = date.fromisoformat(q["day"]) if q.get("day") else clock_today
    except ValueError:
        raise InvalidRequest("日期格式应为YYYY-MM-DD", "day: YYYY-MM-DD", field="day") from None
    if q.get("year"):
        if not q["year"].isdigit() or not 2000 <= int(q["year"]) <= 2100:
            raise InvalidRequest("年度有误", "Bad benefit year", field="year")
        return int(q["year"]), day
    year = benefit_year_for(_gj(request), day)
    if year is None:
        raise InvalidRequest("当前没有征缴年度", "No collection year configured", field="year")
    return year, day


def _staff(request: Request) -> Principal | Response:
    return _need(request, Role.STAFF)


@router.get("/staff/collection")
def collection_dashboard(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> dict[str, Any]:
        year, day = _period(request, ctx.clock.today())
        scope = units.scope_of(uow, principal)
        area = request.query_params.get("area")
        ov = progress.overview(uow, gj.profile, scope, benefit_year=year, day=day, area=area)
        frozen = None
        if len(ov.area) == 6 and ov.area.isdigit():
            row = task.year_row(uow, ov.area, year)
            frozen = row.frozen_on if row is not None else None
        return {"ov": ov, "year": year, "day": day, "township_clerk": scope.township_id is not None, "frozen": frozen}

    try:
        data = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    ov: progress.Overview = data["ov"]
    q = f"year={data['year']}&day={data['day'].isoformat()}"
    drill = "" if ov.level == "village" else f"/staff/collection?area={{key}}&{q}"
    return render(
        request,
        "collection_dashboard.html",
        principal,
        **data,
        q=q,
        C=C,
        line=collection_svg.progress_line(ov.series, ov.total.task, ov.curve, ov.day),
        bars=collection_svg.ranking_bars(
            ov.children, href=drill or f"/staff/collection/people?area={{key}}&what=unpaid&{q}"
        ),
        drill=bool(drill),
        level_zh={
            "city": "市（州）",
            "district": "区（县）",
            "township": "乡镇（街道、院校）",
            "village": "村（社区、学校）",
            "province": "省",
        },
    )


@router.get("/staff/collection/people")
def collection_people(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        year, day = _period(request, ctx.clock.today())
        scope = units.scope_of(uow, principal)
        area = request.query_params.get("area") or progress.default_area(scope)
        what = request.query_params.get("what", "task")
        offset = request.query_params.get("offset", "0")
        start = int(offset) if offset.isdigit() else 0
        total, rows = people.people(uow, scope, area=area, what=what, benefit_year=year, day=day, offset=start)
        return {"total": total, "rows": rows, "what": what, "what_zh": people.WHAT_ZH[what], "area": area,
                "year": year, "day": day, "offset": start, "page": people.PAGE}  # fmt: skip

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "collection_people.html", principal, **data)


@router.get("/staff/collection/bulletin/{kind}")
def collection_bulletin(request: Request, kind: str) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> bulletins.Report:
        year, day = _period(request, ctx.clock.today())
        scope = units.scope_of(uow, principal)
        return bulletins.build(
            uow, gj.profile, scope, kind=kind, area=request.query_params.get("area"), benefit_year=year, day=day
        )

    try:
        report = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    fmt = request.query_params.get("format", "")
    if fmt == "xlsx":
        return Response(
            collection_report.render_xlsx(report),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{report.filename}.xlsx"'},
        )
    if fmt == "pdf":
        return Response(
            collection_report.render_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{report.filename}.pdf"'},
        )
    return render(
        request, "collection_bulletin.html", principal, report=report, kind=kind, qs=str(request.query_params)
    )


# --- units and the task --------------------------------------------------------------------


def _units_page(request: Request, principal: Principal, error: GongjiError | None = None) -> Response:
    def go(uow: Any) -> dict[str, Any]:
        scope = units.scope_of(uow, principal)
        rows = [_plain(u, "id", "code", "name", "kind", "parent_id", "active") for u in units.units_under(uow, scope)]
        return {"rows": rows, "clerk": scope.township_id is not None, "regions": scope.regions}

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    uppers = [u for u in data["rows"] if u["parent_id"] is None]
    return render(
        request,
        "collection_units.html",
        principal,
        **data,
        uppers=uppers,
        kind_zh=C.KIND_ZH,
        lower_kind=C.LOWER_KIND,
        failed=error,
        flash=FLASH.get(request.query_params.get("ok", "")),
    )


@router.get("/staff/collection/units")
def collection_units(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _units_page(request, principal)


@router.post("/staff/collection/units")
def collection_unit_add(
    request: Request, name: Str = "", kind: Str = "", region_code: Str = "", parent_id: Str = ""
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal

    def add(uow: Any, ctx: Ctx) -> str:
        parent = int(parent_id) if parent_id.isdigit() else None
        units.create_unit(
            uow,
            ctx,
            name=_limit(name, 60, "name"),
            kind=_limit(kind, 10, "kind"),
            region_code=None if parent else _limit(region_code, 6, "region_code"),
            parent_id=parent,
        )
        return "unit"

    return act(
        request,
        principal,
        add,
        on_error=lambda err: _units_page(request, principal, err),
        redirect_to=lambda ok: f"/staff/collection/units?ok={ok}",
    )


@router.post("/staff/collection/units/assign")
def collection_assign(
    request: Request, person_id: Str = "", unit_id: Str = "", basis: Str = "household", reason: Str = ""
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal

    def assign(uow: Any, ctx: Ctx) -> str:
        if not person_id.isdigit() or not unit_id.isdigit():
            raise InvalidRequest("请填写人员编号和单位", "person_id and unit_id are required", field="person_id")
        units.assign(
            uow, ctx, person_id=int(person_id), unit_id=int(unit_id), basis=basis, reason=_limit(reason, 200, "reason")
        )
        return "assigned"

    return act(
        request,
        principal,
        assign,
        on_error=lambda err: _units_page(request, principal, err),
        redirect_to=lambda ok: f"/staff/collection/units?ok={ok}",
    )


def _task_page(request: Request, principal: Principal, error: GongjiError | None = None) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        year, day = _period(request, ctx.clock.today())
        scope = units.scope_of(uow, principal)
        districts = sorted({u.region_code for u in units.units_under(uow, scope) if u.parent_id is None})
        years = {d: _plain(task.year_row(uow, d, year), "computed_at", "frozen_on") for d in districts}
        names = {u.id: u.name for u in units.units_under(uow, scope)}
        changes = [
            _plain(c, "at", "person_id", "action", "from_unit_id", "to_unit_id", "reason", "after_freeze")
            for c in task.changes(uow, scope, benefit_year=year)
        ]
        return {"year": year, "day": day, "districts": districts, "years": years, "changes": changes,
                "names": names, "clerk": scope.township_id is not None}  # fmt: skip

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    from gongji.adapters.region_data import region_table

    return render(
        request,
        "collection_task.html",
        principal,
        **data,
        region_name=region_table().full_name,
        action_zh=C.ACTION_ZH,
        failed=error,
        flash=FLASH.get(request.query_params.get("ok", "")),
    )


@router.get("/staff/collection/task")
def collection_task(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _task_page(request, principal)


@router.post("/staff/collection/task")
def collection_task_action(
    request: Request,
    action: Str = "",
    region_code: Str = "",
    year: Str = "",
    on: Str = "",
    person_id: Str = "",
    reason: Str = "",
) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal

    def run(uow: Any, ctx: Ctx) -> str:
        if not year.isdigit():
            raise InvalidRequest("年度有误", "Bad benefit year", field="year")
        y = int(year)
        if action == "compute":
            task.compute(uow, ctx, region_code=region_code, benefit_year=y)
            return "computed"
        if action == "freeze":
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise InvalidRequest("日期格式应为YYYY-MM-DD", "on: YYYY-MM-DD", field="on") from None
            task.freeze(uow, ctx, region_code=region_code, benefit_year=y, on=day)
            return "frozen"
        if action == "sync":
            task.sync_leavers(uow, ctx, region_code=region_code, benefit_year=y)
            return "synced"
        if action in ("add", "remove"):
            if not person_id.isdigit():
                raise InvalidRequest("请填写人员编号", "person_id is required", field="person_id")
            task.adjust(
                uow, ctx, person_id=int(person_id), benefit_year=y, action=action, reason=_limit(reason, 200, "reason")
            )
            return "adjusted"
        raise InvalidRequest("操作不存在", "Unknown action", field="action")

    return act(
        request,
        principal,
        run,
        on_error=lambda err: _task_page(request, principal, err),
        redirect_to=lambda ok: f"/staff/collection/task?ok={ok}&year={year}",
    )
