"""异地就医备案 as a 即办件 (seed 001 二; issue 14 §2; notes §6), on SQLite and PostgreSQL: each
kind's validity and refusals, the materials and the commitment, change, cancel, late
registration before discharge, on behalf of a bound relative, staff scope by region, and the
query settlement will ask."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from gongji.adapters.db.models import AuditLog, OffsiteRegistration
from gongji.domain import offsite as O
from gongji.domain.clock import FixedClock
from gongji.services.offsite import queries, registration
from gongji.services.offsite.registration import Application
from tests import support

TODAY = date(2026, 11, 23)  # the fixed test clock
SHENZHEN, NANSHAN, LANZHOU, MINLE = "440300", "440305", "620100", "620722"
LONG_TERM_PROOF = frozenset({"id_card", "registration_form", "residence_proof"})
TABLES = (OffsiteRegistration, AuditLog)


@pytest.fixture
def office(gj: Any) -> Any:
    return support.staff(gj, ["620700"])


def register(gj: Any, who: Any, **kw: Any) -> dict[str, Any]:
    app = Application(**kw)

    def go(uow: Any) -> dict[str, Any]:
        reg = registration.register(uow, support.ctx(gj, who), gj.profile, app)
        uow.commit()
        return registration.view(reg, TODAY)

    return gj.run(go)


def refused(gj: Any, who: Any, **kw: Any) -> Any:
    app = Application(**kw)
    return support.refused_unchanged(
        gj, lambda uow: registration.register(uow, support.ctx(gj, who), gj.profile, app), TABLES
    )


def valid_for(gj: Any, person_id: int, place: str, day: date) -> queries.RegistrationFact | None:
    return gj.run(lambda uow: queries.valid_registration(uow, person_id=person_id, place=place, day=day))


# --- kinds and validity ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["retiree_resettled", "long_term_resident", "posted_worker"])
def test_a_long_term_registration_is_valid_indefinitely_from_its_start(gj: Any, office: Any, kind: str) -> None:
    """notes §6: 异地长期居住人员备案长期有效."""
    pid = support.employee(gj, office, retired=kind == "retiree_resettled")
    reg = register(gj, office, person_id=pid, kind=kind, destination_code=SHENZHEN, materials=LONG_TERM_PROOF)

    assert (reg["state"], reg["end_date"], reg["end_text"]) == ("valid", None, "长期有效")
    assert reg["channel"] == O.WINDOW and reg["serial"].startswith("YD20261123")
    assert valid_for(gj, pid, NANSHAN, TODAY + timedelta(days=3650)) is not None  # a county of the city
    assert valid_for(gj, pid, NANSHAN, TODAY - timedelta(days=1)) is None  # not before its start
    assert valid_for(gj, pid, "110101", TODAY) is None  # not elsewhere


@pytest.mark.parametrize("kind", ["referral", "emergency", "other_temporary"])
def test_a_temporary_registration_lasts_the_profiles_months_and_no_longer(gj: Any, office: Any, kind: str) -> None:
    """notes §6: 临时外出就医人员备案有效期不少于6个月 (profile ``valid_months``)."""
    months = gj.profile.offsite.kind_of(kind).valid_months
    assert months >= 6
    pid = support.employee(gj, office)
    proof = gj.profile.offsite.kind_of(kind).proof_any_of[0]
    reg = register(
        gj,
        office,
        person_id=pid,
        kind=kind,
        destination_code=LANZHOU,
        materials=frozenset({"id_card", "registration_form", proof}),
        commitment_signed=True,
    )
    last = O.add_months(TODAY, months) - timedelta(days=1)
    assert reg["end_date"] == last.isoformat() == "2027-05-22"
    assert valid_for(gj, pid, LANZHOU, last) is not None
    assert valid_for(gj, pid, LANZHOU, last + timedelta(days=1)) is None


def test_a_temporary_registration_asked_shorter_or_longer_than_the_profile_allows_is_refused(
    gj: Any, office: Any
) -> None:
    pid = support.employee(gj, office)
    base = dict(
        person_id=pid,
        kind="referral",
        destination_code=LANZHOU,
        materials=frozenset({"id_card", "registration_form", "referral_proof"}),
    )
    err = refused(gj, office, **base, end_date=TODAY + timedelta(days=60))
    assert err.code == "E_OFFSITE_DATES" and "不少于6个月" in err.message_zh
    assert refused(gj, office, **base, end_date=O.add_months(TODAY, 13)).code == "E_OFFSITE_DATES"
    ok = register(gj, office, **base, end_date=O.add_months(TODAY, 12) - timedelta(days=1))
    assert ok["end_date"] == "2027-11-22"


def test_a_long_term_registration_takes_no_end_date_and_none_starts_in_the_past(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    base = dict(person_id=pid, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF)
    assert refused(gj, office, **base, end_date=TODAY + timedelta(days=400)).code == "E_OFFSITE_DATES"
    err = refused(gj, office, **base, start_date=TODAY - timedelta(days=1))
    assert err.code == "E_OFFSITE_DATES" and "补办" in err.message_zh


def test_kinds_that_do_not_fit_the_person_are_refused_with_the_reason(gj: Any, office: Any) -> None:
    working = support.employee(gj, office)
    retiree = support.employee(gj, office, retired=True)
    resident = support.resident(gj, office, birth=date(1990, 1, 1))
    err = refused(
        gj, office, person_id=working, kind="retiree_resettled", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    assert err.code == "E_OFFSITE_KIND" and "退休" in err.message_zh
    assert (
        refused(
            gj, office, person_id=retiree, kind="posted_worker", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
        ).code
        == "E_OFFSITE_KIND"
    )
    assert (
        refused(
            gj, office, person_id=resident, kind="posted_worker", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
        ).code
        == "E_OFFSITE_KIND"
    )
    # a resident may register long-term residence
    assert (
        register(
            gj,
            office,
            person_id=resident,
            kind="long_term_resident",
            destination_code=SHENZHEN,
            materials=LONG_TERM_PROOF,
        )["insutype"]
        == "390"
    )


def test_the_destination_must_lie_outside_the_insured_pooling_region(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)  # 甘州区, 张掖市
    base = dict(person_id=pid, kind="long_term_resident", materials=LONG_TERM_PROOF)
    err = refused(gj, office, **base, destination_code=MINLE)  # 民乐县, same city
    assert err.code == "E_OFFSITE_DESTINATION" and "统筹区内" in err.message_zh
    assert refused(gj, office, **base, destination_code="999999").code == "E_OFFSITE_DESTINATION"
    assert refused(gj, office, **base, destination_code="620000").code == "E_OFFSITE_DESTINATION"  # contains it
    assert register(gj, office, **base, destination_code=LANZHOU)["destination_name"] == "甘肃省兰州市"


def test_a_person_not_insured_normally_is_refused(gj: Any, office: Any) -> None:
    pid = support.resident(gj, office, birth=date(1950, 1, 1))
    support.died(gj, office, pid)
    err = refused(
        gj, office, person_id=pid, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    assert err.code == "E_OFFSITE_NOT_INSURED"


# --- materials and the commitment ------------------------------------------------------------


def test_the_materials_are_the_id_the_form_and_the_kinds_proof(gj: Any, office: Any) -> None:
    """001 二: 有效身份证件, 异地就医登记备案表, 异地长期居住证明材料/转诊证明/个人承诺书."""
    pid = support.employee(gj, office)
    err = refused(
        gj,
        office,
        person_id=pid,
        kind="long_term_resident",
        destination_code=SHENZHEN,
        materials=frozenset({"id_card"}),
    )
    assert err.code == "E_OFFSITE_MATERIALS"
    assert "异地就医登记备案表" in err.message_zh and "异地长期居住证明材料或个人承诺书" in err.message_zh
    # a referral needs the referral proof: a commitment does not replace it (profile: proof_any_of)
    err = refused(
        gj,
        office,
        person_id=pid,
        kind="referral",
        destination_code=LANZHOU,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
        commitment_signed=True,
    )
    assert err.code == "E_OFFSITE_MATERIALS" and "转诊证明" in err.message_zh


def test_a_signed_commitment_replaces_the_residence_proof_but_an_unsigned_one_does_not(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    base = dict(
        person_id=pid,
        kind="long_term_resident",
        destination_code=SHENZHEN,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
    )
    assert refused(gj, office, **base, commitment_signed=False).code == "E_OFFSITE_MATERIALS"
    reg = register(gj, office, **base, commitment_signed=True)
    assert reg["materials_zh"] == ["有效身份证件", "异地就医登记备案表", "个人承诺书"]
    assert reg["commitment_version"] == O.COMMITMENT_VERSION


# --- one registration at a time, change, cancel ---------------------------------------------


def test_a_second_registration_over_the_same_days_is_refused_until_the_first_is_cancelled(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    first = register(
        gj, office, person_id=pid, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    err = refused(
        gj,
        office,
        person_id=pid,
        kind="other_temporary",
        destination_code=LANZHOU,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
        commitment_signed=True,
    )
    assert err.code == "E_OFFSITE_OVERLAP" and err.http_status == 409 and err.detail["serial"] == first["serial"]


def test_a_long_term_registration_changes_or_cancels_only_after_the_minimum_period(gj: Any, office: Any) -> None:
    """notes §6: 变更或取消的限制原则上不超过6个月 (profile ``min_months_before_change``)."""
    pid = support.employee(gj, office)
    reg = register(
        gj, office, person_id=pid, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    rid = reg["registration_id"]

    def change(uow: Any) -> Any:
        return registration.change(
            uow, support.ctx(gj, office), gj.profile, registration_id=rid, destination_code=LANZHOU, reason="迁居兰州"
        )

    err = support.refused_unchanged(gj, change, TABLES)
    assert err.code == "E_OFFSITE_TOO_EARLY" and "2027-05-23" in err.message_zh
    err = support.refused_unchanged(
        gj,
        lambda uow: registration.cancel(uow, support.ctx(gj, office), gj.profile, registration_id=rid, reason="回原籍"),
        TABLES,
    )
    assert err.code == "E_OFFSITE_TOO_EARLY"

    assert isinstance(gj.clock, FixedClock)
    gj.clock.advance(timedelta(days=181))  # 2027-05-23
    new = support.committed(gj, change)
    day = gj.clock.today()
    assert (new.destination_code, new.start_date, new.replaces_id) == (LANZHOU, day, rid)
    assert valid_for(gj, pid, SHENZHEN, day - timedelta(days=1)) is not None  # the old one held until yesterday
    assert valid_for(gj, pid, SHENZHEN, day) is None
    assert valid_for(gj, pid, LANZHOU, day) is not None
    old = gj.run(lambda uow: registration.get(uow, support.ctx(gj, office), rid))
    assert (old["state"], old["end_date"]) == ("changed", (day - timedelta(days=1)).isoformat())


def test_a_temporary_registration_is_cancelled_at_any_time_and_then_no_longer_valid(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    reg = register(
        gj,
        office,
        person_id=pid,
        kind="other_temporary",
        destination_code=LANZHOU,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
        commitment_signed=True,
    )
    gj.clock.advance(timedelta(days=10))
    support.committed(
        gj,
        lambda uow: registration.cancel(
            uow, support.ctx(gj, office), gj.profile, registration_id=reg["registration_id"], reason="提前返回"
        ),
    )
    assert valid_for(gj, pid, LANZHOU, gj.clock.today()) is None
    assert valid_for(gj, pid, LANZHOU, gj.clock.today() - timedelta(days=1)) is not None
    again = support.refused_unchanged(
        gj,
        lambda uow: registration.cancel(
            uow, support.ctx(gj, office), gj.profile, registration_id=reg["registration_id"], reason="再次取消"
        ),
        TABLES,
    )
    assert again.code == "E_STATE"


# --- late registration (补办) ----------------------------------------------------------------


def test_a_late_registration_starts_on_the_admission_day_while_the_patient_is_still_in_hospital(
    gj: Any, office: Any
) -> None:
    """notes §6: 出院前可补办."""
    pid = support.employee(gj, office)
    admitted = TODAY - timedelta(days=5)
    reg = register(
        gj,
        office,
        person_id=pid,
        kind="emergency",
        destination_code=SHENZHEN,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
        commitment_signed=True,
        late=O.Late(admitted),
        hospital="深圳市人民医院",
    )
    assert reg["late"] and reg["start_date"] == admitted.isoformat() and reg["hospital"] == "深圳市人民医院"
    assert valid_for(gj, pid, SHENZHEN, admitted) is not None


def test_a_late_registration_after_discharge_is_refused(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    err = refused(
        gj,
        office,
        person_id=pid,
        kind="emergency",
        destination_code=SHENZHEN,
        materials=frozenset({"id_card", "registration_form", "commitment"}),
        commitment_signed=True,
        late=O.Late(TODAY - timedelta(days=9), TODAY - timedelta(days=1)),
        hospital="深圳市人民医院",
    )
    assert err.code == "E_OFFSITE_LATE" and "出院前" in err.message_zh


# --- channels ----------------------------------------------------------------------------------


def test_a_citizen_registers_online_for_themself(gj: Any, office: Any) -> None:
    me = support.citizen(gj, support.employee(gj, office))
    reg = register(
        gj, me, person_id=me.person_id, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    assert reg["channel"] == O.ONLINE_SELF and reg["channel_zh"] == "网上办理（本人）"


def test_a_citizen_registers_for_a_bound_relative_but_not_for_anyone_else(gj: Any, office: Any) -> None:
    me = support.citizen(gj, support.employee(gj, office, income_fen=20_000))
    parent = support.resident(gj, office, birth=date(1950, 3, 3), name="王父")
    stranger = support.resident(gj, office, birth=date(1951, 3, 3), name="陌生")
    support.bind(gj, me, parent, "parent")
    reg = register(
        gj, me, person_id=parent, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    assert reg["channel"] == O.ONLINE_RELATIVE
    applicant = gj.run(lambda uow: uow.session.get(OffsiteRegistration, reg["registration_id"]).applicant_person_id)
    assert applicant == me.person_id
    err = refused(
        gj, me, person_id=stranger, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )
    assert err.code == "E_OFFSITE_NOT_BOUND" and err.http_status == 403


def test_a_clerk_registers_at_the_window_for_an_agent_who_came_instead(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office, retired=True)
    reg = register(
        gj,
        office,
        person_id=pid,
        kind="retiree_resettled",
        destination_code=SHENZHEN,
        materials=LONG_TERM_PROOF,
        agent_name="李代办",
        agent_relation="子女",
    )
    assert reg["channel"] == O.WINDOW_AGENT and reg["agent_relation"] == "子女" and reg["agent_name"] == "李**"


# --- scope by region --------------------------------------------------------------------------


def test_staff_act_and_list_only_in_their_regions(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    lanzhou_clerk = support.staff(gj, ["620100"])
    err = refused(
        gj,
        lanzhou_clerk,
        person_id=pid,
        kind="long_term_resident",
        destination_code=SHENZHEN,
        materials=LONG_TERM_PROOF,
    )
    assert err.code == "E_OUT_OF_REGION"
    reg = register(
        gj, office, person_id=pid, kind="long_term_resident", destination_code=SHENZHEN, materials=LONG_TERM_PROOF
    )

    def listed(who: Any, **kw: Any) -> list[int]:
        return [
            r["registration_id"] for r in gj.run(lambda uow: registration.staff_list(uow, support.ctx(gj, who), **kw))
        ]

    assert reg["registration_id"] in listed(office)
    assert reg["registration_id"] not in listed(lanzhou_clerk)
    assert reg["registration_id"] in listed(office, kind="long_term_resident", state="valid", region="620702")
    assert reg["registration_id"] not in listed(office, kind="referral")
    assert reg["registration_id"] not in listed(office, state="cancelled")
    from gongji.domain.errors import OutOfRegion

    with pytest.raises(OutOfRegion):
        listed(office, region="620100")
    rows = gj.run(lambda uow: registration.staff_list(uow, support.ctx(gj, office)))
    assert all("*" in r["name"] and "*" in r["cert_no"] for r in rows)  # masked in lists
