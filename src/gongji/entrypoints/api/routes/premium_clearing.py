"""The back office's premium clearing and weekly reconciliation with tax (issue 15 §4; seed 003
附件三). Staff only, scoped to their regions; rules in ``services.backoffice.premium_clearing`` and
``services.backoffice.tax_recon``.

保险费划扣明细表: ``GET /api/premium-clearing/months``; ``POST /api/premium-clearing/months/{month}``
(generate, province staff); ``GET …/{month}?region=&state=``; ``GET …/{month}/lines?region=``;
``GET …/{month}/excel``; ``POST …/{month}/regions/{region}/confirmation``, ``…/plan``;
``POST …/{month}/transfers`` (the 全额清算 paid: payer, payee, paid_on, bank_ref).

Reconciliation with tax: ``GET /api/tax-recon/weeks``; ``POST /api/tax-recon/weeks/{week}``
(publish to the intermediate table); ``POST …/{week}/fetch`` (read the differences written back);
``GET …/{week}?region=&state=``; ``GET …/{week}/excel``; ``POST /api/tax-recon/differences/{id}/settlement``
(four-eyes: the first clerk's call proposes, a second clerk's with the same resolution settles).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.backoffice import premium_clearing_excel, tax_recon_excel
from gongji.services.backoffice import tax_recon as TR

router = APIRouter(tags=["backoffice 保险费清算与税务对账"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Region = Annotated[str | None, Query(pattern=r"^\d{6}$", description="统筹区代码（6位）")]
MonthState = Annotated[Literal["open", "overdue", "done", "late"] | None, Query(description="确认状态")]
DiffState = Annotated[
    Literal["open", "proposed", "settled"] | None, Query(description="差异处理状态（proposed 待复核）")
]


class TransferIn(Body):
    payer_region: str = Field(pattern=r"^\d{6}$", description="付款统筹区（授权人参保地）")
    payee_region: str = Field(pattern=r"^\d{6}$", description="收款统筹区（近亲属参保地）")
    paid_on: date = Field(description="划转日期")
    bank_ref: str = Field(min_length=4, max_length=60, description="银行流水号")


class SettleIn(Body):
    resolution: Literal["accept_ours", "reverse_ours"] = Field(
        description="accept_ours 以医保记录为准（税务更正）/ reverse_ours 医保冲正（原渠道退回共济账户）"
    )
    reason: str = Field(min_length=2, max_length=200, description="处理原因")


def _commit(gj: Any, use_case: Any) -> Any:
    def go(uow: Any) -> Any:
        result = use_case(uow)
        uow.commit()
        return result

    return gj.run(go)


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/api/premium-clearing/months")
def months(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return {"months": gj.run(lambda uow: PC.months(uow, ctx))}


@router.post("/api/premium-clearing/months/{month}")
def generate(month: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Generate (or, while no region confirmed, regenerate) the month's 明细表 — province staff."""
    return _commit(gj, lambda uow: PC.generate(uow, ctx, month=month))  # type: ignore[no-any-return]


@router.get("/api/premium-clearing/months/{month}")
def month(month: str, gj: GjDep, ctx: CtxDep, region: Region = None, state: MonthState = None) -> dict[str, Any]:
    return gj.run(lambda uow: PC.month_view(uow, ctx, month=month, region=region, state=state))


@router.get("/api/premium-clearing/months/{month}/lines")
def lines(
    month: str, gj: GjDep, ctx: CtxDep, region: Region = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> dict[str, Any]:
    rows = gj.run(lambda uow: PC.month_lines(uow, ctx, month=month, region=region, limit=limit))
    return {"month": month, "lines": rows}


@router.get("/api/premium-clearing/months/{month}/excel")
def month_excel(month: str, gj: GjDep, ctx: CtxDep, region: Region = None) -> Response:
    content = _commit(gj, lambda uow: premium_clearing_excel.month_workbook(uow, ctx, month=month, region=region))
    return _xlsx(content, f"premium-clearing-{month}")


@router.post("/api/premium-clearing/months/{month}/regions/{region}/confirmation")
def confirm(month: str, region: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: PC.confirm(uow, ctx, month=month, region_code=region))  # type: ignore[no-any-return]


@router.post("/api/premium-clearing/months/{month}/regions/{region}/plan")
def plan(month: str, region: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: PC.submit_plan(uow, ctx, month=month, region_code=region))  # type: ignore[no-any-return]


@router.post("/api/premium-clearing/months/{month}/transfers")
def transfer(month: str, body: TransferIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(  # type: ignore[no-any-return]
        gj,
        lambda uow: PC.record_transfer(
            uow, ctx, month=month, payer_region=body.payer_region, payee_region=body.payee_region,
            paid_on=body.paid_on, bank_ref=body.bank_ref,
        ),
    )  # fmt: skip


@router.get("/api/tax-recon/weeks")
def weeks(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return {"weeks": gj.run(lambda uow: TR.weeks(uow, ctx))}


@router.post("/api/tax-recon/weeks/{week}")
def publish(week: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Publish the week's family-account premium details to the intermediate table — province staff."""
    return _commit(gj, lambda uow: TR.publish(uow, ctx, week=week))  # type: ignore[no-any-return]


@router.post("/api/tax-recon/weeks/{week}/fetch")
def fetch(week: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: TR.fetch_differences(uow, ctx, week=week))  # type: ignore[no-any-return]


@router.get("/api/tax-recon/weeks/{week}")
def week(week: str, gj: GjDep, ctx: CtxDep, region: Region = None, state: DiffState = None) -> dict[str, Any]:
    return _commit(gj, lambda uow: TR.week_view(uow, ctx, week=week, region=region, state=state))  # type: ignore[no-any-return]


@router.get("/api/tax-recon/weeks/{week}/excel")
def week_excel(week: str, gj: GjDep, ctx: CtxDep, region: Region = None, state: DiffState = None) -> Response:
    content = _commit(gj, lambda uow: tax_recon_excel.week_workbook(uow, ctx, week=week, region=region, state=state))
    return _xlsx(content, f"tax-recon-{week}")


@router.post("/api/tax-recon/differences/{difference_id}/settlement")
def settle(difference_id: int, body: SettleIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(  # type: ignore[no-any-return]
        gj, lambda uow: TR.settle(uow, ctx, difference_id=difference_id, resolution=body.resolution, reason=body.reason)
    )
