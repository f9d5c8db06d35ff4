"""zh-CN staff page of the month-end dashboard (月末看板, issue 15 §6): ``/staff/month-end?month=&state=``
— each back-office step of the data month against its deadline, overdue in red with the working
days counted; the same data as ``GET /api/backoffice/month-end``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError
from gongji.entrypoints.api.routes.month_end import last_month
from gongji.entrypoints.web.pages import _ctx, _gj, _need, render
from gongji.services.auth import Role
from gongji.services.backoffice import month_end

router = APIRouter(include_in_schema=False)
STATES = {"overdue": "已逾期", "open": "未到期", "waiting": "未开始", "late": "逾期完成", "done": "已完成"}


@router.get("/staff/month-end")
def month_end_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    gj, q = _gj(request), request.query_params
    month = (q.get("month") or last_month(gj.clock.today())).strip()[:7]
    state = q.get("state", "")
    ctx = _ctx(request, principal)
    view: dict[str, Any] | None = None
    error: GongjiError | None = None
    try:
        view = gj.run(lambda uow: month_end.dashboard(uow, ctx, province=gj.profile.profile.province_code, month=month))
    except GongjiError as err:
        error = err
    return render(
        request,
        "staff_month_end.html",
        principal,
        failed=error,
        v=view,
        month=month,
        state=state if state in STATES else "",
        states=STATES,
    )
