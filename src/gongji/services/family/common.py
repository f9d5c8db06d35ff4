"""What the family use cases share: facts about a person (enrollments, account status, own
accounts), the authorizer check, who may act on a binding, the family-account return, and the
draws of a binding (the basis of recovery after fraud, seed 003 四(四))."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    FamilyBinding,
    FamilyDraw,
    LedgerTxn,
    Person,
    PersonalAccount,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    BindingRuleNotInForce,
    FamilyRefusal,
    Forbidden,
    NotFound,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.policy.schema import VACCINES, BindingRule, Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import (
    Ctx,
    person_regions,
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


def person_by_id_number(uow: UnitOfWork, ctx: Ctx, cert_no: str) -> Person | None:
    """The person registered under a resident ID number (checked first: E_ID_* if malformed)."""
    parsed = parse_id_number(cert_no, today=ctx.clock.today(), region_known=region_table().is_known)
    return uow.session.scalar(
        select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no == parsed.value)
    )


def act_for(uow: UnitOfWork, ctx: Ctx, person_id: int) -> None:
    """The citizen themself, or staff assisting at the window within their regions (seed 003)."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))


def insurances_of(uow: UnitOfWork, person_id: int) -> list[F.Insurance]:
    rows = uow.session.execute(
        select(Enrollment.insutype, Enrollment.region_code, Enrollment.status)
        .where(Enrollment.person_id == person_id)
        .order_by(Enrollment.id.desc())
    )
    return [F.Insurance(insutype, region, status) for insutype, region, status in rows]


def account_status_of(uow: UnitOfWork, person_id: int) -> str | None:
    return uow.session.scalar(select(PersonalAccount.status).where(PersonalAccount.person_id == person_id))


def own_account_codes(person_id: int) -> list[str]:
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
    enrollment first, the personal account's status. ``check_authorizer`` reads them for one
    person; the tax batch (``premium_batch``) for a whole chunk."""
    return F.check_authorizer(
        insurances,
        authorizer_insutypes=profile.family.authorizer_insutypes,
        province_code=profile.profile.province_code,
        account_status=account_status,
        balance_fen=balance_fen,
        need_balance=need_balance,
    )


def check_authorizer(uow: UnitOfWork, profile: Profile, person_id: int, *, need_balance: bool) -> F.Insurance:
    balance = sum(ledger.balances_of(uow, own_account_codes(person_id)).values()) if need_balance else None
    return authorizer_check(
        profile,
        insurances_of(uow, person_id),
        account_status=account_status_of(uow, person_id),
        balance_fen=balance,
        need_balance=need_balance,
    )


def rule_view(rule: BindingRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "effective_from": rule.effective_from.isoformat(),
        "authorizer_needs_balance": rule.authorizer_needs_balance,
        "source": rule.source,
        "demo": rule.demo,
    }


def check_binding_authorizer(uow: UnitOfWork, profile: Profile, person_id: int, day: date) -> F.Insurance:
    """The authorizer check under the profile's binding rule in force on ``day`` (SPEC §4 item 1):
    Gansu's needs a balance [000], Zhejiang's and Henan's do not [003][004]. Before the first
    rule took effect: BindingRuleNotInForce. Every refusal names the rule and its date."""
    rule = profile.family.binding_rule_on(day)
    if rule is None:
        first = profile.family.binding_rules[0]
        raise BindingRuleNotInForce(rule=rule_view(first))
    try:
        return check_authorizer(uow, profile, person_id, need_balance=rule.authorizer_needs_balance)
    except FamilyRefusal as err:
        err.detail["rule"] = rule_view(rule)
        raise


def may_draw_on(uow: UnitOfWork, profile: Profile, authorizer_id: int) -> bool:
    """An authorizer suspended, interrupted, ended or frozen is not drawn on (bindings stay)."""
    try:
        check_authorizer(uow, profile, authorizer_id, need_balance=False)
    except FamilyRefusal:
        return False
    return True


def lock_persons(uow: UnitOfWork, *person_ids: int) -> None:
    """Serialize binding changes of these persons (limits and 'one authorizer' stay true)."""
    uow.session.execute(select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id).with_for_update()).all()


def family_source(profile: Profile, binding: FamilyBinding) -> str:
    if profile.family.funding_model == "allocation":
        return L.family_account(binding.id)
    return L.personal_past(binding.authorizer_id)


def get_binding(uow: UnitOfWork, binding_id: int) -> FamilyBinding:
    binding = uow.session.get(FamilyBinding, binding_id)
    if binding is None:
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    return binding


def own_binding(uow: UnitOfWork, ctx: Ctx, binding_id: int) -> FamilyBinding:
    """A binding the actor may manage: the authorizer themself, or staff in scope.

    To a citizen, someone else's binding does not exist (no probing of binding ids).
    """
    binding = uow.session.get(FamilyBinding, binding_id)
    if binding is None or (ctx.principal.role is Role.CITIZEN and ctx.principal.person_id != binding.authorizer_id):
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    act_for(uow, ctx, binding.authorizer_id)
    return binding


def return_family_balance(uow: UnitOfWork, ctx: Ctx, binding: FamilyBinding, *, after: str) -> int:
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


def staff_binding(uow: UnitOfWork, ctx: Ctx, binding_id: int) -> FamilyBinding:
    ctx.principal.require(Role.STAFF)
    binding = get_binding(uow, binding_id)
    regions = person_regions(uow, binding.authorizer_id) + person_regions(uow, binding.relative_id)
    ctx.principal.require_person_access(person_id=binding.authorizer_id, regions=regions)
    return binding


def draws_of(uow: UnitOfWork, binding_id: int) -> list[FamilyDraw]:
    return list(
        uow.session.scalars(select(FamilyDraw).where(FamilyDraw.binding_id == binding_id).order_by(FamilyDraw.id))
    )


def recovery_key(draw: FamilyDraw) -> str:
    return f"family-recovery:{draw.id}"


def draw_states(uow: UnitOfWork, draws: list[FamilyDraw]) -> dict[int, str]:
    """Per draw: ``recovered`` (reversed by the per-draw recovery of before migration 0009, kept
    for those rows), ``reversed`` (the whole payment was reversed, e.g. a cancelled settlement:
    nothing owed) or ``open``."""
    if not draws:
        return {}
    keys = {recovery_key(d): d.id for d in draws}
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
