"""Collection (征缴) API (issue 16 §1–§2, §5; seed 002 §八–§九): units, the resident→unit
assignment, township clerks, the year's task, progress on a day, the people behind a number,
and the bulletins (JSON, Excel or PDF). Staff only, within their scope."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from gongji.adapters.pdf import collection_report
from gongji.domain import collection as C
from gongji.domain.errors import InvalidRequest
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.collection import bulletins, people, progress, task, units
from gongji.services.collection.demo import benefit_year_for
from gongji.services.registry.persons import Ctx

router = APIRouter(prefix="/api/collection", tags=["collection 征缴进度"])

AREA = r"^(|\d{2}|\d{4}|\d{6}|[tu]\d{1,12})$"


class UnitIn(Body):
    name: str = Field(min_length=2, max_length=60)
    kind: str = Field(max_length=10, description="town/township/street/college · village/community/school")
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="区县 (upper units)")
    parent_id: int | None = Field(default=None, description="乡镇级单位 (lower units)")


class AssignIn(Body):
    person_id: int
    unit_id: int
    basis: Literal["household", "residence", "school"] = "household"
    reason: str = Field(max_length=200)


class ScopeIn(Body):
    user_id: int
    township_id: int | None = None


class TaskIn(Body):
    region_code: str = Field(pattern=r"^\d{6}$")
    benefit_year: int = Field(ge=2000, le=2100)


class FreezeIn(TaskIn):
    on: date


class AdjustIn(Body):
    person_id: int
    benefit_year: int = Field(ge=2000, le=2100)
    action: Literal["add", "remove"]
    reason: str = Field(max_length=200)


def _unit(u: Any) -> dict[str, Any]:
    return {
        "unit_id": u.id,
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "kind_zh": C.KIND_ZH.get(u.kind, u.kind),
        "parent_id": u.parent_id,
        "region_code": u.region_code,
        "active": u.active,
    }


def _commit(gj: GjDep, fn: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow)
        uow.commit()
        return out

    return gj.run(go)


def _year(gj: GjDep, ctx: Ctx, year: int | None, day: date | None) -> tuple[int, date]:
    day = day or ctx.clock.today()
    year = year or benefit_year_for(gj, day)
    if year is None:
        raise InvalidRequest("当前没有征缴年度", "No collection year configured", field="year")
    return year, day


@router.get("/units")
def list_units(gj: GjDep, ctx: CtxDep, region: str = Query("", pattern=r"^(\d{2,6})?$")) -> dict[str, Any]:
    def go(uow: Any) -> list[dict[str, Any]]:
        scope = units.scope_of(uow, ctx.principal)
        return [_unit(u) for u in units.units_under(uow, scope, region_code=region or None)]

    rows = gj.run(go)
    return {"items": rows, "count": len(rows)}


@router.post("/units", status_code=201)
def create_unit(body: UnitIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(
        gj,
        lambda uow: _unit(
            units.create_unit(
                uow, ctx, name=body.name, kind=body.kind, region_code=body.region_code, parent_id=body.parent_id
            )
        ),
    )


@router.post("/members")
def assign(body: AssignIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        m = units.assign(uow, ctx, person_id=body.person_id, unit_id=body.unit_id, basis=body.basis, reason=body.reason)
        return {"person_id": m.person_id, "unit_id": m.unit_id, "basis": m.basis, "since": m.since.isoformat()}

    return _commit(gj, go)


@router.post("/staff-scope")
def staff_scope(body: ScopeIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    _commit(gj, lambda uow: units.set_staff_township(uow, ctx, user_id=body.user_id, township_id=body.township_id))
    return {"user_id": body.user_id, "township_id": body.township_id}


@router.post("/task/compute")
def compute(body: TaskIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: task.compute(uow, ctx, region_code=body.region_code, benefit_year=body.benefit_year))


@router.post("/task/freeze")
def freeze(body: FreezeIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        row = task.freeze(uow, ctx, region_code=body.region_code, benefit_year=body.benefit_year, on=body.on)
        return {"region_code": row.region_code, "benefit_year": row.benefit_year, "frozen_on": str(row.frozen_on)}

    return _commit(gj, go)


@router.post("/task/sync")
def sync(body: TaskIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(
        gj, lambda uow: task.sync_leavers(uow, ctx, region_code=body.region_code, benefit_year=body.benefit_year)
    )


@router.post("/task/adjust")
def adjust(body: AdjustIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        row = task.adjust(
            uow, ctx, person_id=body.person_id, benefit_year=body.benefit_year, action=body.action, reason=body.reason
        )
        return {"person_id": row.person_id, "unit_id": row.unit_id, "status": row.status, "source": row.source}

    return _commit(gj, go)


def _row(r: progress.Row) -> dict[str, Any]:
    return {
        "key": r.key,
        "name": r.name,
        "code": r.code,
        "task": r.task,
        "paid": r.paid,
        "progress_permille": r.permille,
        "required_permille": r.required_permille,
        "behind": r.behind,
        "shortfall": r.shortfall,
    }


@router.get("/progress")
def get_progress(
    gj: GjDep,
    ctx: CtxDep,
    area: str | None = Query(None, pattern=AREA),
    day: date | None = None,
    year: int | None = Query(None, ge=2000, le=2100),
) -> dict[str, Any]:
    """Paid ÷ task of an area and its children on ``day`` against the target in force."""

    def go(uow: Any) -> dict[str, Any]:
        y, d = _year(gj, ctx, year, day)
        scope = units.scope_of(uow, ctx.principal)
        ov = progress.overview(uow, gj.profile, scope, benefit_year=y, day=d, area=area)
        return {
            "area": ov.area,
            "area_name": ov.area_name,
            "benefit_year": y,
            "day": d.isoformat(),
            "level": ov.level,
            "steps": [{"due": s.due.isoformat(), "share_permille": s.share_permille} for s in ov.curve],
            "total": _row(ov.total),
            "children": [_row(r) for r in ov.children],
        }

    return gj.run(go)


@router.get("/people")
def get_people(
    gj: GjDep,
    ctx: CtxDep,
    area: str = Query("", pattern=AREA),
    what: Literal["task", "paid", "unpaid", "gap"] = "task",
    day: date | None = None,
    year: int | None = Query(None, ge=2000, le=2100),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """The people behind a number, masked, within the viewer's scope (issue 16 §5)."""

    def go(uow: Any) -> dict[str, Any]:
        y, d = _year(gj, ctx, year, day)
        scope = units.scope_of(uow, ctx.principal)
        total, rows = people.people(
            uow, scope, area=area or progress.default_area(scope), what=what, benefit_year=y, day=d, offset=offset
        )
        items = [asdict(p) | {"paid_on": p.paid_on.isoformat() if p.paid_on else None} for p in rows]
        return {"total": total, "offset": offset, "items": items}

    return gj.run(go)


@router.get("/bulletins/{kind}")
def get_bulletin(
    kind: Literal["weekly", "monthly", "quarterly"],
    gj: GjDep,
    ctx: CtxDep,
    area: str | None = Query(None, pattern=AREA),
    day: date | None = None,
    year: int | None = Query(None, ge=2000, le=2100),
    fmt: Literal["json", "xlsx", "pdf"] = Query("json", alias="format"),
) -> Any:
    """周通报 / 月清理 / 季汇总 (seed 002 §九4) as JSON, Excel or a printable PDF."""

    def go(uow: Any) -> bulletins.Report:
        y, d = _year(gj, ctx, year, day)
        scope = units.scope_of(uow, ctx.principal)
        return bulletins.build(uow, gj.profile, scope, kind=kind, area=area, benefit_year=y, day=d)

    report = gj.run(go)
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
    return {
        "kind": report.kind,
        "title": report.title,
        "issuer": report.issuer,
        "issued_on": report.issued_on.isoformat(),
        "summary": report.summary,
        "sections": [asdict(s) for s in report.sections],
    }
