"""Resident enrollment forms at the township window: seed 002 §五 参保登记 (附件1–3), SPEC §6.

Every rule is checked on SQLite and PostgreSQL (the ``gj`` fixture). A refused form writes
nothing: the counts of persons, enrollments, forms and audit rows stay as they were.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import (
    AuditLog,
    Enrollment,
    EnrollmentEvent,
    Person,
    ResidentAddress,
    ResidentChange,
    ResidentChangeItem,
    ResidentRegistration,
    ResidentStop,
)
from gongji.adapters.pdf.fonts import CANDIDATES
from gongji.bootstrap import Gongji
from gongji.domain.errors import GongjiError
from gongji.domain.ids import make_id_number
from gongji.domain.masking import mask_id_number
from gongji.services.auth import Principal
from gongji.services.resident import forms as ef
from tests import support
from tests.conftest import need

TODAY = date(2026, 11, 23)  # the conftest clock
OUT = Path(__file__).resolve().parents[2] / "test-output" / "resident-forms"
COUNTED = (Person, Enrollment, EnrollmentEvent, ResidentRegistration, ResidentChange, ResidentStop, AuditLog)


# --- helpers -------------------------------------------------------------------------------------


def counts(gj: Gongji) -> dict[str, int]:
    def go(uow: Any) -> dict[str, int]:
        return {m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)) or 0) for m in COUNTED}

    return gj.run(go)


def refused(gj: Gongji, call: Callable[[Any], Any]) -> GongjiError:
    """Run ``call`` in a unit of work that would commit; it must raise, writing nothing."""
    before = counts(gj)

    def go(uow: Any) -> None:
        call(uow)
        uow.commit()

    with pytest.raises(GongjiError) as info:
        gj.run(go)
    assert counts(gj) == before, info.value.code
    return info.value


def ok(gj: Gongji, call: Callable[[Any], Any]) -> Any:
    def go(uow: Any) -> Any:
        result = call(uow)
        uow.commit()
        return result

    return gj.run(go)


def load(gj: Gongji, read: Callable[[Any], Any]) -> Any:
    """A read whose ORM objects stay usable after the unit of work closes."""

    def go(uow: Any) -> Any:
        result = read(uow)
        uow.session.expunge_all()
        return result

    return gj.run(go)


def application(**overrides: Any) -> ef.RegistrationIn:
    """An ordinary adult of 甘州区 applying at his township (附件1 filled in)."""
    fields: dict[str, Any] = {
        "name": "赵大年",
        "cert_no": make_id_number("620702", date(1980, 4, 5), 311),
        "region_code": "620702",
        "township": "梁家墩镇",
        "hukou_region": "620702",
        "hukou_village": "五号村",
        "applicant_identity": "adult",
        "phone": "13912345678",
        "signer_name": "赵大年",
        "signed_on": TODAY,
    }
    fields.update(overrides)
    return ef.RegistrationIn(**fields)


def submit(gj: Gongji, who: Principal, form: ef.RegistrationIn, key: str | None = None) -> ef.Submitted:
    c = support.ctx(gj, who)
    return ok(gj, lambda uow: ef.submit_registration(uow, c, gj.profile, form, idempotency_key=key))


def review(gj: Gongji, who: Principal, form_id: int, approve: bool = True, reason: str | None = None) -> Any:
    c = support.ctx(gj, who)
    row = ok(gj, lambda uow: ef.review_registration(uow, c, registration_id=form_id, approve=approve, reason=reason))
    return row


def enrollments_of(gj: Gongji, person_id: int) -> list[Enrollment]:
    def go(uow: Any) -> list[Enrollment]:
        return list(
            uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person_id).order_by(Enrollment.id))
        )

    return load(gj, go)


@pytest.fixture
def office(gj: Gongji) -> Principal:
    """Staff of the whole of Gansu (a county office acts for its county only: see the scope test)."""
    return support.staff(gj, ["620000"])


@pytest.fixture
def checker(gj: Gongji) -> Principal:
    """A second clerk of the same office: who approves what ``office`` entered (separation of duties)."""
    return support.staff(gj, ["620000"])


# --- 附件1: refusals ------------------------------------------------------------------------------

BAD_REGISTRATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("malformed ID number", {"cert_no": "62070219800405311"}, "E_ID_FORMAT"),
    ("wrong check digit", {"cert_no": make_id_number("620702", date(1980, 4, 5), 311)[:17] + "0"}, "E_ID_CHECKSUM"),
    ("subsidy code not in the profile", {"subsidy_codes": ("dibao_full", "veteran")}, "E_RESIDENT_SUBSIDY_UNKNOWN"),
    ("newborn older than one year", {"applicant_identity": "newborn"}, "E_RESIDENT_IDENTITY_AGE"),
    (
        "college student under 15",
        {
            "cert_no": make_id_number("620702", date(2013, 1, 1), 313),
            "applicant_identity": "college",
            "school_region": "620102",
            "signer_role": "guardian",
            "signer_name": "赵父",
        },
        "E_RESIDENT_IDENTITY_AGE",
    ),
    (
        "ordinary adult under 18",
        {"cert_no": make_id_number("620702", date(2010, 1, 1), 315), "signer_role": "guardian", "signer_name": "赵父"},
        "E_RESIDENT_IDENTITY_AGE",
    ),
    ("signature missing", {"signer_name": ""}, "E_RESIDENT_SIGNATURE"),
    ("signature date missing", {"signed_on": None}, "E_RESIDENT_SIGNATURE"),
    ("signature dated tomorrow", {"signed_on": TODAY + timedelta(days=1)}, "E_RESIDENT_SIGNATURE"),
    ("self-signature by someone else", {"signer_name": "钱二"}, "E_RESIDENT_SIGNATURE"),
    (
        "a minor signs for himself",
        {"cert_no": make_id_number("620702", date(2012, 1, 1), 317), "applicant_identity": "pupil"},
        "E_RESIDENT_SIGNATURE",
    ),
    ("birth date differs from the ID number", {"birth_date": date(1980, 4, 6)}, "E_RESIDENT_ID_MISMATCH"),
    ("sex differs from the ID number", {"sex": "2"}, "E_RESIDENT_ID_MISMATCH"),
    ("college student without school region", {"applicant_identity": "college"}, "E_RESIDENT_SCHOOL_REGION"),
    ("unknown applicant identity", {"applicant_identity": "retiree"}, "E_UNKNOWN_CODE"),
    ("unknown household region", {"hukou_region": "629999"}, "E_UNKNOWN_CODE"),
    ("township missing", {"township": " "}, "E_VALIDATION"),
    ("phone malformed", {"phone": "call me"}, "E_VALIDATION"),
    ("old declaration text", {"declaration_version": "2019"}, "E_RESIDENT_DECLARATION"),
    ("window outside the staff's regions", {"region_code": "330102"}, "E_OUT_OF_REGION"),
]


def test_every_bad_registration_gets_its_own_code_and_writes_nothing(gj: Gongji, office: Principal) -> None:
    """Seed 002 §五1: the 参保登记表 is checked at the window; a wrong box or a typo is refused."""
    c = support.ctx(gj, office)
    for why, overrides, code in BAD_REGISTRATIONS:
        form = application(**overrides)
        err = refused(gj, lambda uow, form=form: ef.submit_registration(uow, c, gj.profile, form))
        assert err.code == code, why


def test_identity_age_bounds_are_documented_and_inclusive_at_the_edges() -> None:
    """The 申请人身份 ages (seed 002 sets none): low ≤ age < high on the day of submission."""
    ef.check_identity_age("newborn", date(2025, 11, 24), TODAY)  # 364 days old
    with pytest.raises(GongjiError):
        ef.check_identity_age("newborn", date(2025, 11, 23), TODAY)  # first birthday today
    ef.check_identity_age("college", date(2011, 11, 23), TODAY)  # 15 today
    with pytest.raises(GongjiError):
        ef.check_identity_age("college", date(2011, 11, 24), TODAY)
    ef.check_identity_age("adult", date(2008, 11, 23), TODAY)
    ef.check_identity_age("minor", date(2008, 11, 24), TODAY)
    assert set(ef.IDENTITY_AGE_BOUNDS) == set(ef.IDENTITIES)


# --- 附件1: review ---------------------------------------------------------------------------------


def test_approving_registers_the_person_and_enrolls_390_with_the_identity_psn_type(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五1: 首次参保 → registered, enrolled in 城乡居民 390 at the window's region (15 成年)."""
    sent = submit(gj, office, application(subsidy_codes=("orphan",)))
    assert sent.view["status"] == "pending" and sent.view["duplicates"] == []
    assert sent.view["cert_no"] == mask_id_number(application().cert_no)  # a write answer is masked
    row = review(gj, checker, sent.form_id)
    assert row.status == "approved" and row.reviewer_name == "经办员" and row.review_unit == "甘州区医疗保障经办机构"
    [e] = enrollments_of(gj, row.person_id)
    assert (e.insutype, e.region_code, e.psn_type, e.status, e.start_date) == ("390", "620702", "15", "normal", TODAY)
    assert e.id == row.enrollment_id

    def facts(uow: Any) -> tuple[Person, ResidentAddress]:
        return uow.session.get(Person, row.person_id), uow.session.get(ResidentAddress, row.person_id)

    person, address = load(gj, facts)
    assert (person.name, person.sex, person.birth_date, person.hukou_region) == (
        "赵大年",
        "1",
        date(1980, 4, 5),
        "620702",
    )
    assert (address.hukou_village, address.township) == ("五号村", "梁家墩镇")


def test_a_newborn_enrolls_as_1401_signed_by_a_guardian_with_no_waiting_period(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五4: 新生儿 … 不设待遇享受等待期 — recorded on the form."""
    baby = make_id_number("620702", date(2026, 9, 1), 402)
    sent = submit(
        gj,
        office,
        application(
            name="赵小宝", cert_no=baby, applicant_identity="newborn", signer_role="guardian", signer_name="赵大年"
        ),
    )
    assert sent.view["no_waiting_period"] is True and sent.view["identity_name"] == "新生儿"
    row = review(gj, checker, sent.form_id)
    [e] = enrollments_of(gj, row.person_id)
    assert e.psn_type == "1401"


def test_a_college_student_enrolls_at_the_school_region(gj: Gongji, office: Principal, checker: Principal) -> None:
    """Seed 002 §五2: 大中专学生原则上应在学籍地参加城乡居民医疗保险."""
    student = make_id_number("620702", date(2005, 5, 5), 123)
    sent = submit(
        gj,
        office,
        application(
            name="王小明",
            cert_no=student,
            signer_name="王小明",
            applicant_identity="college",
            school_name="兰州大学",
            school_region="620102",
        ),
    )
    assert sent.view["enroll_region"] == "620102"
    row = review(gj, checker, sent.form_id)
    [e] = enrollments_of(gj, row.person_id)
    assert (e.region_code, e.psn_type) == ("620102", "1404")


def test_a_hardship_college_student_enrolls_at_the_household_region(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五2: 大中专学生中的特困人员、低保对象 … 参加户籍地居民医疗保险."""
    student = make_id_number("620702", date(2005, 5, 5), 125)
    sent = submit(
        gj,
        office,
        application(
            name="王小红",
            cert_no=student,
            signer_name="王小红",
            applicant_identity="college",
            school_region="620102",
            subsidy_codes=("dibao_full",),
        ),
    )
    row = review(gj, checker, sent.form_id)
    [e] = enrollments_of(gj, row.person_id)
    assert (e.region_code, e.psn_type) == ("620702", "1404")


def test_an_orphan_college_student_enrolls_at_the_school_region_seed002_s5_2(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五2: only 特困人员、低保对象、返贫致贫人口、脱贫人口和易返贫致贫人口 students 参加户籍地居民
    医疗保险; an orphan (孤儿) student is insured at the school like any other student."""
    student = make_id_number("620702", date(2005, 5, 5), 127)
    sent = submit(
        gj,
        office,
        application(
            name="王小军",
            cert_no=student,
            signer_name="王小军",
            applicant_identity="college",
            school_region="620102",
            subsidy_codes=("orphan",),
        ),
    )
    assert sent.view["enroll_region"] == "620102"
    row = review(gj, checker, sent.form_id)
    [e] = enrollments_of(gj, row.person_id)
    assert (e.region_code, e.psn_type) == ("620102", "1404")


def test_rejecting_keeps_the_form_and_reason_and_writes_nothing_to_the_registry(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 附件1 收件审核: 经审核，不符合城乡居民医保参保规定 — the form stays, the registry does not move."""
    sent = submit(gj, office, application())
    k = support.ctx(gj, checker)  # a second clerk reviews
    err = refused(gj, lambda uow: ef.review_registration(uow, k, registration_id=sent.form_id, approve=False))
    assert err.code == "E_VALIDATION"  # a reason is required
    before = counts(gj)
    row = review(gj, checker, sent.form_id, approve=False, reason="已在外省参加职工医保")
    after = counts(gj)
    assert (row.status, row.review_reason, row.person_id) == ("rejected", "已在外省参加职工医保", None)
    assert after["person"] == before["person"] and after["enrollment"] == before["enrollment"]
    assert after["audit_log"] == before["audit_log"] + 1
    again = refused(gj, lambda uow: ef.review_registration(uow, k, registration_id=sent.form_id, approve=True))
    assert again.code == "E_STATE"


def test_a_second_pending_form_for_the_same_person_is_refused_and_a_key_replays(gj: Gongji, office: Principal) -> None:
    """Seed 002 §五1: one 参保登记表 per applicant at a time; a double submission makes one form."""
    first = submit(gj, office, application(), key="window-1")
    replay = submit(gj, office, application(), key="window-1")
    assert (replay.form_id, replay.replayed) == (first.form_id, True)
    c = support.ctx(gj, office)
    other = application(phone="13700000000")
    err = refused(gj, lambda uow: ef.submit_registration(uow, c, gj.profile, other, idempotency_key="window-1"))
    assert err.code == "E_IDEMPOTENCY_MISMATCH"
    err = refused(gj, lambda uow: ef.submit_registration(uow, c, gj.profile, other))
    assert err.code == "E_RESIDENT_PENDING"


def test_a_number_registered_under_another_name_must_be_changed_first(gj: Gongji, office: Principal) -> None:
    """Seed 002 §五3: a changed name is 关键信息 and goes through the 变更登记表 (附件2), not a new 附件1."""
    pid = support.resident(gj, office, name="孙丽", birth=date(1990, 1, 1))
    cert = support.person_cert(gj, pid)
    c = support.ctx(gj, office)
    form = application(name="孙莉", signer_name="孙莉", cert_no=cert)
    assert refused(gj, lambda uow: ef.submit_registration(uow, c, gj.profile, form)).code == "E_RESIDENT_NAME_MISMATCH"


# --- duplicate enrollment (重复参保) ----------------------------------------------------------------


def test_a_duplicate_resident_enrollment_elsewhere_is_listed_refused_and_cleared(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五1 中断参保 and §八2 坚决清理重复参保: someone still insured in 城关区 applies in
    甘州区; both are listed, approval is refused until staff end the wrong one with a reason."""
    pid = support.resident(gj, office, region="620102", name="钱多多", birth=date(1990, 3, 3))
    cert = support.person_cert(gj, pid)
    sent = submit(gj, office, application(name="钱多多", signer_name="钱多多", cert_no=cert))
    [dup] = sent.view["duplicates"]
    assert (dup["insutype"], dup["region_code"], dup["can_clear"]) == ("390", "620102", True)

    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    err = refused(gj, lambda uow: ef.review_registration(uow, k, registration_id=sent.form_id, approve=True))
    assert (err.code, err.http_status) == ("E_RESIDENT_DUPLICATE_ENROLLMENT", 409)
    assert [e["region_code"] for e in err.detail["enrollments"]] == ["620102"]

    found = ok(gj, lambda uow: ef.find_duplicates(uow, c, cert_no=cert))
    assert found["duplicate"] is True
    assert [e["region_code"] for e in found["enrollments"]] == ["620102"]
    assert [r["form_id"] for r in found["pending_registrations"]] == [sent.form_id]

    old = dup["enrollment_id"]
    no_reason = refused(gj, lambda uow: ef.clear_duplicate(uow, c, enrollment_id=old, reason=""))
    assert no_reason.code == "E_VALIDATION"
    ok(gj, lambda uow: ef.clear_duplicate(uow, c, enrollment_id=old, reason="已迁居甘州区，城关区参保有误"))
    (ended,) = [e for e in enrollments_of(gj, pid) if e.id == old]
    assert (ended.status, ended.end_date) == ("terminated", TODAY)

    def event(uow: Any) -> str | None:
        return uow.session.scalar(
            select(EnrollmentEvent.reason).where(EnrollmentEvent.enrollment_id == old, EnrollmentEvent.action == "end")
        )

    assert gj.run(event) == "清理重复参保：已迁居甘州区，城关区参保有误"
    row = review(gj, checker, sent.form_id)
    assert row.person_id == pid  # the registered person is reused
    live = [e for e in enrollments_of(gj, pid) if e.status != "terminated"]
    assert [(e.region_code, e.insutype) for e in live] == [("620702", "390")]


def test_an_employee_enrollment_blocks_resident_registration_and_only_duplicates_can_be_cleared(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §七 (参加职工医保) and SPEC §6: someone with live employee insurance is not enrolled again."""
    worker = support.employee(gj, office, name="周工", birth=date(1985, 6, 15))
    sent = submit(gj, office, application(name="周工", signer_name="周工", cert_no=support.person_cert(gj, worker)))
    assert [d["insutype"] for d in sent.view["duplicates"]] == ["310"]
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    err = refused(gj, lambda uow: ef.review_registration(uow, k, registration_id=sent.form_id, approve=True))
    assert err.code == "E_RESIDENT_DUPLICATE_ENROLLMENT"
    review(gj, checker, sent.form_id, approve=False, reason="已参加职工医保")

    lone = support.resident(gj, office, name="吴一", birth=date(1991, 1, 1))
    [e] = enrollments_of(gj, lone)
    err = refused(gj, lambda uow: ef.clear_duplicate(uow, c, enrollment_id=e.id, reason="测试清理"))
    assert err.code == "E_RESIDENT_NOT_DUPLICATE"


# --- 附件2: information change -----------------------------------------------------------------------


def _approved_resident(gj: Gongji, office: Principal, **overrides: Any) -> tuple[int, str]:
    form = application(**overrides)
    second = support.staff(gj, list(office.regions))  # not the clerk who entered it
    row = review(gj, second, submit(gj, office, form).form_id)
    return row.person_id, form.cert_no


def change_form(*rows: ef.ChangeRowIn) -> ef.ChangeIn:
    return ef.ChangeIn(filler_name="赵大年", filler_phone="13912345678", rows=rows)


def test_a_change_form_applies_key_and_non_key_changes_keeping_before_and_after(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五3 and 附件2: 变更项目, 变更前, 变更后 — applied when the agency agrees, audited."""
    pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    form = change_form(
        ef.ChangeRowIn(cert_no=cert, name="赵大年", item="name", after="赵达年", signed_by="赵大年"),
        ef.ChangeRowIn(cert_no=cert, name="赵大年", item="hukou_region", after="620722", signed_by="赵大年"),
        ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13700000000", signed_by="赵大年"),
        ef.ChangeRowIn(cert_no=cert, name="赵大年", item="township", after="新墩镇", signed_by="赵大年"),
    )
    sent = ok(gj, lambda uow: ef.submit_change(uow, c, form))
    assert sent.view["is_key"] is True
    assert [(r["item"], r["before"], r["is_key"]) for r in sent.view["rows"]] == [
        ("name", "赵**", True),
        ("hukou_region", "620702", True),
        ("phone", "139****5678", False),
        ("township", "梁家墩镇", False),
    ]

    def person(uow: Any) -> Person:
        return uow.session.get(Person, pid)

    assert load(gj, person).name == "赵大年"  # nothing changes before the review
    ok(gj, lambda uow: ef.review_change(uow, k, change_id=sent.form_id, approve=True))
    p = load(gj, person)
    assert (p.name, p.hukou_region, p.phone) == ("赵达年", "620722", "13700000000")
    assert load(gj, lambda uow: uow.session.get(ResidentAddress, pid)).township == "新墩镇"

    whole = ok(gj, lambda uow: ef.get_form(uow, c, kind="change", form_id=sent.form_id))
    assert whole["status"] == "applied" and whole["applied_at"]
    assert [(r["before"], r["after"]) for r in whole["rows"]][:2] == [("赵大年", "赵达年"), ("620702", "620722")]

    def audited(uow: Any) -> list[dict[str, Any]]:
        rows = uow.session.scalars(select(AuditLog.detail_json).where(AuditLog.action == "person.change"))
        return [json.loads(r) for r in rows]

    trail = gj.run(audited)
    assert [(a["item"], a["before"], a["after"]) for a in trail] == [
        ("name", "赵**", "赵**"),
        ("hukou_region", "620702", "620722"),
        ("phone", "139****5678", "137****0000"),
        ("township", "梁家墩镇", "新墩镇"),
    ]


def test_a_new_id_number_is_validated_again_and_brings_its_sex_and_birth_date(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五3: 身份证号码 is key information; the new number passes GB 11643 like a new one."""
    pid, cert = _approved_resident(gj, office)
    other = support.resident(gj, office, name="冯二", birth=date(1992, 2, 2))
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews

    def row(after: str) -> ef.ChangeIn:
        return change_form(ef.ChangeRowIn(cert_no=cert, name="赵大年", item="cert_no", after=after, signed_by="赵大年"))

    good = make_id_number("620702", date(1980, 4, 15), 322)
    for after, code in (
        (good[:17] + ("0" if good[17] != "0" else "1"), "E_ID_CHECKSUM"),
        ("12345", "E_ID_FORMAT"),
        (support.person_cert(gj, other), "E_RESIDENT_CERT_IN_USE"),
        (cert, "E_RESIDENT_CHANGE_NOOP"),
    ):
        assert refused(gj, lambda uow, after=after: ef.submit_change(uow, c, row(after))).code == code, after
    sent = ok(gj, lambda uow: ef.submit_change(uow, c, row(good)))
    ok(gj, lambda uow: ef.review_change(uow, k, change_id=sent.form_id, approve=True))
    p = load(gj, lambda uow: uow.session.get(Person, pid))
    assert (p.cert_no, p.birth_date, p.sex) == (good, date(1980, 4, 15), "2")

    def items(uow: Any) -> list[tuple[str, str | None, str, bool]]:
        found = uow.session.scalars(
            select(ResidentChangeItem)
            .where(ResidentChangeItem.change_id == sent.form_id)
            .order_by(ResidentChangeItem.seq)
        )
        return [(i.item, i.before_value, i.after_value, i.derived) for i in found]

    assert gj.run(items) == [
        ("cert_no", cert, good, False),
        ("sex", "1", "2", True),
        ("birth_date", "1980-04-05", "1980-04-15", True),
    ]


def test_change_form_refusals_write_nothing(gj: Gongji, office: Principal, checker: Principal) -> None:
    """Seed 002 §五3 附件2: the row must name a registered resident, be signed (签字) and change something."""
    pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    cases = [
        (
            ef.ChangeRowIn(cert_no=cert, name="赵小年", item="phone", after="13700000000", signed_by="赵"),
            "E_RESIDENT_PERSON_UNKNOWN",
        ),
        (ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13700000000"), "E_RESIDENT_SIGNATURE"),
        (ef.ChangeRowIn(cert_no=cert, name="赵大年", item="blood", after="A", signed_by="赵"), "E_UNKNOWN_CODE"),
        (
            ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13912345678", signed_by="赵"),
            "E_RESIDENT_CHANGE_NOOP",
        ),
        (
            ef.ChangeRowIn(cert_no=cert, name="赵大年", item="hukou_region", after="999999", signed_by="赵"),
            "E_UNKNOWN_CODE",
        ),
    ]
    for r, code in cases:
        assert refused(gj, lambda uow, r=r: ef.submit_change(uow, c, change_form(r))).code == code, r
    employee_only = support.employee(gj, office, name="郑工")
    r = ef.ChangeRowIn(
        cert_no=support.person_cert(gj, employee_only), name="郑工", item="phone", after="1", signed_by="郑"
    )
    assert refused(gj, lambda uow: ef.submit_change(uow, c, change_form(r))).code == "E_RESIDENT_NOT_ENROLLED"

    # the record moved after the form was filled: applying it would lose that change
    phone = change_form(ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13700000000", signed_by="赵"))
    sent = ok(gj, lambda uow: ef.submit_change(uow, c, phone))

    def moved(uow: Any) -> None:
        uow.session.get(Person, pid).phone = "13600000000"
        uow.commit()

    gj.run(moved)
    err = refused(gj, lambda uow: ef.review_change(uow, k, change_id=sent.form_id, approve=True))
    assert err.code == "E_RESIDENT_CHANGE_STALE"
    ok(gj, lambda uow: ef.review_change(uow, k, change_id=sent.form_id, approve=False, opinion="信息已变化，请重填"))
    assert load(gj, lambda uow: uow.session.get(Person, pid)).phone == "13600000000"


# --- 附件3: stop or outflow ----------------------------------------------------------------------------


def stop(cert: str, **overrides: Any) -> ef.StopIn:
    fields: dict[str, Any] = {
        "cert_no": cert,
        "name": "赵大年",
        "reason": "employee",
        "effective_date": TODAY,
        "applicant_name": "赵大年",
        "signed_on": TODAY,
    }
    fields.update(overrides)
    return ef.StopIn(**fields)


def test_an_approved_stop_form_ends_the_resident_enrollment_with_reason_and_date(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 附件3 《停保或流出登记表》: 参加职工医保 ends the 390 enrollment via the registry."""
    pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    sent = ok(gj, lambda uow: ef.submit_stop(uow, c, stop(cert)))
    assert enrollments_of(gj, pid)[0].status == "normal"  # not before the review
    ok(gj, lambda uow: ef.review_stop(uow, k, stop_id=sent.form_id, approve=True))
    [e] = enrollments_of(gj, pid)
    assert (e.status, e.end_date) == ("terminated", TODAY)

    def reason(uow: Any) -> str | None:
        return uow.session.scalar(select(EnrollmentEvent.reason).where(EnrollmentEvent.action == "end"))

    assert f"附件3停保或流出登记表#{sent.form_id} 参加职工医保" == gj.run(reason)
    row = load(gj, lambda uow: uow.session.get(ResidentStop, sent.form_id))
    assert (row.status, row.opinion) == ("approved", "同意") and row.applied_at is not None


def test_an_outflow_marked_transfer_moves_the_enrollment_to_the_destination(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 附件3 流出: within the registry an outflow may move the enrollment instead of ending it."""
    pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    form = stop(cert, reason="outflow", destination_region="620102", transfer=True)
    sent = ok(gj, lambda uow: ef.submit_stop(uow, c, form))
    ok(gj, lambda uow: ef.review_stop(uow, k, stop_id=sent.form_id, approve=True))
    [e] = enrollments_of(gj, pid)
    assert (e.status, e.region_code) == ("normal", "620102")


def test_stop_form_refusals_write_nothing(gj: Gongji, office: Principal) -> None:
    """Seed 002 附件3 (fields in docs/resident.md): reason, date, destination and applicant are checked."""
    _pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    cases = [
        (stop(cert, effective_date=TODAY + timedelta(days=1)), "E_RESIDENT_STOP_DATE"),
        (stop(cert, effective_date=TODAY - timedelta(days=1)), "E_RESIDENT_STOP_DATE"),  # before the enrollment
        (stop(cert, reason="outflow"), "E_RESIDENT_STOP_DESTINATION"),
        (stop(cert, reason="outflow", destination_region="620702"), "E_RESIDENT_STOP_DESTINATION"),
        (stop(cert, transfer=True), "E_RESIDENT_STOP_DESTINATION"),
        (stop(cert, reason="graduated", graduated_on=date(2026, 6, 30)), "E_RESIDENT_STOP_REASON"),
        (stop(cert, reason="death"), "E_RESIDENT_SIGNATURE"),
        (stop(cert, applicant_name=""), "E_RESIDENT_SIGNATURE"),
        (stop(cert, reason="moon"), "E_UNKNOWN_CODE"),
        (stop(cert, reason="other"), "E_VALIDATION"),
        (stop(cert, name="赵小年"), "E_RESIDENT_PERSON_UNKNOWN"),
    ]
    for form, code in cases:
        assert refused(gj, lambda uow, form=form: ef.submit_stop(uow, c, form)).code == code, form
    worker = support.employee(gj, office, name="郑工")
    form = stop(support.person_cert(gj, worker), name="郑工")
    assert refused(gj, lambda uow: ef.submit_stop(uow, c, form)).code == "E_RESIDENT_NOT_ENROLLED"
    ok(gj, lambda uow: ef.submit_stop(uow, c, stop(cert)))
    assert refused(gj, lambda uow: ef.submit_stop(uow, c, stop(cert))).code == "E_RESIDENT_PENDING"


def test_a_graduate_keeps_benefits_to_31_december_and_is_stopped_only_then(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Seed 002 §五2: 在校期间参保的学生毕业后待遇享受到12月31日."""
    student = make_id_number("620702", date(2004, 5, 5), 127)
    pid, cert = _approved_resident(
        gj,
        office,
        name="王同学",
        cert_no=student,
        signer_name="王同学",
        applicant_identity="college",
        school_region="620702",
    )
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)  # a second clerk reviews
    early = stop(cert, name="王同学", applicant_name="王同学", reason="graduated", graduated_on=date(2026, 6, 30))
    err = refused(gj, lambda uow: ef.submit_stop(uow, c, early))
    assert (err.code, err.detail["covered_until"]) == ("E_RESIDENT_GRADUATE_COVERED", "2026-12-31")
    gj.clock.advance(timedelta(days=39))  # type: ignore[attr-defined]  # 2027-01-01
    on_time = dataclasses.replace(early, effective_date=date(2026, 12, 31), signed_on=date(2027, 1, 1))
    sent = ok(gj, lambda uow: ef.submit_stop(uow, c, on_time))
    ok(gj, lambda uow: ef.review_stop(uow, k, stop_id=sent.form_id, approve=True))
    [e] = enrollments_of(gj, pid)
    assert (e.status, e.end_date) == ("terminated", date(2026, 12, 31))


# --- scope, masking, printouts --------------------------------------------------------------------


def test_forms_are_listed_masked_to_staff_of_their_region_only(gj: Gongji, office: Principal) -> None:
    """Seed 002 §五1: forms are handled by the township of the insured place; SPEC §9 masking."""
    sent = submit(gj, office, application())
    county = support.staff(gj, ["620702"])
    elsewhere = support.staff(gj, ["330102"])
    [item] = ok(gj, lambda uow: ef.list_forms(uow, support.ctx(gj, county), kind="registration"))
    assert (item["form_id"], item["name"], item["cert_no"]) == (
        sent.form_id,
        "赵**",
        mask_id_number(application().cert_no),
    )
    assert ok(gj, lambda uow: ef.list_forms(uow, support.ctx(gj, elsewhere), kind="registration")) == []
    c = support.ctx(gj, elsewhere)
    err = refused(gj, lambda uow: ef.get_form(uow, c, kind="registration", form_id=sent.form_id))
    assert err.code == "E_OUT_OF_REGION"

    def details(uow: Any) -> list[str]:
        return list(uow.session.scalars(select(AuditLog.detail_json)))

    assert not any(application().cert_no in d for d in gj.run(details))  # the audit log never holds it


def _pdftotext(path: Path) -> str:
    tool = shutil.which("pdftotext")
    need(tool is not None, "pdftotext is not installed (apt-get install -y poppler-utils; make services)")
    assert tool is not None
    done = subprocess.run(
        [tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=30
    )
    return done.stdout.decode("utf-8")


def test_the_three_forms_print_as_filled_in_pdfs(gj: Gongji, office: Principal) -> None:
    """Seed 002 附件1–3 as printed: the fields of each form, filled in, in Chinese."""
    need(any(f.path.is_file() for f in CANDIDATES), "no CJK TrueType font (apt-get install -y fonts-wqy-zenhei)")
    c = support.ctx(gj, office)
    pid, cert = _approved_resident(gj, office, subsidy_codes=("dibao_full",))
    reg_id = gj.run(lambda uow: uow.session.scalar(select(ResidentRegistration.id)))
    form = change_form(
        ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13700000000", signed_by="赵大年")
    )
    change = ok(gj, lambda uow: ef.submit_change(uow, c, form))
    halt = ok(gj, lambda uow: ef.submit_stop(uow, c, stop(cert, reason="outflow", destination_region="330102")))
    OUT.mkdir(parents=True, exist_ok=True)
    texts = {}
    for kind, form_id in (("registration", reg_id), ("change", change.form_id), ("stop", halt.form_id)):
        name, data = ok(gj, lambda uow, k=kind, i=form_id: ef.form_pdf(uow, c, kind=k, form_id=i, profile=gj.profile))
        assert data.startswith(b"%PDF-") and name.endswith(".pdf")
        path = OUT / f"{kind}-{gj.engine.dialect.name}.pdf"
        path.write_bytes(data)
        texts[kind] = _pdftotext(path)
    reg = texts["registration"]
    for expected in (
        "甘州区城乡居民基本医疗保险参保登记表",
        "赵大年",
        cert,  # the staff's own printout: nothing masked
        "■男性",
        "1980年4月5日",
        "13912345678",
        "甘肃省",
        "张掖市",
        "甘州区",
        "五号村",
        "梁家墩镇",
        "■普通居民(成年)",
        "□新生儿",
        "■农村一、二类低保和城市全额低保对象",
        "□特困人员",
        "以上信息填报真实",
        "签字：赵大年（本人）",
        "■经审核，符合城乡居民医保参保规定。",
        "□经审核，不符合城乡居民医保参保规定。",
        "经办人：经办员",
        "甘州区医疗保障经办机构",
        "2026年11月23日",
    ):
        assert expected in reg, expected
    chg = texts["change"]
    for expected in ("参保信息变更登记表", "填报人：赵大年", "□关键信息", "■非关键信息", "序号", "变更前", "变更后"):
        assert expected in chg, expected
    for expected in (cert, "联系电话", "13912345678", "13700000000", "经办机构意见", "□同意变更"):
        assert expected in chg, expected
    stp = texts["stop"]
    for expected in (
        "停保或流出登记表",
        cert,
        "■流出（迁往其他统筹地区）",
        "□死亡",
        "浙江省杭州市上城区",
        "终止参保",
        "申请人签字：赵大年（本人）",
        "经办机构意见",
    ):
        assert expected in stp, expected
    assert pid


def test_printing_is_audited_without_the_id_number(gj: Gongji, office: Principal) -> None:
    """Seed 002 附件1 printed by staff: the print is audited, the ID number is not kept in the log."""
    _pid, cert = _approved_resident(gj, office)
    c = support.ctx(gj, office)
    reg_id = gj.run(lambda uow: uow.session.scalar(select(ResidentRegistration.id)))
    ok(gj, lambda uow: ef.form_pdf(uow, c, kind="registration", form_id=reg_id))

    def printed(uow: Any) -> list[str]:
        return list(
            uow.session.scalars(select(AuditLog.detail_json).where(AuditLog.action == "resident.registration.print"))
        )

    [detail] = gj.run(printed)
    assert cert not in detail


# --- separation of duties (issue 12 Part C) -----------------------------------------------------------


def test_the_clerk_who_entered_a_form_cannot_approve_it_four_eyes(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """Separation of duties over seed 002 附件1/附件2/附件3 (收件审核, 经办机构意见): whoever entered a
    form cannot approve it (E_FOUR_EYES), nothing is written; a second clerk can."""
    c = support.ctx(gj, office)
    k = support.ctx(gj, checker)
    sent = submit(gj, office, application())
    err = refused(gj, lambda uow: ef.review_registration(uow, c, registration_id=sent.form_id, approve=True))
    assert err.code == "E_FOUR_EYES" and err.http_status == 403
    row = review(gj, checker, sent.form_id)
    assert row.status == "approved"

    pid, cert = row.person_id, application().cert_no
    change = ok(
        gj,
        lambda uow: ef.submit_change(
            uow,
            c,
            change_form(
                ef.ChangeRowIn(cert_no=cert, name="赵大年", item="phone", after="13700000000", signed_by="赵大年")
            ),
        ),
    )
    assert (
        refused(gj, lambda uow: ef.review_change(uow, c, change_id=change.form_id, approve=True)).code == "E_FOUR_EYES"
    )
    assert load(gj, lambda uow: uow.session.get(Person, pid)).phone == "13912345678"
    ok(gj, lambda uow: ef.review_change(uow, k, change_id=change.form_id, approve=True))
    assert load(gj, lambda uow: uow.session.get(Person, pid)).phone == "13700000000"

    stopped = ok(gj, lambda uow: ef.submit_stop(uow, c, stop(cert)))
    assert refused(gj, lambda uow: ef.review_stop(uow, c, stop_id=stopped.form_id, approve=True)).code == "E_FOUR_EYES"
    assert enrollments_of(gj, pid)[0].status == "normal"
    ok(gj, lambda uow: ef.review_stop(uow, k, stop_id=stopped.form_id, approve=True))
    assert enrollments_of(gj, pid)[0].status == "terminated"
