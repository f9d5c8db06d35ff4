"""零星报销 — small reimbursements (issue 15 §2; seed 003 附件二(四)).

``GET /api/reimbursements?month=&region=&state=`` (staff: their regions, masked; a citizen: their own);
``POST /api/reimbursements`` (staff: register with invoices and fee list; Idempotency-Key);
``GET /api/reimbursements/{id}``; ``POST …/{id}/compute`` (the 2207 engine's split);
``POST …/{id}/approve`` (a second clerk; pays the bank card; Idempotency-Key, replay → 200 +
``Idempotent-Replayed``); ``POST …/{id}/reject``; ``GET /api/reimbursements/advances?month=`` the
个人账户家庭共济垫付资金清算表 and ``…/advances.xlsx``. Rules: ``services.backoffice.reimbursement``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.background import BackgroundTask

from gongji.domain import reimbursement as R
from gongji.entrypoints.api.deps import CtxDep, CurrentPrincipal, GjDep, IdempotencyKey
from gongji.entrypoints.api.schemas import Body
from gongji.services.backoffice import reimbursement as U
from gongji.services.backoffice import reimbursement_advances as A
from gongji.services.backoffice import reimbursement_views as V
from gongji.services.backoffice.clearing_tables import to_tempfile

router = APIRouter(tags=["reimbursement 零星报销"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MonthQ = Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="月份 YYYY-MM")]
Fen = Annotated[int, Field(ge=1, le=10**11)]


class InvoiceIn(Body):
    invoice_no: str = Field(min_length=1, max_length=40, description="发票号码")
    institution_name: str = Field(min_length=1, max_length=100, description="开票机构")
    institution_code: str | None = Field(default=None, max_length=30, description="定点医药机构编码（如有）")
    invoice_date: date
    amount_fen: Fen


class FeeLineIn(Body):
    item_code: str = Field(min_length=1, max_length=50, description="医保目录编码")
    count: str = Field(pattern=r"^[0-9]{1,8}(\.[0-9]{1,4})?$", description="数量")
    price: str = Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,6})?$", description="单价（元）")
    amount_fen: Fen


class ClaimBody(Body):
    person_id: int = Field(ge=1, le=2**63 - 1)
    insutype: str = Field(default="310", pattern=r"^[0-9]{3}$")
    med_type: str = Field(min_length=1, max_length=10, description="医疗类别，如 11 普通门诊、21 普通住院")
    institution_kind: str = Field(default="hospital", description="hospital 定点医疗机构 / pharmacy 定点零售药店")
    institution_level: int = Field(ge=0, le=3)
    treatment_region: str = Field(pattern=r"^[0-9]{6}$", description="就医地行政区划代码")
    begin_date: date
    reason: str = Field(description="、".join(f"{k} {v}" for k, v in R.REASON_ZH.items()))
    acct_used_flag: str = Field(default="1", pattern=r"^[012]$")
    invoices: list[InvoiceIn] = Field(min_length=1, max_length=R.MAX_INVOICES)
    fees: list[FeeLineIn] = Field(min_length=1, max_length=R.MAX_FEE_LINES)

    def claim(self) -> U.ClaimIn:
        return U.ClaimIn(
            person_id=self.person_id,
            insutype=self.insutype,
            med_type=self.med_type,
            institution_kind=self.institution_kind,
            institution_level=self.institution_level,
            treatment_region=self.treatment_region,
            begin_date=self.begin_date,
            reason=self.reason,
            acct_used_flag=self.acct_used_flag,
            invoices=tuple(
                R.Invoice(i.invoice_no, i.institution_name, i.institution_code, i.invoice_date, i.amount_fen)
                for i in self.invoices
            ),
            fees=tuple(U.FeeIn(f.item_code, f.count, f.price, f.amount_fen) for f in self.fees),
        )


class RejectIn(Body):
    reason: str = Field(min_length=2, max_length=200)


def _after(gj: Any, ctx: Any, use_case: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        claim = use_case(uow)
        view = V.detail(uow, claim)
        uow.commit()
        return view

    return gj.run(go)  # type: ignore[no-any-return]


@router.get("/api/reimbursements")
def claims(
    gj: GjDep,
    principal: CurrentPrincipal,
    month: Annotated[str, Query(max_length=7)] = "",
    region: Annotated[str, Query(max_length=6)] = "",
    state: Annotated[str, Query(max_length=12)] = "",
) -> list[dict[str, Any]]:
    return gj.run(lambda uow: V.list_claims(uow, principal, month=month, region=region, state=state))


@router.post("/api/reimbursements", status_code=201)
def register(body: ClaimBody, key: IdempotencyKey, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """受理: a claim with its invoices and fee list (invoice numbers are claimed once)."""
    return _after(gj, ctx, lambda uow: U.register(uow, ctx, gj.profile, body.claim(), idempotency_key=key))


@router.get("/api/reimbursements/advances")
def advances(
    gj: GjDep, principal: CurrentPrincipal, month: MonthQ, region: Annotated[str, Query(max_length=6)] = ""
) -> dict[str, Any]:
    """个人账户家庭共济垫付资金清算表: per authorizer region, the claims advanced by other regions."""
    province = gj.profile.profile.province_code
    return gj.run(lambda uow: A.table(uow, principal, province, month, region=region))


@router.get("/api/reimbursements/advances.xlsx", response_class=FileResponse)
def advances_xlsx(
    gj: GjDep, principal: CurrentPrincipal, month: MonthQ, region: Annotated[str, Query(max_length=6)] = ""
) -> FileResponse:
    province = gj.profile.profile.province_code
    path = gj.run(lambda uow: to_tempfile(lambda p: A.write_excel(uow, principal, province, month, p, region=region)))
    return FileResponse(
        path,
        media_type=XLSX,
        filename=f"reimbursement-advances-{province}-{month}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/api/reimbursements/{claim_id}")
def claim(claim_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        view = V.read_claim(uow, ctx, claim_id)
        uow.commit()  # the audited read
        return view

    return gj.run(go)


@router.post("/api/reimbursements/{claim_id}/compute")
def compute(claim_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """核算 with the settlement engine; nothing moves."""
    return _after(gj, ctx, lambda uow: U.compute(uow, ctx, gj.profile, claim_id))


@router.post("/api/reimbursements/{claim_id}/approve")
def approve(claim_id: int, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """审核支付 by a second clerk: the fund's and the accounts' shares go to the bank card."""

    def go(uow: Any) -> dict[str, Any]:
        claim, replayed = U.approve(uow, ctx, gj.profile, claim_id, idempotency_key=key)
        view = V.detail(uow, claim)
        uow.commit()
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return view

    return gj.run(go)  # type: ignore[no-any-return]


@router.post("/api/reimbursements/{claim_id}/reject")
def reject(claim_id: int, body: RejectIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _after(gj, ctx, lambda uow: U.reject(uow, ctx, claim_id, reason=body.reason))
