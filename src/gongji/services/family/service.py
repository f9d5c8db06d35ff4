"""Family mutual aid use cases (职工医保个人账户家庭共济, SPEC §4; seeds 000, 001, 003).

- citizens: confirm the agreement once, bind a relative on a signed commitment, unbind,
  move money into a relative's family account (共济账户划拨, allocation model), see members
  and history;
- one payment service for settlement and premiums: ``pay`` — own account first, then family
  funds in the profile's order, then cash (先个人后共济), one ledger transaction;
- staff: list a person's bindings, revoke one for fraud, recover what was paid through it by
  reversing entries, record a credit entry (seed 003 四(四)).

Province differences come from ``profile.family``; nothing here branches on the province.
Every write is audited in the same transaction; money moves only through ``ledger.post``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from gongji.adapters.db.models import (
    CreditRecord,
    Enrollment,
    FamilyAgreementAcceptance,
    FamilyBinding,
    FamilyDraw,
    FamilyMatchFailure,
    FamilyPayment,
    Institution,
    LedgerTxn,
    Person,
    PersonalAccount,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.family_texts import FamilyTexts, family_texts
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    AgreementRequired,
    BindingLimit,
    CommitmentInvalid,
    DuplicateBinding,
    DuplicateRecord,
    FamilyRefusal,
    Forbidden,
    FundingModelMismatch,
    IdempotencyConflict,
    IdentityMismatch,
    InsufficientBalance,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    PairRevoked,
    PremiumInsufficientFunds,
    PremiumNoBinding,
    RelationNotAllowed,
    RelativeHasAuthorizer,
    SelfBinding,
    TooManyAttempts,
    UnknownCode,
    UseNotAllowed,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import require_positive_fen
from gongji.domain.relations import RELATION_KINDS, RELATION_ZH, RelationKind
from gongji.policy.schema import MEDICAL_USE_KINDS, VACCINES, Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    get_person,
    person_regions,
    require_reason,
    validate_name,
)

USE_ZH = {
    "outpatient": "门诊",
    "inpatient": "住院",
    "pharmacy_drugs": "药店购药",
    "pharmacy_devices": "药店购医疗器械",
    "pharmacy_consumables": "药店购医用耗材",
    VACCINES: "非免疫规划疫苗",
    F.PREMIUM_USE: "城乡居民医保代缴",
}
TXN_KIND_ZH = {
    "family.allocate": "共济账户划拨",
    "family.return": "共济账户余额退回",
    "family.recovery": "违规共济追回",
    **{f"family.pay.{k}": f"共济支付：{v}" for k, v in USE_ZH.items()},
    **{f"account.pay.{k}": f"个人账户支付：{v}" for k, v in USE_ZH.items()},
}
CREDIT_KIND_FRAUD = "family_fraud"


def texts() -> FamilyTexts:
    return family_texts()


def _person_by_id_number(uow: UnitOfWork, ctx: Ctx, cert_no: str) -> Person | None:
    """The person registered under a resident ID number (checked first: E_ID_* if malformed)."""
    parsed = parse_id_number(cert_no, today=ctx.clock.today(), region_known=region_table().is_known)
    return uow.session.scalar(
        select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no == parsed.value)
    )


def _act_for(uow: UnitOfWork, ctx: Ctx, person_id: int) -> None:
    """The citizen themself, or staff assisting at the window within their regions (seed 003)."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))


def _insurances(uow: UnitOfWork, person_id: int) -> list[F.Insurance]:
    rows = uow.session.execute(
        select(Enrollment.insutype, Enrollment.region_code, Enrollment.status)
        .where(Enrollment.person_id == person_id)
        .order_by(Enrollment.id.desc())
    )
    return [F.Insurance(insutype, region, status) for insutype, region, status in rows]


def _account_status(uow: UnitOfWork, person_id: int) -> str | None:
    return uow.session.scalar(select(PersonalAccount.status).where(PersonalAccount.person_id == person_id))


def _own_codes(person_id: int) -> list[str]:
    return [L.personal_current(person_id), L.personal_past(person_id)]


def authorizer_check(
    profile: Profile,
    insurances: list[F.Insurance],
    *,
    account_status: str | None,
    balance_fen: int | None = None,
    need_balance: bool = False,
) -> F.Insurance:
    """The profile's authorizer rules over facts already read (pure): ``insurances`` newest
    enrollment first, the personal account's status. ``_check_authorizer`` reads them for one
    person; the tax batch (``premium_batch``) for a whole chunk."""
    return F.check_authorizer(
        insurances,
        authorizer_insutypes=profile.family.authorizer_insutypes,
        province_code=profile.profile.province_code,
        account_status=account_status,
        balance_fen=balance_fen,
        need_balance=need_balance,
    )


def _check_authorizer(uow: UnitOfWork, profile: Profile, person_id: int, *, need_balance: bool) -> F.Insurance:
    balance = sum(ledger.balances_of(uow, _own_codes(person_id)).values()) if need_balance else None
    return authorizer_check(
        profile,
        _insurances(uow, person_id),
        account_status=_account_status(uow, person_id),
        balance_fen=balance,
        need_balance=need_balance,
    )


def _may_draw_on(uow: UnitOfWork, profile: Profile, authorizer_id: int) -> bool:
    """An authorizer suspended, interrupted, ended or frozen is not drawn on (bindings stay)."""
    try:
        _check_authorizer(uow, profile, authorizer_id, need_balance=False)
    except FamilyRefusal:
        return False
    return True


def _lock_persons(uow: UnitOfWork, *person_ids: int) -> None:
    """Serialize binding changes of these persons (limits and 'one authorizer' stay true)."""
    uow.session.execute(select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id).with_for_update()).all()


def _family_source(profile: Profile, binding: FamilyBinding) -> str:
    if profile.family.funding_model == "allocation":
        return L.family_account(binding.id)
    return L.personal_past(binding.authorizer_id)


# --- the agreement (承诺协议 and Q&A), confirmed once per version -------------------------------


def has_accepted_agreement(uow: UnitOfWork, person_id: int) -> bool:
    version = texts().version
    return (
        uow.session.scalar(
            select(FamilyAgreementAcceptance.id).where(
                FamilyAgreementAcceptance.person_id == person_id, FamilyAgreementAcceptance.version == version
            )
        )
        is not None
    )


def accept_agreement(uow: UnitOfWork, ctx: Ctx, *, person_id: int, version: str) -> FamilyAgreementAcceptance:
    """Record that the person read and confirmed the agreement and Q&A (seed 000 第二步)."""
    _act_for(uow, ctx, person_id)
    t = texts()
    if version != t.version:
        raise InvalidRequest(
            "协议版本已更新，请重新阅读后确认", "The agreement changed; read the current version", field="version"
        )
    existing = uow.session.scalar(
        select(FamilyAgreementAcceptance).where(
            FamilyAgreementAcceptance.person_id == person_id, FamilyAgreementAcceptance.version == version
        )
    )
    if existing is not None:
        return existing
    row = FamilyAgreementAcceptance(
        person_id=person_id,
        version=version,
        text_sha256=t.agreement_sha256,
        accepted_at=ctx.clock.now(),
        channel=ctx.channel.name,
        client_addr=ctx.channel.client_addr,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "family.agreement", "person", person_id, version=version)
    return row


# --- binding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindRequest:
    authorizer_id: int
    relative_name: str
    relative_cert_no: str
    relation: str
    commitment_version: str
    commitment_signed: bool
    signature: str


def _recent_failures(uow: UnitOfWork, ctx: Ctx, profile: Profile, authorizer_id: int) -> int:
    since = ctx.clock.now() - timedelta(minutes=profile.family.name_match_window_minutes)
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(FamilyMatchFailure)
            .where(FamilyMatchFailure.authorizer_id == authorizer_id, FamilyMatchFailure.at >= since)
        )
        or 0
    )


def bind(uow: UnitOfWork, ctx: Ctx, profile: Profile, req: BindRequest) -> FamilyBinding:
    """Bind a relative on the authorizer's commitment (承诺制, seed 000); see ``bind_relative``.

    Checks, each with its own refusal: who acts; agreement confirmed; commitment signed with
    the authorizer's own name; relation kind; failed-match rate limit; authorizer eligible;
    ID number well formed; name matches the registry (the answer never tells whether the ID
    number exists or what name it has); not oneself; not revoked for fraud before; not bound
    already; relative insured in the province; birth dates plausible; one authorizer per
    relative if the profile says so; the profile's limits.
    """
    fam = profile.family
    aid = req.authorizer_id
    _act_for(uow, ctx, aid)  # before the lookup: staff out of region learn nothing about ids
    authorizer = get_person(uow, aid)
    if not has_accepted_agreement(uow, aid):
        raise AgreementRequired()
    t = texts()
    if (
        req.commitment_version != t.version
        or not req.commitment_signed
        or not F.names_match(req.signature, authorizer.name)
    ):
        raise CommitmentInvalid()
    if req.relation not in RELATION_KINDS:
        raise UnknownCode("亲属关系代码不存在", "Unknown relation code", field="relation", value=req.relation)
    if not profile.allows_relation(req.relation):
        raise RelationNotAllowed(relation=req.relation)
    if _recent_failures(uow, ctx, profile, aid) >= fam.max_failed_name_matches:
        raise TooManyAttempts(window_minutes=fam.name_match_window_minutes)
    enrollment = _check_authorizer(uow, profile, aid, need_balance=True)

    relative_name = validate_name(req.relative_name)
    relative = _person_by_id_number(uow, ctx, req.relative_cert_no)
    if relative is not None and relative.id == aid:
        raise SelfBinding()
    if relative is None or not F.names_match(relative_name, relative.name):
        raise IdentityMismatch()

    _lock_persons(uow, aid, relative.id)
    pair = select(FamilyBinding).where(FamilyBinding.authorizer_id == aid, FamilyBinding.relative_id == relative.id)
    earlier = list(uow.session.scalars(pair))
    if any(b.status == F.BINDING_REVOKED for b in earlier):
        raise PairRevoked()
    if any(b.status == F.BINDING_ACTIVE for b in earlier):
        raise DuplicateBinding()
    F.check_relative_insured(
        _insurances(uow, relative.id),
        relative_insutypes=fam.relative_insutypes,
        province_code=profile.profile.province_code,
        in_province_only=fam.relatives_in_province_only,
    )
    relation: RelationKind = req.relation  # type: ignore[assignment]
    F.check_plausible(
        relation,
        F.Party(authorizer.id, authorizer.sex, authorizer.birth_date),
        F.Party(relative.id, relative.sex, relative.birth_date),
        today=ctx.clock.today(),
        spouse_min_age_male=fam.spouse_min_age_male,
        spouse_min_age_female=fam.spouse_min_age_female,
        relation_zh=RELATION_ZH[relation],
    )
    if not fam.relative_may_have_several_authorizers:
        other = uow.session.scalar(
            select(FamilyBinding.id).where(
                FamilyBinding.relative_id == relative.id,
                FamilyBinding.status == F.BINDING_ACTIVE,
                FamilyBinding.authorizer_id != aid,
            )
        )
        if other is not None:
            raise RelativeHasAuthorizer()
    mine = select(FamilyBinding).where(FamilyBinding.authorizer_id == aid)
    active = [b for b in uow.session.scalars(mine) if b.status == F.BINDING_ACTIVE]
    if fam.max_active_relatives is not None and len(active) >= fam.max_active_relatives:
        raise BindingLimit(limit=fam.max_active_relatives, kind="active")
    if fam.max_lifetime_relatives is not None and not earlier:
        ever = uow.session.scalar(
            select(func.count(func.distinct(FamilyBinding.relative_id))).where(FamilyBinding.authorizer_id == aid)
        )
        if int(ever or 0) >= fam.max_lifetime_relatives:
            raise BindingLimit(
                "累计绑定的共济亲属人数已达上限",
                "The lifetime number of bound relatives has reached the limit",
                limit=fam.max_lifetime_relatives,
                kind="lifetime",
            )

    now = ctx.clock.now()
    signature = hashlib.sha256(
        "|".join(
            [
                t.version,
                t.commitment_sha256,
                str(aid),
                str(relative.id),
                relation,
                req.signature.strip(),
                now.isoformat(),
            ]
        ).encode()
    ).hexdigest()
    binding = FamilyBinding(
        authorizer_id=aid,
        relative_id=relative.id,
        relation=relation,
        status=F.BINDING_ACTIVE,
        created_at=now,
        commitment_version=t.version,
        commitment_sha256=t.commitment_sha256,
        signature_sha256=signature,
        signed_at=now,
        channel=ctx.channel.name,
        client_addr=ctx.channel.client_addr,
        created_by_user_id=ctx.principal.user_id,
    )
    uow.session.add(binding)
    uow.session.flush()
    if fam.funding_model == "allocation":
        ledger.ensure_account(
            uow,
            code=L.family_account(binding.id),
            kind=L.AccountKind.FAMILY,
            now=now,
            person_id=aid,
            region_code=enrollment.region_code,
        )
    audit_event(
        uow,
        ctx,
        "family.bind",
        "family_binding",
        binding.id,
        authorizer_id=aid,
        relative_id=relative.id,
        relation=relation,
        commitment_version=t.version,
    )
    return binding


def bind_relative(
    run: Callable[[Callable[[UnitOfWork], Any]], Any], ctx: Ctx, profile: Profile, req: BindRequest
) -> dict[str, Any]:
    """Run ``bind`` and commit; a name/ID mismatch is counted (in its own transaction) for
    the rate limit, and nothing else is written. Returns the binding's view."""

    def go(uow: UnitOfWork) -> dict[str, Any]:
        binding = bind(uow, ctx, profile, req)
        view = binding_view(uow, profile, binding, side="authorizer")
        uow.commit()
        return view

    try:
        view: dict[str, Any] = run(go)
        return view
    except IdentityMismatch:

        def count(uow: UnitOfWork) -> None:
            uow.session.add(FamilyMatchFailure(authorizer_id=req.authorizer_id, at=ctx.clock.now()))
            audit_event(uow, ctx, "family.bind_mismatch", "person", req.authorizer_id)
            uow.commit()

        run(count)
        raise


def _binding(uow: UnitOfWork, binding_id: int) -> FamilyBinding:
    binding = uow.session.get(FamilyBinding, binding_id)
    if binding is None:
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    return binding


def _own_binding(uow: UnitOfWork, ctx: Ctx, binding_id: int) -> FamilyBinding:
    """A binding the actor may manage: the authorizer themself, or staff in scope.

    To a citizen, someone else's binding does not exist (no probing of binding ids).
    """
    binding = uow.session.get(FamilyBinding, binding_id)
    if binding is None or (ctx.principal.role is Role.CITIZEN and ctx.principal.person_id != binding.authorizer_id):
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    _act_for(uow, ctx, binding.authorizer_id)
    return binding


def _return_family_balance(uow: UnitOfWork, ctx: Ctx, binding: FamilyBinding, *, after: str) -> int:
    """A closed binding's family-account balance goes back to the authorizer's past-years
    account (原渠道返还), one transaction per closing event ``after``."""
    code = L.family_account(binding.id)
    balance = ledger.lock_balances(uow, [code])[code]
    if balance <= 0:
        return 0
    ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=f"family-return:{binding.id}:{after}",
            kind="family.return",
            narration="共济关系结束，共济账户余额退回共济人历年账户",
            postings=L.transfer(code, L.personal_past(binding.authorizer_id), balance),
        ),
        request={"op": "family_return", "binding_id": binding.id, "after": after},
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
    )
    return balance


def unbind(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str | None = None) -> FamilyBinding:
    """End a binding (解除绑定); a change of relation is unbind then bind (seed 003 附件一(二))."""
    binding = _own_binding(uow, ctx, binding_id)
    if binding.status != F.BINDING_ACTIVE:
        raise InvalidStateTransition(
            f"该共济关系{F.BINDING_STATUS_ZH.get(binding.status, '已结束')}，不能再解除",
            "This binding is no longer active",
            status=binding.status,
        )
    reason = (reason or "").strip() or "共济人申请解除"
    if len(reason) > 200:
        raise InvalidRequest("原因不超过200字", "Reason: at most 200 characters", field="reason")
    binding.status = F.BINDING_ENDED
    binding.ended_at = ctx.clock.now()
    binding.end_reason = reason
    binding.ended_by_user_id = ctx.principal.user_id
    uow.session.flush()
    returned = _return_family_balance(uow, ctx, binding, after="unbind")
    audit_event(uow, ctx, "family.unbind", "family_binding", binding.id, returned_fen=returned)
    return binding


# --- 共济账户划拨 (allocation model) -------------------------------------------------------------


def allocate(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, binding_id: int, amount_fen: int, idempotency_key: str
) -> ledger.PostResult:
    """Move money from the authorizer's personal account into a relative's family account.

    Taken from the authorizer's balances in the profile's ``allocation_draw_order``; never more
    than they hold (InsufficientBalance, nothing written).
    """
    fam = profile.family
    binding = _own_binding(uow, ctx, binding_id)
    if fam.funding_model != "allocation" or not fam.allocation_draw_order:
        raise FundingModelMismatch(
            "本省家庭共济直接使用共济人历年账户资金，无需划拨",
            "This province draws directly on the authorizer's past-years balance; nothing to allocate",
        )
    request = {"op": "family_allocate", "binding_id": binding_id, "amount_fen": amount_fen}
    require_positive_fen(amount_fen)
    ledger.require_idempotency_key(idempotency_key)
    # the client's key is scoped to the authorizer: another person's key can never collide
    idempotency_key = L.scoped_key(f"family-allocate:{binding.authorizer_id}", idempotency_key)
    replay = uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.idempotency_key == idempotency_key))
    postings: tuple[L.Posting, ...] = ()  # a replay is answered by ledger.post before postings matter
    if replay is None:
        if binding.status != F.BINDING_ACTIVE:
            raise InvalidStateTransition("该共济关系已解除，不能划拨", "This binding is no longer active")
        _check_authorizer(uow, profile, binding.authorizer_id, need_balance=False)
        aid = binding.authorizer_id
        code_of = {"past_years": L.personal_past(aid), "current_year": L.personal_current(aid)}
        order = [code_of[item] for item in fam.allocation_draw_order]
        balances = ledger.lock_balances(uow, order)
        draws = F.allocation_draws(amount_fen, [F.Source(code, balances[code]) for code in order])
        if draws is None:
            raise InsufficientBalance(
                "共济人个人账户余额不足",
                "The personal account does not hold that much",
                available_fen=sum(balances.values()),
            )
        postings = tuple(L.Posting(d.account, -d.amount_fen) for d in draws) + (
            L.Posting(L.family_account(binding.id), amount_fen),
        )
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=idempotency_key,
            kind="family.allocate",
            narration=f"共济账户划拨：{RELATION_ZH.get(binding.relation, binding.relation)}",  # type: ignore[call-overload]
            postings=postings,
        ),
        request=request,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
        extra={"binding_id": binding.id, "amount_fen": amount_fen},
    )
    if not result.replayed:
        audit_event(
            uow,
            ctx,
            "family.allocate",
            "family_binding",
            binding.id,
            amount_fen=amount_fen,
            txn_id=result.body["txn_id"],
        )
    return result


# --- paying for a relative: own first, then family, then cash ----------------------------------


def _require_known_use(use: str) -> None:
    if use != F.PREMIUM_USE and use not in (*MEDICAL_USE_KINDS, VACCINES):
        raise UnknownCode("支付用途代码不存在", "Unknown payment use", field="use", value=use)


def check_use(
    profile: Profile, use: str, *, institution_region: str | None = None, premium_insutype: str | None = None
) -> None:
    """Refuse a use of family funds the profile does not allow (e.g. vaccines outside Zhejiang)."""
    uses = profile.family.uses
    _require_known_use(use)
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
    eligible = [b for b in bindings if _may_draw_on(uow, profile, b.authorizer_id)]
    codes = [_family_source(profile, b) for b in eligible]
    read = ledger.lock_balances if lock else ledger.balances_of
    balances = read(uow, codes) if codes else {}
    payers = [
        F.Payer(b.id, (b.created_at, b.id), F.Source(code, balances[code], b.id))
        for b, code in zip(eligible, codes, strict=True)
    ]
    return F.order_payers(payers, profile.family.authorizer_payment_order)


def _stored_payment(
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
) -> ledger.PostResult:
    """Pay an eligible amount for a person: their own personal account first (current year,
    then past years), then family funds of their active bindings in the profile's order, then
    cash (先个人后共济, seeds 000, 003). One ledger transaction; returns the split.

    Callers (settlement, premiums) check who may ask; ``payee_account`` must exist. A use the
    profile does not allow is refused (UseNotAllowed) unless ``use_family`` is False, which
    pays from the own account and cash only. Authorizers who are suspended, interrupted,
    ended or frozen are skipped. Idempotent by key: a replay returns the first answer.
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
    digest, replay = _stored_payment(uow, idempotency_key, request)
    if replay is not None:
        return replay
    if use_family:
        check_use(profile, use, institution_region=institution_region, premium_insutype=premium_insutype)
    else:
        _require_known_use(use)
    relative = get_person(uow, relative_id)
    if use_family and use != F.PREMIUM_USE:
        F.check_relative_insured(
            _insurances(uow, relative.id),
            relative_insutypes=profile.family.relative_insutypes,
            province_code=profile.profile.province_code,
            in_province_only=profile.family.relatives_in_province_only,
        )

    own_codes = _own_codes(relative.id) if _account_status(uow, relative.id) == "normal" else []
    own_balances = ledger.lock_balances(uow, own_codes) if own_codes else {}
    own = [F.Source(code, own_balances[code]) for code in own_codes]
    payers = _payers(uow, profile, relative.id) if use_family else []
    split = F.split_payment(amount_fen, own, [p.source for p in payers])

    now = ctx.clock.now()
    txn_id = None
    if split.own or split.family:
        paid = split.own_fen + split.family_fen
        postings = tuple(L.Posting(d.account, -d.amount_fen) for d in (*split.own, *split.family)) + (
            L.Posting(payee_account, paid),
        )
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=L.scoped_key("family-pay", idempotency_key),
                # "family.pay" only when family funds paid: a plain own-account payment is not 共济
                kind=f"{'family' if split.family else 'account'}.pay.{use}"[:40],
                narration=(f"{USE_ZH.get(use, use)}：个人账户支付" + ("（含家庭共济）" if split.family else ""))[:200],
                postings=postings,
            ),
            request=request,
            now=now,
            user_id=ctx.principal.user_id,
            extra={"relative_id": relative.id},
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
) -> F.Split:
    """What ``pay`` would take from where, without locking or writing (2206 预结算)."""
    require_positive_fen(amount_fen)
    if use_family:
        check_use(profile, use, institution_region=institution_region)
        F.check_relative_insured(
            _insurances(uow, relative_id),
            relative_insutypes=profile.family.relative_insutypes,
            province_code=profile.profile.province_code,
            in_province_only=profile.family.relatives_in_province_only,
        )
    else:
        _require_known_use(use)
    own_codes = _own_codes(relative_id) if _account_status(uow, relative_id) == "normal" else []
    own_balances = ledger.balances_of(uow, own_codes) if own_codes else {}
    own = [F.Source(code, own_balances.get(code, 0)) for code in own_codes]
    payers = _payers(uow, profile, relative_id, lock=False) if use_family else []
    return F.split_payment(amount_fen, own, [p.source for p in payers])


# --- staff: fraud (虚构家庭成员关系, seed 003 四(四)) ----------------------------------------------


def _staff_binding(uow: UnitOfWork, ctx: Ctx, binding_id: int) -> FamilyBinding:
    ctx.principal.require(Role.STAFF)
    binding = _binding(uow, binding_id)
    regions = person_regions(uow, binding.authorizer_id) + person_regions(uow, binding.relative_id)
    ctx.principal.require_person_access(person_id=binding.authorizer_id, regions=regions)
    return binding


def revoke(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str) -> FamilyBinding:
    """Stop a binding for fraud (停止家庭共济待遇). Also for one already unbound: what was paid
    through it may still be recovered. The pair cannot be bound again."""
    binding = _staff_binding(uow, ctx, binding_id)
    reason = require_reason(reason)
    if binding.status == F.BINDING_REVOKED:
        raise InvalidStateTransition("该共济关系已被终止", "This binding is already revoked")
    was = binding.status
    binding.status = F.BINDING_REVOKED
    if binding.ended_at is None:
        binding.ended_at = ctx.clock.now()
    binding.end_reason = f"违规终止：{reason}"[:200]
    binding.ended_by_user_id = ctx.principal.user_id
    uow.session.flush()
    returned = _return_family_balance(uow, ctx, binding, after="revoke")
    audit_event(uow, ctx, "family.revoke", "family_binding", binding.id, reason=reason, was=was, returned_fen=returned)
    return binding


def _draws(uow: UnitOfWork, binding_id: int) -> list[FamilyDraw]:
    return list(
        uow.session.scalars(select(FamilyDraw).where(FamilyDraw.binding_id == binding_id).order_by(FamilyDraw.id))
    )


def _recovery_key(draw: FamilyDraw) -> str:
    return f"family-recovery:{draw.id}"


def _draw_states(uow: UnitOfWork, draws: list[FamilyDraw]) -> dict[int, str]:
    """Per draw: ``recovered``, ``reversed`` (the whole payment was reversed, e.g. a cancelled
    settlement: nothing to recover) or ``open``."""
    if not draws:
        return {}
    keys = {_recovery_key(d): d.id for d in draws}
    recovered = {
        keys[k]
        for k in uow.session.scalars(select(LedgerTxn.idempotency_key).where(LedgerTxn.idempotency_key.in_(keys)))
    }
    reversed_txns = set(
        uow.session.scalars(
            select(LedgerTxn.reverses_txn_id).where(
                LedgerTxn.reverses_txn_id.in_({d.txn_id for d in draws}), LedgerTxn.kind != "family.recovery"
            )
        )
    )
    return {
        d.id: "recovered" if d.id in recovered else "reversed" if d.txn_id in reversed_txns else "open" for d in draws
    }


def recover(uow: UnitOfWork, ctx: Ctx, *, binding_id: int) -> dict[str, Any]:
    """追回: undo each payment drawn through a revoked binding by a reversing entry of its family
    postings — the money goes back where it came from, and the amount is booked as owed by
    the parties (``external:recovery:<region>``). Never an edit; running it again recovers
    nothing twice."""
    binding = _staff_binding(uow, ctx, binding_id)
    if binding.status != F.BINDING_REVOKED:
        raise InvalidStateTransition(
            "请先以违规为由终止该共济关系，再追回资金", "Revoke the binding for fraud before recovering"
        )
    draws = _draws(uow, binding.id)
    states = _draw_states(uow, draws)
    # owed to the authorizer's current pooling region (their accounts move with a transfer)
    region = ledger.region_of(uow, L.personal_past(binding.authorizer_id))
    if region is None:
        raise NotFound("共济人没有个人账户", "The authorizer has no personal account")
    receivable = L.recovery_receivable(region)
    ledger.ensure_account(uow, code=receivable, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=region)
    recovered_fen, txn_ids = 0, []
    for d in draws:
        if states[d.id] != "open":
            continue
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=_recovery_key(d),
                kind="family.recovery",
                narration=f"违规家庭共济追回（原交易{d.txn_id}）",
                postings=(L.Posting(d.account_code, d.amount_fen), L.Posting(receivable, -d.amount_fen)),
                reverses_txn_id=d.txn_id,
            ),
            request={"op": "family_recovery", "draw_id": d.id},
            now=ctx.clock.now(),
            user_id=ctx.principal.user_id,
            extra={"binding_id": binding.id, "draw_id": d.id},
        )
        recovered_fen += d.amount_fen
        txn_ids.append(result.body["txn_id"])
    if txn_ids:
        _return_family_balance(uow, ctx, binding, after=f"recovery:{txn_ids[-1]}")
    audit_event(uow, ctx, "family.recover", "family_binding", binding.id, recovered_fen=recovered_fen, txn_ids=txn_ids)
    return {"binding_id": binding.id, "recovered_fen": recovered_fen, "txn_ids": txn_ids}


def record_credit(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str) -> CreditRecord:
    """纳入医保信用管理: a credit entry against the authorizer of a revoked binding."""
    binding = _staff_binding(uow, ctx, binding_id)
    reason = require_reason(reason)
    if binding.status != F.BINDING_REVOKED:
        raise InvalidStateTransition("请先终止该共济关系", "Revoke the binding before recording a credit entry")
    exists = uow.session.scalar(
        select(CreditRecord.id).where(CreditRecord.binding_id == binding.id, CreditRecord.kind == CREDIT_KIND_FRAUD)
    )
    if exists is not None:
        raise DuplicateRecord("该共济关系已记录信用信息", "A credit entry already exists for this binding")
    draws = _draws(uow, binding.id)
    states = _draw_states(uow, draws)
    amount = sum(d.amount_fen for d in draws if states[d.id] != "reversed")
    row = CreditRecord(
        person_id=binding.authorizer_id,
        kind=CREDIT_KIND_FRAUD,
        binding_id=binding.id,
        reason=reason,
        amount_fen=amount,
        user_id=ctx.principal.user_id,
        at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "family.credit", "person", binding.authorizer_id, binding_id=binding.id, amount_fen=amount)
    return row


# --- reads -------------------------------------------------------------------------------------


def binding_view(uow: UnitOfWork, profile: Profile, b: FamilyBinding, *, side: str) -> dict[str, Any]:
    """One binding, the other party masked. ``side`` is the viewer's: authorizer / relative / staff."""
    other_id = b.relative_id if side != "relative" else b.authorizer_id
    other = get_person(uow, other_id)
    view: dict[str, Any] = {
        "binding_id": b.id,
        "relation": b.relation,
        "relation_name": RELATION_ZH.get(b.relation, b.relation),  # type: ignore[call-overload]
        "status": b.status,
        "status_name": F.BINDING_STATUS_ZH.get(b.status, b.status),
        "created_at": b.created_at.isoformat(),
        "ended_at": b.ended_at.isoformat() if b.ended_at else None,
        "end_reason": b.end_reason,
        "commitment_version": b.commitment_version,
        "channel": b.channel,
        "funding_model": profile.family.funding_model,
    }
    who = {"person_id": other.id, "name": mask_name(other.name), "cert_no": mask_id_number(other.cert_no)}
    if side == "relative":
        view["authorizer"] = who
    else:
        view["relative"] = who
    if side == "staff":
        a = get_person(uow, b.authorizer_id)
        view["authorizer"] = {"person_id": a.id, "name": mask_name(a.name), "cert_no": mask_id_number(a.cert_no)}
    if profile.family.funding_model == "allocation" and side != "relative":
        code = L.family_account(b.id)
        view["family_account"] = code
        view["family_balance_fen"] = ledger.balances_of(uow, [code])[code]
    draws = _draws(uow, b.id)
    states = _draw_states(uow, draws)
    view["paid_fen"] = sum(d.amount_fen for d in draws if states[d.id] != "reversed")
    view["recovered_fen"] = sum(d.amount_fen for d in draws if states[d.id] == "recovered")
    view["open_fen"] = sum(d.amount_fen for d in draws if states[d.id] == "open")
    return view


def members(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int) -> dict[str, Any]:
    """成员列表: the person's bindings as authorizer (and as relative), newest first."""
    _act_for(uow, ctx, person_id)
    as_authorizer = uow.session.scalars(
        select(FamilyBinding).where(FamilyBinding.authorizer_id == person_id).order_by(FamilyBinding.id.desc())
    )
    as_relative = uow.session.scalars(
        select(FamilyBinding)
        .where(FamilyBinding.relative_id == person_id, FamilyBinding.status == F.BINDING_ACTIVE)
        .order_by(FamilyBinding.id.desc())
    )
    eligible: dict[str, Any] = {"ok": True}
    try:
        _check_authorizer(uow, profile, person_id, need_balance=True)
    except FamilyRefusal as err:
        eligible = {"ok": False, "code": err.code, "message": err.message_zh, "message_en": err.message_en}
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "family.read", "person", person_id)
    return {
        "person_id": person_id,
        "agreement_accepted": has_accepted_agreement(uow, person_id),
        "funding_model": profile.family.funding_model,
        "can_authorize": eligible,
        "bindings": [binding_view(uow, profile, b, side="authorizer") for b in as_authorizer],
        "bound_by": [binding_view(uow, profile, b, side="relative") for b in as_relative],
    }


def history(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """共济明细: the authorizer's movements caused by family mutual aid, newest first."""
    _act_for(uow, ctx, person_id)
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "family.history_read", "person", person_id)
    rows = ledger.movements(
        uow, person_id=person_id, limit=limit, before_id=before_id, kind_prefixes=("family.", "reversal.family.")
    )
    for row in rows:
        row["kind_name"] = TXN_KIND_ZH.get(row["kind"].removeprefix("reversal."), row["kind"])
        row["account_name"] = (
            "共济账户"
            if row["account"].startswith("family:")
            else ("历年账户" if row["account"].endswith(":past") else "当年账户")
        )
    return rows


def staff_bindings(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int) -> dict[str, Any]:
    """Staff: every binding the person is part of (masked), and the person's credit entries."""
    ctx.principal.require(Role.STAFF)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    get_person(uow, person_id)
    rows = uow.session.scalars(
        select(FamilyBinding)
        .where(or_(FamilyBinding.authorizer_id == person_id, FamilyBinding.relative_id == person_id))
        .order_by(FamilyBinding.id.desc())
    )
    credits = uow.session.scalars(
        select(CreditRecord).where(CreditRecord.person_id == person_id).order_by(CreditRecord.id.desc())
    )
    audit_event(uow, ctx, "family.read", "person", person_id)
    return {
        "person_id": person_id,
        "bindings": [binding_view(uow, profile, b, side="staff") for b in rows],
        "credit_records": [credit_view(c) for c in credits],
    }


def credit_view(c: CreditRecord) -> dict[str, Any]:
    return {
        "credit_id": c.id,
        "person_id": c.person_id,
        "kind": c.kind,
        "binding_id": c.binding_id,
        "reason": c.reason,
        "amount_fen": c.amount_fen,
        "at": c.at.isoformat(),
    }


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
    patient = _person_by_id_number(uow, ctx, cert_no)
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


# --- 代缴: a relative's resident premium from one authorizer's family funds (seeds 000, 003, 004) ---


# The pure parts of ``pay_premium``: the rules and the rows it writes, shared with the tax
# bureau's set-based batch (``services.resident.batch``), which decides a whole chunk at once.


def premium_pay_request(
    *,
    authorizer_id: int,
    relative_id: int,
    amount_fen: int,
    insutype: str,
    payee_account: str,
    reference: str | None,
) -> dict[str, Any]:
    """What a 代缴 is, as hashed for its idempotency key (family_payment and ledger_txn alike)."""
    return {
        "op": "family_pay_premium",
        "authorizer_id": authorizer_id,
        "relative_id": relative_id,
        "amount_fen": amount_fen,
        "insutype": insutype,
        "payee": payee_account,
        "reference": reference,
    }


def premium_funds_account(profile: Profile, *, authorizer_id: int, binding_id: int | None) -> str:
    """The account a 代缴 draws on: the binding's family account (allocation) or the
    authorizer's past years (direct). PremiumNoBinding without an active binding of the pair
    when the profile ``requires_binding``, and always under 'allocation'."""
    if binding_id is None:
        if profile.family.premium_payment_requires_binding or profile.family.funding_model == "allocation":
            raise PremiumNoBinding()
        return L.personal_past(authorizer_id)
    if profile.family.funding_model == "allocation":
        return L.family_account(binding_id)
    return L.personal_past(authorizer_id)


def check_premium_funds(balance_fen: int, amount_fen: int) -> None:
    """All or nothing: the source must hold the whole premium."""
    if balance_fen < amount_fen:
        raise PremiumInsufficientFunds()


def premium_draft(
    *, idempotency_key: str, insutype: str, source: str, payee_account: str, amount_fen: int
) -> L.TransactionDraft:
    return L.TransactionDraft(
        idempotency_key=L.scoped_key("family-premium", idempotency_key),
        kind=f"family.pay.{F.PREMIUM_USE}",
        narration=f"{USE_ZH[F.PREMIUM_USE]}（险种{insutype}）：家庭共济资金划扣",
        postings=L.transfer(source, payee_account, amount_fen),
    )


def premium_txn_extra(*, relative_id: int, authorizer_id: int) -> dict[str, Any]:
    return {"relative_id": relative_id, "authorizer_id": authorizer_id}


def premium_payment_body(
    *,
    idempotency_key: str,
    relative_id: int,
    authorizer_id: int,
    insutype: str,
    amount_fen: int,
    binding_id: int | None,
    source: str,
    txn_id: int,
    now: datetime,
) -> dict[str, Any]:
    """The answer of a 代缴 (stored in family_payment without ``payment_id``)."""
    return {
        "idempotency_key": idempotency_key,
        "relative_id": relative_id,
        "authorizer_id": authorizer_id,
        "use": F.PREMIUM_USE,
        "insutype": insutype,
        "amount_fen": amount_fen,
        "own_fen": 0,
        "family_fen": amount_fen,
        "cash_fen": 0,
        "own": [],
        "family": [{"binding_id": binding_id, "account": source, "amount_fen": amount_fen}],
        "txn_id": txn_id,
        "created_at": now.isoformat(),
    }


def premium_payment_row(body: Mapping[str, Any], *, request_hash: str, now: datetime) -> dict[str, Any]:
    """The family_payment row of a 代缴 answered by ``body`` (``premium_payment_body``)."""
    return {
        "idempotency_key": body["idempotency_key"],
        "request_hash": request_hash,
        "relative_id": body["relative_id"],
        "use_kind": F.PREMIUM_USE,
        "amount_fen": body["amount_fen"],
        "own_fen": 0,
        "family_fen": body["amount_fen"],
        "cash_fen": 0,
        "txn_id": body["txn_id"],
        "created_at": now,
        # the stored answer leaves out payment_id (not known before the insert); replays add it
        "result_json": json.dumps(body, ensure_ascii=False, sort_keys=True),
    }


def premium_draw_row(body: Mapping[str, Any], *, payment_id: int, now: datetime) -> dict[str, Any]:
    """The family_draw row of a 代缴 drawn on a binding (the basis of recovery after fraud)."""
    draw = body["family"][0]
    return {
        "payment_id": payment_id,
        "binding_id": draw["binding_id"],
        "txn_id": body["txn_id"],
        "account_code": draw["account"],
        "amount_fen": draw["amount_fen"],
        "created_at": now,
    }


def premium_audit_detail(body: Mapping[str, Any]) -> dict[str, Any]:
    """The detail of the ``family.pay`` audit row of a 代缴."""
    return {
        "relative_id": body["relative_id"],
        "authorizer_id": body["authorizer_id"],
        "use": F.PREMIUM_USE,
        "insutype": body["insutype"],
        "amount_fen": body["amount_fen"],
        "family_fen": body["family_fen"],
    }


def pay_premium(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    authorizer_id: int,
    relative_id: int,
    amount_fen: int,
    insutype: str,
    payee_account: str,
    idempotency_key: str,
    reference: str | None = None,
) -> ledger.PostResult:
    """代缴: pay a relative's resident premium from ONE authorizer's family funds, all or nothing.

    Unlike ``pay``, neither the relative's own account nor cash takes part, and no other
    authorizer is drawn on: the authorizer asked to pay (seed 003 附件三(二)1-3). The funds are
    the binding's family account (allocation) or the authorizer's past-years balance (direct,
    seed 003 二). An active binding of the pair is needed when the profile says
    ``requires_binding``, and always under 'allocation' (the family account is the binding's);
    under ``commitment_at_payment`` (Henan, seed 004) the caller records the commitment.

    Refused before anything is written: UseNotAllowed (insurance type), the authorizer's
    refusals (not employee, suspended, interrupted, frozen), PremiumNoBinding,
    PremiumInsufficientFunds. One ledger transaction ``family.pay.premium``; a
    ``family_payment`` row answers replays of the key, a ``family_draw`` row records what the
    binding paid (the basis of recovery after fraud). ``payee_account`` must exist.
    """
    require_positive_fen(amount_fen)
    request = premium_pay_request(
        authorizer_id=authorizer_id,
        relative_id=relative_id,
        amount_fen=amount_fen,
        insutype=insutype,
        payee_account=payee_account,
        reference=reference,
    )
    digest, replay = _stored_payment(uow, idempotency_key, request)
    if replay is not None:
        return replay
    check_use(profile, F.PREMIUM_USE, premium_insutype=insutype)
    relative = get_person(uow, relative_id)
    get_person(uow, authorizer_id)
    _check_authorizer(uow, profile, authorizer_id, need_balance=False)
    binding = uow.session.scalar(
        select(FamilyBinding).where(
            FamilyBinding.authorizer_id == authorizer_id,
            FamilyBinding.relative_id == relative.id,
            FamilyBinding.status == F.BINDING_ACTIVE,
        )
    )
    binding_id = binding.id if binding is not None else None
    source = premium_funds_account(profile, authorizer_id=authorizer_id, binding_id=binding_id)
    check_premium_funds(ledger.lock_balances(uow, [source])[source], amount_fen)

    now = ctx.clock.now()
    result = ledger.post(
        uow,
        premium_draft(
            idempotency_key=idempotency_key,
            insutype=insutype,
            source=source,
            payee_account=payee_account,
            amount_fen=amount_fen,
        ),
        request=request,
        now=now,
        user_id=ctx.principal.user_id,
        extra=premium_txn_extra(relative_id=relative.id, authorizer_id=authorizer_id),
    )
    txn_id = int(result.body["txn_id"])
    body = premium_payment_body(
        idempotency_key=idempotency_key,
        relative_id=relative.id,
        authorizer_id=authorizer_id,
        insutype=insutype,
        amount_fen=amount_fen,
        binding_id=binding_id,
        source=source,
        txn_id=txn_id,
        now=now,
    )
    payment = FamilyPayment(**premium_payment_row(body, request_hash=digest, now=now))
    uow.session.add(payment)
    uow.session.flush()
    body["payment_id"] = payment.id
    if binding_id is not None:
        uow.session.add(FamilyDraw(**premium_draw_row(body, payment_id=payment.id, now=now)))
        uow.session.flush()
    audit_event(uow, ctx, "family.pay", "family_payment", payment.id, **premium_audit_detail(body))
    return ledger.PostResult(body, replayed=False)


def _premium_payment(uow: UnitOfWork, family_payment_id: int) -> FamilyPayment:
    payment = uow.session.get(FamilyPayment, family_payment_id)
    if payment is None or payment.use_kind != F.PREMIUM_USE or payment.txn_id is None:
        raise NotFound("代缴记录不存在", "Premium payment not found", family_payment_id=family_payment_id)
    return payment


def premium_source(uow: UnitOfWork, *, family_payment_id: int) -> str:
    """The account a premium paid by ``pay_premium`` was drawn from: the binding's family account
    or the authorizer's past-years balance (a refund goes back there)."""
    payment = _premium_payment(uow, family_payment_id)
    draw = uow.session.scalar(select(FamilyDraw.account_code).where(FamilyDraw.payment_id == payment.id))
    if draw is not None:
        return str(draw)
    body = json.loads(payment.result_json)
    return str(body["family"][0]["account"])


def refund_premium(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    family_payment_id: int,
    reason: str,
    idempotency_key: str,
    withhold: tuple[str, int] | None = None,
) -> ledger.PostResult:
    """退费: undo a premium paid by ``pay_premium`` with a reversing entry — the money goes back
    to the family account or past-years balance it came from (原渠道返还, seed 003 附件三(二)4).
    ``withhold=(account, fen)`` then moves that much of it on to ``account`` in a second
    transaction (the subsidy a subsidized relative was paid out, returned to the assistance fund:
    seed 002 §七 只退回个人缴费部分). A family account whose binding has ended meanwhile is
    emptied back to the authorizer, as an unbind does. A payment already recovered after fraud
    is not refunded (E_STATE). Callers check who may refund and when."""
    payment = _premium_payment(uow, family_payment_id)
    now = ctx.clock.now()
    result = ledger.reverse(
        uow,
        txn_id=payment.txn_id,  # type: ignore[arg-type]  # checked by _premium_payment
        idempotency_key=L.scoped_key("family-premium-refund", idempotency_key),
        reason=reason,
        now=now,
        user_id=ctx.principal.user_id,
    )
    if not result.replayed:
        if withhold is not None and withhold[1] > 0:
            target, fen = withhold  # the caller made sure the account exists
            ledger.post(
                uow,
                L.TransactionDraft(
                    idempotency_key=L.scoped_key("family-premium-withhold", idempotency_key),
                    kind="family.refund.withhold",
                    narration=f"{reason}：资助部分不予退回，退回医疗救助资金"[:200],
                    postings=L.transfer(premium_source(uow, family_payment_id=payment.id), target, fen),
                ),
                request={"op": "family.refund.withhold", "payment_id": payment.id, "target": target, "fen": fen},
                now=now,
                user_id=ctx.principal.user_id,
            )
        for draw in uow.session.scalars(select(FamilyDraw).where(FamilyDraw.payment_id == payment.id)):
            binding = _binding(uow, draw.binding_id)
            if binding.status != F.BINDING_ACTIVE:
                _return_family_balance(uow, ctx, binding, after=f"premium-refund:{result.body['txn_id']}")
        audit_event(
            uow,
            ctx,
            "family.premium_refund",
            "family_payment",
            payment.id,
            amount_fen=payment.family_fen,
            txn_id=result.body["txn_id"],
        )
    return result
