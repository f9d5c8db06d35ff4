"""The demo province generator: reproducible, valid, plausible families, a balanced ledger."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import (
    AppUser,
    AuditLog,
    Enrollment,
    Household,
    HouseholdMember,
    Institution,
    LedgerAccount,
    Person,
    PersonalAccount,
    UserRegion,
)
from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.errors import Conflict
from gongji.domain.ids import parse_id_number
from gongji.services import ledger
from gongji.services.demo import province as demo
from gongji.services.registry import accounts
from gongji.services.registry import persons as registry
from tests import support
from tests.conftest import TEST_VAR, _settings

PERSONS = 300


def _load(gj: Gongji, *, province: str = "gansu", seed: int = 11) -> demo.DemoSummary:
    return demo.generate(gj, province=province, persons=PERSONS, seed=seed, batch_size=70)


def _people(gj: Gongji) -> list[tuple[str, str, str, date]]:
    with gj.engine.connect() as c:
        rows = c.execute(select(Person.cert_no, Person.name, Person.sex, Person.birth_date).order_by(Person.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
def loaded(gj: Gongji) -> tuple[Gongji, demo.DemoSummary]:
    return gj, _load(gj)


def test_the_same_seed_gives_the_same_population_and_another_seed_a_different_one(loaded, sqlite_template: Path, clock):
    gj, summary = loaded
    apps = []
    for i, seed in enumerate((11, 12)):
        path = TEST_VAR / f"demo-copy-{id(gj)}-{i}.sqlite3"
        shutil.copy(sqlite_template, path)
        other = bootstrap(_settings(f"sqlite:///{path}"), clock=clock)
        apps.append(other)
        # A different batch size must not change the data either.
        demo.generate(other, province="gansu", persons=PERSONS, seed=seed, batch_size=5000)
    try:
        assert _people(apps[0]) == _people(gj)
        assert _people(apps[1]) != _people(gj)
    finally:
        for other in apps:
            other.engine.dispose()
    assert summary.persons == PERSONS and summary.households > 0


def test_every_identity_number_is_valid_unique_and_matches_sex_and_birth_date(loaded):
    gj, _ = loaded
    people = _people(gj)
    assert len(people) == PERSONS
    assert len({cert for cert, *_ in people}) == PERSONS
    table = region_table()
    for cert, name, sex, birth in people:
        parsed = parse_id_number(cert, today=date(2026, 1, 1), region_known=table.is_current)
        assert parsed.address_code.startswith("62")
        assert (parsed.sex, parsed.birth_date) == (sex, birth)
        assert 2 <= len(name) <= 3


def test_households_hold_all_eight_relations_with_plausible_ages(loaded):
    gj, _ = loaded
    with gj.engine.connect() as c:
        rows = c.execute(
            select(HouseholdMember.household_id, HouseholdMember.relation, Person.birth_date, Person.sex).join(
                Person, Person.id == HouseholdMember.person_id
            )
        ).all()
    counts: dict[str, int] = {}
    head: dict[int, tuple[date, str]] = {}
    for household_id, relation, birth, sex in rows:
        counts[relation] = counts.get(relation, 0) + 1
        if relation == demo.HEAD:
            head[household_id] = (birth, sex)
    for relation in demo.RELATIONS:
        assert counts.get(relation, 0) >= 3, (relation, counts)
    assert counts[demo.HEAD] == len(head)

    def years(a: date, b: date) -> float:
        return (b - a).days / 365.2425

    for household_id, relation, birth, sex in rows:
        head_birth, head_sex = head[household_id]
        gap = years(birth, head_birth)  # > 0: older than the head
        if relation == "parent":
            assert gap >= 18
        elif relation in ("paternal_grandparent", "maternal_grandparent"):
            assert gap >= 36
        elif relation == "child":
            assert gap <= -18
        elif relation in ("grandchild", "maternal_grandchild"):
            assert gap <= -36
        elif relation == "spouse":
            assert sex != head_sex and years(birth, date(2026, 1, 1)) >= 20
        elif relation == "sibling":
            assert abs(gap) >= 1
    with gj.engine.connect() as c:
        households = c.scalar(select(func.count()).select_from(Household))
        full = c.execute(
            select(HouseholdMember.household_id)
            .group_by(HouseholdMember.household_id)
            .having(func.count(func.distinct(HouseholdMember.relation)) == len(demo.RELATIONS) + 1)
        ).all()
    assert households == len(head) and full


def test_enrollments_follow_age_and_employees_have_accounts_funded_by_a_balanced_ledger(loaded):
    gj, summary = loaded
    with gj.uow() as uow:
        check = ledger.check_ledger(uow)
        s = uow.session
        kinds = dict(s.execute(select(Enrollment.psn_type, func.count()).group_by(Enrollment.psn_type)).all())
        employees = s.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.insutype == "310"))
        accounts = s.scalar(select(func.count()).select_from(PersonalAccount))
        statuses = set(s.scalars(select(Enrollment.status).distinct()))
        personal = s.scalar(select(func.count()).select_from(LedgerAccount).where(LedgerAccount.kind == "personal"))
        mismatched = s.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.psn_type == "11", Enrollment.employer_id.is_(None))
        )
        regions = set(s.scalars(select(Enrollment.region_code).distinct()))
        institutions = s.execute(select(Institution.fixmedins_code, Institution.kind, Institution.level)).all()
        logged = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "demo.generate"))
    assert check.ok and check.transactions > 0 and check.total_fen == 0
    assert {"11", "12", "15", "1403"} <= set(kinds)
    assert employees == accounts and personal == 2 * accounts
    assert "normal" in statuses and len(statuses) >= 3  # ~3% suspended / interrupted / terminated
    assert mismatched == 0
    assert len(regions) >= 4 and regions <= set(summary.regions)
    assert {lvl for _, kind, lvl in institutions if kind == "hospital"} == {1, 2, 3}
    assert any(kind == "pharmacy" for _, kind, _ in institutions)
    assert all(len(code) == 12 and code[0] in "HP" and code[1:3] == "62" for code, _, _ in institutions)
    assert logged == 1


def test_demo_users_are_linked_and_scoped(loaded):
    gj, summary = loaded
    logins = demo.demo_logins(summary)
    names = {username for _, username, _, _ in logins}
    assert {"citizen1", "citizen2", "citizen3", "staff_province", "staff_620100", "auditor1", "tax1"} <= names
    assert all(password == demo.DEMO_PASSWORD for _, _, password, _ in logins)
    assert any(u.startswith("his_H6201") for u in names)
    assert {u for _, u, _, _ in demo.demo_logins_from_db(gj)} == names
    with gj.uow() as uow:
        s = uow.session
        users = {u.username: u for u in s.scalars(select(AppUser))}
        scopes = {
            name: set(s.scalars(select(UserRegion.region_code).where(UserRegion.user_id == users[name].id)))
            for name in ("staff_province", "staff_province2", "staff_620100")
        }
        citizen1 = users["citizen1"].person_id
        balances = accounts.account_balances(uow, citizen1)
        relatives = s.scalar(
            select(func.count())
            .select_from(HouseholdMember)
            .where(
                HouseholdMember.household_id
                == select(HouseholdMember.household_id).where(HouseholdMember.person_id == citizen1).scalar_subquery(),
                HouseholdMember.person_id != citizen1,
            )
        )
        kind = select(Enrollment.insutype, Enrollment.psn_type, Enrollment.status)
        c1 = tuple(s.execute(kind.where(Enrollment.person_id == citizen1)).one())
        c2 = tuple(s.execute(kind.where(Enrollment.person_id == users["citizen2"].person_id)).one())
        c3 = users["citizen3"].person_id
        c3_insutype = s.execute(kind.where(Enrollment.person_id == c3)).one()[0]
        c3_account = accounts.account_balances(uow, c3)
    assert scopes == {"staff_province": {"620000"}, "staff_province2": {"620000"}, "staff_620100": {"620100"}}
    assert balances is not None and balances["total_fen"] > 0
    assert relatives >= 8
    assert c1 == ("310", "11", "normal")
    assert c2 == ("310", "12", "normal")
    assert c3_insutype == "390" and c3_account is None


def test_generation_refuses_a_database_that_already_holds_persons(loaded):
    gj, _ = loaded
    with pytest.raises(Conflict):
        _load(gj)


def test_staff_can_register_and_enroll_after_the_demo_load(loaded):
    """The ids assigned by the generator leave the database's own id sequences usable."""
    gj, _ = loaded
    staff = support.staff(gj, ["620700"])
    person_id = support.employee(gj, staff, income_fen=500)
    assert person_id > PERSONS
    with gj.uow() as uow:
        assert accounts.account_balances(uow, person_id) == {"current_fen": 500, "past_years_fen": 0, "total_fen": 500}
        assert ledger.check_ledger(uow).ok


@pytest.mark.parametrize("province, prefix", [("zhejiang", "33"), ("henan", "41")])
def test_other_provinces_use_their_own_region_codes(gj, province, prefix):
    summary = demo.generate(gj, province=province, persons=60, seed=3)
    assert summary.province_code == prefix + "0000"
    assert all(code.startswith(prefix) for code in summary.regions)
    with gj.uow() as uow:
        assert registry.count_persons(uow) == 60
        assert all(c.startswith(prefix) for c in uow.session.scalars(select(Person.cert_no)))
        assert ledger.check_ledger(uow).ok


def test_demo_persons_carry_a_social_security_card_the_counter_can_read_issue13_s1(loaded):
    """Issue 13 §1: the card number is stored at enrollment, so a HIS can present 03 社会保障卡.
    The demo gives everyone over one year a unique 9-character number; 2201's lookup finds them."""
    from gongji.services.settlement import credentials

    gj, _ = loaded
    with gj.engine.connect() as c:
        rows = c.execute(select(Person.id, Person.ssc_no, Person.birth_date)).all()
    cards = [r.ssc_no for r in rows if r.ssc_no]
    assert len(cards) == len(set(cards)) and len(cards) >= 0.9 * len(rows)
    assert all(len(card) == 9 and card[0].isalpha() and card[1:].isdigit() for card in cards)
    assert all(r.ssc_no is None for r in rows if (date(2026, 1, 1) - r.birth_date).days < 300)
    holder = next(r for r in rows if r.ssc_no)

    def present(uow):
        return credentials.identify(uow, {"mdtrt_cert_type": "03", "mdtrt_cert_no": holder.ssc_no.lower()}).person.id

    assert gj.run(present) == holder.id
