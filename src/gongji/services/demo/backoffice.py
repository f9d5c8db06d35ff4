"""The demo's back office (issue 15 §2; seed 003 附件二(四)), so that /staff/reimbursements and
/staff/payments show something on ``make run``. Everything goes through the real use cases, on a
clock set to the 15th of the previous month (the month the clearing and the 垫付资金清算表 open on):

- 零星报销 paid in the claimant's own region (own account, the original channel);
- 零星报销 of a relative insured in another city of the province, drawn on the authorizer's
  past-years account (flag 2): the relative's region advances, the claim is listed in the
  个人账户家庭共济垫付资金清算表 and read by the month's clearing;
- 零星报销 computed and awaiting a second clerk's approval (已核算待审核);
- the previous month's 拨付 statement prepared for the region where the demo settled.

A refusal (a profile without the rule, too few people) skips the case; it never stops the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Enrollment, FamilyBinding, LedgerAccount, Person, Settlement
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.bootstrap import Gongji
from gongji.domain import reimbursement as R
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.domain.relations import RELATION_KINDS
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Principal
from gongji.services.backoffice import institution_payments as IP
from gongji.services.backoffice import reimbursement as U
from gongji.services.family import agreement as family_agreement
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.registry.persons import Ctx

DRUG = "XA10BAA001A001010100001"  # 二甲双胍片, 甲类
PREFERRED = ("child", "sibling", "spouse", "parent", *RELATION_KINDS)


def _last_month(today: date) -> tuple[str, datetime]:
    end = today.replace(day=1) - timedelta(days=1)
    return f"{end:%Y-%m}", datetime.combine(end.replace(day=15), time(10), SHANGHAI)


def _employees(gj: Gongji, province_code: str, exclude: set[int]) -> list[tuple[int, str, int]]:
    """(person, pooling region, past-years balance) of normal employees of the province."""
    with gj.uow() as uow:
        rows = uow.session.execute(
            select(Enrollment.person_id, Enrollment.region_code, LedgerAccount.balance_fen)
            .join(LedgerAccount, LedgerAccount.person_id == Enrollment.person_id)
            .where(
                Enrollment.insutype == "310", Enrollment.status == "normal",
                Enrollment.region_code.startswith(province_code), LedgerAccount.code.endswith(":past"),
            )
            .order_by(Enrollment.person_id)
            .limit(400)
        ).all()  # fmt: skip
    return [(int(p), str(r), int(b)) for p, r, b in rows if p not in exclude]


def _residents(gj: Gongji, province_code: str, exclude: set[int]) -> list[tuple[int, str]]:
    bound = select(FamilyBinding.relative_id)
    with gj.uow() as uow:
        rows = uow.session.execute(
            select(Enrollment.person_id, Enrollment.region_code)
            .where(
                Enrollment.insutype == "390", Enrollment.status == "normal",
                Enrollment.region_code.startswith(province_code), Enrollment.person_id.not_in(bound),
            )
            .order_by(Enrollment.person_id)
            .limit(200)
        ).all()  # fmt: skip
    return [(int(p), str(r)) for p, r in rows if p not in exclude]


def _principal(gj: Gongji, username: str) -> Principal | None:
    with gj.uow() as uow:
        user = uow.session.scalar(select(AppUser).where(AppUser.username == username))
        return auth.principal_of(uow, user) if user is not None else None


def create_backoffice_cases(gj: Gongji, *, province: str, province_code: str, exclude: set[int]) -> int:
    """Make the demo's claims and statement; returns how many steps succeeded."""
    profile = gj.profiles[province]
    clerk, checker = _principal(gj, "staff_province"), _principal(gj, "staff_province2")
    if clerk is None or checker is None:
        return 0
    month, at = _last_month(gj.clock.today())
    made = 0

    def run(who: Principal, step: Callable[[UnitOfWork, Ctx], Any], when: datetime | None = at) -> Any:
        nonlocal made
        ctx = Ctx(principal=who, channel=Channel("system"), clock=FixedClock(when) if when else gj.clock)

        def go(uow: UnitOfWork) -> Any:
            out = step(uow, ctx)
            uow.commit()
            return getattr(out, "id", out)

        try:
            result = gj.run(go)
        except GongjiError:
            return None
        made += 1
        return result

    def claim(person: int, region: str, flag: str, n: int, amount_fen: int, insutype: str = "310") -> int | None:
        day = at.date() - timedelta(days=3)
        c = U.ClaimIn(
            person_id=person, insutype=insutype, med_type="11", institution_kind="hospital", institution_level=1,
            treatment_region=region, begin_date=day, reason="emergency", acct_used_flag=flag,
            invoices=(R.Invoice(f"DEMO-{month}-{n:03d}", "演示急诊医院", None, day, amount_fen),),
            fees=(U.FeeIn(DRUG, str(amount_fen // 50_00), "50.00", amount_fen),),
        )  # fmt: skip
        cid = run(clerk, lambda uow, ctx: U.register(uow, ctx, profile, c, idempotency_key=f"demo-reimb-{n}"))
        if cid is not None:
            run(clerk, lambda uow, ctx: U.compute(uow, ctx, profile, cid))
        return cid

    def pay(cid: int | None) -> None:
        if cid is not None:
            key = f"demo-reimb-pay-{cid}"
            run(checker, lambda uow, ctx: U.approve(uow, ctx, profile, cid, idempotency_key=key))

    people = _employees(gj, province_code, exclude)
    rich = [p for p in people if p[2] >= 100_000]
    if rich:
        authorizer, a_region, _ = rich[0]
        used = {authorizer}
        # a resident (no personal account of their own: the family funds pay) of another city
        others = [p for p in _residents(gj, province_code, exclude) if p[1] != a_region][:5]
        relative = next((p for p in others if _bind(gj, profile, clerk, authorizer, p[0], at)), None)
        if relative is not None:
            used.add(relative[0])
            pay(claim(relative[0], relative[1], "2", 2, 300_00, insutype="390"))  # across cities: advanced, cleared
        own = next((p for p in rich[1:] if p[0] not in used), None)
        if own is not None:
            used.add(own[0])
            pay(claim(own[0], own[1], "1", 1, 500_00))  # same region: own account, original channel
        waiting = next((p for p in people if p[0] not in used), None)
        if waiting is not None:
            claim(waiting[0], waiting[1], "1", 3, 400_00)  # computed, awaiting the second clerk
    region = _settled_region(gj)
    if region is not None:
        run(clerk, lambda uow, ctx: IP.prepare(uow, ctx, region, month), when=None)
    return made


def _settled_region(gj: Gongji) -> str | None:
    with gj.uow() as uow:
        return uow.session.scalar(select(Settlement.treatment_region).order_by(Settlement.id).limit(1))


def _bind(gj: Gongji, profile: Any, clerk: Principal, authorizer: int, relative: int, at: datetime) -> bool:
    """The authorizer binds the relative (at the window, a few days before the claim)."""
    ctx = Ctx(principal=clerk, channel=Channel("system"), clock=FixedClock(at - timedelta(days=5)))
    version = family_agreement.texts(profile).version

    def accept(uow: UnitOfWork) -> None:
        if not family_agreement.has_accepted_agreement(uow, profile, authorizer):
            family_agreement.accept_agreement(uow, ctx, profile, person_id=authorizer, version=version)
        uow.commit()

    with gj.uow() as uow:
        person, me = uow.session.get(Person, relative), uow.session.get(Person, authorizer)
        assert person is not None and me is not None
        name, cert, signature = person.name, person.cert_no, me.name
    try:
        gj.run(accept)
    except GongjiError:
        return False
    for relation in PREFERRED:
        req = family_binding.BindRequest(
            authorizer_id=authorizer, relative_name=name, relative_cert_no=cert, relation=relation,
            commitment_version=version, commitment_signed=True, signature=signature,
        )  # fmt: skip
        try:
            binding = family_binding.bind_relative(gj.run, ctx, profile, req)
        except GongjiError:
            continue
        if profile.family.funding_model == "allocation":

            def allocate(uow: UnitOfWork, binding_id: int = binding["binding_id"]) -> None:
                family_allocation.allocate(
                    uow, ctx, profile, binding_id=binding_id, amount_fen=500_00,
                    idempotency_key=f"demo-reimb-allocation-{binding_id}",
                )  # fmt: skip
                uow.commit()

            try:
                gj.run(allocate)
            except GongjiError:
                return False
        return True
    return False
