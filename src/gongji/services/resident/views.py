"""Citizen-side resident premium payments from the family account (代缴) and payment
certificates (缴费证明) — the use cases behind ``entrypoints/web/premium_pages.py``.

**代缴 from the citizen's own app** (seed 000 共济管理 → 个账城乡居民保险代缴; seed 004 河南税务
小程序). The citizen's pages act as the provincial app channel. They do not re-implement the
checks: :func:`citizen_family_payment` builds the same :class:`premiums.TaxPremiumRequest` the
tax bureau sends — the citizen as payer (their own registered ID number, never one typed),
the relative, the open benefit year, the standard individual premium, a request id
``app:<form key>`` — and hands it to :func:`premiums.tax_family_payment` under the citizen's
own principal with the role narrowed to what that use case requires (``Role.TAX``) and the
channel ``app``. So the verification (binding / commitment, balance, insurance kind, enrollment,
window, amount), the debit, the idempotency by request id and the stored answer are exactly
the tax flow's; the audit rows carry the citizen's user id, and one more row
``premium.app_family_payment`` records that the citizen, not the tax bureau, asked.

**Certificates.** :func:`issue_certificate` fixes the facts of one premium payment (the insured
person, year, insurance, amount, date, channel, the family payer) once, under a serial derived
from the payment, in ``premium_certificate``; the PDF prints the HMAC verification code of those
facts (``domain.certificates``). :func:`verify_certificate` recomputes the code from the stored
facts: a wrong or malformed code, an unknown serial and a tampered row all answer the same
"无法核验" and reveal nothing.

The HMAC secret: ``Settings`` has no secret, so it is read here from the environment variable
``GONGJI_CERT_SECRET`` (at least 16 bytes); without it a clearly named development default
:data:`DEV_CERT_SECRET` is used — production deployments must set the variable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gongji.adapters.db.models import (
    Enrollment,
    FamilyBinding,
    Person,
    PremiumCertificate,
    PremiumPayment,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import RetryableConflict, UnitOfWork
from gongji.adapters.family_texts import family_texts
from gongji.adapters.region_data import region_table
from gongji.domain import certificates as C
from gongji.domain import family as F
from gongji.domain.clock import SHANGHAI, local_date
from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import INSUTYPES, RESIDENT_BASIC, EnrollmentStatus
from gongji.domain.relations import RELATION_ZH
from gongji.policy.schema import PolicyLookupError, PremiumStandard, Profile
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.family import views as family_views
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions
from gongji.services.resident import premiums

CERT_SECRET_ENV = "GONGJI_CERT_SECRET"
DEV_CERT_SECRET = b"gongji-DEV-ONLY-certificate-secret--set-GONGJI_CERT_SECRET"
"""Used when ``GONGJI_CERT_SECRET`` is unset: fine for a laptop, never for production."""

APP_CHANNEL = "app"
REQUEST_PREFIX = "app:"
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

CERT_CHANNEL = {
    premiums.CHANNEL_FAMILY: C.FAMILY_ACCOUNT,
    "bank": "bank",
    "tax_app": "tax_app",
    "batch": "batch_debit",
}
"""premium_payment.channel → the certificate's channel code (``domain.certificates.CHANNELS``)."""

VALID, REFUNDED_NOTE, UNVERIFIABLE = "valid", "refunded", "invalid"


def certificate_secret() -> bytes:
    """The HMAC secret of verification codes: ``$GONGJI_CERT_SECRET`` or the dev default."""
    value = os.environ.get(CERT_SECRET_ENV, "")
    if not value:
        return DEV_CERT_SECRET
    secret = value.encode("utf-8")
    if len(secret) < C.MIN_SECRET_BYTES:
        raise ValueError(f"{CERT_SECRET_ENV} must be at least {C.MIN_SECRET_BYTES} bytes")
    return secret


# --- the open benefit year -------------------------------------------------------------------------


def open_standard(profile: Profile, today: date, insutype: str = RESIDENT_BASIC) -> PremiumStandard | None:
    """The premium standard whose collection window contains ``today`` (the latest such year)."""
    collecting = [s for s in profile.resident.premium if s.insutype == insutype and s.is_collecting(today)]
    return max(collecting, key=lambda s: s.benefit_year) if collecting else None


def open_years(profile: Profile, today: date, insutype: str = RESIDENT_BASIC) -> list[PremiumStandard]:
    """Every standard collecting today, latest benefit year first (代缴年度 to choose from)."""
    collecting = [s for s in profile.resident.premium if s.insutype == insutype and s.is_collecting(today)]
    return sorted(collecting, key=lambda s: -s.benefit_year)


def _standard_view(s: PremiumStandard | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "benefit_year": s.benefit_year,
        "insutype": s.insutype,
        "insutype_name": INSUTYPES.get(s.insutype, s.insutype),
        "individual_fen": s.individual_fen,
        "collection_start": s.collection_start.isoformat() if s.collection_start else None,
        "collection_end": s.collection_end.isoformat(),
    }


def _citizen(ctx: Ctx) -> int:
    ctx.principal.require(Role.CITIZEN)
    if ctx.principal.person_id is None:
        raise Forbidden("该账号未关联参保人员", "No person linked to this account")
    return ctx.principal.person_id


def _premium_status(uow: UnitOfWork, person_id: int, benefit_year: int, insutype: str) -> str:
    status = uow.session.scalar(
        select(ResidentPremium.status).where(
            ResidentPremium.person_id == person_id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == insutype,
        )
    )
    return status or premiums.UNPAID


def _payment_of(uow: UnitOfWork, person_id: int, benefit_year: int, insutype: str) -> int | None:
    """The premium payment in force for the person's year (for the certificate link)."""
    return uow.session.scalar(
        select(PremiumPayment.id)
        .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
        .where(
            ResidentPremium.person_id == person_id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == insutype,
            PremiumPayment.status == premiums.PAID,
            PremiumPayment.reverses_id.is_(None),
        )
        .order_by(PremiumPayment.id.desc())
        .limit(1)
    )


# --- Gansu: 共济管理 → 个账城乡居民保险代缴 (seed 000) ------------------------------------------------


def family_premium_overview(uow: UnitOfWork, ctx: Ctx, profile: Profile) -> dict[str, Any]:
    """The citizen's bound relatives (active bindings, relatives masked) and each one's resident
    premium for the open benefit year: status, and whether it can be paid here now."""
    person_id = _citizen(ctx)
    standard = open_standard(profile, ctx.clock.today())
    data = family_views.members(uow, ctx, profile, person_id=person_id)
    rows = []
    for b in data["bindings"]:
        if b["status"] != F.BINDING_ACTIVE:
            continue
        relative_id = int(b["relative"]["person_id"])
        status = (
            _premium_status(uow, relative_id, standard.benefit_year, standard.insutype) if standard else premiums.UNPAID
        )
        rows.append(
            {
                "binding_id": b["binding_id"],
                "relation_name": b["relation_name"],
                "relative": {"name": b["relative"]["name"], "cert_no": b["relative"]["cert_no"]},
                "family_balance_fen": b.get("family_balance_fen"),
                "status": status,
                "status_name": premiums.STATUS_ZH.get(status, status),
                "payable": standard is not None and status != premiums.PAID,
                "payment_id": (
                    _payment_of(uow, relative_id, standard.benefit_year, standard.insutype)
                    if standard and status == premiums.PAID
                    else None
                ),
            }
        )
    return {
        "standard": _standard_view(standard),
        "funding_model": profile.family.funding_model,
        "requires_binding": profile.family.premium_payment_requires_binding,
        "can_authorize": data["can_authorize"],
        "relatives": rows,
    }


def _active_binding(uow: UnitOfWork, person_id: int, binding_id: int) -> FamilyBinding:
    b = uow.session.get(FamilyBinding, binding_id)
    if b is None or b.authorizer_id != person_id or b.status != F.BINDING_ACTIVE:
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    return b


def premium_confirmation(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, binding_id: int) -> dict[str, Any]:
    """What the confirm page shows before paying: the relative (masked), relation, year, amount
    due (the profile's standard) and the family account balance (allocation profiles)."""
    person_id = _citizen(ctx)
    b = _active_binding(uow, person_id, binding_id)
    standard = open_standard(profile, ctx.clock.today())
    relative = get_person(uow, b.relative_id)
    view = family_views.binding_view(uow, profile, b, side="authorizer")
    status = (
        _premium_status(uow, relative.id, standard.benefit_year, standard.insutype) if standard else premiums.UNPAID
    )
    return {
        "binding_id": b.id,
        "relation_name": view["relation_name"],
        "relative": {"name": mask_name(relative.name), "cert_no": mask_id_number(relative.cert_no)},
        "family_balance_fen": view.get("family_balance_fen"),
        "standard": _standard_view(standard),
        "status": status,
        "status_name": premiums.STATUS_ZH.get(status, status),
    }


def _request_id(key: str) -> str:
    key = (key or "").strip()
    if not 1 <= len(key) <= 60 or not set(key) <= _KEY_CHARS:
        raise InvalidRequest(
            "表单已失效，请刷新页面后重试", "Form expired (idempotency key missing)", field="idempotency_key"
        )
    return f"{REQUEST_PREFIX}{key}"


def citizen_family_payment(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    relative_cert_no: str,
    benefit_year: int,
    key: str,
    commitment: premiums.TaxCommitment | None = None,
) -> dict[str, Any]:
    """代缴 initiated by the citizen in the app: the tax bureau's use case, the citizen as payer.

    Returns the answer of :func:`premiums.tax_family_payment` (``status`` paid / refused with
    ``reason``); the same ``key`` again replays the same answer. The amount is always the
    standard individual premium of ``benefit_year`` (a year without a standard is refused there).
    """
    payer_id = _citizen(ctx)
    payer = get_person(uow, payer_id)
    try:
        amount = profile.premium_for(benefit_year, RESIDENT_BASIC).individual_fen
    except PolicyLookupError:
        amount = 1  # no standard: tax_family_payment answers NoPremiumStandard (refused)
    req = premiums.TaxPremiumRequest(
        request_id=_request_id(key),
        payer_cert_no=payer.cert_no,
        relative_cert_no=relative_cert_no,
        benefit_year=benefit_year,
        amount_fen=amount,
        insutype=RESIDENT_BASIC,
        commitment=commitment,
    )
    as_channel = Ctx(
        principal=dataclasses.replace(ctx.principal, role=Role.TAX),
        channel=Channel(APP_CHANNEL, ctx.channel.client_addr),
        clock=ctx.clock,
    )
    answer = premiums.tax_family_payment(uow, as_channel, profile, req)
    audit_event(
        uow,
        ctx,
        "premium.app_family_payment",
        "tax_request",
        req.request_id,
        status=answer["status"],
        reason_code=answer["reason_code"],
        benefit_year=benefit_year,
    )
    return answer


def pay_for_binding(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, binding_id: int, benefit_year: int, key: str
) -> dict[str, Any]:
    """Gansu: pay the premium of the relative of one of the citizen's active bindings."""
    person_id = _citizen(ctx)
    b = _active_binding(uow, person_id, binding_id)
    relative = get_person(uow, b.relative_id)
    return citizen_family_payment(
        uow, ctx, profile, relative_cert_no=relative.cert_no, benefit_year=benefit_year, key=key
    )


def payments_by_year(uow: UnitOfWork, ctx: Ctx, *, benefit_year: int) -> dict[str, Any]:
    """代缴明细 / 结果查询 of the citizen for a year (``premiums.family_payments_by_year``)."""
    person_id = _citizen(ctx)
    if not 2000 <= benefit_year <= 2100:
        raise InvalidRequest("年度应为2000-2100之间的整数", "year: 2000..2100", field="year")
    return premiums.family_payments_by_year(uow, ctx, person_id=person_id, benefit_year=benefit_year)


# --- Henan: the commitment inside the payment flow (seed 004) -------------------------------------


NEUTRAL_LOOKUP_ZH = "未查询到可代缴的城乡居民参保信息，请核对证件号码；如已核对无误，请联系参保地医保经办机构"


def lookup_resident(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, cert_no: str) -> dict[str, Any] | None:
    """居民查询: the masked name of a resident (390, normal, in the province) with this ID number,
    or None. An unknown number and a person who is not such a resident get the same None, so
    the page answers the same neutral sentence (no enumeration). A malformed number is an
    InvalidRequest (that reveals nothing about anyone). The lookup is audited."""
    payer_id = _citizen(ctx)
    today = ctx.clock.today()
    cert = parse_id_number(cert_no.strip().upper(), today=today, region_known=region_table().is_known).value
    person = uow.session.scalar(select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no == cert))
    found = None
    if person is not None and person.id != payer_id:
        regions = uow.session.scalars(
            select(Enrollment.region_code).where(
                Enrollment.person_id == person.id,
                Enrollment.insutype == RESIDENT_BASIC,
                Enrollment.status == EnrollmentStatus.NORMAL.value,
            )
        ).all()
        if any(F.in_province(r, profile.profile.province_code) for r in regions):
            found = {"name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}
    audit_event(uow, ctx, "premium.resident_lookup", "person", None, found=found is not None)
    return found


def commitment_text(profile: Profile) -> dict[str, Any]:
    """The family commitment (承诺书) shown and signed in the Henan flow, with version and digest."""
    t = family_texts(profile.profile.code)
    lines = [line.strip() for line in t.commitment.splitlines() if line.strip()]
    return {"title": lines[0], "paragraphs": lines[1:], "version": t.version, "sha256": t.commitment_sha256}


def sign_commitment(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    relative_cert_no: str,
    relation: str,
    phone: str,
    version: str,
    signed: bool,
    signature: str,
) -> premiums.TaxCommitment:
    """签署承诺书: the tick and the citizen's own full name as electronic signature (as at family
    binding). Returns the commitment passed along with the payment request; its signature digest
    binds the text version and digest, both parties, the relation, the phone and the time."""
    payer = get_person(uow, _citizen(ctx))
    t = family_texts(profile.profile.code)
    if not signed:
        raise InvalidRequest("请勾选“本人承诺以上内容真实”", "Tick the commitment box", field="commitment_signed")
    if version != t.version:
        raise InvalidRequest(
            "承诺书版本已更新，请重新阅读后签署", "The commitment text changed; sign again", field="version"
        )
    if not F.names_match(signature, payer.name):
        raise InvalidRequest("签名须为您本人的完整姓名", "The signature must be your own full name", field="signature")
    if relation not in RELATION_ZH:
        raise InvalidRequest("请选择代缴关系", "Choose the relation", field="relation")
    now = ctx.clock.now()
    digest = hashlib.sha256(
        "|".join(
            [
                t.version,
                t.commitment_sha256,
                str(payer.id),
                relative_cert_no,
                relation,
                phone,
                signature.strip(),
                now.isoformat(),
            ]
        ).encode()
    ).hexdigest()
    return premiums.TaxCommitment(
        relation=relation,
        phone=phone.strip(),
        version=t.version,
        text_sha256=t.commitment_sha256,
        signature_sha256=digest,
        signed_at=now,
    )


# --- certificates (缴费证明) --------------------------------------------------------------------------


def _serial(region_code: str, benefit_year: int, payment_id: int) -> str:
    """``62202700000012``: province, benefit year, payment id (unique: one per payment)."""
    return f"{region_code[:2]}{benefit_year}{payment_id:08d}"


def _facts_json(facts: C.CertificateFacts) -> str:
    body = dataclasses.asdict(facts)
    body["paid_on"] = facts.paid_on.isoformat()
    body["issued_at"] = facts.issued_at.isoformat()
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def facts_from_json(text: str) -> C.CertificateFacts:
    body = json.loads(text)
    body["paid_on"] = date.fromisoformat(body["paid_on"])
    body["issued_at"] = datetime.fromisoformat(body["issued_at"])
    return C.CertificateFacts(**body)


def _certifiable_payment(uow: UnitOfWork, ctx: Ctx, payment_id: int) -> tuple[PremiumPayment, ResidentPremium]:
    """A premium payment the actor may have a certificate of: the insured person or the family
    payer (to any other citizen it does not exist), or staff in the insured person's regions."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    missing = NotFound("缴费记录不存在", "Premium payment not found", payment_id=payment_id)
    p = uow.session.get(PremiumPayment, payment_id)
    if p is None or p.reverses_id is not None or p.amount_fen <= 0:
        raise missing
    premium = uow.session.get(ResidentPremium, p.premium_id)
    assert premium is not None
    if ctx.principal.role is Role.CITIZEN:
        if ctx.principal.person_id not in (premium.person_id, p.payer_person_id):
            raise missing
    else:
        ctx.principal.require_person_access(person_id=premium.person_id, regions=person_regions(uow, premium.person_id))
    return p, premium


def issue_certificate(uow: UnitOfWork, ctx: Ctx, *, payment_id: int) -> dict[str, Any]:
    """The certificate of one paid premium payment: issued once (facts fixed, audited), the same
    one after that. Returns ``{"facts", "code", "serial", "issued", "void"}`` (``issued`` True the
    first time; ``void`` True once the payment was refunded: the certificate is shown 作废). A
    payment refunded before any certificate was issued gets none (InvalidStateTransition)."""
    p, premium = _certifiable_payment(uow, ctx, payment_id)
    stored = uow.session.scalar(select(PremiumCertificate).where(PremiumCertificate.payment_id == p.id))
    if stored is not None:
        facts = facts_from_json(stored.facts_json)
        return {
            "facts": facts,
            "serial": facts.serial,
            "code": C.verification_code(facts, certificate_secret()),
            "issued": False,
            "void": p.status != premiums.PAID,
        }
    if p.status != premiums.PAID:
        raise InvalidStateTransition("该笔缴费已退费，不能出具缴费证明", "This payment was refunded; no certificate")
    insured = get_person(uow, premium.person_id)
    channel = CERT_CHANNEL.get(p.channel, p.channel)
    payer_name = None
    if channel == C.FAMILY_ACCOUNT and p.payer_person_id is not None:
        payer_name = get_person(uow, p.payer_person_id).name
    facts = C.CertificateFacts(
        serial=_serial(premium.region_code, premium.benefit_year, p.id),
        person_name=insured.name,
        cert_no=insured.cert_no,
        benefit_year=premium.benefit_year,
        insutype=premium.insutype,
        amount_fen=p.amount_fen,
        paid_on=local_date(p.created_at),
        channel=channel,
        payer_name=payer_name,
        issued_at=ctx.clock.now().replace(microsecond=0),
    )
    row = PremiumCertificate(
        serial=facts.serial,
        payment_id=p.id,
        facts_json=_facts_json(facts),
        issued_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # a concurrent twin issued it: rerun and return that one
        raise RetryableConflict() from exc
    audit_event(uow, ctx, "premium.certificate_issue", "premium_certificate", row.id, payment_id=p.id)
    return {
        "facts": facts,
        "serial": facts.serial,
        "code": C.verification_code(facts, certificate_secret()),
        "issued": True,
        "void": False,
    }


def verify_certificate(uow: UnitOfWork, *, serial: str, code: str) -> dict[str, Any]:
    """Public check of ``/verify/{serial}?code=``: ``{"result": "valid" | "refunded" | "invalid"}``
    and, only when the code matches the stored facts, the masked facts. ``refunded``: the code is
    right but the payment was refunded since — the certificate is void (作废)."""
    nothing: dict[str, Any] = {"result": UNVERIFIABLE, "facts": None}
    if not isinstance(serial, str) or not 1 <= len(serial) <= 32 or C.normalize_code(code or "") is None:
        return nothing
    row = uow.session.scalar(select(PremiumCertificate).where(PremiumCertificate.serial == serial))
    if row is None:
        return nothing
    try:
        facts = facts_from_json(row.facts_json)
    except (ValueError, KeyError, TypeError):
        return nothing
    if facts.serial != serial or not C.verify(facts, code, certificate_secret()):
        return nothing
    payment = uow.session.get(PremiumPayment, row.payment_id)
    result = VALID if payment is not None and payment.status == premiums.PAID else REFUNDED_NOTE
    return {"result": result, "facts": masked_facts(facts)}


def masked_facts(facts: C.CertificateFacts) -> dict[str, Any]:
    """The facts as shown to anyone holding the certificate: names and ID number masked."""
    issued = facts.issued_at.astimezone(SHANGHAI)
    return {
        "serial": facts.serial,
        "person_name": mask_name(facts.person_name),
        "cert_no": mask_id_number(facts.cert_no),
        "benefit_year": facts.benefit_year,
        "insutype_name": C.INSUTYPE_NAMES.get(facts.insutype, facts.insutype),
        "amount_fen": facts.amount_fen,
        "amount_words": C.chinese_capital_amount(facts.amount_fen),
        "paid_on": f"{facts.paid_on.year}年{facts.paid_on.month}月{facts.paid_on.day}日",
        "channel_name": C.CHANNELS.get(facts.channel, facts.channel),
        "payer_name": mask_name(facts.payer_name) if facts.payer_name else None,
        "issued_at": f"{issued.year}年{issued.month}月{issued.day}日 {issued:%H:%M}",
    }
