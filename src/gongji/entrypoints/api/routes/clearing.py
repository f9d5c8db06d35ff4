"""The monthly clearing between pooling regions (家庭共济资金清算, issue 15 §3, §6).

``GET /api/clearing/runs?month=&state=``; ``POST /api/clearing/runs`` (provincial staff: pre-generate
or regenerate a month); ``GET /api/clearing/runs/{id}?region=`` the balance table, steps against
their deadlines, differences; ``GET …/detail?region=&offset=&limit=`` the detail rows;
``GET …/balance.xlsx`` and ``…/detail.xlsx``; the steps ``POST …/confirm``, ``…/differences``,
``/api/clearing/differences/{id}/resolve``, ``…/tables``, ``…/notice``, ``…/remit``, ``…/transfer``.
Rules: ``services.backoffice.clearing``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import Field
from sqlalchemy import select
from starlette.background import BackgroundTask

from gongji.adapters.db.models import ClearingRun
from gongji.entrypoints.api.deps import CtxDep, CurrentPrincipal, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.backoffice import clearing as C
from gongji.services.backoffice import clearing_tables as T

router = APIRouter(tags=["clearing 家庭共济资金清算"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="数据月份 YYYY-MM")]
City = Annotated[str, Field(pattern=r"^[0-9]{4}00$", description="市级行政区划代码，如 330100")]


class RunIn(Body):
    month: Month


class ConfirmIn(Body):
    city: City
    kind: Literal["local", "offsite"] = Field(description="local 跨统筹区本地就医 / offsite 异地就医")


class DifferenceIn(Body):
    city: City
    settlement_id: int = Field(ge=1, le=2**63 - 1)
    reason: str = Field(min_length=2, max_length=200)


class ResolveIn(Body):
    resolution: Literal["kept", "deferred"] = Field(description="kept 维持原数 / deferred 转下月清算")
    note: str = Field(min_length=2, max_length=200)


class CityIn(Body):
    city: City


def _commit(gj: Any, ctx: Any, use_case: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        out = use_case(uow)
        run = out if isinstance(out, ClearingRun) else C.get_run(uow, out.run_id)
        view = C.run_view(uow, run, ctx.clock.today())
        uow.commit()
        return view

    return gj.run(go)  # type: ignore[no-any-return]


def _filter(view: dict[str, Any], region: str) -> dict[str, Any]:
    if region:
        view["cities"] = [c for c in view["cities"] if c["city_code"].startswith(region[:4])]
    return view


@router.get("/api/clearing/runs")
def runs(
    gj: GjDep,
    principal: CurrentPrincipal,
    month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
    state: Annotated[str | None, Query(max_length=12)] = None,
) -> list[dict[str, Any]]:
    def go(uow: Any) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in C.run_view(uow, r, gj.clock.today()).items() if k not in {"cities", "differences"}}
            for r in C.list_runs(uow, principal, month=month, state=state)
        ]

    return gj.run(go)


@router.post("/api/clearing/runs", status_code=201)
def run_month(body: RunIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    province = gj.profile.profile.province_code
    return _commit(gj, ctx, lambda uow: C.run_month(uow, ctx, province, body.month))


@router.get("/api/clearing/runs/{run_id}")
def run(
    run_id: int, gj: GjDep, principal: CurrentPrincipal, region: Annotated[str, Query(max_length=6)] = ""
) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        r = C.get_run(uow, run_id)
        C.readable(principal, r)
        return _filter(C.run_view(uow, r, gj.clock.today()), region)

    return gj.run(go)


@router.get("/api/clearing/runs/{run_id}/detail")
def detail(
    run_id: int,
    gj: GjDep,
    principal: CurrentPrincipal,
    region: Annotated[str, Query(max_length=6)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Detail rows, ordered by owing and advancing region; ``region``: a city's rows (either side)."""

    def go(uow: Any) -> dict[str, Any]:
        r = C.get_run(uow, run_id)
        C.readable(principal, r)
        d = C.detail(uow, r).subquery()
        q = select(d).order_by(d.c.owing_region, d.c.advancing_region, d.c.settlement_id)
        if region:
            prefix = region[:4]
            q = q.where(d.c.advancing_region.startswith(prefix) | d.c.owing_region.startswith(prefix))
        rows = uow.session.execute(q.offset(offset).limit(limit)).mappings()
        return {
            "run_id": r.id,
            "rows": [
                {
                    "settlement_id": None if x["settlement_id"] is None else int(x["settlement_id"]),
                    "claim_id": None if x["claim_id"] is None else int(x["claim_id"]),
                    "setl_time": x["setl_time"].isoformat()
                    if hasattr(x["setl_time"], "isoformat")
                    else str(x["setl_time"]),
                    "kind": x["kind"],
                    "kind_zh": C.KIND_ZH[x["kind"]],
                    "advancing_region": x["advancing_region"],
                    "advancing_city": f"{x['advancing_region'][:4]}00",
                    "owing_region": x["owing_region"],
                    "owing_city": f"{x['owing_region'][:4]}00",
                    "treatment_region": x["treatment_region"],
                    "fixmedins_code": x["fixmedins_code"],
                    "status": x["status"],
                    "amount_fen": int(x["amount_fen"]),
                }
                for x in rows
            ],
        }

    return gj.run(go)


def _xlsx(gj: Any, principal: Any, run_id: int, which: str) -> FileResponse:
    def go(uow: Any) -> tuple[Any, str]:
        r = C.get_run(uow, run_id)
        C.readable(principal, r)
        writer = T.write_balance if which == "balance" else T.write_detail
        path = T.to_tempfile(lambda p: writer(uow, r, p))
        return path, f"clearing-{which}-{r.province_code}-{r.month}.xlsx"

    path, name = gj.run(go)
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/clearing/runs/{run_id}/balance.xlsx", response_class=FileResponse)
def balance_xlsx(run_id: int, gj: GjDep, principal: CurrentPrincipal) -> FileResponse:
    """清算平衡表 (.xlsx)."""
    return _xlsx(gj, principal, run_id, "balance")


@router.get("/api/clearing/runs/{run_id}/detail.xlsx", response_class=FileResponse)
def detail_xlsx(run_id: int, gj: GjDep, principal: CurrentPrincipal) -> FileResponse:
    """清算明细表 (.xlsx), streamed from the database to a temporary file."""
    return _xlsx(gj, principal, run_id, "detail")


@router.post("/api/clearing/runs/{run_id}/confirm")
def confirm(run_id: int, body: ConfirmIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.confirm(uow, ctx, run_id, body.city, body.kind))


@router.post("/api/clearing/runs/{run_id}/differences", status_code=201)
def raise_difference(run_id: int, body: DifferenceIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(
        gj,
        ctx,
        lambda uow: C.raise_difference(
            uow, ctx, run_id, city=body.city, settlement_id=body.settlement_id, reason=body.reason
        ),
    )


@router.post("/api/clearing/differences/{difference_id}/resolve")
def resolve(difference_id: int, body: ResolveIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.resolve(uow, ctx, difference_id, resolution=body.resolution, note=body.note))


@router.post("/api/clearing/runs/{run_id}/tables")
def make_tables(run_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.make_tables(uow, ctx, run_id))


@router.post("/api/clearing/runs/{run_id}/notice")
def notice(run_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.notice(uow, ctx, run_id))


@router.post("/api/clearing/runs/{run_id}/remit")
def remit(run_id: int, body: CityIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.remit(uow, ctx, run_id, body.city))


@router.post("/api/clearing/runs/{run_id}/transfer")
def transfer(run_id: int, body: CityIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, ctx, lambda uow: C.transfer(uow, ctx, run_id, body.city))
