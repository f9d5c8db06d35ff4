"""zh-CN pages for resident premiums paid from the family account (代缴) and the payment
certificate (缴费证明) with its public check.

- Gansu app (seed 000): 共济管理 → 个账城乡居民保险代缴 (``/me/family/premiums``): the bound
  relatives with their premium for the open benefit year, 代缴 → confirm → paid or the refusal
  in Chinese; 代缴明细 by year, each row with its 缴费证明 (PDF).
- Henan tax app (seed 004, ``premium_payment_mode = "commitment_at_payment"``,
  ``/me/family/tax-premium``): 确认承诺内容 → (居民)证件号码 → 居民查询 (masked name) → 代缴年度,
  代缴关系, 联系电话 → 保存 → 签署承诺书 → 确认; 结果查询 by year.
- ``/me/premiums/{payment_id}/certificate.pdf`` and the public ``/verify/{serial}?code=``.

The use cases are in ``gongji.services.resident.views``; the payment itself is the tax bureau's
``premiums.tax_family_payment`` with the citizen as payer. Others appear masked.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.pdf.certificate import render_premium_certificate
from gongji.domain.certificates import verification_url
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.domain.money import yuan
from gongji.domain.relations import RELATION_ZH
from gongji.entrypoints.web.family_pages import _citizen
from gongji.entrypoints.web.pages import (
    FLASH,
    _ctx,
    _fmt_time,
    _gj,
    _limit,
    _need,
    _principal,
    _redirect,
    error_page,
    render,
)
from gongji.services.auth import Principal, Role
from gongji.services.registry import documents
from gongji.services.registry.persons import Ctx
from gongji.services.resident import views as P

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

PUBLIC_URL_ENV = "GONGJI_PUBLIC_URL"
"""The site's public address printed in certificates; unset: the address the request came to."""

PREMIUM_FLASH = {"premium_paid": "代缴成功，已从家庭共济资金中划扣，视同缴费到账"}


def _flash(request: Request) -> str | None:
    code = request.query_params.get("ok", "")
    return PREMIUM_FLASH.get(code) or FLASH.get(code)


def _key() -> str:
    return str(uuid.uuid4())


def _year(value: str | None, default: int) -> int:
    value = (value or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) != 4:
        raise InvalidRequest("年度应为4位数字", "year: four digits", field="year")
    return int(value)


def _refusal(answer: dict[str, Any]) -> dict[str, str] | None:
    if answer["status"] == "paid":
        return None
    return {"message": str(answer["reason"]), "code": str(answer["reason_code"])}


def _commit(request: Request, use_case: Any) -> Any:
    def go(uow: Any) -> Any:
        result = use_case(uow)
        uow.commit()
        return result

    return _gj(request).run(go)


# --- Gansu: 个账城乡居民保险代缴 ----------------------------------------------------------------------


@router.get("/me/family/premiums")
def premiums_home(request: Request) -> Response:
    """Bound relatives and their premium for the open benefit year, with a 代缴 button each."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, _person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    if not gj.profile.family.premium_payment_requires_binding:
        return render(request, "premium_family.html", principal, commitment_mode=True, data=None, flash=None)
    try:
        data = gj.run(lambda uow: P.family_premium_overview(uow, ctx, gj.profile))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "premium_family.html", principal, commitment_mode=False, data=data, flash=_flash(request))


def _confirm_page(
    request: Request,
    principal: Principal,
    binding_id: int,
    *,
    refusal: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    gj = _gj(request)
    ctx = _ctx(request, principal)
    try:
        data = gj.run(lambda uow: P.premium_confirmation(uow, ctx, gj.profile, binding_id=binding_id))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "premium_confirm.html",
        principal,
        409 if refusal else 200,
        failed=error,
        data=data,
        refusal=refusal,
        idempotency_key=_key(),
    )


@router.get("/me/family/premiums/{binding_id}/pay")
def premium_confirm(request: Request, binding_id: int) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _confirm_page(request, who[0], binding_id)


@router.post("/me/family/premiums/{binding_id}/pay")
def premium_pay(request: Request, binding_id: int, benefit_year: Str = "", idempotency_key: Str = "") -> Response:
    """确认代缴: paid → the list with a flash; refused → the confirm page with the reason (a new
    form key: the refused request id keeps its stored answer)."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, _person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    try:
        year = _year(benefit_year, 0)
        answer = _commit(
            request,
            lambda uow: P.pay_for_binding(
                uow, ctx, gj.profile, binding_id=binding_id, benefit_year=year, key=idempotency_key
            ),
        )
    except GongjiError as err:
        return _confirm_page(request, principal, binding_id, error=err)
    refusal = _refusal(answer)
    if refusal:
        return _confirm_page(request, principal, binding_id, refusal=refusal)
    return _redirect(f"/me/family/premiums/history?year={year}&ok=premium_paid")


def _history_page(request: Request, principal: Principal, *, henan: bool) -> Response:
    gj = _gj(request)
    ctx = _ctx(request, principal)
    standard = P.open_standard(gj.profile, ctx.clock.today())
    default = standard.benefit_year if standard else ctx.clock.today().year
    try:
        year = _year(request.query_params.get("year"), default)
        data = gj.run(lambda uow: P.payments_by_year(uow, ctx, benefit_year=year))
    except GongjiError as err:
        return error_page(request, principal, err)

    def row(item: dict[str, Any], *, mine: bool) -> dict[str, Any]:
        who = item["payer"] if mine else item["relative"]
        return {
            "payment_id": item["payment_id"],
            "name": (who or {}).get("name", ""),
            "cert_no": (who or {}).get("cert_no", ""),
            "insutype_name": item["insutype_name"],
            "amount": yuan(item["amount_fen"]),
            "status": item["status"],
            "status_name": item["status_name"],
            "paid_at": _fmt_time(datetime.fromisoformat(item["paid_at"])),
            "certificate": item["status"] == "paid",
            "refund": (item["refund"] or {}).get("status_name"),
            # 申请退费 (services.resident.refunds): the payer's paid rows without an open request
            "can_refund": not mine
            and item["status"] == "paid"
            and (item["refund"] is None or item["refund"]["status"] == "rejected"),
        }

    years = sorted({s.benefit_year for s in gj.profile.resident.premium if s.insutype == "390"}, reverse=True)
    return render(
        request,
        "premium_history.html",
        principal,
        flash=_flash(request),
        henan=henan,
        year=year,
        years=years,
        for_others=[row(i, mine=False) for i in data["paid_for_others"]],
        for_others_total=yuan(data["paid_for_others_fen"]),
        for_me=[row(i, mine=True) for i in data["paid_for_me"]],
    )


@router.get("/me/family/premiums/history")
def premiums_history(request: Request) -> Response:
    """个账城乡居民保险代缴明细查询: by benefit year; each paid row links its 缴费证明."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _history_page(request, who[0], henan=False)


# --- certificate and its public check ------------------------------------------------------------


def _public_base(request: Request) -> str:
    return os.environ.get(PUBLIC_URL_ENV) or str(request.base_url)


@router.get("/me/premiums/{payment_id}/certificate.pdf")
def premium_certificate(request: Request, payment_id: int) -> Response:
    """缴费证明 (PDF) of a premium payment, for the insured relative or the family payer (or staff
    in scope). Issued once; the same certificate afterwards, stamped 作废 once the premium is refunded."""
    principal = _need(request, Role.CITIZEN, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx: Ctx = _ctx(request, principal)
    try:
        issued = _commit(request, lambda uow: P.issue_certificate(uow, ctx, payment_id=payment_id))
    except GongjiError as err:
        return error_page(request, principal, err)
    url = verification_url(_public_base(request), issued["serial"], issued["code"])
    pdf = render_premium_certificate(issued["facts"], code=issued["code"], url=url, void=issued["void"])
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="premium-certificate-{issued["serial"]}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/verify/{serial}")
def verify_certificate(request: Request, serial: str, code: str = "") -> Response:
    """Public (no login): 真实有效 with the masked facts when the code matches the stored facts,
    otherwise 无法核验 — the same for a wrong code, an unknown serial or a malformed request."""
    serial = serial.strip()[:32]
    code = code.strip()[:64]
    if documents.is_document_serial(serial):  # 参保证明 / 对账单 (issue 17)
        found = _gj(request).run(lambda uow: documents.verify(uow, serial=serial, code=code)) if code else None
        return render(
            request, "document_verify.html", _principal(request), serial=serial, asked=bool(code), result=found
        )
    result = _gj(request).run(lambda uow: P.verify_certificate(uow, serial=serial, code=code)) if code else None
    return render(
        request,
        "premium_verify.html",
        _principal(request),
        serial=serial,
        asked=bool(code),
        result=result,
    )


# --- Henan: 职工代缴居民医保费 in the payment flow (seed 004) -----------------------------------------------


def _tax_page(
    request: Request,
    principal: Principal,
    step: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    gj = _gj(request)
    profile = gj.profile
    today = gj.clock.today()
    return render(
        request,
        "premium_tax.html",
        principal,
        status_code,
        failed=error,
        step=step,
        commitment_mode=not profile.family.premium_payment_requires_binding,
        commitment=P.commitment_text(profile),
        years=[(s.benefit_year, yuan(s.individual_fen)) for s in P.open_years(profile, today)],
        relations=[(kind, RELATION_ZH[kind]) for kind in profile.family.relation_kinds],
        form=form or {},
        **extra,
    )


def _tax_citizen(request: Request) -> tuple[Principal, int] | Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    if _gj(request).profile.family.premium_payment_requires_binding:
        return _tax_page(request, who[0], 0)  # the note: this province pays after binding
    return who


@router.get("/me/family/tax-premium")
def tax_premium_start(request: Request) -> Response:
    """Step 1: 确认承诺内容 (or, where binding comes first, a note)."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _tax_page(request, who[0], 1 if not _gj(request).profile.family.premium_payment_requires_binding else 0)


@router.post("/me/family/tax-premium/confirm")
def tax_premium_confirm(request: Request, confirmed: Str = "") -> Response:
    who = _tax_citizen(request)
    if isinstance(who, Response):
        return who
    if confirmed != "1":
        err = InvalidRequest(
            "请先阅读并勾选“我已阅读并确认承诺内容”", "Confirm the commitment first", field="confirmed"
        )
        return _tax_page(request, who[0], 1, error=err)
    return _tax_page(request, who[0], 2)


@router.post("/me/family/tax-premium/lookup")
def tax_premium_lookup(request: Request, relative_cert_no: Str = "") -> Response:
    """Step 2: 居民查询 — the masked name, or one neutral sentence for anyone else."""
    who = _tax_citizen(request)
    if isinstance(who, Response):
        return who
    principal, _person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    cert = relative_cert_no.strip().upper()[:18]
    try:
        found = _commit(request, lambda uow: P.lookup_resident(uow, ctx, gj.profile, cert_no=cert))
    except GongjiError as err:
        return _tax_page(request, principal, 2, form={"relative_cert_no": cert}, error=err)
    if found is None:
        return _tax_page(request, principal, 2, form={"relative_cert_no": cert}, notice=P.NEUTRAL_LOOKUP_ZH)
    return _tax_page(request, principal, 3, form={"relative_cert_no": cert}, resident=found)


def _check_details(request: Request, benefit_year: str, relation: str, phone: str) -> tuple[int, str, str]:
    profile = _gj(request).profile
    open_ = [s.benefit_year for s in P.open_years(profile, _gj(request).clock.today())]
    year = _year(benefit_year, 0)
    if year not in open_:
        raise InvalidRequest("请选择正在征缴期内的代缴年度", "Choose a year being collected", field="benefit_year")
    if not profile.allows_relation(relation):
        raise InvalidRequest("请选择代缴关系", "Choose the relation", field="relation")
    phone = _limit(phone, 20, "phone")
    if not (phone.isascii() and phone.isdigit() and 5 <= len(phone) <= 20):
        raise InvalidRequest("联系电话格式错误", "Malformed phone number", field="phone")
    return year, relation, phone


@router.post("/me/family/tax-premium/save")
def tax_premium_save(
    request: Request, relative_cert_no: Str = "", benefit_year: Str = "", relation: Str = "", phone: Str = ""
) -> Response:
    """Step 3: 代缴年度, 代缴关系, 联系电话 → 保存 → the commitment to sign."""
    who = _tax_citizen(request)
    if isinstance(who, Response):
        return who
    principal, _person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    cert = relative_cert_no.strip().upper()[:18]
    form = {"relative_cert_no": cert, "benefit_year": benefit_year[:4], "relation": relation[:30], "phone": phone[:20]}
    try:
        found = gj.run(lambda uow: P.lookup_resident(uow, ctx, gj.profile, cert_no=cert))
    except GongjiError as err:
        return _tax_page(request, principal, 2, form=form, error=err)
    if found is None:
        return _tax_page(request, principal, 2, form=form, notice=P.NEUTRAL_LOOKUP_ZH)
    try:
        year, rel, tel = _check_details(request, benefit_year, relation, phone)
    except GongjiError as err:
        return _tax_page(request, principal, 3, form=form, resident=found, error=err)
    form |= {"benefit_year": str(year), "relation": rel, "phone": tel, "idempotency_key": _key()}
    return _tax_page(request, principal, 4, form=form, resident=found, relation_name=RELATION_ZH[rel])  # type: ignore[index]


@router.post("/me/family/tax-premium/sign")
def tax_premium_sign(
    request: Request,
    relative_cert_no: Str = "",
    benefit_year: Str = "",
    relation: Str = "",
    phone: Str = "",
    version: Str = "",
    commitment_signed: Str = "",
    signature: Str = "",
    idempotency_key: Str = "",
) -> Response:
    """Step 4: 签署承诺书 (tick + own full name) → 确认 → the debit; paid → 结果查询."""
    who = _tax_citizen(request)
    if isinstance(who, Response):
        return who
    principal, _person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    cert = relative_cert_no.strip().upper()[:18]
    form = {
        "relative_cert_no": cert,
        "benefit_year": benefit_year[:4],
        "relation": relation[:30],
        "phone": phone[:20],
        "idempotency_key": idempotency_key[:60],
    }
    found = None
    try:
        found = gj.run(lambda uow: P.lookup_resident(uow, ctx, gj.profile, cert_no=cert))
        if found is None:
            return _tax_page(request, principal, 2, form=form, notice=P.NEUTRAL_LOOKUP_ZH)
        year, rel, tel = _check_details(request, benefit_year, relation, phone)

        def pay(uow: Any) -> dict[str, Any]:
            commitment = P.sign_commitment(
                uow,
                ctx,
                gj.profile,
                relative_cert_no=cert,
                relation=rel,
                phone=tel,
                version=version.strip()[:20],
                signed=commitment_signed == "1",
                signature=_limit(signature, 50, "signature"),
            )
            return P.citizen_family_payment(
                uow,
                ctx,
                gj.profile,
                relative_cert_no=cert,
                benefit_year=year,
                key=idempotency_key,
                commitment=commitment,
            )

        answer = _commit(request, pay)
    except GongjiError as err:
        return _tax_page(
            request,
            principal,
            4,
            form=form,
            resident=found,
            error=err,
            relation_name=RELATION_ZH.get(relation, ""),  # type: ignore[call-overload]
        )
    refusal = _refusal(answer)
    if refusal:
        form["idempotency_key"] = _key()
        return _tax_page(
            request,
            principal,
            4,
            form=form,
            resident=found,
            refusal=refusal,
            status_code=409,
            relation_name=RELATION_ZH.get(relation, ""),  # type: ignore[call-overload]
        )
    return _redirect(f"/me/family/tax-premium/result?year={year}&ok=premium_paid")


@router.get("/me/family/tax-premium/result")
def tax_premium_result(request: Request) -> Response:
    """职工代缴居民医保费结果查询: the family account's payments for a year."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _history_page(request, who[0], henan=True)
