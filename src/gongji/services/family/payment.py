"""One payment service for settlement: ``pay`` — the person's own account first, then family funds in
the profile's order, then cash (先个人后共济, seeds 000, 003), one ledger transaction; ``preview``
(2206 预结算) and ``pay_at_institution`` (a designated institution charging through the service)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyBinding,
    FamilyDraw,
    FamilyPayment,
    Institution,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    UnknownCode,
    UseNotAllowed,
)
from gongji.domain.money import require_positive_fen
from gongji.policy.schema import MEDICAL_USE_KINDS, VACCINES, Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.backoffice import advances
from gongji.services.family.common import (
    USE_ZH,
    account_status_of,
    family_source,
    insurances_of,
    may_draw_on,
    own_account_codes,
    person_by_id_number,
)
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    get_person,
)

# --- paying for a relative: own first, then family, then cash ----------------------------------


def require_known_use(use: str) -> None:
    if use != F.PREMIUM_USE and use not in (*MEDICAL_USE_KINDS, VACCINES):
        raise UnknownCode("支付用途代码不存在", "Unknown payment use", field="use", value=use)


def check_use(
    profile: Profile, use: str, *, institution_region: str | None = None, premium_insutype: str | None = None
) -> None:
    """Refuse a use of family funds the profile does not allow (e.g. vaccines outside Zhejiang)."""
    uses = profile.family.uses
    require_known_use(use)
    if use == F.PREMIUM_USE:
        if not premium_insutype or not profile.allows_family_premium(premium_insutype):
            raise UseNotAllowed(
                "家庭共济资金不能代缴该险种保费", "Family funds may not pay this premium", insutype=premium_insutype
            )
        return
    if not profile.allows_family_use(use):
        raise UseNotAllowed(
            f"本省家庭共济资金不能用于{USE_ZH[use]}", f"Family funds may not pay for {use} here", use=use
        )
    if uses.in_province_institutions_only:
        if not institution_region:
            raise InvalidRequest(
                "请提供定点医药机构所在地", "The institution's region is required", field="institution"
            )
        if not F.in_province(institution_region, profile.profile.province_code):
            raise UseNotAllowed(
                "家庭共济资金仅限在本省定点医药机构使用",
                "Family funds may be used only at designated institutions in the province",
                institution_region=institution_region,
            )


def _payers(uow: UnitOfWork, profile: Profile, relative_id: int, *, lock: bool = True) -> list[F.Payer]:
    bindings = list(
        uow.session.scalars(
            select(FamilyBinding).where(
                FamilyBinding.relative_id == relative_id, FamilyBinding.status == F.BINDING_ACTIVE
            )
        )
    )
    eligible = [b for b in bindings if may_draw_on(uow, profile, b.authorizer_id)]
    codes = [family_source(profile, b) for b in eligible]
    read = ledger.lock_balances if lock else ledger.balances_of
    balances = read(uow, codes) if codes else {}
    payers = [
        F.Payer(b.id, (b.created_at, b.id), F.Source(code, balances[code], b.id))
        for b, code in zip(eligible, codes, strict=True)
    ]
    return F.order_payers(payers, profile.family.authorizer_payment_order)


def stored_payment(
    uow: UnitOfWork, idempotency_key: str, request: dict[str, Any]
) -> tuple[str, ledger.PostResult | None]:
    """The request's digest, and the first answer when this key was paid before (a replay);
    the same key with another request is IdempotencyConflict."""
    digest = L.request_hash(request)
    ledger.require_idempotency_key(idempotency_key)
    existing = uow.session.scalar(select(FamilyPayment).where(FamilyPayment.idempotency_key == idempotency_key))
    if existing is None:
        return digest, None
    if existing.request_hash != digest:
        raise IdempotencyConflict(idempotency_key=idempotency_key)
    return digest, ledger.PostResult(json.loads(existing.result_json) | {"payment_id": existing.id}, replayed=True)


def pay(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    relative_id: int,
    amount_fen: int,
    use: str,
    payee_account: str,
    idempotency_key: str,
    institution_region: str | None = None,
    premium_insutype: str | None = None,
    use_family: bool = True,
    reference: str | None = None,
    limits: F.Limits | None = None,
    insured_region: str | None = None,
    kind: str | None = None,
    extra: dict[str, Any] | None = None,
) -> ledger.PostResult:
    """Pay an eligible amount for a person: their own personal account first (current year,
    then past years), then family funds of their active bindings in the profile's order, then
    cash (先个人后共济, seeds 000, 003). One ledger transaction; returns the split.

    Callers (settlement, premiums) check who may ask; ``payee_account`` must exist. A use the
    profile does not allow is refused (UseNotAllowed) unless ``use_family`` is False, which
    pays from the own account and cash only. ``limits`` (settlement) caps what each source may
    pay of the amount, by part of the cost (seed 000). Authorizers who are suspended,
    interrupted, ended or frozen are skipped. Idempotent by key: a replay returns the first answer.
    ``insured_region`` (settlement: the relative's insured place) books a draw on an authorizer
    insured elsewhere between the two regions until the monthly clearing (seed 003 附件二(二)2,
    ``services.backoffice.advances``). ``kind`` and ``extra`` name the ledger transaction and add to
    its answer (零星报销: ``reimburse.*`` with the invoices, the only kind that may pay a card).
    """
    require_positive_fen(amount_fen)
    request = {
        "op": "family_pay",
        "relative_id": relative_id,
        "amount_fen": amount_fen,
        "use": use,
        "payee": payee_account,
        "institution_region": institution_region,
        "premium_insutype": premium_insutype,
        "use_family": use_family,
        "reference": reference,
    }
    if limits is not None:
        request["limits"] = repr(limits)
    if kind is not None:
        request["kind"] = kind
    digest, replay = stored_payment(uow, idempotency_key, request)
    if replay is not None:
        return replay
    if use_family:
        check_use(profile, use, institution_region=institution_region, premium_insutype=premium_insutype)
    else:
        require_known_use(use)
    relative = get_person(uow, relative_id)
    if use_family and use != F.PREMIUM_USE:
        F.check_relative_insured(
            insurances_of(uow, relative.id),
            relative_insutypes=profile.family.relative_insutypes,
            province_code=profile.profile.province_code,
            in_province_only=profile.family.relatives_in_province_only,
        )

    own_codes = own_account_codes(relative.id) if account_status_of(uow, relative.id) == "normal" else []
    own_balances = ledger.lock_balances(uow, own_codes) if own_codes else {}
    own = [F.Source(code, own_balances[code]) for code in own_codes]
    payers = _payers(uow, profile, relative.id) if use_family else []
    split = F.split_payment(amount_fen, own, [p.source for p in payers], limits)

    now = ctx.clock.now()
    txn_id = None
    if split.own or split.family:
        paid = split.own_fen + split.family_fen
        postings = tuple(L.Posting(d.account, -d.amount_fen) for d in (*split.own, *split.family)) + (
            L.Posting(payee_account, paid),
        )
        if insured_region is not None and use != F.PREMIUM_USE:
            postings += advances.cross_region_postings(uow, split.family, insured_region=insured_region, now=now)
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=L.scoped_key("family-pay", idempotency_key),
                # "family.pay" only when family funds paid: a plain own-account payment is not 共济
                kind=kind or f"{'family' if split.family else 'account'}.pay.{use}"[:40],
                narration=(
                    f"{USE_ZH.get(use, use)}：个人账户支付"
                    + ("（含家庭共济）" if split.family else "")
                    # the authorizer's 共济明细 shows which part of the cost the funds paid (seed 000)
                    + (f"。{limits.describe(split.own_fen, split.family_fen)}" if limits is not None else "")
                )[:200],
                postings=postings,
            ),
            request=request,
            now=now,
            user_id=ctx.principal.user_id,
            extra={"relative_id": relative.id, **(extra or {})},
        )
        txn_id = int(result.body["txn_id"])
    body: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "relative_id": relative.id,
        "use": use,
        "amount_fen": amount_fen,
        "own_fen": split.own_fen,
        "family_fen": split.family_fen,
        "cash_fen": split.cash_fen,
        "own": [{"account": d.account, "amount_fen": d.amount_fen} for d in split.own],
        "family": [
            {"binding_id": d.binding_id, "account": d.account, "amount_fen": d.amount_fen} for d in split.family
        ],
        "txn_id": txn_id,
        "created_at": now.isoformat(),
    }
    payment = FamilyPayment(
        idempotency_key=idempotency_key,
        request_hash=digest,
        relative_id=relative.id,
        use_kind=use,
        amount_fen=amount_fen,
        own_fen=split.own_fen,
        family_fen=split.family_fen,
        cash_fen=split.cash_fen,
        txn_id=txn_id,
        created_at=now,
        # the stored answer leaves out payment_id (not known before the insert); replays add it
        result_json=json.dumps(body, ensure_ascii=False, sort_keys=True),
    )
    uow.session.add(payment)
    uow.session.flush()
    body["payment_id"] = payment.id
    for d in split.family:
        assert d.binding_id is not None and txn_id is not None
        uow.session.add(
            FamilyDraw(
                payment_id=payment.id,
                binding_id=d.binding_id,
                txn_id=txn_id,
                account_code=d.account,
                amount_fen=d.amount_fen,
                created_at=now,
            )
        )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "family.pay",
        "family_payment",
        payment.id,
        relative_id=relative.id,
        use=use,
        amount_fen=amount_fen,
        own_fen=split.own_fen,
        family_fen=split.family_fen,
        cash_fen=split.cash_fen,
    )
    return ledger.PostResult(body, replayed=False)


def preview(
    uow: UnitOfWork,
    profile: Profile,
    *,
    relative_id: int,
    amount_fen: int,
    use: str,
    institution_region: str | None = None,
    use_family: bool = True,
    limits: F.Limits | None = None,
) -> F.Split:
    """What ``pay`` would take from where, without locking or writing (2206 预结算)."""
    require_positive_fen(amount_fen)
    if use_family:
        check_use(profile, use, institution_region=institution_region)
        F.check_relative_insured(
            insurances_of(uow, relative_id),
            relative_insutypes=profile.family.relative_insutypes,
            province_code=profile.profile.province_code,
            in_province_only=profile.family.relatives_in_province_only,
        )
    else:
        require_known_use(use)
    own_codes = own_account_codes(relative_id) if account_status_of(uow, relative_id) == "normal" else []
    own_balances = ledger.balances_of(uow, own_codes) if own_codes else {}
    own = [F.Source(code, own_balances.get(code, 0)) for code in own_codes]
    payers = _payers(uow, profile, relative_id, lock=False) if use_family else []
    return F.split_payment(amount_fen, own, [p.source for p in payers], limits)


# --- a designated institution paying through the service ------------------------------------


def institution_payee(fixmedins_code: str) -> str:
    """Where a designated institution's personal-account receipts are booked until settlement."""
    return f"external:institution:{fixmedins_code}"


def pay_at_institution(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    cert_no: str,
    amount_fen: int,
    use: str,
    idempotency_key: str,
) -> ledger.PostResult:
    """A designated hospital or pharmacy charges a patient's eligible self-paid amount: own
    account, then family funds, then cash. The institution is the logged-in one; its region
    decides whether family funds may be used there (in-province only, seed 000)."""
    ctx.principal.require(Role.INSTITUTION)
    code = ctx.principal.fixmedins_code
    institution = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
    if institution is None:
        raise Forbidden("该账号未关联定点医药机构", "This user is not linked to a designated institution")
    if use == F.PREMIUM_USE:
        raise UseNotAllowed("定点医药机构不能代收保费", "Institutions do not collect premiums", use=use)
    patient = person_by_id_number(uow, ctx, cert_no)
    if patient is None:
        raise NotFound("未查询到该参保人", "No insured person with this number")
    payee = institution_payee(institution.fixmedins_code)
    ledger.ensure_account(
        uow, code=payee, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=institution.region_code
    )
    return pay(
        uow,
        ctx,
        profile,
        relative_id=patient.id,
        amount_fen=amount_fen,
        use=use,
        payee_account=payee,
        idempotency_key=L.scoped_key(institution.fixmedins_code, idempotency_key),
        institution_region=institution.region_code,
    )
