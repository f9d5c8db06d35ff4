"""The tax bureau's interface (税务, SPEC §1) and premiums paid from the family account (代缴, §6).

``/api/tax`` (a request signed with a tax-bureau key, docs/his-signing.md with ``_api_name`` ``tax``,
or the bearer token of a tax user): the tax bureau forwards a premium the authorizer
asked to pay from the family account (seed 003 附件三(二)) and gets ``"paid"`` — debited at
once — or ``"refused"`` with the reason: a refusal is a 200 answer, so the tax app can offer
another channel. A repeated ``request_id`` gets the first answer. Refunds approved by staff
wait as notifications until the tax bureau acknowledges them (→ unpaid). Henan's 结果查询 by
year (seed 004) is ``POST /api/tax/family-premiums/query``.

``/api/premiums``: citizens see their 代缴明细 by year and ask for a refund of any premium
payment (a quote first); staff in their regions see a person's, list the requests and review
them.

Every rule lives in ``services.resident.premiums`` and ``services.resident.refunds``; these routes only
parse, run the use case in one unit of work and shape the answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, StrictBool, StrictInt

from gongji.domain.errors import Forbidden
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body, FamilyFen
from gongji.entrypoints.api.signed import TaxCtxDep
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx
from gongji.services.resident import premiums
from gongji.services.resident import refunds as premium_refunds

tax_router = APIRouter(prefix="/api/tax", tags=["tax 税务接口"])
premiums_router = APIRouter(prefix="/api/premiums", tags=["premiums 城乡居民医保代缴"])

Sha256 = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256，64位小写十六进制")
BenefitYear = Annotated[int, Query(ge=2000, le=2100, description="待遇年度（缴费年度的次年）")]


class TaxCommitmentIn(Body):
    """承诺书 signed in the tax app (Henan, seed 004)."""

    relation: str = Field(min_length=1, max_length=30, description="代缴关系：spouse / parent / child ...")
    phone: str = Field(min_length=5, max_length=21, description="联系电话")
    version: str = Field(min_length=1, max_length=20, description="承诺书版本")
    text_sha256: str = Sha256
    signature_sha256: str = Sha256
    signed_at: datetime


class TaxFamilyPremiumIn(Body):
    request_id: str = Field(pattern=r"^[A-Za-z0-9._:\-]{1,64}$", description="税务请求流水号（唯一）")
    payer_cert_no: str = Field(min_length=1, max_length=50, description="缴费人（共济人）居民身份证号码")
    relative_cert_no: str = Field(min_length=1, max_length=50, description="被代缴人居民身份证号码")
    benefit_year: StrictInt = Field(ge=2000, le=2100, description="待遇年度")
    amount_fen: FamilyFen
    insutype: str = Field(default="390", pattern=r"^[0-9]{3,5}$", description="390 居民基本 / 392 大病")
    commitment: TaxCommitmentIn | None = Field(default=None, description="缴费时签署承诺书的省份必填（河南）")
    accepted_at: datetime | None = Field(
        default=None,
        description="税务受理时间（可选，无时区按北京时间）：在允许误差内时按受理时间判断缴费期，超出则拒绝"
        " E_RESIDENT_TAX_ACCEPTED_AT",
    )


class TaxQueryIn(Body):
    payer_cert_no: str = Field(min_length=1, max_length=50)
    benefit_year: StrictInt = Field(ge=2000, le=2100)


class RefundRequestIn(Body):
    reason: str = Field(min_length=1, max_length=40, description="退费原因代码（本省政策所列）")
    note: str | None = Field(default=None, max_length=200)
    evidence: str | None = Field(
        default=None, max_length=200, description="跨省重复缴费：外省参保缴费凭证（经办人员录入）"
    )


class RefundReviewIn(Body):
    approve: StrictBool
    note: str = Field(min_length=2, max_length=200, description="审核意见")
    evidence: str | None = Field(
        default=None, max_length=200, description="跨省重复缴费：外省参保缴费凭证（经办人员录入）"
    )


def _citizen(ctx: Ctx) -> int:
    if ctx.principal.role is not Role.CITIZEN or ctx.principal.person_id is None:
        raise Forbidden("仅参保人本人可办理", "Citizens only")
    return ctx.principal.person_id


# --- the tax bureau ---------------------------------------------------------------------------------


@tax_router.post("/family-premiums")
def family_premium(body: TaxFamilyPremiumIn, gj: GjDep, ctx: TaxCtxDep) -> dict[str, Any]:
    """共济账户代缴: verify and debit at once (``paid``), or ``refused`` with ``reason_code`` and
    ``reason``; both are 200 and are kept under ``request_id``. A different body under a used
    ``request_id`` is 409 E_IDEMPOTENCY_MISMATCH; a malformed one 422 (not kept)."""
    c = body.commitment
    req = premiums.TaxPremiumRequest(
        request_id=body.request_id,
        payer_cert_no=body.payer_cert_no,
        relative_cert_no=body.relative_cert_no,
        benefit_year=body.benefit_year,
        amount_fen=body.amount_fen,
        insutype=body.insutype,
        commitment=premiums.TaxCommitment(**c.model_dump()) if c is not None else None,
        accepted_at=body.accepted_at,
    )

    def go(uow: Any) -> dict[str, Any]:
        answer = premiums.tax_family_payment(uow, ctx, gj.profile, req)
        uow.commit()
        return answer

    return gj.run(go)


@tax_router.get("/family-premiums/{request_id}")
def family_premium_answer(request_id: str, gj: GjDep, ctx: TaxCtxDep) -> dict[str, Any]:
    """The answer given to ``request_id`` (404 if it never arrived)."""
    return gj.run(lambda uow: premiums.tax_answer(uow, ctx, request_id=request_id))


@tax_router.post("/family-premiums/query")
def family_premium_query(body: TaxQueryIn, gj: GjDep, ctx: TaxCtxDep) -> dict[str, Any]:
    """结果查询 (seed 004): what an authorizer's family account paid for a benefit year."""

    def go(uow: Any) -> dict[str, Any]:
        view = premiums.tax_family_payments_by_year(
            uow, ctx, payer_cert_no=body.payer_cert_no, benefit_year=body.benefit_year
        )
        uow.commit()  # the audit row of the read
        return view

    return gj.run(go)


@tax_router.get("/refund-notifications")
def refund_notifications(gj: GjDep, ctx: TaxCtxDep, limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
    """Refunds to record as unpaid, oldest first, until acknowledged."""
    items = gj.run(lambda uow: premium_refunds.tax_refund_notifications(uow, ctx, limit=limit))
    return {"items": items, "count": len(items)}


@tax_router.post("/refund-notifications/{notification_id}/ack")
def ack_refund_notification(notification_id: int, gj: GjDep, ctx: TaxCtxDep) -> dict[str, Any]:
    """The tax bureau has set the premium to unpaid; acking again changes nothing."""

    def go(uow: Any) -> dict[str, Any]:
        view = premium_refunds.ack_tax_refund_notification(uow, ctx, notification_id=notification_id)
        uow.commit()
        return view

    return gj.run(go)


# --- citizens and staff ------------------------------------------------------------------------------


@premiums_router.get("/family-payments")
def my_family_payments(gj: GjDep, ctx: CtxDep, benefit_year: BenefitYear) -> dict[str, Any]:
    """代缴明细: what I paid for relatives from family funds in a benefit year, and what was paid for me."""
    person_id = _citizen(ctx)
    return gj.run(
        lambda uow: premiums.family_payments_by_year(uow, ctx, person_id=person_id, benefit_year=benefit_year)
    )


@premiums_router.get("/persons/{person_id}/family-payments")
def person_family_payments(person_id: int, gj: GjDep, ctx: CtxDep, benefit_year: BenefitYear) -> dict[str, Any]:
    """Staff: a person's 代缴明细 for a benefit year (in their regions; audited)."""
    ctx.principal.require(Role.STAFF)

    def go(uow: Any) -> dict[str, Any]:
        view = premiums.family_payments_by_year(uow, ctx, person_id=person_id, benefit_year=benefit_year)
        uow.commit()  # the audit row of the read
        return view

    return gj.run(go)


@premiums_router.get("/payments/{payment_id}/refund-quote")
def refund_quote(
    payment_id: int, gj: GjDep, ctx: CtxDep, reason: str = Query(..., min_length=1, max_length=40)
) -> dict[str, Any]:
    """What a refund of this payment would pay back today and by which route, or the refusal
    (seed 002 §七: reason, deadline, benefit period, own share only). Writes nothing."""
    return gj.run(lambda uow: premium_refunds.quote_refund(uow, ctx, gj.profile, payment_id=payment_id, reason=reason))


@premiums_router.post("/payments/{payment_id}/refund-requests", status_code=201)
def request_refund(payment_id: int, body: RefundRequestIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """退费申请 of any premium payment: by the insured person (the authorizer who paid, for a
    premium paid from the family account), or staff at the window; staff review it."""

    def go(uow: Any) -> dict[str, Any]:
        view = premium_refunds.request_refund(
            uow, ctx, gj.profile, payment_id=payment_id, reason=body.reason, note=body.note, evidence=body.evidence
        )
        uow.commit()
        return view

    return gj.run(go)


@premiums_router.post("/family-payments/{payment_id}/refund-requests", status_code=201)
def request_family_refund(payment_id: int, body: RefundRequestIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The same as ``/payments/{payment_id}/refund-requests`` (kept: the first, family-only path)."""
    return request_refund(payment_id, body, gj, ctx)


@premiums_router.get("/refund-requests")
def refund_requests(
    gj: GjDep,
    ctx: CtxDep,
    status: str = Query(premiums.REQUESTED, max_length=10),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Staff: refund requests of premiums in their regions, oldest first."""
    items = gj.run(lambda uow: premium_refunds.refund_requests(uow, ctx, status=status, limit=limit))
    return {"items": items, "count": len(items)}


@premiums_router.post("/refund-requests/{refund_id}/review")
def review_refund(refund_id: int, body: RefundReviewIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Approve (money back to the family source, tax told → unpaid) or reject, with a note; the
    clerk who entered the request cannot approve it (E_FOUR_EYES)."""

    def go(uow: Any) -> dict[str, Any]:
        view = premium_refunds.review_refund(
            uow, ctx, gj.profile, refund_id=refund_id, approve=body.approve, note=body.note, evidence=body.evidence
        )
        uow.commit()
        return view

    return gj.run(go)


router = APIRouter()
router.include_router(tax_router)
router.include_router(premiums_router)
