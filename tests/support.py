"""Builders for tests: people are made the way staff make them, through the use cases."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from gongji.bootstrap import Gongji
from gongji.domain.ids import make_id_number
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Principal, Role
from gongji.services.registry import accounts
from gongji.services.registry import income as income_service
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx
from gongji.services.resident import roster

_seq = itertools.count(1)
PASSWORD = "Passw0rd!gongji"


def staff(gj: Gongji, regions: list[str], username: str | None = None) -> Principal:
    name = username or f"staff{next(_seq)}"

    def create(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username=name, password=PASSWORD, role=Role.STAFF, display_name="经办员", regions=regions
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(create)


def ctx(gj: Gongji, principal: Principal) -> Ctx:
    return Ctx(principal=principal, channel=Channel("test"), clock=gj.clock)


def new_id(region: str = "620702", birth: date = date(1985, 6, 15), male: bool = True) -> str:
    seq = next(_seq) % 500 * 2 + (1 if male else 0)
    return make_id_number(region, birth, seq)


def employer(gj: Gongji, by: Principal, region: str) -> str:
    code = f"91{region}{next(_seq):09d}X"[:18]
    code = code[:17] + "X"

    def go(uow: Any) -> str:
        registry.register_employer(uow, ctx(gj, by), code=code, name="某某科技有限公司", region_code=region)
        uow.commit()
        return code

    return gj.run(go)


def employee(
    gj: Gongji,
    by: Principal,
    *,
    region: str = "620702",
    name: str = "张三",
    birth: date = date(1985, 6, 15),
    income_fen: int = 0,
    retired: bool = False,
) -> int:
    """Register, enroll as an employee (310) and credit ``income_fen`` to the current year."""
    cert = new_id(region[:4] + "02" if region.endswith("00") else region, birth)
    emp = None if retired else employer(gj, by, region)

    def go(uow: Any) -> int:
        c = ctx(gj, by)
        person = registry.register_person(uow, c, cert_no=cert, name=name)
        registry.enroll(
            uow,
            c,
            person_id=person.id,
            insutype="310",
            region_code=region,
            psn_type="12" if retired else "11",
            start_date=date(2020, 1, 1),
            employer_code=emp,
        )
        uow.commit()
        return person.id

    person_id = gj.run(go)
    if income_fen:
        credit_income(gj, by, person_id, income_fen, kind="retiree_credit" if retired else "employee_contribution")
    return person_id


_checkers: dict[tuple[str, tuple[str, ...]], Principal] = {}


def checker(gj: Gongji, maker: Principal) -> Principal:
    """A second clerk of ``maker``'s regions, to approve what ``maker`` entered (maker–checker)."""
    key = (gj.settings.database_url, maker.regions)
    if key not in _checkers:
        _checkers[key] = staff(gj, list(maker.regions))
    return _checkers[key]


def credit_income(
    gj: Gongji,
    by: Principal,
    person_id: int,
    amount_fen: int,
    *,
    kind: str = "employee_contribution",
    last_month: str = "2026-10",
) -> None:
    """Credit ``amount_fen`` as staff do: month by month back from ``last_month``, each month at
    most the profile's maximum; a month above the approval threshold is approved by a second clerk."""
    rules = gj.profile.accounts.manual_income
    year, month = (int(part) for part in last_month.split("-"))
    left = amount_fen
    while left > 0:
        part, label = min(left, rules.max_fen[kind]), f"{year:04d}-{month:02d}"
        second = checker(gj, by) if part > rules.approval_above_fen else None

        def go(uow: Any, part: int = part, label: str = label, second: Principal | None = second) -> None:
            key = f"seed-income-{person_id}-{kind}-{label}"
            result = income_service.post_account_income(
                uow,
                ctx(gj, by),
                gj.profile,
                person_id=person_id,
                month=label,
                kind=kind,
                amount_fen=part,
                idempotency_key=key,
            )
            if second is not None:
                income_service.approve_income(uow, ctx(gj, second), income_id=result.body["income_id"])
            uow.commit()

        gj.run(go)
        left -= part
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


def resident(
    gj: Gongji,
    by: Principal,
    *,
    region: str = "620702",
    name: str = "李四",
    birth: date = date(2015, 3, 3),
    start: date = date(2026, 1, 1),
) -> int:
    cert = new_id(region, birth)

    def go(uow: Any) -> int:
        c = ctx(gj, by)
        person = registry.register_person(uow, c, cert_no=cert, name=name)
        registry.enroll(
            uow,
            c,
            person_id=person.id,
            insutype="390",
            region_code=region,
            psn_type="1403",
            start_date=start,
        )
        uow.commit()
        return person.id

    return gj.run(go)


def _end_resident(gj: Gongji, by: Principal, person_id: int, reason: str, then: Any = None) -> None:
    from sqlalchemy import select

    from gongji.adapters.db.models import Enrollment
    from gongji.domain.registry import EnrollmentAction

    def go(uow: Any) -> None:
        c = ctx(gj, by)
        e = uow.session.scalars(
            select(Enrollment).where(Enrollment.person_id == person_id, Enrollment.insutype == "390")
        ).one()
        registry.change_enrollment(
            uow, c, enrollment_id=e.id, action=EnrollmentAction.END, effective_date=gj.clock.today(), reason=reason
        )
        if then is not None:
            then(uow, c)
        uow.commit()

    gj.run(go)


def died(gj: Gongji, by: Principal, person_id: int) -> None:
    """A death on record (what a 死亡 refund needs): the resident enrollment ended for 死亡."""
    _end_resident(gj, by, person_id, "死亡")


def joined_employee_insurance(gj: Gongji, by: Principal, person_id: int, region: str = "620702") -> None:
    """What a 参加职工医保 refund needs: the resident enrollment ended, an employee (310) one in force."""
    code = employer(gj, by, region)
    _end_resident(
        gj,
        by,
        person_id,
        "参加职工医保",
        lambda uow, c: registry.enroll(
            uow,
            c,
            person_id=person_id,
            insutype="310",
            region_code=region,
            psn_type="11",
            start_date=gj.clock.today(),
            employer_code=code,
        ),
    )


def citizen(gj: Gongji, person_id: int, username: str | None = None) -> Principal:
    name = username or f"citizen{next(_seq)}"

    def go(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username=name, password=PASSWORD, role=Role.CITIZEN, display_name="参保人", person_id=person_id
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


# --- family mutual aid (家庭共济) -----------------------------------------------------------------


def person_name(gj: Gongji, person_id: int) -> str:
    from gongji.adapters.db.models import Person

    def go(uow: Any) -> str:
        return str(uow.session.get(Person, person_id).name)

    return gj.run(go)


def person_cert(gj: Gongji, person_id: int) -> str:
    from gongji.adapters.db.models import Person

    def go(uow: Any) -> str:
        return str(uow.session.get(Person, person_id).cert_no)

    return gj.run(go)


def accept_agreement(gj: Gongji, who: Principal, person_id: int | None = None, *, profile: Any = None) -> None:
    from gongji.services.family import agreement as family_agreement

    profile = profile or gj.profile

    def go(uow: Any) -> None:
        family_agreement.accept_agreement(
            uow,
            ctx(gj, who),
            profile,
            person_id=person_id or who.person_id,
            version=family_agreement.texts(profile).version,
        )
        uow.commit()

    gj.run(go)


def bind_request(
    gj: Gongji, authorizer_id: int, relative_id: int, relation: str, *, profile: Any = None, **overrides: Any
) -> Any:
    from gongji.services.family import agreement as family_agreement
    from gongji.services.family import binding as family_binding

    fields: dict[str, Any] = {
        "authorizer_id": authorizer_id,
        "relative_name": person_name(gj, relative_id),
        "relative_cert_no": person_cert(gj, relative_id),
        "relation": relation,
        "commitment_version": family_agreement.texts(profile or gj.profile).version,
        "commitment_signed": True,
        "signature": person_name(gj, authorizer_id),
    }
    fields.update(overrides)
    return family_binding.BindRequest(**fields)


def bind(gj: Gongji, who: Principal, relative_id: int, relation: str, *, profile: Any = None, **overrides: Any) -> dict:
    """Accept the agreement if needed and bind ``relative_id`` for the citizen ``who``."""
    from gongji.services.family import agreement as family_agreement
    from gongji.services.family import binding as family_binding

    def accepted(uow: Any) -> bool:
        return family_agreement.has_accepted_agreement(uow, profile or gj.profile, who.person_id)

    if not gj.run(accepted):
        accept_agreement(gj, who, profile=profile)
    req = bind_request(gj, who.person_id, relative_id, relation, profile=profile, **overrides)
    return family_binding.bind_relative(gj.run, ctx(gj, who), profile or gj.profile, req)


def allocate(gj: Gongji, who: Principal, binding_id: int, amount_fen: int, *, key: str | None = None) -> dict:
    """共济账户划拨 (allocation model, Gansu): move ``amount_fen`` into the relative's family account."""
    import uuid

    from gongji.services.family import allocation as family_allocation

    def go(uow: Any) -> dict:
        r = family_allocation.allocate(
            uow,
            ctx(gj, who),
            gj.profile,
            binding_id=binding_id,
            amount_fen=amount_fen,
            idempotency_key=key or f"alloc-{uuid.uuid4()}",
        )
        uow.commit()
        return r.body

    return gj.run(go)


# --- "a refusal writes nothing" ---------------------------------------------------------------------


def row_counts(gj: Gongji, models: tuple[type[Any], ...]) -> dict[str, int]:
    """Rows per table of ``models``: compared before and after a refused call."""
    from sqlalchemy import func, select

    def go(uow: Any) -> dict[str, int]:
        return {m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)) or 0) for m in models}

    return gj.run(go)


def committed(gj: Gongji, call: Any) -> Any:
    """Run ``call(uow)`` in one unit of work and commit."""

    def go(uow: Any) -> Any:
        result = call(uow)
        uow.commit()
        return result

    return gj.run(go)


def refused_unchanged(gj: Gongji, call: Any, models: tuple[type[Any], ...]) -> Any:
    """``call(uow)`` raises a GongjiError and leaves the tables of ``models`` as they were."""
    import pytest

    from gongji.domain.errors import GongjiError

    before = row_counts(gj, models)
    with pytest.raises(GongjiError) as info:
        committed(gj, call)
    assert row_counts(gj, models) == before, info.value.code
    return info.value


def employee_citizen(
    gj: Gongji, by: Principal, *, region: str = "620702", income: int = 0, past: int = 0, birth: date = date(1980, 5, 1)
) -> Principal:
    """An employee who can log in, with ``past`` fen in past years (put there by a real year-end
    rollover of 2025) and ``income`` fen in the current year."""
    pid = employee(gj, by, region=region, birth=birth, income_fen=0 if past else income)
    if past:
        credit_income(gj, by, pid, past, last_month="2025-12")

        def roll(uow: Any) -> None:
            accounts.year_end_rollover(uow, ctx(gj, by), year=2025, person_ids=[pid])
            uow.commit()

        gj.run(roll)
        if income:
            credit_income(gj, by, pid, income, last_month="2026-11")
    return citizen(gj, pid)


def full_subsidy_roster(gj: Gongji, uploader: Principal, approver: Principal | None = None, **kw: Any) -> dict:
    """Upload a full-subsidy roster (seed 002 §四(二)1) and have a second clerk approve it (the
    uploader may not: separation of duties). ``kw`` as ``roster.upload_roster``; returns the approval."""
    checker = approver or staff(gj, list(uploader.regions))

    def upload(uow: Any) -> dict:
        result = roster.upload_roster(uow, ctx(gj, uploader), gj.profile, **kw)
        uow.commit()
        return result

    pending = gj.run(upload)
    assert pending["status"] == "pending", pending["status"]

    def approve(uow: Any) -> dict:
        result = roster.approve_roster(
            uow, ctx(gj, checker), gj.profile, roster_id=pending["roster_id"], note="复核无误"
        )
        uow.commit()
        return result

    return gj.run(approve)
