"""zh-CN staff pages of premium clearing and the weekly reconciliation with tax (issue 15 §4;
seed 003 附件三). Rules in ``services.backoffice.premium_clearing`` / ``tax_recon``.

``/staff/premium-clearing?month=2026-12&region=&state=``: the month's 划扣明细表 — per pooling
region within / across totals, the confirmation against its deadline (by the 5th), the 用款计划,
the 全额清算 transfers against month end, the first lines (masked); Excel download; generate
(province staff), confirm, submit the plan, record a transfer.

``/staff/tax-recon?week=2026-W49&region=&state=``: what was published, the tax side's totals, each
difference with its settlement (reason required); publish (province staff), fetch, settle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, parse_date, render
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.backoffice import tax_recon as TR
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
DONE = {
    "generated": "已生成该月划扣明细表",
    "confirmed": "已确认本统筹区该月清算数据",
    "planned": "已提交用款计划",
    "transferred": "已登记全额清算划转",
    "published": "已推送本周对账明细至对账中间库",
    "fetched": "已读取税务返回的比对差异",
    "settled": "已处理该差异，处理结果已写回对账中间库",
    "proposed": "已提出处理意见，须由另一名工作人员复核确认后生效",
}


def _last_month(request: Request) -> str:
    today = _gj(request).clock.today()
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _month_page(request: Request, principal: Principal, *, error: GongjiError | None = None) -> Response:
    gj, q = _gj(request), request.query_params
    month = (q.get("month") or _last_month(request)).strip()
    region, state = _clean(q.get("region")), _clean(q.get("state"))
    ctx = _ctx(request, principal)
    view = lines = None
    months: list[str] = []
    try:
        months = gj.run(lambda uow: PC.months(uow, ctx))
        view = gj.run(lambda uow: PC.month_view(uow, ctx, month=month, region=region, state=state))
        lines = gj.run(lambda uow: PC.month_lines(uow, ctx, month=month, region=region, limit=200))
    except GongjiError as err:
        error = error or (None if err.code == "E_NOT_FOUND" else err)
    return render(
        request, "staff_premium_clearing.html", principal, failed=error, v=view, lines=lines, months=months,
        month=month, region=region or "", state=state or "", done=DONE.get(q.get("done", "")),
        province=_is_province(principal), today=gj.clock.today().isoformat(),
    )  # fmt: skip


def _is_province(principal: Principal) -> bool:
    try:
        PC.require_province(principal)
    except GongjiError:
        return False
    return True


@router.get("/staff/premium-clearing")
def month_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    return _month_page(request, principal)


def _month_act(request: Request, month: str, use_case: Any, done: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request, principal, use_case,
        on_error=lambda err: _month_page(request, principal, error=err),
        redirect_to=lambda _: f"/staff/premium-clearing?month={month}&done={done}",
    )  # fmt: skip


@router.post("/staff/premium-clearing/generate")
def generate(request: Request, month: Str = "") -> Response:
    return _month_act(request, month, lambda uow, ctx: PC.generate(uow, ctx, month=month), "generated")


@router.post("/staff/premium-clearing/{month}/regions/{region}/confirm")
def confirm(request: Request, month: str, region: str) -> Response:
    return _month_act(
        request, month, lambda uow, ctx: PC.confirm(uow, ctx, month=month, region_code=region), "confirmed"
    )


@router.post("/staff/premium-clearing/{month}/regions/{region}/plan")
def plan(request: Request, month: str, region: str) -> Response:
    return _month_act(
        request, month, lambda uow, ctx: PC.submit_plan(uow, ctx, month=month, region_code=region), "planned"
    )


@router.post("/staff/premium-clearing/{month}/transfers")
def transfer(
    request: Request, month: str, payer: Str = "", payee: Str = "", paid_on: Str = "", bank_ref: Str = ""
) -> Response:
    def go(uow: Any, ctx: Ctx) -> Any:
        day = parse_date(paid_on, field="paid_on")
        return PC.record_transfer(
            uow, ctx, month=month, payer_region=payer, payee_region=payee, paid_on=day, bank_ref=bank_ref
        )

    return _month_act(request, month, go, "transferred")


# --- reconciliation with tax -------------------------------------------------------------------------


def _week_page(request: Request, principal: Principal, *, error: GongjiError | None = None) -> Response:
    gj, q = _gj(request), request.query_params
    week = (q.get("week") or _last_week(request)).strip()
    region, state = _clean(q.get("region")), _clean(q.get("state"))
    ctx = _ctx(request, principal)
    view = None
    weeks: list[dict[str, Any]] = []

    def read(uow: Any) -> Any:
        result = TR.week_view(uow, ctx, week=week, region=region, state=state)
        uow.commit()  # the intermediate tables may be created on first use (SQLite)
        return result

    try:
        weeks = gj.run(lambda uow: TR.weeks(uow, ctx))
        view = gj.run(read)
    except GongjiError as err:
        error = error or (None if err.code == "E_NOT_FOUND" else err)
    return render(
        request, "staff_tax_recon.html", principal, failed=error, v=view, weeks=weeks, week=week,
        region=region or "", state=state or "", done=DONE.get(q.get("done", "")), province=_is_province(principal),
        kind_zh=TR.KIND_ZH, resolution_zh=TR.RESOLUTION_ZH,
    )  # fmt: skip


def _last_week(request: Request) -> str:
    return TR.week_of(_gj(request).clock.today() - timedelta(days=7))


@router.get("/staff/tax-recon")
def week_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    return _week_page(request, principal)


def _week_act(request: Request, week: str, use_case: Any, done: str | Any) -> Response:
    """``done``: the flash key, or a function of the use case's result giving it."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request, principal, use_case,
        on_error=lambda err: _week_page(request, principal, error=err),
        redirect_to=lambda out: f"/staff/tax-recon?week={week}&done={done if isinstance(done, str) else done(out)}",
    )  # fmt: skip


@router.post("/staff/tax-recon/publish")
def publish(request: Request, week: Str = "") -> Response:
    return _week_act(request, week, lambda uow, ctx: TR.publish(uow, ctx, week=week), "published")


@router.post("/staff/tax-recon/{week}/fetch")
def fetch(request: Request, week: str) -> Response:
    return _week_act(request, week, lambda uow, ctx: TR.fetch_differences(uow, ctx, week=week), "fetched")


@router.post("/staff/tax-recon/{week}/differences/{difference_id}/settle")
def settle(request: Request, week: str, difference_id: int, resolution: Str = "", reason: Str = "") -> Response:
    return _week_act(
        request,
        week,
        lambda uow, ctx: TR.settle(uow, ctx, difference_id=difference_id, resolution=resolution, reason=reason),
        lambda out: "settled" if out["state"] == "settled" else "proposed",
    )
