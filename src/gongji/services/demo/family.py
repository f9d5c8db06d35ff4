"""The demo's family mutual-aid case (家庭共济): a binding with money paid through it.

``citizen1`` is left unbound so a visitor can walk the five-step flow (seed 000) from the
start. ``citizen4`` is an employee who has already bound a relative from their household,
moved money into the family account (allocation model) and had a pharmacy charge it — the
case a staff member can revoke for fraud and collect what is owed (seed 003 四(四)).
Everything goes through the real use cases, so the demo proves them too.
"""

from __future__ import annotations

from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Enrollment, HouseholdMember, Institution, LedgerAccount, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.domain.registry import EnrollmentStatus
from gongji.domain.relations import RELATION_KINDS
from gongji.policy.schema import Profile
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.family import agreement as family_agreement
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.registry.persons import Ctx, get_person
from gongji.services.settlement import lookups, settle, visits

ALLOCATION_FEN = 50_000  # 500.00 yuan into the family account
PHARMACY_FEN = 12_800  # 128.00 yuan of 丙类 goods for the relative, settled at a pharmacy (2207)
WHAT = "在职职工，已绑定一名家庭共济亲属并有共济支付（供经办演示违规终止、追回）"
RELATIVE_WHAT = "citizen4 的共济亲属：看谁为自己共济、付了多少、何时付的（issue 17）"
# Relations tried in this order: an adult relative keeps the case plausible on every profile.
PREFERRED = ("sibling", "spouse", "parent", "child", *RELATION_KINDS)


def _candidate(gj: Gongji, province_code: str, exclude: set[int], *, past_only: bool) -> tuple[int, int, str] | None:
    """(authorizer, relative, relation): a normal employee head with a positive balance (in past
    years when the profile draws only on those) and a household member insured normally in the
    province."""
    with gj.uow() as uow:
        s = uow.session
        heads = s.execute(
            select(HouseholdMember.household_id, HouseholdMember.person_id)
            .join(Enrollment, Enrollment.person_id == HouseholdMember.person_id)
            .join(LedgerAccount, LedgerAccount.person_id == HouseholdMember.person_id)
            .where(
                HouseholdMember.relation == "self",
                Enrollment.insutype == "310",
                Enrollment.status == "normal",
                Enrollment.region_code.startswith(province_code),
                LedgerAccount.balance_fen > 0,
                LedgerAccount.code.endswith(":past") if past_only else LedgerAccount.code.startswith("personal:"),
            )
            .order_by(HouseholdMember.household_id)
            .limit(200)
        ).all()
        fallback: tuple[int, int, str] | None = None
        for household_id, head in heads:
            if head in exclude:
                continue
            # residents first (no own account: the family account pays the sale), adults first
            members = s.execute(
                select(HouseholdMember.relation, HouseholdMember.person_id, Enrollment.insutype)
                .join(Enrollment, Enrollment.person_id == HouseholdMember.person_id)
                .where(
                    HouseholdMember.household_id == household_id,
                    HouseholdMember.relation.in_(PREFERRED),
                    Enrollment.status == "normal",
                    Enrollment.insutype.in_(("310", "390")),
                )
            ).all()
            ranked = sorted(
                (m for m in members if m.person_id not in exclude),
                key=lambda m: (m.insutype != "390", PREFERRED.index(m.relation), m.person_id),
            )
            if ranked and ranked[0].insutype == "390":
                return head, ranked[0].person_id, ranked[0].relation
            if ranked and fallback is None:
                fallback = (head, ranked[0].person_id, ranked[0].relation)
    return fallback


def create_family_case(
    gj: Gongji, *, province: str, exclude: set[int], password: str, password_hash: str
) -> list[tuple[str, str, str]]:
    """Create ``citizen4`` and their paid-through binding; returns the new login, if any."""
    profile = gj.profiles[province]
    found = _candidate(gj, profile.profile.province_code, exclude, past_only=profile.family.draw_from == "past_years")
    if found is None:
        return []
    head, relative_id, relation = found

    def make_user(uow: UnitOfWork) -> auth.Principal:
        name = get_person(uow, head).name
        taken = uow.session.scalar(select(AppUser).where(AppUser.username == "citizen4"))
        user = taken or auth.create_user(
            uow,
            username="citizen4",
            password=password,
            role=Role.CITIZEN,
            display_name=name,
            person_id=head,
            password_hash=password_hash,
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    citizen = gj.run(make_user)
    what = WHAT + _clerks_for(gj, head)
    relative_login = _relative_user(gj, relative_id, password=password, password_hash=password_hash)
    ctx = Ctx(principal=citizen, channel=Channel("system"), clock=gj.clock)

    def accept(uow: UnitOfWork) -> None:
        family_agreement.accept_agreement(
            uow, ctx, profile, person_id=head, version=family_agreement.texts(profile).version
        )
        uow.commit()

    gj.run(accept)
    with gj.uow() as uow:
        person, me = get_person(uow, relative_id), get_person(uow, head)
        request = family_binding.BindRequest(
            authorizer_id=head,
            relative_name=person.name,
            relative_cert_no=person.cert_no,
            relation=relation,
            commitment_version=family_agreement.texts(profile).version,
            commitment_signed=True,
            signature=me.name,
        )
    try:
        binding = family_binding.bind_relative(gj.run, ctx, profile, request)
    except GongjiError:
        return [("citizen", "citizen4", what), *relative_login]
    if profile.family.funding_model == "allocation":

        def allocate(uow: UnitOfWork) -> None:
            family_allocation.allocate(
                uow,
                ctx,
                profile,
                binding_id=binding["binding_id"],
                amount_fen=ALLOCATION_FEN,
                idempotency_key="demo-family-allocation",
            )
            uow.commit()

        try:
            gj.run(allocate)
        except GongjiError:
            pass
    _pharmacy_sale(gj, profile, relative_id)
    return [("citizen", "citizen4", what), *relative_login]


def _clerks_for(gj: Gongji, person_id: int) -> str:
    """Which demo clerks can act on the person (issue 17: the README's logins must fit)."""
    with gj.engine.connect() as conn:
        region = conn.scalar(
            select(Enrollment.region_code)
            .where(Enrollment.person_id == person_id, Enrollment.insutype == "310")
            .order_by(Enrollment.id)
            .limit(1)
        )
        if not region:
            return ""
        names = set(conn.scalars(select(AppUser.username).where(AppUser.username.like("staff_%"))))
    city = next((c for c in (f"{region[:4]}00", region) if f"staff_{c}" in names), None)
    clerks = " 或 ".join(u for u in (f"staff_{city}" if city else "", "staff_province") if u)
    return f"；参保地 {region_table().full_name(region)}，由 {clerks} 办理"


def _relative_user(gj: Gongji, relative_id: int, *, password: str, password_hash: str) -> list[tuple[str, str, str]]:
    """``citizen5``: the relative citizen4 pays for, to see the other side of the binding."""

    def make(uow: UnitOfWork) -> None:
        if uow.session.scalar(select(AppUser).where(AppUser.username == "citizen5")) is None:
            auth.create_user(
                uow,
                username="citizen5",
                password=password,
                role=Role.CITIZEN,
                display_name=get_person(uow, relative_id).name,
                person_id=relative_id,
                password_hash=password_hash,
            )
        uow.commit()

    gj.run(make)
    return [("citizen", "citizen5", RELATIVE_WHAT)]


def _pharmacy_sale(gj: Gongji, profile: Profile, relative_id: int) -> None:
    """A pharmacy in the province settles a purchase for the relative through the 两定 use cases
    (2201 + 2207, acct_used_flag 2): 128.00 yuan of 丙类 goods the fund does not pay, so the
    personal account pays first and the family fund the rest (seed 000)."""
    with gj.uow() as uow:
        row = uow.session.execute(
            select(AppUser, Institution)
            .join(Institution, Institution.fixmedins_code == AppUser.fixmedins_code)
            .where(AppUser.role == Role.INSTITUTION.value, Institution.kind == "pharmacy")
        ).first()
        if row is None:
            return
        user, pharmacy = row
        principal = auth.principal_of(uow, user)
        code = pharmacy.fixmedins_code
        insutype = uow.session.scalar(
            select(Enrollment.insutype).where(
                Enrollment.person_id == relative_id, Enrollment.status == EnrollmentStatus.NORMAL.value
            )
        )
        if insutype is None:
            return
        cert_no = uow.session.scalar(select(Person.cert_no).where(Person.id == relative_id))
    # the relative shows their identity card at the counter (mdtrt_cert_type 02, issue 13 §1)
    card = {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert_no}
    ctx = Ctx(principal=principal, channel=Channel("system"), clock=gj.clock)
    now = gj.clock.now().astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    msgid = f"{code}{now:%Y%m%d%H%M%S}"

    def sale(uow: UnitOfWork) -> None:
        pharmacy = lookups.institution_of(uow, code)
        visit = visits.register_visit(
            uow,
            ctx,
            pharmacy,
            f"{msgid}0001",
            {"psn_no": str(relative_id), **card, "insutype": insutype, "begntime": now, "ipt_otp_no": "DEMO-0001"},
        )
        settle.settle(
            uow,
            ctx,
            profile,
            pharmacy,
            f"{msgid}0002",
            {
                "psn_no": str(relative_id),
                **card,
                "mdtrt_id": visit["data"]["mdtrt_id"],
                "insutype": insutype,
                "med_type": "41",
                "medfee_sumamt": PHARMACY_FEN,
                "fulamt_ownpay_amt": PHARMACY_FEN,
                "overlmt_selfpay": 0,
                "preselfpay_amt": 0,
                "inscp_scp_amt": 0,
                "acct_used_flag": "2",
                "chrg_bchno": "0",
            },
        )
        uow.commit()

    try:
        gj.run(sale)
    except GongjiError:
        pass
