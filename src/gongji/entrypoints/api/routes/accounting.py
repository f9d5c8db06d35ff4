"""Fund accounting for finance (会计核算, issue 15 §5; seed 003 附件四).

``GET /api/accounting/vouchers?month=YYYY-MM&region=`` the month's 记账凭证 (lines in fen);
``GET /api/accounting/trial-balance?month=&region=`` the 试算平衡表; ``…/vouchers.xlsx`` and
``…/trial-balance.xlsx`` the same as finance prints them; ``GET /api/accounting/subjects`` the chart
and the mapping from ledger accounts. Staff of the region or the province only.
Rules: ``services.backoffice.accounting``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from gongji.entrypoints.api.deps import CtxDep, CurrentPrincipal, GjDep
from gongji.services.auth import Role
from gongji.services.backoffice import accounting as A
from gongji.services.backoffice import accounting_excel as X
from gongji.services.backoffice.clearing_tables import to_tempfile

router = APIRouter(tags=["accounting 会计核算"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MonthQ = Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="会计期间 YYYY-MM")]
RegionQ = Annotated[str, Query(pattern=r"^([0-9]{6})?$", description="统筹区（或市、省）代码；默认本人经办区域")]


@router.get("/api/accounting/vouchers")
def vouchers(month: MonthQ, gj: GjDep, ctx: CtxDep, region: RegionQ = "") -> dict[str, Any]:
    return gj.run(lambda uow: A.vouchers(uow, ctx, month=month, region=region or None))  # type: ignore[no-any-return]


@router.get("/api/accounting/trial-balance")
def trial_balance(month: MonthQ, gj: GjDep, ctx: CtxDep, region: RegionQ = "") -> dict[str, Any]:
    return gj.run(lambda uow: A.trial_balance(uow, ctx, month=month, region=region or None))  # type: ignore[no-any-return]


@router.get("/api/accounting/subjects")
def subjects(principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.STAFF)
    c = A.chart()
    return {
        "subjects": [
            {"code": s.code, "name": s.name, "class": s.cls, "side": s.side, "confidence": s.confidence}
            for s in sorted(c.subjects.values(), key=lambda s: s.code)
        ],
        "mapping": [{"account": r.account, "kind": r.kind, "subject": r.subject, "cash": r.cash} for r in c.rules],
    }


def xlsx(gj: Any, ctx: Any, which: str, month: str, region: str) -> FileResponse:
    def go(uow: Any) -> tuple[Any, str]:
        got: dict[str, Any] = {}
        path = to_tempfile(lambda p: got.update(X.WRITERS[which](uow, ctx, p, month=month, region=region or None)))
        uow.commit()  # the export's audit row
        return path, X.filename(which, month, got["region"])

    path, name = gj.run(go)
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/accounting/vouchers.xlsx", response_class=FileResponse)
def vouchers_xlsx(month: MonthQ, gj: GjDep, ctx: CtxDep, region: RegionQ = "") -> FileResponse:
    """记账凭证 (.xlsx)."""
    return xlsx(gj, ctx, "vouchers", month, region)


@router.get("/api/accounting/trial-balance.xlsx", response_class=FileResponse)
def trial_balance_xlsx(month: MonthQ, gj: GjDep, ctx: CtxDep, region: RegionQ = "") -> FileResponse:
    """试算平衡表 (.xlsx)."""
    return xlsx(gj, ctx, "trial-balance", month, region)
