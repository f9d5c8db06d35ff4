"""The monthly payment of institutions (拨付, issue 15 §2, §6).

``GET /api/payments/runs?month=&region=&state=``; ``POST /api/payments/runs`` (prepare or
re-prepare a region's month); ``GET /api/payments/runs/{id}`` (lines, differences);
``GET …/statement.xlsx``, ``GET …/bank.csv`` (the payment order's bank export);
``POST /api/payments/differences/{id}/accept``; ``POST …/approve`` (a second clerk), ``…/order``,
``…/confirm`` (the bank's answer for one institution, idempotent by ``request_key``),
``…/reorder``. Staff of the region, its city or province only. Rules:
``services.backoffice.institution_payments``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from pydantic import Field
from starlette.background import BackgroundTask

from gongji.entrypoints.api.deps import CtxDep, CurrentPrincipal, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.backoffice import clearing_tables as T
from gongji.services.backoffice import institution_payments as P
from gongji.services.backoffice import institution_payments_excel as X

router = APIRouter(tags=["payments 定点医药机构费用拨付"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="结算月份 YYYY-MM")]
Region = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="统筹区（就医地）代码，如 330106")]
Code = Annotated[str, Field(min_length=1, max_length=20, description="定点医药机构编码")]


class PrepareIn(Body):
    region: Region
    month: Month


class AcceptIn(Body):
    reason: str = Field(min_length=2, max_length=200)


class ConfirmIn(Body):
    fixmedins_code: Code
    paid: bool = Field(True, description="true 银行已付款 / false 银行退回")
    bank_ref: str = Field("", max_length=60, description="银行流水号（付款时必填）")
    request_key: str = Field(min_length=8, max_length=100, description="请求标识，重复提交返回同一结果")
    reason: str = Field("", max_length=200, description="退回原因（退回时必填）")


class LineIn(Body):
    fixmedins_code: Code


def _commit(gj: Any, use_case: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        out = use_case(uow)
        run = P.get_run(uow, out.run_id if hasattr(out, "run_id") else out.id)
        view = P.run_view(uow, run)
        uow.commit()
        return view

    return gj.run(go)  # type: ignore[no-any-return]


@router.get("/api/payments/runs")
def runs(
    gj: GjDep,
    principal: CurrentPrincipal,
    month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    state: Annotated[str | None, Query(max_length=10)] = None,
) -> list[dict[str, Any]]:
    def go(uow: Any) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in P.run_view(uow, r).items() if k not in {"lines", "differences"}}
            for r in P.list_runs(uow, principal, month=month, region=region, state=state)
        ]

    return gj.run(go)


@router.post("/api/payments/runs", status_code=201)
def prepare(body: PrepareIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: P.prepare(uow, ctx, body.region, body.month))


@router.get("/api/payments/runs/{run_id}")
def run(run_id: int, gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        r = P.get_run(uow, run_id)
        P.readable(principal, r)
        return P.run_view(uow, r)

    return gj.run(go)


@router.get("/api/payments/runs/{run_id}/statement.xlsx", response_class=FileResponse)
def statement_xlsx(run_id: int, gj: GjDep, principal: CurrentPrincipal) -> FileResponse:
    """拨付结算单 (.xlsx): institutions, shares, 合计; sheet 2 the differences."""

    def go(uow: Any) -> tuple[Any, str]:
        r = P.get_run(uow, run_id)
        P.readable(principal, r)
        return T.to_tempfile(lambda p: X.write_statement(uow, r, p)), f"payments-{r.region_code}-{r.month}.xlsx"

    path, name = gj.run(go)
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/payments/runs/{run_id}/bank.csv")
def bank_csv(run_id: int, gj: GjDep, ctx: CtxDep) -> Response:
    """The payment order's bank export (CSV, UTF-8 with BOM; layout in docs/backoffice.md)."""

    def go(uow: Any) -> tuple[bytes, str]:
        r = P.get_run(uow, run_id)
        content = P.bank_export(uow, ctx, r)
        uow.commit()
        return content, f"{r.order_no}.csv"

    content, name = gj.run(go)
    return Response(
        content, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/api/payments/differences/{difference_id}/accept")
def accept(difference_id: int, body: AcceptIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: P.accept_difference(uow, ctx, difference_id, reason=body.reason))


@router.post("/api/payments/runs/{run_id}/approve")
def approve(run_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: P.approve(uow, ctx, run_id))


@router.post("/api/payments/runs/{run_id}/order")
def order(run_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: P.order(uow, ctx, run_id))


@router.post("/api/payments/runs/{run_id}/confirm")
def confirm(run_id: int, body: ConfirmIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(
        gj,
        lambda uow: P.confirm(
            uow,
            ctx,
            run_id,
            body.fixmedins_code,
            bank_ref=body.bank_ref,
            request_key=body.request_key,
            paid=body.paid,
            reason=body.reason,
        ),
    )


@router.post("/api/payments/runs/{run_id}/reorder")
def reorder(run_id: int, body: LineIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _commit(gj, lambda uow: P.reorder(uow, ctx, run_id, body.fixmedins_code))
