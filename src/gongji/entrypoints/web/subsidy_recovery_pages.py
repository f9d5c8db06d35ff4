"""zh-CN staff pages for 资助追回 (subsidies paid to a person's card that are owed back to the
medical-assistance fund; seed 002 §七 只退回个人缴费部分, §四(二)3 就高不重复; issue 12).

- ``/staff/resident/recoveries``: the recoveries of the staff member's regions with amounts, age
  and per-region sums; ``?all=1`` includes closed ones.
- ``/staff/resident/recoveries/{id}``: record money received (idempotent by a form key), ask for a
  write-off, approve another clerk's write-off (E_FOUR_EYES for the same clerk).
Every rule lives in ``services.resident.recoveries``; persons appear masked.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain.clock import local_date
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.pages import FLASH, _ctx, _form_key, _gj, _limit, _need, act, error_page, parse_yuan, render
from gongji.services.auth import Principal, Role
from gongji.services.registry.persons import Ctx
from gongji.services.resident import recoveries

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

RECOVERY_FLASH = {
    "collected": "已登记追回款，资金已退回医疗救助资金",
    "collected_replayed": "该笔追回款已登记过（重复提交），未重复入账",
    "write_off_requested": "已申请核销，须由另一名工作人员审核",
    "written_off": "核销已审核通过，追回已办结",
}


def _decorate(view: dict[str, Any], today: date) -> dict[str, Any]:
    view["region_name"] = region_table().full_name(view["region_code"])
    view["age_days"] = (today - local_date(datetime.fromisoformat(view["opened_at"]))).days
    return view


def _summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["status"] not in F.OPEN_CASE_STATUSES:
            continue
        s = regions.setdefault(
            r["region_code"],
            {"region_name": r["region_name"], "open": 0, "amount_fen": 0, "collected_fen": 0, "outstanding_fen": 0},
        )
        s["open"] += 1
        for k in ("amount_fen", "collected_fen", "outstanding_fen"):
            s[k] += r[k]
    return [regions[k] for k in sorted(regions)]


@router.get("/staff/resident/recoveries")
def staff_subsidy_recoveries(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    show_all = request.query_params.get("all") == "1"
    today = ctx.clock.today()

    def go(uow: Any) -> list[dict[str, Any]]:
        return [_decorate(r, today) for r in recoveries.recoveries(uow, ctx, open_only=not show_all)]

    try:
        rows = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "subsidy_recoveries.html", principal, rows=rows, regions=_summary(rows), show_all=show_all)


def _page(
    request: Request,
    principal: Principal,
    recovery_id: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    ctx = _ctx(request, principal)
    today = ctx.clock.today()
    try:
        row = _gj(request).run(lambda uow: _decorate(recoveries.get_recovery(uow, ctx, recovery_id=recovery_id), today))
    except GongjiError as err:
        return error_page(request, principal, err)
    form = dict(form or {})
    if not form.get("idempotency_key"):
        form["idempotency_key"] = str(uuid.uuid4())
    code = request.query_params.get("ok", "")
    write_off = row["write_off"]
    return render(
        request,
        "subsidy_recovery.html",
        principal,
        failed=error,
        flash=RECOVERY_FLASH.get(code) or FLASH.get(code),
        r=row,
        is_open=row["status"] in F.OPEN_CASE_STATUSES,
        may_approve=write_off is not None and write_off["requested_by_user_id"] != principal.user_id,
        form=form,
    )


@router.get("/staff/resident/recoveries/{recovery_id}")
def staff_subsidy_recovery(request: Request, recovery_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _page(request, principal, recovery_id)


def _action(request: Request, recovery_id: int, action: Any, *, form: dict[str, str] | None = None) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        action,
        on_error=lambda err: _page(request, principal, recovery_id, form=form, error=err),
        redirect_to=lambda flash: f"/staff/resident/recoveries/{recovery_id}?ok={flash}",
    )


@router.post("/staff/resident/recoveries/{recovery_id}/collect")
def staff_subsidy_recovery_collect(
    request: Request, recovery_id: int, amount_yuan: Str = "", idempotency_key: Str = ""
) -> Response:
    """登记追回款: the amount goes back to the medical-assistance fund."""
    kept = {"amount_yuan": amount_yuan[:20], "idempotency_key": idempotency_key[:100]}

    def collect(uow: Any, ctx: Ctx) -> str:
        result = recoveries.collect(
            uow,
            ctx,
            recovery_id=recovery_id,
            amount_fen=parse_yuan(amount_yuan, field="amount_yuan"),
            idempotency_key=_form_key(idempotency_key),
        )
        return "collected_replayed" if result["replayed"] else "collected"

    return _action(request, recovery_id, collect, form=kept)


@router.post("/staff/resident/recoveries/{recovery_id}/write-off")
def staff_subsidy_recovery_write_off(request: Request, recovery_id: int, reason: Str = "") -> Response:
    def ask(uow: Any, ctx: Ctx) -> str:
        recoveries.request_write_off(uow, ctx, recovery_id=recovery_id, reason=_limit(reason, 200, "reason"))
        return "write_off_requested"

    return _action(request, recovery_id, ask)


@router.post("/staff/resident/recoveries/{recovery_id}/write-off/approve")
def staff_subsidy_recovery_approve(request: Request, recovery_id: int) -> Response:
    def approve(uow: Any, ctx: Ctx) -> str:
        recoveries.approve_write_off(uow, ctx, recovery_id=recovery_id)
        return "written_off"

    return _action(request, recovery_id, approve)
