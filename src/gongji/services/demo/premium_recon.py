"""The demo's family-account premiums (代缴, seed 003 附件三), so that the back office has something
to clear and to reconcile with tax on ``make run``: a few employees bind a resident household
member (at the window) and the tax bureau forwards the member's premium, paid at moments of the
previous month and of the previous week (a payment outside the collection window is refused and
left out). Everything goes through the real use cases.

Then: ``gongji premium-clearing generate --month <previous month>``, ``gongji tax-recon publish
--week <previous week>``, ``gongji tax-sim compare --week …``, and /staff/tax-recon.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from gongji.adapters.db.models import Enrollment, HouseholdMember, LedgerAccount, Person
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.policy.schema import Profile
from gongji.services.audit import Channel
from gongji.services.auth import Principal, Role
from gongji.services.family import agreement as family_agreement
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.registry.persons import Ctx
from gongji.services.resident import premiums

PAIRS = 6


def _moments(today: date) -> list[datetime]:
    """Two moments of the previous month and three of the previous ISO week, all in the past."""
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    monday = today - timedelta(days=today.weekday() + 7)
    days = [
        last_month_end.replace(day=10),
        last_month_end.replace(day=20),
        monday + timedelta(1),
        monday + timedelta(3),
    ]
    days.append(monday + timedelta(5))
    hours = (9, 15, 10, 11, 16)
    return [datetime.combine(d, time(hours[i % 5]), SHANGHAI) for i, d in enumerate(days)] + [
        datetime.combine(monday + timedelta(2), time(14), SHANGHAI)
    ]


def _pairs(gj: Gongji, province_code: str, exclude: set[int]) -> list[tuple[int, int, str]]:
    """(employee head, resident household member, relation) with a positive personal balance."""
    head, member = aliased(HouseholdMember), aliased(HouseholdMember)
    e_head, e_member = aliased(Enrollment), aliased(Enrollment)
    with gj.uow() as uow:
        rows = uow.session.execute(
            select(head.person_id, member.person_id, member.relation)
            .join(member, member.household_id == head.household_id)
            .join(e_head, e_head.person_id == head.person_id)
            .join(e_member, e_member.person_id == member.person_id)
            .join(LedgerAccount, LedgerAccount.person_id == head.person_id)
            .where(
                head.relation == "self",
                member.relation.in_(("child", "spouse", "parent", "sibling")),
                e_head.insutype == "310", e_head.status == "normal",
                e_member.insutype == "390", e_member.status == "normal",
                e_member.region_code.startswith(province_code),
                LedgerAccount.code.endswith(":past"), LedgerAccount.balance_fen >= 100_000,
            )
            .order_by(head.household_id)
            .limit(200)
        ).all()  # fmt: skip
    seen: set[int] = set(exclude)
    out = []
    for a, r, relation in rows:
        if a in seen or r in seen:
            continue
        seen.update((a, r))
        out.append((a, r, relation))
        if len(out) == PAIRS:
            break
    return out


def _standard_at(profile: Profile, at: datetime) -> int | None:
    for s in profile.premiums_collecting(at.date()):
        if s.insutype == "390":
            return s.benefit_year
    return None


def create_premium_payments(gj: Gongji, *, province: str, exclude: set[int]) -> int:
    """Bind and pay up to six premiums through the tax interface; returns how many were paid."""
    profile = gj.profiles[province]
    if not profile.family.premium_payment_requires_binding:
        return 0  # commitment_at_payment (Henan): the tax flow carries a signed commitment instead
    code = profile.profile.province_code
    window = Principal(user_id=0, username="system", role=Role.STAFF, display_name="系统", regions=(code + "0000",))
    tax = Principal(user_id=0, username="system-tax", role=Role.TAX, display_name="税务（演示）")
    staff_ctx = Ctx(principal=window, channel=Channel("system"), clock=gj.clock)
    paid = 0
    for (authorizer, relative, relation), at in zip(
        _pairs(gj, code, exclude), _moments(gj.clock.today()), strict=False
    ):
        year = _standard_at(profile, at)
        if year is None or at >= gj.clock.now():
            continue
        try:
            _bind_and_fund(gj, profile, staff_ctx, authorizer, relative, relation, year)
            paid += _pay(gj, profile, Ctx(principal=tax, channel=Channel("system"), clock=FixedClock(at)),
                         authorizer, relative, year)  # fmt: skip
        except GongjiError:
            continue
    return paid


def _bind_and_fund(
    gj: Gongji, profile: Profile, ctx: Ctx, authorizer: int, relative: int, relation: str, year: int
) -> None:
    version = family_agreement.texts(profile).version

    def accept(uow):  # type: ignore[no-untyped-def]
        if not family_agreement.has_accepted_agreement(uow, profile, authorizer):
            family_agreement.accept_agreement(uow, ctx, profile, person_id=authorizer, version=version)
        uow.commit()

    gj.run(accept)
    with gj.uow() as uow:
        person, me = uow.session.get(Person, relative), uow.session.get(Person, authorizer)
        assert person is not None and me is not None
        req = family_binding.BindRequest(
            authorizer_id=authorizer, relative_name=person.name, relative_cert_no=person.cert_no,
            relation=relation, commitment_version=version, commitment_signed=True, signature=me.name,
        )  # fmt: skip
    binding = family_binding.bind_relative(gj.run, ctx, profile, req)
    if profile.family.funding_model == "allocation":

        def allocate(uow):  # type: ignore[no-untyped-def]
            family_allocation.allocate(
                uow, ctx, profile, binding_id=binding["binding_id"],
                amount_fen=profile.premium_for(year, "390").individual_fen,
                idempotency_key=f"demo-premium-allocation-{binding['binding_id']}",
            )  # fmt: skip
            uow.commit()

        gj.run(allocate)


def _pay(gj: Gongji, profile: Profile, ctx: Ctx, authorizer: int, relative: int, year: int) -> int:
    with gj.uow() as uow:
        payer, rel = uow.session.get(Person, authorizer), uow.session.get(Person, relative)
        assert payer is not None and rel is not None
        req = premiums.TaxPremiumRequest(
            request_id=f"DEMO-{uuid.uuid4().hex[:20]}", payer_cert_no=payer.cert_no, relative_cert_no=rel.cert_no,
            benefit_year=year, amount_fen=profile.premium_for(year, "390").individual_fen, insutype="390",
        )  # fmt: skip

    def go(uow):  # type: ignore[no-untyped-def]
        answer = premiums.tax_family_payment(uow, ctx, profile, req)
        uow.commit()
        return answer

    return 1 if gj.run(go)["status"] == premiums.PAID else 0
