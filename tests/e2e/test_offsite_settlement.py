"""2206/2207 apply the off-site rules (issue 14 §4), over the 两定 interface on SQLite and
PostgreSQL: an off-site visit of a registered person settles at the normal ratio, a referral
without proper registration at the ratio lowered by the profile's points (≤10), neither by ≤20
[notes §6]; a late registration (补办) before discharge counts [notes §6]; a first-year college
student at the school's place settles without the reduction [seed 002 §五2]; a cross-province
门诊慢特病 claim needs a valid registration and a valid recognition [seed 001 三1]; 1101 shows the
person's registrations and recognized diseases for each credential type (issue 14 "Also").

The Gansu profile reads the reduction as cross-province only (``[offsite.settlement] scope``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongji.adapters.db.models import Settlement
from gongji.adapters.nhsa.client import HisClient, parts_of
from gongji.domain import offsite as O
from gongji.services.offsite import chronic, registration, students
from gongji.services.offsite.registration import Application
from tests import nhsa_support as N
from tests import support as S
from tests.e2e.test_nhsa_interface import envelope_ok, rows_of
from tests.nhsa_support import fen

TODAY = date(2026, 11, 23)  # the fixed test clock
SHENZHEN, NANSHAN, LANZHOU = "440300", "440305", "620100"
SZ_HOSPITAL = "H44030500001"
LZ_HOSPITAL = "H62010200001"
MEDFEE = 1_000_00  # all in scope


@pytest.fixture
def shenzhen(gj, client) -> HisClient:
    """A level-2 hospital of 深圳市南山区: another province for a Gansu patient."""
    return N.his(client, gj, SZ_HOSPITAL, N.institution(gj, SZ_HOSPITAL, region=NANSHAN, level=2), region=NANSHAN)


def register(gj, office, person_id: int, kind: str, destination: str, **kw: Any) -> dict[str, Any]:
    proof = gj.profile.offsite.kind_of(kind).proof_any_of[0]
    app = Application(
        person_id=person_id,
        kind=kind,
        destination_code=destination,
        materials=frozenset({"id_card", "registration_form", proof}),
        commitment_signed=True,
        **kw,
    )

    def go(uow: Any) -> dict[str, Any]:
        reg = registration.register(uow, S.ctx(gj, office), gj.profile, app)
        uow.commit()
        return registration.view(reg, TODAY)

    return gj.run(go)


def recognize(gj, office, person_id: int, disease: str) -> None:
    def apply(uow: Any) -> int:
        rec = chronic.apply(uow, S.ctx(gj, office), gj.profile, person_id=person_id, disease=disease)
        uow.commit()
        return rec.id

    rec_id = gj.run(apply)

    def approve(uow: Any) -> None:
        chronic.approve(uow, S.ctx(gj, S.checker(gj, office)), recognition_id=rec_id)
        uow.commit()

    gj.run(approve)


def settle_answer(his: HisClient, gj, person_id: int, mdtrt_id: str, infno: str, **kw: Any) -> dict[str, Any]:
    insutype = kw.pop("insutype", "310")
    dise_codg = kw.pop("dise_codg", None)
    if infno == "2207" and "parts" not in kw:  # 2207 carries the four parts: all in scope here
        kw["parts"] = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": MEDFEE}
    body = his.settle_input(
        psn_no=str(person_id),
        mdtrt_id=mdtrt_id,
        insutype=insutype,
        certno=S.person_cert(gj, person_id),
        medfee_fen=MEDFEE,
        acct_used_flag="0",
        **kw,
    )
    if dise_codg:
        body["data"]["dise_codg"] = dise_codg  # 2203 病种编码 = 门慢门特病种目录代码
    answer = his.call(infno, body)
    envelope_ok(answer, his.region)
    return answer


def settle(his: HisClient, gj, person_id: int, *, mdtrt_id: str | None = None, **kw: Any) -> dict[str, Any]:
    """2206 then 2207; 2206 foretells 2207. Returns 2207's output."""
    mdtrt_id = mdtrt_id or N.open_visit(his, gj, person_id, insutype=kw.get("insutype", "310"))
    pre = settle_answer(his, gj, person_id, mdtrt_id, "2206", **kw)
    assert pre["infcode"] == 0, pre
    done = settle_answer(his, gj, person_id, mdtrt_id, "2207", parts=parts_of(pre["output"]["setlinfo"]), **kw)
    assert done["infcode"] == 0, done
    assert done["output"]["setldetail"] == pre["output"]["setldetail"]
    return dict(done["output"])


def expected_fund(gj, *, points: int, insutype: str = "310", med_type: str = "11") -> tuple[int, int]:
    """(ratio ‰, fund fen) for MEDFEE in scope, a first settlement of the year, at level 2."""
    rule = gj.profile.benefit_rule(insutype, med_type, 2)
    ratio = max(0, rule.fund_ratio_permille - points * 10)
    return ratio, (MEDFEE - min(MEDFEE, rule.deductible_fen)) * ratio // 1000


def fund_note(out: dict[str, Any]) -> str:
    [fund_row] = [r for r in out["setldetail"] if r["fund_pay_type"] in ("310100", "390100")]
    return str(fund_row["setl_proc_info"])


def settled_row(gj, person_id: int) -> Settlement:
    [row] = rows_of(gj, Settlement, Settlement.person_id == person_id)
    return row


# --- the three ratio cases (notes §6) --------------------------------------------------------


def test_registered_offsite_visit_settles_at_the_normal_ratio_notes6(gj, office, shenzhen, patient):
    reg = register(gj, office, patient, "long_term_resident", SHENZHEN)
    out = settle(shenzhen, gj, patient)
    info = out["setlinfo"]
    ratio, fund = expected_fund(gj, points=0)
    assert (info["pool_prop_selfpay"], fen(info["hifp_pay"])) == (ratio / 1000, fund)
    assert f"异地就医已备案（异地长期居住，备案编号{reg['serial']}）" in fund_note(out)
    assert "异地就医已备案" in info["exp_content"]
    row = settled_row(gj, patient)
    assert (row.offsite_rule, row.offsite_points, row.out_type) == ("registered", 0, "2")


def test_referral_without_proper_registration_lowers_the_ratio_by_the_profiles_points_notes6(
    gj, office, shenzhen, patient
):
    """A 转诊转院 registration for Lanzhou does not cover care in Shenzhen: ≤10 points off."""
    register(gj, office, patient, "referral", LANZHOU)
    points = gj.profile.offsite.settlement.referral_emergency_points
    assert 0 < points <= 10
    out = settle(shenzhen, gj, patient)
    ratio, fund = expected_fund(gj, points=points)
    assert (out["setlinfo"]["pool_prop_selfpay"], fen(out["setlinfo"]["hifp_pay"])) == (ratio / 1000, fund)
    assert (
        f"转诊转院或急诊抢救未按规定备案（转诊转院备案不含本次就医），统筹基金支付比例降低{points}个百分点"
        in fund_note(out)
    )
    row = settled_row(gj, patient)
    assert (row.offsite_rule, row.offsite_points) == ("referral_emergency", points)


def test_unregistered_offsite_visit_lowers_the_ratio_by_the_profiles_points_notes6(gj, office, shenzhen, patient):
    points = gj.profile.offsite.settlement.unregistered_points
    assert 10 < points <= 20
    out = settle(shenzhen, gj, patient)
    ratio, fund = expected_fund(gj, points=points)
    assert (out["setlinfo"]["pool_prop_selfpay"], fen(out["setlinfo"]["hifp_pay"])) == (ratio / 1000, fund)
    before, after = expected_fund(gj, points=0)[0], ratio
    assert fund_note(out) == (
        f"异地就医未备案且非转诊转院或急诊抢救，统筹基金支付比例降低{points}个百分点"
        f"（{before / 10:g}%→{after / 10:g}%）"
    )
    # 5203 shows the same explanation from the stored row
    info = out["setlinfo"]
    query = shenzhen.call(
        "5203", {"data": {"psn_no": info["psn_no"], "setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    )
    assert query["infcode"] == 0, query
    assert query["output"]["setldetail"][0]["setl_proc_info"] == fund_note(out)


def test_an_in_province_visit_elsewhere_is_not_reduced_under_the_cross_province_reading(gj, client, patient):
    """Gansu ``scope = cross_province``: Lanzhou for a 甘州区 patient settles as usual."""
    assert gj.profile.offsite.settlement.scope == "cross_province"
    lanzhou = N.his(client, gj, LZ_HOSPITAL, N.institution(gj, LZ_HOSPITAL, region="620102", level=2), region="620102")
    out = settle(lanzhou, gj, patient)
    ratio, fund = expected_fund(gj, points=0)
    assert (out["setlinfo"]["pool_prop_selfpay"], fen(out["setlinfo"]["hifp_pay"])) == (ratio / 1000, fund)
    assert settled_row(gj, patient).offsite_rule == "local"


def test_a_late_registration_made_before_discharge_counts_notes6(gj, office, shenzhen, patient):
    """补办: admitted in Shenzhen without registration, registered while still in, then settled."""
    mdtrt_id = N.open_visit(shenzhen, gj, patient)
    register(
        gj, office, patient, "emergency", SHENZHEN, late=O.Late(admission_date=TODAY), hospital="深圳市南山区人民医院"
    )
    out = settle(shenzhen, gj, patient, mdtrt_id=mdtrt_id)
    ratio, fund = expected_fund(gj, points=0)
    assert fen(out["setlinfo"]["hifp_pay"]) == fund and out["setlinfo"]["pool_prop_selfpay"] == ratio / 1000
    assert "异地就医已备案（补办）（急诊抢救" in fund_note(out)


# --- students (seed 002 §五2) -----------------------------------------------------------------


def student(gj, office, name: str, admitted: date) -> int:
    pid = S.resident(gj, office, name=name, birth=date(2008, 5, 5))

    def go(uow: Any) -> None:
        students.record(
            uow,
            S.ctx(gj, office),
            person_id=pid,
            school_name="深圳大学",
            school_region=NANSHAN,
            admission_date=admitted,
        )
        uow.commit()

    gj.run(go)
    return pid


def test_a_first_year_student_at_the_school_place_settles_without_the_reduction_seed002_5_2(gj, office, shenzhen):
    """大中专学生在入学当年学籍地如发生医疗费用 … 报销比例不受转外就医调减比例规定限制."""
    freshman = student(gj, office, "陈新生", date(2026, 9, 1))
    out = settle(shenzhen, gj, freshman, insutype="390")
    ratio, fund = expected_fund(gj, points=0, insutype="390")
    assert (out["setlinfo"]["pool_prop_selfpay"], fen(out["setlinfo"]["hifp_pay"])) == (ratio / 1000, fund)
    assert "大中专学生入学当年在学籍地（深圳大学）就医" in fund_note(out)
    assert settled_row(gj, freshman).offsite_rule == "student"
    # a second-year student (admitted last year) is an unregistered off-site patient again
    sophomore = student(gj, office, "陈老生", date(2025, 9, 1))
    later = settle(shenzhen, gj, sophomore, insutype="390")
    points = gj.profile.offsite.settlement.unregistered_points
    assert later["setlinfo"]["pool_prop_selfpay"] == expected_fund(gj, points=points, insutype="390")[0] / 1000
    assert settled_row(gj, sophomore).offsite_rule == "unregistered"


# --- 门诊慢特病 across provinces (seed 001 三1) ----------------------------------------------------


def test_cross_province_chronic_claim_needs_registration_and_recognition_seed001_3_1(gj, office, shenzhen, patient):
    watched = N.snapshot(gj)
    mdtrt_id = N.open_visit(shenzhen, gj, patient)
    before = N.snapshot(gj)
    claim = dict(med_type="14", dise_codg="M03900")  # 高血压病
    for infno in ("2206", "2207"):
        answer = settle_answer(shenzhen, gj, patient, mdtrt_id, infno, **claim)
        assert answer["infcode"] == -1 and answer["err_code"] == "E_SETL_OFFSITE_CHRONIC", answer
        assert "无有效的异地就医备案和高血压门诊慢特病认定，不予结算" in answer["err_msg"]
    missing_code = settle_answer(shenzhen, gj, patient, mdtrt_id, "2207", med_type="14")
    assert missing_code["infcode"] == -1 and "须上传病种编码" in missing_code["err_msg"]
    other = settle_answer(shenzhen, gj, patient, mdtrt_id, "2207", med_type="14", dise_codg="M02300")  # 帕金森病
    assert other["infcode"] == -1 and "不在跨省直接结算的门诊慢特病范围内" in other["err_msg"]
    assert N.snapshot(gj) == before and before != watched

    register(gj, office, patient, "long_term_resident", SHENZHEN)
    only_registered = settle_answer(shenzhen, gj, patient, mdtrt_id, "2207", **claim)
    assert only_registered["infcode"] == -1
    assert only_registered["err_msg"].endswith("该参保人就诊当日无有效的高血压门诊慢特病认定，不予结算")

    recognize(gj, office, patient, "hypertension")
    out = settle(shenzhen, gj, patient, mdtrt_id=mdtrt_id, **claim)
    ratio, fund = expected_fund(gj, points=0, med_type="14")
    assert (out["setlinfo"]["pool_prop_selfpay"], fen(out["setlinfo"]["hifp_pay"])) == (ratio / 1000, fund)
    assert fund_note(out).startswith(f"跨省门诊慢特病（高血压，认定自{TODAY.isoformat()}")
    assert settled_row(gj, patient).med_type == "14"


def test_a_chronic_claim_with_a_recognition_but_no_registration_is_refused_seed001_3_1(gj, office, shenzhen, patient):
    recognize(gj, office, patient, "hypertension")
    mdtrt_id = N.open_visit(shenzhen, gj, patient)
    answer = settle_answer(shenzhen, gj, patient, mdtrt_id, "2207", med_type="14", dise_codg="M03900")
    assert answer["infcode"] == -1 and "无有效的异地就医备案，不予结算" in answer["err_msg"]


def test_a_chronic_claim_at_home_needs_no_offsite_registration(gj, hospital, patient):
    """001 三 is about cross-province settlement: at the insured place med_type 14 settles as before."""
    out = settle(hospital, gj, patient, med_type="14")
    assert fen(out["setlinfo"]["hifp_pay"]) == expected_fund(gj, points=0, med_type="14")[1]
    assert settled_row(gj, patient).offsite_rule == "local"


# --- 1101 (issue 14 "Also") -------------------------------------------------------------------


def test_1101_shows_registrations_and_recognized_diseases_for_each_credential_type(gj, office, hospital, patient):
    reg = register(gj, office, patient, "long_term_resident", SHENZHEN)
    recognize(gj, office, patient, "diabetes")
    card = N.ssc_card(gj, office, patient, "G12345678")
    certno = S.person_cert(gj, patient)
    credentials = (("02", certno), ("01", N.ec_token(gj, patient)), ("03", card))
    for cert_type, number in credentials:
        answer = hospital.person_info(certno if cert_type == "02" else "", cert_type=cert_type, cert_no=number)
        assert answer["infcode"] == 0, (cert_type, answer)
        out = answer["output"]
        assert out["outreginfo"] == [
            {
                "biz_appy_type": "08",
                "mdtrtarea_admdvs": SHENZHEN,
                "begndate": TODAY.isoformat(),
                "enddate": None,
                "trt_dcla_detl_sn": reg["serial"],
                "memo": "异地长期居住",
            }
        ], cert_type
        [disease] = out["opspinfo"]
        assert disease["opsp_dise_code"] == "M01600" and disease["opsp_dise_name"] == "糖尿病"
        assert disease["begndate"] == TODAY.isoformat()


def test_staff_record_a_students_school_over_the_api_seed002_5_2(gj, client, office):
    from tests.e2e.conftest import login

    pid = S.resident(gj, office, name="陈学籍", birth=date(2008, 6, 6))
    body = {"person_id": pid, "school_name": "深圳大学", "school_region": NANSHAN, "admission_date": "2026-09-01"}
    ok = client.post("/api/offsite/students", json=body, headers=login(client, office.username))
    assert ok.status_code == 201, ok.text
    assert ok.json()["first_year_until"] == "2026-12-31"
    bad = client.post(
        "/api/offsite/students", json=body | {"school_region": "449999"}, headers=login(client, office.username)
    )
    assert bad.status_code == 422 and bad.json()["code"] == "E_UNKNOWN_CODE"
    citizen = S.citizen(gj, pid)
    mine = client.post("/api/offsite/students", json=body, headers=login(client, citizen.username))
    assert mine.status_code == 403
