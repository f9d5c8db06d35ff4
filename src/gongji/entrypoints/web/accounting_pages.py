"""zh-CN staff pages of fund accounting (会计核算, issue 15 §5; seed 003 附件四).

``/staff/accounting?month=2026-12&region=330100&view=vouchers|trial``: the month's 记账凭证 or the
试算平衡表 of a region (or a city's or the province's regions), amounts in yuan, with the Excel
downloads. Staff of the region or the province only. Rules in ``services.backoffice.accounting``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.pages import _ctx, _gj, _need, render
from gongji.services.auth import Role
from gongji.services.backoffice import accounting as A

router = APIRouter(include_in_schema=False)
PAGE = 200  # vouchers shown on the page; the Excel file has them all


@router.get("/staff/accounting")
def accounting_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj, q = _gj(request), request.query_params
    today = gj.clock.today()
    month = (q.get("month") or f"{today.year:04d}-{today.month:02d}").strip()[:7]
    region = (q.get("region") or "").strip()[:6] or None
    view = "trial" if q.get("view") == "trial" else "vouchers"
    ctx = _ctx(request, principal)
    data, error = None, None
    regions = A.regions(principal)
    try:
        if view == "trial":
            data = gj.run(lambda uow: A.trial_balance(uow, ctx, month=month, region=region))
        else:
            data = gj.run(lambda uow: A.vouchers(uow, ctx, month=month, region=region))
    except GongjiError as err:
        error = err
    shown = data["region"] if data else (region or "")
    if data and shown not in {r["code"] for r in regions}:  # a pooling region under a city
        regions.insert(0, {"code": shown, "name": A.region_name(shown)})
    return render(
        request, "staff_accounting.html", principal, failed=error, d=data, view=view, month=month,
        region=shown, regions=regions, page=PAGE,
    )  # fmt: skip
