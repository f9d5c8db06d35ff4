"""zh-CN staff pages of the monthly clearing between pooling regions (issue 15 §3, §6).

``/staff/clearing?month=&state=``: the province's runs, and (provincial staff) run a month;
``/staff/clearing/{id}?region=&state=``: the balance table per city with each step against its
deadline (overdue in working days), the differences, the detail rows of a city, downloads of
the 清算平衡表 and 明细表 (.xlsx), and the step a user may take (``services.backoffice.clearing``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _gj, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import clearing as C
from gongji.services.backoffice import clearing_tables as T
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEP_ZH = {
    "generate": "预生成数据（5日前）",
    "tables": "平衡表和明细表（月底前）",
    "local_confirm": "本地就医对账确认（25日前）",
    "offsite_confirm": "异地就医对账确认（20日前）",
    "remit": "上解（付款通知后15个工作日内）",
    "transfer": "省级划转（7个工作日内）",
}
STEP_STATE_ZH = {"done": "已完成", "late": "逾期完成", "pending": "办理中", "overdue": "已超期", "waiting": "未开始"}
CITY_STATES = {"": "全部", "overdue": "有超期步骤", "open": "未完成"}


def _month_now(request: Request) -> str:
    today = _gj(request).clock.today()
    year, mon = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


@router.get("/staff/clearing")
def runs_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _runs(request, principal)


def _runs(request: Request, principal: Principal, error: GongjiError | None = None) -> Response:
    gj = _gj(request)
    month, state = (request.query_params.get("month") or "")[:7], (request.query_params.get("state") or "")[:12]
    try:
        runs = gj.run(
            lambda uow: [
                C.run_view(uow, r, gj.clock.today())
                for r in C.list_runs(uow, principal, month=month or None, state=state or None)
            ]
        )
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "staff_clearing.html",
        principal,
        failed=error,
        runs=runs,
        month=month,
        state=state,
        states=list(C.STATE_ZH.items()),
        default_month=_month_now(request),
        today=gj.clock.today().isoformat(),
    )


@router.post("/staff/clearing")
def run_month(request: Request, month: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    province = _gj(request).profile.profile.province_code
    return act(
        request,
        principal,
        lambda uow, ctx: C.run_month(uow, ctx, province, month.strip()),
        on_error=lambda err: _runs(request, principal, error=err),
        redirect_to=lambda run: f"/staff/clearing/{run.id}?done=run",
    )


def _detail_rows(uow: Any, run: Any, region: str) -> list[dict[str, Any]]:
    d = C.detail(uow, run).subquery()
    prefix = region[:4]
    q = (
        select(d)
        .where(d.c.advancing_region.startswith(prefix) | d.c.owing_region.startswith(prefix))
        .order_by(d.c.owing_region, d.c.advancing_region, d.c.settlement_id)
        .limit(200)
    )
    return [
        dict(x)
        | {
            "kind_zh": C.KIND_ZH[x["kind"]],
            "advancing_name": T.region_label(x["advancing_region"]),
            "owing_name": T.region_label(x["owing_region"]),
            "treatment_name": T.region_label(x["treatment_region"]),
            "yuan": f"{T.yuan(x['amount_fen']):,.2f}",
        }
        for x in uow.session.execute(q).mappings()
    ]


def _run_page(request: Request, principal: Principal, run_id: int, *, error: GongjiError | None = None) -> Response:
    gj = _gj(request)
    q = request.query_params
    region, state = (q.get("region") or "")[:6], (q.get("state") or "")[:12]
    try:

        def go(uow: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            run = C.get_run(uow, run_id)
            C.readable(principal, run)
            view = C.run_view(uow, run, gj.clock.today())
            rows = _detail_rows(uow, run, region) if len(region) >= 4 and region.isdigit() else []
            return view, rows

        view, rows = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    cities = [c for c in view["cities"] if not region or c["city_code"].startswith(region[:4])]
    if state == "overdue":
        cities = [c for c in cities if c["overdue"]]
    elif state == "open":
        cities = [c for c in cities if any(s["state"] in {"pending", "overdue"} for s in c["steps"])]
    return render(
        request,
        "staff_clearing_run.html",
        principal,
        failed=error,
        v=view,
        cities=cities,
        rows=rows,
        region=region,
        state=state,
        city_states=list(CITY_STATES.items()),
        step_zh=STEP_ZH,
        step_state_zh=STEP_STATE_ZH,
        done=q.get("done", ""),
    )


@router.get("/staff/clearing/{run_id}")
def run_page(request: Request, run_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _run_page(request, principal, run_id)


@router.get("/staff/clearing/{run_id}/{which}.xlsx")
def download(request: Request, run_id: int, which: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    if which not in {"balance", "detail"}:
        return error_page(request, principal, InvalidRequest("没有该表", "No such table", field="which"))
    gj = _gj(request)

    def go(uow: Any) -> tuple[Any, str]:
        run = C.get_run(uow, run_id)
        C.readable(principal, run)
        writer = T.write_balance if which == "balance" else T.write_detail
        return T.to_tempfile(lambda p: writer(uow, run, p)), f"clearing-{which}-{run.province_code}-{run.month}.xlsx"

    try:
        path, name = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


def _step(request: Request, run_id: int, use_case: Any, done: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        use_case,
        on_error=lambda err: _run_page(request, principal, run_id, error=err),
        redirect_to=lambda _: f"/staff/clearing/{run_id}?done={done}",
    )


def _int(value: str, field: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise InvalidRequest("请输入整数", "An integer is expected", field=field) from None


@router.post("/staff/clearing/{run_id}/confirm")
def confirm(request: Request, run_id: int, city: Str = "", kind: Str = "") -> Response:
    return _step(request, run_id, lambda uow, ctx: C.confirm(uow, ctx, run_id, city.strip(), kind), "confirmed")


@router.post("/staff/clearing/{run_id}/differences")
def raise_difference(
    request: Request, run_id: int, city: Str = "", settlement_id: Str = "", reason: Str = ""
) -> Response:
    def go(uow: Any, ctx: Ctx) -> Any:
        return C.raise_difference(
            uow, ctx, run_id, city=city.strip(), settlement_id=_int(settlement_id, "settlement_id"), reason=reason
        )

    return _step(request, run_id, go, "raised")


@router.post("/staff/clearing/{run_id}/differences/{difference_id}/resolve")
def resolve(request: Request, run_id: int, difference_id: int, resolution: Str = "", note: Str = "") -> Response:
    return _step(
        request,
        run_id,
        lambda uow, ctx: C.resolve(uow, ctx, difference_id, resolution=resolution, note=note),
        "resolved",
    )


@router.post("/staff/clearing/{run_id}/{step}")
def run_step(request: Request, run_id: int, step: str, city: Str = "") -> Response:
    steps: dict[str, Any] = {
        "tables": lambda uow, ctx: C.make_tables(uow, ctx, run_id),
        "notice": lambda uow, ctx: C.notice(uow, ctx, run_id),
        "remit": lambda uow, ctx: C.remit(uow, ctx, run_id, city.strip()),
        "transfer": lambda uow, ctx: C.transfer(uow, ctx, run_id, city.strip()),
    }
    if step not in steps:
        principal = _need(request, Role.STAFF)
        if isinstance(principal, Response):
            return principal
        return error_page(request, principal, InvalidRequest("没有该步骤", "No such step", field="step"))
    return _step(request, run_id, steps[step], step)
