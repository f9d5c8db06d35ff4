"""Resident premium subsidies (参保资助, SPEC §6; seed 002 §四), staff only.

- the full-subsidy roster (《全额资助对象花名册》, 002 §四(二)1) is ``services.resident.roster``
  (upload by one clerk, approval by another); it books its movements through ``grant``;
- ``pay_fixed_subsidies``: 先缴后补 (002 §四(二)2–3) for fixed-subsidy persons who have paid the
  whole premium (by any channel, the family account included: the subsidy comes from the
  assistance fund, not from what was paid), from the month after enrolling, once;
- ``change_category``: 身份类别变化 (002 §四(二)4) — raised → the difference is paid out,
  lowered → nothing is taken back.

A fixed subsidy and a top-up are paid by the district whose standard applies
(``categories.subsidy_region``: for a person insured away from their 户籍, Gansu's profile names
the household district, 002 §四(二)3), from its assistance fund and by its staff.

Every movement is a balanced ledger transaction from the medical-assistance fund
(``external:assistance:<region>``) with an idempotency key derived from the benefit year,
category and ID number (roster) or person (fixed, top-up), and a ``SubsidyGrant`` row with the
same key: a re-import or a second run moves no money. Money paid out to a person's card
(``external:payout:<person_id>``) only ever comes from the assistance fund (docs/premiums.md
"Money to a card"; ``gongji check-ledger`` checks that no personal or family account pays it).

"Alive": the registry has no death field. A person is dead when an enrollment of theirs was
ended with a reason containing 死亡, or an approved 附件3 停保 gives the reason ``death``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    EnrollmentEvent,
    PersonSubsidy,
    ResidentPremium,
    ResidentStop,
    SubsidyGrant,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import RESIDENT_BASIC, EnrollmentStatus, region_in_scope
from gongji.domain.resident import subsidy_change, subsidy_start_month, subsidy_value_fen
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event, get_person, require_reason
from gongji.services.resident import categories, premiums

ROSTER_PAY, ROSTER_PAYOUT, FIXED, TOPUP = "roster_pay", "roster_payout", "fixed", "topup"
GRANT_KIND_ZH = {
    ROSTER_PAY: "全额资助代缴",
    ROSTER_PAYOUT: "全额资助金发放（已自主缴费）",
    FIXED: "定额资助金发放（先缴后补）",
    TOPUP: "身份变化补差",
}


def assistance_account(region_code: str) -> str:
    """The medical-assistance fund (医疗救助资金) of a pooling region: it bears every subsidy."""
    return L.assistance_fund(region_code)


def payout_account(person_id: int) -> str:
    """Money paid out to a person's 一卡通 or bank card (outside the ledger)."""
    return L.cash_payout(person_id)


# --- the person (categories: services.resident.categories) ------------------------------------------


def is_dead(uow: UnitOfWork, person_id: int) -> bool:
    """No death field in the registry: an enrollment ended for 死亡, or an approved death 停保."""
    event = uow.session.scalar(
        select(EnrollmentEvent.id)
        .join(Enrollment, Enrollment.id == EnrollmentEvent.enrollment_id)
        .where(
            Enrollment.person_id == person_id,
            EnrollmentEvent.to_status == EnrollmentStatus.TERMINATED.value,
            EnrollmentEvent.reason.contains("死亡"),
        )
        .limit(1)
    )
    if event is not None:
        return True
    stop = uow.session.scalar(
        select(ResidentStop.id)
        .where(ResidentStop.person_id == person_id, ResidentStop.reason == "death", ResidentStop.status == "approved")
        .limit(1)
    )
    return stop is not None


def resident_enrollment(uow: UnitOfWork, profile: Profile, person_id: int) -> Enrollment | None:
    """The person's normal 390 enrollment in the province, if any."""
    rows = uow.session.scalars(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == RESIDENT_BASIC,
            Enrollment.status == EnrollmentStatus.NORMAL.value,
        )
    ).all()
    inside = [e for e in rows if F.in_province(e.region_code, profile.profile.province_code)]
    return inside[0] if inside else None


def grants_of(uow: UnitOfWork, person_id: int, benefit_year: int) -> list[SubsidyGrant]:
    return list(
        uow.session.scalars(
            select(SubsidyGrant)
            .where(SubsidyGrant.person_id == person_id, SubsidyGrant.benefit_year == benefit_year)
            .order_by(SubsidyGrant.id)
        )
    )


def grant_view(g: SubsidyGrant) -> dict[str, Any]:
    return {
        "grant_id": g.id,
        "benefit_year": g.benefit_year,
        "category_code": g.category_code,
        "kind": g.kind,
        "kind_name": GRANT_KIND_ZH.get(g.kind, g.kind),
        "amount_fen": g.amount_fen,
        "ledger_txn_id": g.ledger_txn_id,
        "created_at": g.created_at.isoformat(),
    }


def grant(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    key: str,
    person_id: int,
    benefit_year: int,
    category: str,
    kind: str,
    amount_fen: int,
    source: str,
    target: str,
    region_code: str,
    narration: str,
    premium_id: int | None = None,
) -> SubsidyGrant:
    """Book one subsidy movement (ledger + grant row), keyed ``key``; a known key is returned as is."""
    existing = uow.session.scalar(select(SubsidyGrant).where(SubsidyGrant.idempotency_key == key))
    if existing is not None:
        return existing
    now = ctx.clock.now()
    txn_id = None
    if amount_fen > 0:
        ledger.ensure_account(uow, code=source, kind=L.AccountKind.EXTERNAL, now=now, region_code=region_code)
        ledger.ensure_account(uow, code=target, kind=L.AccountKind.EXTERNAL, now=now, region_code=region_code)
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=key,
                kind=f"subsidy.{kind}",
                narration=narration,
                postings=L.transfer(source, target, amount_fen),
            ),
            request={"op": f"subsidy.{kind}", "person_id": person_id, "year": benefit_year, "amount_fen": amount_fen},
            now=now,
            user_id=ctx.principal.user_id,
        )
        txn_id = int(result.body["txn_id"])
    row = SubsidyGrant(
        idempotency_key=key,
        person_id=person_id,
        benefit_year=benefit_year,
        category_code=category,
        kind=kind,
        amount_fen=amount_fen,
        premium_id=premium_id,
        ledger_txn_id=txn_id,
        created_by_user_id=ctx.principal.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


# --- 先缴后补 (fixed subsidies) ------------------------------------------------------------------


def pay_fixed_subsidies(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, benefit_year: int) -> dict[str, Any]:
    """Pay the fixed subsidy (002 §四(二)2) to every person of the staff member's regions whose
    category is a fixed one and who has paid the year's premium, once (key
    ``subsidy-fixed:<year>:<person>``), from the month after enrolling (当月参保，次月资助)."""
    ctx.principal.require(Role.STAFF)
    scopes = list(ctx.principal.regions)
    today = ctx.clock.today()
    paid_rows = uow.session.scalars(
        select(ResidentPremium)
        .where(
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
            ResidentPremium.status == premiums.PAID,
        )
        .order_by(ResidentPremium.id)
    ).all()
    results: list[dict[str, Any]] = []
    for premium in paid_rows:
        # paid by the district whose standard applies (002 §四(二)3: 户籍地 for Gansu), from its fund
        region = categories.subsidy_region(uow, profile, premium.person_id, insured_region=premium.region_code)
        if not region_in_scope(region, scopes):
            continue
        cat = categories.pick(
            profile,
            categories.person_subsidy_codes(uow, premium.person_id),
            benefit_year=benefit_year,
            region_code=region,
        )
        if cat is None or cat.kind != "fixed":
            continue
        person = get_person(uow, premium.person_id)
        item: dict[str, Any] = {
            "person_id": person.id,
            "name_masked": mask_name(person.name),
            "id_masked": mask_id_number(person.cert_no),
            "category": cat.code,
            "subsidy_region": region,
            "amount_fen": 0,
        }
        results.append(item)
        if grants_of(uow, person.id, benefit_year):
            item["outcome"] = "already_paid"
            continue
        enrollment = resident_enrollment(uow, profile, person.id)
        start = subsidy_start_month(enrollment.start_date) if enrollment else None
        if start is None or (today.year, today.month) < start:
            item["outcome"] = "not_yet"
            item["from_month"] = f"{start[0]}-{start[1]:02d}" if start else None
            continue
        amount = subsidy_value_fen(cat, premium.individual_fen)
        grant(
            uow,
            ctx,
            key=f"subsidy-fixed:{benefit_year}:{person.id}",
            person_id=person.id,
            benefit_year=benefit_year,
            category=cat.code,
            kind=FIXED,
            amount_fen=amount,
            source=assistance_account(region),
            target=payout_account(person.id),
            region_code=region,
            narration=f"{benefit_year}年度定额资助金发放（{cat.name}，先缴后补）",
            premium_id=premium.id,
        )
        item["outcome"] = "paid"
        item["amount_fen"] = amount
    paid = [r for r in results if r["outcome"] == "paid"]
    audit_event(uow, ctx, "subsidy.fixed_run", "subsidy_grant", None, benefit_year=benefit_year, paid=len(paid))
    return {
        "benefit_year": benefit_year,
        "paid": len(paid),
        "paid_fen": sum(r["amount_fen"] for r in paid),
        "persons": results,
    }


# --- category changes (身份类别变化) -----------------------------------------------------------------


def change_category(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    person_id: int,
    subsidy_codes: Iterable[str],
    benefit_year: int,
    reason: str,
) -> dict[str, Any]:
    """Record a person's new categories and settle the benefit year (002 §四(二)4): if a subsidy
    was already granted for it and the new one is higher, the difference is paid out (补差);
    lower or none → nothing is taken back. A person not granted anything yet for the year gets
    the new category through the roster or ``pay_fixed_subsidies``."""
    ctx.principal.require(Role.STAFF)
    person = get_person(uow, person_id)
    enrollment = resident_enrollment(uow, profile, person.id)
    region = (
        categories.subsidy_region(uow, profile, person.id, insured_region=enrollment.region_code)
        if enrollment
        else profile.profile.province_code
    )
    regions = sorted({enrollment.region_code, region}) if enrollment else []
    ctx.principal.require_person_access(person_id=person.id, regions=regions)
    reason = require_reason(reason)
    codes = tuple(sorted({c.strip() for c in subsidy_codes if c.strip()}))
    new = categories.pick(profile, codes, benefit_year=benefit_year, region_code=region)
    now = ctx.clock.now()
    row = uow.session.get(PersonSubsidy, person.id)
    if row is None:
        row = PersonSubsidy(person_id=person.id)
        uow.session.add(row)
    row.subsidy_codes = ",".join(codes)
    row.reason = reason
    row.updated_by_user_id = ctx.principal.user_id
    row.updated_at = now
    uow.session.flush()

    grants = grants_of(uow, person.id, benefit_year)
    top_up = 0
    premium = uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
        )
    )
    # Raised to a full subsidy over a premium a family account paid: no top-up to the card —
    # that would turn family money into cash. The roster returns the 代缴 to the family account
    # and pays the premium (services.resident.roster, 002 §四(二)1, 003 附件三(二)4).
    family_paid = premium is not None and premium.status == premiums.PAID and premium.channel == premiums.CHANNEL_FAMILY
    if grants and enrollment is not None and not (family_paid and new is not None and new.kind == "full"):
        individual = (
            premium.individual_fen
            if premium
            else premiums.standard_for(profile, benefit_year, RESIDENT_BASIC).individual_fen
        )
        by_code = {c.code: c for c in categories.categories_for(profile, benefit_year, region)}
        old = by_code.get(grants[-1].category_code)
        granted = sum(g.amount_fen for g in grants)
        top_up = min(
            subsidy_change(old, new, individual_fen=individual),
            max(0, subsidy_value_fen(new, individual) - granted),
        )
        if top_up > 0 and new is not None:
            top_up = grant(
                uow,
                ctx,
                key=f"subsidy-topup:{benefit_year}:{person.id}:{new.code}",
                person_id=person.id,
                benefit_year=benefit_year,
                category=new.code,
                kind=TOPUP,
                amount_fen=top_up,
                source=assistance_account(region),
                target=payout_account(person.id),
                region_code=region,
                narration=f"{benefit_year}年度参保资助补差（{new.name}）",
            ).amount_fen
    audit_event(uow, ctx, "subsidy.category_change", "person", person.id, codes=list(codes), top_up_fen=top_up)
    return {
        "person_id": person.id,
        "subsidy_codes": list(codes),
        "category": new.code if new else None,
        "top_up_fen": top_up,
        "grants": [grant_view(g) for g in grants_of(uow, person.id, benefit_year)],
    }
