"""门诊慢特病认定 (seed 001 三; issue 14 §3), on SQLite and PostgreSQL: the five diseases from the
profile, an application reviewed by a second clerk, the institution's 主动服务, validity,
revocation, and the query settlement will ask."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from gongji.adapters.db.models import AuditLog, ChronicRecognition
from gongji.services.offsite import chronic, queries
from tests import nhsa_support, support

TODAY = date(2026, 11, 23)
TABLES = (ChronicRecognition, AuditLog)


@pytest.fixture
def office(gj: Any) -> Any:
    return support.staff(gj, ["620700"])


def apply(gj: Any, who: Any, **kw: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        rec = chronic.apply(uow, support.ctx(gj, who), gj.profile, **kw)
        uow.commit()
        return chronic.view(gj.profile, rec, gj.clock.today())

    return gj.run(go)


def decide(gj: Any, who: Any, action: str, rid: int, **kw: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        rec = getattr(chronic, action)(uow, support.ctx(gj, who), recognition_id=rid, **kw)
        uow.commit()
        return chronic.view(gj.profile, rec, gj.clock.today())

    return gj.run(go)


def recognized(gj: Any, pid: int, disease: str, day: date, organ: str | None = None) -> Any:
    return gj.run(lambda uow: queries.valid_recognition(uow, person_id=pid, disease=disease, day=day, organ=organ))


def test_the_five_diseases_and_the_six_transplants_are_profile_data_in_every_shipped_profile(gj: Any) -> None:
    """001 三: 高血压、糖尿病、恶性肿瘤门诊治疗、透析、器官移植抗排异治疗(肾、骨髓、心、肝、肺、肝肾)."""
    for profile in gj.profiles.values():
        names = [d.name for d in profile.offsite.chronic]
        assert names == ["高血压", "糖尿病", "恶性肿瘤门诊治疗", "透析", "器官移植抗排异治疗"]
        transplant = profile.offsite.disease("transplant_antirejection")
        assert transplant.organs == ("kidney", "bone_marrow", "heart", "liver", "lung", "liver_kidney")


def test_an_application_waits_for_a_second_clerk_and_is_then_valid_for_the_profiles_months(
    gj: Any, office: Any
) -> None:
    me = support.citizen(gj, support.employee(gj, office))
    rec = apply(gj, me, person_id=me.person_id, disease="hypertension")
    assert (rec["state"], rec["channel"]) == ("pending", "online_self")
    assert recognized(gj, me.person_id, "hypertension", TODAY) is None  # not before approval

    done = decide(gj, office, "approve", rec["recognition_id"])
    months = gj.profile.offsite.disease("hypertension").valid_months
    assert done["state"] == "valid" and done["reviewer_name"] == office.display_name
    assert done["valid_until"] == "2027-11-22" and months == 12
    assert recognized(gj, me.person_id, "hypertension", date(2027, 11, 22)) is not None
    assert recognized(gj, me.person_id, "hypertension", date(2027, 11, 23)) is None
    assert recognized(gj, me.person_id, "diabetes", TODAY) is None


def test_the_clerk_who_entered_an_application_cannot_approve_it(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    rec = apply(gj, office, person_id=pid, disease="dialysis")
    assert rec["channel"] == "window"
    err = support.refused_unchanged(
        gj,
        lambda uow: chronic.approve(uow, support.ctx(gj, office), recognition_id=rec["recognition_id"]),
        (ChronicRecognition,),
    )
    assert err.code == "E_FOUR_EYES"
    assert decide(gj, support.checker(gj, office), "approve", rec["recognition_id"])["state"] == "valid"


def test_a_rejected_application_is_never_valid_and_may_be_applied_for_again(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    rec = apply(gj, office, person_id=pid, disease="diabetes")
    twin = support.refused_unchanged(
        gj,
        lambda uow: chronic.apply(uow, support.ctx(gj, office), gj.profile, person_id=pid, disease="diabetes"),
        TABLES,
    )
    assert twin.code == "E_CHRONIC_DUPLICATE" and twin.http_status == 409
    assert decide(gj, office, "reject", rec["recognition_id"], reason="诊断证明不全")["state"] == "rejected"
    assert recognized(gj, pid, "diabetes", TODAY) is None
    assert apply(gj, office, person_id=pid, disease="diabetes")["state"] == "pending"


def test_the_transplant_treatment_needs_one_of_the_listed_organs(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)

    def call(**kw: Any) -> Any:
        return lambda uow: chronic.apply(uow, support.ctx(gj, office), gj.profile, person_id=pid, **kw)

    assert support.refused_unchanged(gj, call(disease="transplant_antirejection"), TABLES).code == "E_CHRONIC_ORGAN"
    assert support.refused_unchanged(gj, call(disease="transplant_antirejection", organ="eye"), TABLES).code == (
        "E_CHRONIC_ORGAN"
    )
    assert support.refused_unchanged(gj, call(disease="hypertension", organ="kidney"), TABLES).code == "E_CHRONIC_ORGAN"
    assert support.refused_unchanged(gj, call(disease="asthma"), TABLES).code == "E_UNKNOWN_CODE"
    rec = apply(gj, office, person_id=pid, disease="transplant_antirejection", organ="liver_kidney")
    assert rec["disease_zh"] == "器官移植抗排异治疗（肝肾移植）"


def test_a_designated_institution_recognizes_at_once_naming_the_physician(gj: Any, office: Any) -> None:
    """001 联办事项: 五种门诊慢特病费用跨省直接结算 — 主动服务类, 定点医药机构."""
    pid = support.employee(gj, office)
    nhsa_support.institution(gj, "H62070200009", region="620702", level=3)
    hospital = gj.run(lambda uow: _institution_principal(uow, "H62070200009"))

    def go(uow: Any) -> dict[str, Any]:
        rec = chronic.recognize_at_institution(
            uow, support.ctx(gj, hospital), gj.profile, person_id=pid, disease="tumour_outpatient", physician="张医生"
        )
        uow.commit()
        return chronic.view(gj.profile, rec, TODAY)

    rec = gj.run(go)
    assert (rec["state"], rec["route"], rec["reviewer_name"], rec["fixmedins_code"]) == (
        "valid",
        "institution",
        "张医生",
        "H62070200009",
    )
    assert recognized(gj, pid, "tumour_outpatient", TODAY).route == "institution"
    # staff cannot use the institution's route
    err = support.refused_unchanged(
        gj,
        lambda uow: chronic.recognize_at_institution(
            uow, support.ctx(gj, office), gj.profile, person_id=pid, disease="diabetes", physician="李医生"
        ),
        TABLES,
    )
    assert err.code == "E_FORBIDDEN"


def _institution_principal(uow: Any, code: str) -> Any:
    from sqlalchemy import select

    from gongji.adapters.db.models import AppUser
    from gongji.services import auth

    return auth.principal_of(uow, uow.session.scalar(select(AppUser).where(AppUser.fixmedins_code == code)))


def test_a_revoked_recognition_holds_until_yesterday(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    rec = apply(gj, office, person_id=pid, disease="hypertension")
    decide(gj, support.checker(gj, office), "approve", rec["recognition_id"])
    gj.clock.advance(timedelta(days=30))
    today = gj.clock.today()
    assert decide(gj, office, "revoke", rec["recognition_id"], reason="复核不符合认定标准")["state"] == "revoked"
    assert recognized(gj, pid, "hypertension", today) is None
    assert recognized(gj, pid, "hypertension", today - timedelta(days=1)) is not None


def test_staff_list_recognitions_only_in_their_regions_with_pending_first(gj: Any, office: Any) -> None:
    pid = support.employee(gj, office)
    approved = apply(gj, office, person_id=pid, disease="hypertension")
    decide(gj, support.checker(gj, office), "approve", approved["recognition_id"])
    pending = apply(gj, office, person_id=pid, disease="diabetes")
    other = support.staff(gj, ["620100"])

    def listed(who: Any, **kw: Any) -> list[int]:
        rows = gj.run(lambda uow: chronic.staff_list(uow, support.ctx(gj, who), gj.profile, **kw))
        return [r["recognition_id"] for r in rows]

    assert listed(office)[:2] == [pending["recognition_id"], approved["recognition_id"]]
    assert listed(office, state="valid") == [approved["recognition_id"]]
    assert listed(office, disease="diabetes") == [pending["recognition_id"]]
    assert listed(other) == []
    err = support.refused_unchanged(
        gj,
        lambda uow: chronic.approve(uow, support.ctx(gj, other), recognition_id=pending["recognition_id"]),
        (ChronicRecognition,),
    )
    assert err.code == "E_OUT_OF_REGION"
