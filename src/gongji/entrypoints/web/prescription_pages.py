"""zh-CN staff page for external prescriptions (seed 004; docs/prescriptions.md): ``/staff/prescriptions``
shows the 专项检查 list for a period (门诊慢特病, 两病, 高金额; region and category filters; Excel link)
and the open 存疑线索 of the staff member's regions, each closed with what was found."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from gongji.domain import prescriptions as D
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web import pages
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, parse_date, render
from gongji.services.auth import Role
from gongji.services.prescriptions import doubts, inspection

router = APIRouter(include_in_schema=False)
pages.FLASH.update({"rx_doubt_closed": "存疑线索已核查"})


@router.get("/staff/prescriptions")
def staff_prescriptions(
    request: Request,
    start: str = "",
    end: str = "",
    region: str = "",
    category: Annotated[list[str] | None, Query(max_length=3)] = None,
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx, gj = _ctx(request, principal), _gj(request)
    today = ctx.clock.today()
    chosen = [c for c in (category or []) if c in D.CATEGORY_ZH] or list(D.CATEGORY_ZH)
    try:
        first = parse_date(start, field="start") if start else today.replace(day=1)
        last = parse_date(end, field="end") if end else today
        q = inspection.Query(start=first, end=last, region=region[:6] or None, categories=tuple(chosen))

        def go(uow: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            rows = inspection.rows(uow, ctx, gj.profile, q)
            uow.commit()
            return rows, doubts.open_list(uow, ctx)

        rows, open_doubts = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    params = {"start": first.isoformat(), "end": last.isoformat()} | ({"region": region} if region else {})
    excel = "/api/rx/inspection.xlsx?" + urlencode([*params.items(), *(("category", c) for c in chosen)])
    return render(
        request,
        "staff_prescriptions.html",
        principal,
        rows=rows,
        doubts=open_doubts,
        start=first.isoformat(),
        end=last.isoformat(),
        region=region[:6],
        chosen=chosen,
        categories=list(D.CATEGORY_ZH.items()),
        excel=excel,
        total_fen=sum(r["amount_fen"] or 0 for r in rows),
        last_month=(today.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat(),
    )


@router.post("/staff/prescriptions/doubts/{doubt_id}/close")
def close_doubt(request: Request, doubt_id: int, note: Annotated[str, Form()] = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: doubts.close(uow, ctx, doubt_id, note=note[:500]),
        on_error=lambda err: error_page(request, principal, err),
        redirect_to=lambda _r: "/staff/prescriptions?ok=rx_doubt_closed",
    )
