"""就医费用报销"一件事" (seed 001; issue 14 §5) on SQLite and PostgreSQL: one form for all four
matters, each part at its office (串并联办理), the 即办件 done at once through their own use cases,
the recognition waiting for a second clerk, the time limits in working days, at most one visit,
at most 3 materials, and the in-province rule of family binding answered in the seed's words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from gongji.adapters.db.models import (
    AuditLog,
    ChronicRecognition,
    FamilyBinding,
    OffsiteRegistration,
    OneThingCase,
    OneThingPart,
)
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.audit import Channel
from gongji.services.offsite import chronic
from gongji.services.onething import apply as A
from gongji.services.onething import cases, queue
from gongji.services.registry.persons import Ctx
from tests import support

GANSU, ZHEJIANG = "620702", "330106"
TABLES = (OneThingCase, OneThingPart, FamilyBinding, OffsiteRegistration, ChronicRecognition, AuditLog)
ALL = ("family_binding", "offsite_registration", "chronic_recognition", "direct_settlement")
MATERIALS = ("id_card", "application_form", "commitment")


@pytest.fixture
def office(gj: Any) -> Any:
    return support.staff(gj, ["620700"])


def form(gj: Any, pid: int, relative: int | None = None, parts: tuple[str, ...] = ALL, **kw: Any) -> A.Application:
    fields: dict[str, Any] = {
        "person_id": pid,
        "parts": parts,
        "materials": MATERIALS,
        "signature": support.person_name(gj, pid),
        "commitment_signed": True,
        "family": A.FamilyPart(support.person_name(gj, relative), support.person_cert(gj, relative), "child")
        if relative
        else None,
        "registration": A.RegistrationPart("long_term_resident", "440300"),
        "chronic": A.ChronicPart("hypertension"),
    }
    fields.update(kw)
    return A.Application(**fields)


def file(gj: Any, who: Any, app: A.Application, clock: Any = None) -> dict[str, Any]:
    ctx = Ctx(principal=who, channel=Channel("test"), clock=clock or gj.clock)

    def go(uow: Any) -> dict[str, Any]:
        case = A.apply(uow, ctx, gj.profile, app)
        uow.commit()
        return cases.get(uow, ctx, gj.profile, case.id, audit_read=False)

    return gj.run(go)


def look(gj: Any, who: Any, case_id: int, clock: Any = None) -> dict[str, Any]:
    ctx = Ctx(principal=who, channel=Channel("test"), clock=clock or gj.clock)
    return gj.run(lambda uow: cases.get(uow, ctx, gj.profile, case_id, audit_read=False))


def parts(view: dict[str, Any]) -> dict[str, str]:
    return {p["kind"]: p["state"] for p in view["parts"]}


def test_one_form_for_all_four_matters_routes_each_part_and_ends_when_the_review_ends_seed001(
    gj: Any, office: Any
) -> None:
    """001 涉及的内容 (four matters), 联办事项 (即办件 / 主动服务), 串并联办理, 3个环节."""
    me = support.citizen(gj, support.employee(gj, office, income_fen=50_000))
    child = support.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    case = file(gj, me, form(gj, me.person_id, child))
    assert parts(case) == {
        "family_binding": "done",  # 即办件: at once
        "offsite_registration": "done",  # 即办件: at once
        "chronic_recognition": "processing",  # waits for a clerk
        "direct_settlement": "waiting",  # after the registration and the recognition
    }
    assert (case["state"], case["step"], case["steps"]) == ("reviewing", 2, ["申请", "受理审核", "办结"])
    assert {p["office"] for p in case["parts"]} == {"family", "offsite", "chronic", "institution"}
    assert (case["channel"], case["visits"], case["visit_reason"]) == ("online", 0, None)  # none online
    assert case["serial"].startswith("YJ20261123")
    assert "备案号YD" in next(p for p in case["parts"] if p["kind"] == "offsite_registration")["result_zh"]

    rec_id = next(p for p in case["parts"] if p["kind"] == "chronic_recognition")["recognition_id"]
    support.committed(gj, lambda uow: chronic.approve(uow, support.ctx(gj, office), recognition_id=rec_id))
    done = look(gj, me, case["case_id"])
    assert parts(done) == dict.fromkeys(ALL, "done")
    assert (done["state"], done["step"], done["closed_on"], done["timing"]) == (
        "done", 3, "2026-11-23", "finished_in_time",
    )  # fmt: skip
    settlement = next(p for p in done["parts"] if p["kind"] == "direct_settlement")["result_zh"]
    assert "已开通异地就医直接结算" in settlement and "门诊慢特病可跨省直接结算" in settlement


def test_a_cross_province_relative_gets_the_seeds_answer_and_the_other_parts_go_on_seed001(
    gj: Any, office: Any
) -> None:
    """001 适用对象说明 / 常见问题: 职工医保个人账户家庭共济办理仅支持省内办理."""
    me = support.citizen(gj, support.employee(gj, office, income_fen=50_000))
    zj_child = support.resident(gj, support.staff(gj, ["330000"]), region=ZHEJIANG, birth=date(2012, 3, 3))
    case = file(gj, me, form(gj, me.person_id, zj_child, parts=("family_binding", "offsite_registration")))
    family = next(p for p in case["parts"] if p["kind"] == "family_binding")
    assert family["state"] == "refused"
    assert family["result_zh"] == "目前，职工医保个人账户家庭共济办理仅支持省内办理。"
    assert parts(case)["offsite_registration"] == "done" and case["state"] == "done"
    assert support.row_counts(gj, (FamilyBinding,))["family_binding"] == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"materials": ("id_card", "application_form", "residence_proof", "commitment")}, "E_ONETHING_MATERIALS"),
        ({"materials": ("id_card", "id_card")}, "E_ONETHING_MATERIALS"),
        ({"parts": ("offsite_registration", "lottery")}, "E_UNKNOWN_CODE"),
        ({"parts": ()}, "E_VALIDATION"),
        ({"signature": "别人"}, "E_ONETHING_COMMITMENT"),
        ({"registration": A.RegistrationPart("moon_base", "440300")}, "E_UNKNOWN_CODE"),
    ],
)
def test_a_bad_form_is_refused_as_a_whole_and_writes_nothing(gj: Any, office: Any, change: Any, code: str) -> None:
    """001 联办效能: 3份材料; unknown parts and kinds are bad input."""
    me = support.citizen(gj, support.employee(gj, office, income_fen=50_000))
    app = form(gj, me.person_id, **({"parts": ("offsite_registration", "chronic_recognition")} | change))
    err = support.refused_unchanged(gj, lambda uow: A.apply(uow, support.ctx(gj, me), gj.profile, app), TABLES)
    assert err.code == code and 400 <= err.http_status < 500


def test_a_window_case_is_the_one_visit_and_a_second_is_refused_seed001(gj: Any, office: Any) -> None:
    """001 到场次数 0次或1次; 必须现场办理原因说明: 需现场提交本人有效证件办理结算."""
    pid = support.employee(gj, office)
    case = file(gj, office, form(gj, pid, parts=("direct_settlement",), agent_name="张父", agent_relation="父子"))
    assert (case["channel"], case["visits"]) == ("window_agent", 1)
    assert case["visit_reason"] == "需现场提交本人有效证件办理结算"
    assert case["state"] == "done"  # direct settlement alone: at once
    err = support.refused_unchanged(
        gj, lambda uow: cases.record_visit(uow, support.ctx(gj, office), gj.profile, case_id=case["case_id"]), TABLES
    )
    assert err.code == "E_ONETHING_VISITS"


def test_a_commitment_stands_for_the_proof_which_may_follow(gj: Any, office: Any) -> None:
    """承诺件: what was committed to is recorded; the residence proof is handed in later."""
    me = support.citizen(gj, support.employee(gj, office))
    case = file(gj, me, form(gj, me.person_id, parts=("offsite_registration",)))
    assert "异地就医个人承诺书（代替证明材料）" in case["commitments_zh"]
    assert case["proofs_pending"] == ["residence_proof"]
    support.committed(
        gj,
        lambda uow: cases.receive_proof(
            uow, support.ctx(gj, office), case_id=case["case_id"], material="residence_proof"
        ),
    )
    after = look(gj, me, case["case_id"])
    assert after["proofs_pending"] == [] and after["proofs_received"][0]["zh"] == "异地长期居住证明材料"
    # one visit is still allowed for an online case
    support.committed(
        gj, lambda uow: cases.record_visit(uow, support.ctx(gj, office), gj.profile, case_id=case["case_id"])
    )
    assert look(gj, me, case["case_id"])["visits"] == 1


def test_deadlines_count_working_days_from_acceptance_and_the_queue_shows_overdue_cases(gj: Any, office: Any) -> None:
    """001: 承诺办结时限 2个工作日, 法定 3个工作日. Accepted Wed 2026-09-30 (eve of National Day):
    committed due Fri 10-09, statutory the make-up Saturday 10-10."""
    eve = FixedClock(datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI))
    me = support.citizen(gj, support.employee(gj, office))
    case = file(gj, me, form(gj, me.person_id, parts=("chronic_recognition",)), clock=eve)
    assert (case["committed_due"], case["statutory_due"]) == ("2026-10-09", "2026-10-10")
    assert case["timing"] == "on_time" and case["remaining"] == 2

    on_the_day = FixedClock(datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI))
    assert look(gj, me, case["case_id"], on_the_day)["timing"] == "due_today"
    late = look(gj, me, case["case_id"])  # today 2026-11-23
    assert (late["timing"], late["late"]) == ("statutory_overdue", True) and late["remaining"] < 0

    fresh = file(gj, me, form(gj, me.person_id, parts=("chronic_recognition",), chronic=A.ChronicPart("diabetes")))
    q = gj.run(lambda uow: queue.staff_queue(uow, support.ctx(gj, office), gj.profile))
    ids = [c["case_id"] for c in q["cases"]]
    assert ids.index(case["case_id"]) < ids.index(fresh["case_id"])  # least time left first
    assert q["counts"]["overdue"] == 1 and q["counts"]["open"] == 2
    chronic_office = next(o for o in q["counts"]["offices"] if o["office"] == "chronic")
    assert (chronic_office["open"], chronic_office["overdue"]) == (2, 1)
    overdue = gj.run(lambda uow: queue.overdue_list(uow, support.ctx(gj, office), gj.profile))
    assert [c["case_id"] for c in overdue] == [case["case_id"]]
    book = queue.overdue_workbook(overdue, date(2026, 11, 23))
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(book)).active
    assert sheet["A3"].value == case["serial"] and "*" in sheet["B3"].value and "*" in sheet["C3"].value


def test_a_rejected_recognition_refuses_its_part_and_settlement_says_why(gj: Any, office: Any) -> None:
    me = support.citizen(gj, support.employee(gj, office))
    case = file(
        gj, me, form(gj, me.person_id, parts=("offsite_registration", "chronic_recognition", "direct_settlement"))
    )
    rec_id = next(p for p in case["parts"] if p["kind"] == "chronic_recognition")["recognition_id"]
    support.committed(
        gj, lambda uow: chronic.reject(uow, support.ctx(gj, office), recognition_id=rec_id, reason="诊断证明不全")
    )
    done = look(gj, me, case["case_id"])
    assert parts(done) == {
        "offsite_registration": "done",
        "chronic_recognition": "refused",
        "direct_settlement": "done",
    }
    assert "诊断证明不全" in next(p for p in done["parts"] if p["kind"] == "chronic_recognition")["result_zh"]
    assert "门诊慢特病未认定" in next(p for p in done["parts"] if p["kind"] == "direct_settlement")["result_zh"]


def test_a_citizen_never_sees_another_persons_case_and_staff_only_their_regions(gj: Any, office: Any) -> None:
    me = support.citizen(gj, support.employee(gj, office))
    other = support.citizen(gj, support.employee(gj, office))
    case = file(gj, me, form(gj, me.person_id, parts=("direct_settlement",)))
    assert (
        support.refused_unchanged(
            gj, lambda uow: cases.get(uow, support.ctx(gj, other), gj.profile, case["case_id"]), TABLES
        ).code
        == "E_NOT_FOUND"
    )
    lanzhou = support.staff(gj, ["620100"])
    assert (
        support.refused_unchanged(
            gj, lambda uow: cases.get(uow, support.ctx(gj, lanzhou), gj.profile, case["case_id"]), TABLES
        ).code
        == "E_OUT_OF_REGION"
    )
    q = gj.run(lambda uow: queue.staff_queue(uow, support.ctx(gj, lanzhou), gj.profile, view="all"))
    assert q["cases"] == []
