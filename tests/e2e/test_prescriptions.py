"""External prescriptions through the electronic-prescription centre, over HTTP, on SQLite and
PostgreSQL (issue 14 §6).

Seed 004 (国家医疗保障局 加强医保药品外配处方管理):

* "已上线医保电子处方中心的统筹地区，定点医疗机构应通过电子处方中心提供处方外配服务。支持将电子处方打印成
  纸质处方" — upload, fetch by number, print;
* "暂未上线医保电子处方中心的统筹地区，定点医疗机构开具的纸质处方须经本院医保医师签名并加盖外配处方专用章
  后有效" — paper prescriptions, the physician's code and the stamp;
* "定点零售药店…核准处方用药信息、有效期等以及参保人信息，发现问题的可以拒绝调剂，并及时向当地医保部门
  反映存疑外配处方线索…暂不接受本统筹地区以外的医疗机构外配处方" — checks, refusal, 存疑线索, region;
* "虚假处方、超量开药" — over-quantity;
* "针对门诊慢性病和特殊病保障、城乡居民门诊“两病”用药机制开方药品，以及其他金额高…的开方药品开展专项检查".

The Gansu profile's demo figures: the centre is live in 兰州市 (620100); 7 days a line, 84 for
chronic/两病 prescriptions; 医保医师代码 D + 12 digits; high amount from 500.00 yuan.
"""

from __future__ import annotations

import io
import subprocess
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from gongji.adapters.db import models as M
from gongji.adapters.nhsa.client import HisClient, parts_of
from tests import nhsa_support as N
from tests import support as S
from tests.e2e.conftest import login

LANZHOU = "620102"  # 兰州市城关区: the centre is live (Gansu profile, demo)
LANZHOU_OTHER = "620103"  # 兰州市七里河区: another county, another pooling region here
BAIYIN = "620402"  # 白银市白银区: no centre live
METFORMIN = "XA10BAA001A001010100001"  # 二甲双胍片, 甲, prescription drug
CAPTOPRIL = "XC09AAA001A001010100002"  # 卡托普利片, 甲, prescription drug
DOCTOR = "D620102000123"
PRICE = "0.50"


def site(gj, client, code: str, region: str, kind: str = "hospital") -> HisClient:
    key = N.institution(gj, code, region=region, kind=kind, level=0 if kind == "pharmacy" else 2)
    return N.his(client, gj, code, key, region=region)


def line(code: str = METFORMIN, cnt: str = "14", days: int = 7, pric: str = PRICE, **kw: Any) -> dict[str, Any]:
    return {
        "med_list_codg": code,
        "cnt": cnt,
        "prd_days": days,
        "sin_dos_dscr": "0.5g",
        "used_frqu_dscr": "每日2次",
        "medc_way_dscr": "口服",
        "pric": pric,
        **kw,
    }


def upload_body(person: int, mdtrt_id: str, rxno: str, *lines: dict[str, Any], dise: str = "") -> dict[str, Any]:
    return {
        "rxno": rxno,
        "psn_no": str(person),
        "mdtrt_id": mdtrt_id,
        "dise_codg": dise,
        "dise_name": {"M03900": "高血压", "M01600": "糖尿病"}.get(dise, ""),
        "bilg_dr_codg": DOCTOR,
        "bilg_dr_name": "赵医生",
        "lines": list(lines) or [line()],
    }


def upload(
    his: HisClient, gj, person: int, rxno: str, *lines: dict[str, Any], dise: str = "", insutype: str = "310"
) -> Any:
    mdtrt_id = N.open_visit(his, gj, person, ipt_otp_no=f"MZ{rxno}", insutype=insutype)
    return his.rx("POST", "/api/rx/prescriptions", upload_body(person, mdtrt_id, rxno, *lines, dise=dise))


def uploaded(
    his: HisClient, gj, person: int, rxno: str, *lines: dict[str, Any], dise: str = "", insutype: str = "310"
) -> dict[str, Any]:
    r = upload(his, gj, person, rxno, *lines, dise=dise, insutype=insutype)
    assert r.status_code == 201, r.text
    return dict(r.json())


def refused(response: Any, status: int, code: str, fragment: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"] and body["message_en"], body
    assert fragment in body["message"], body["message"]
    return dict(body)


def counts(gj) -> dict[str, int]:
    tables = (M.Prescription, M.PrescriptionLine, M.PrescriptionFetch, M.PrescriptionDoubt, M.FeeDetail, M.Settlement)
    return gj.run(
        lambda uow: {t.__tablename__: int(uow.session.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
    )


def dispense(pharmacy: HisClient, number: str, *lines: tuple[str, str], **kw: Any) -> Any:
    body = {"rx_chk_stas_codg": "1", "lines": [{"med_list_codg": c, "cnt": n} for c, n in lines], **kw}
    return pharmacy.rx("POST", f"/api/rx/prescriptions/{number}/dispense", body)


def pharmacy_settles(pharmacy: HisClient, gj, person: int, rxno: str, cnt: str = "14", code: str = METFORMIN) -> Any:
    """1101 → 2201 → 2204 (the drug on the prescription) → 2206 → 2207 at the pharmacy (med_type 41)."""
    mdtrt_id = N.open_visit(pharmacy, gj, person, ipt_otp_no=f"YD{rxno}{cnt}")
    rows = [N.fee_row(psn_no=str(person), mdtrt_id=mdtrt_id, sn="1", code=code, cnt=cnt, pric_fen=50, rxno=rxno)]
    fees = pharmacy.call("2204", {"feedetail": rows})
    if fees["infcode"] != 0:
        return fees
    args: dict[str, Any] = dict(
        psn_no=str(person),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=S.person_cert(gj, person),
        medfee_fen=int(float(cnt) * 50),
        acct_used_flag="0",
        med_type="41",
    )
    pre = pharmacy.call("2206", pharmacy.settle_input(**args))
    assert pre["infcode"] == 0, pre
    return pharmacy.call("2207", pharmacy.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))


@pytest.fixture
def lanzhou(gj, client, office):
    """A hospital and a pharmacy of 兰州市城关区 (centre live) and an employee insured there."""
    hospital = site(gj, client, "H62010200001", LANZHOU)
    pharmacy = site(gj, client, "P62010200001", LANZHOU, "pharmacy")
    person = S.employee(gj, office, region=LANZHOU, name="马丽", birth=date(1962, 3, 3), income_fen=5_000)
    return hospital, pharmacy, person


# --- 流转: upload → fetch → dispense → settle ------------------------------------------------------


def test_an_electronic_prescription_flows_upload_fetch_dispense_settle_and_dispenses_once_seed004(gj, client, lanzhou):
    hospital, pharmacy, person = lanzhou
    rx = uploaded(hospital, gj, person, "CF0001", line(), line(CAPTOPRIL, "21", 7, "0.20"))
    number = rx["hi_rxno"]
    assert number.startswith("RX620102") and rx["state"] == "valid" and rx["rx_stas_codg"] == "1"
    assert rx["amount"] == "11.20"  # 14 × 0.50 + 21 × 0.20
    assert rx["psn_name"] == "马*" and "*" in rx["certno"]  # masked even for the issuer

    # 打印成纸质处方: a Chinese PDF carrying the number the pharmacy fetches it by
    pdf = hospital.rx("GET", f"/api/rx/prescriptions/{number}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
    page = text.decode("utf-8")
    assert "医保电子处方" in page and number in page and "二甲双胍片" in page and DOCTOR in page

    fetched = pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": number})
    assert fetched.status_code == 200, fetched.text
    drugs = {x["med_list_codg"]: x for x in fetched.json()["lines"]}
    assert drugs[METFORMIN]["cnt"] == "14" and drugs[METFORMIN]["prd_days"] == 7
    assert drugs[CAPTOPRIL]["used_frqu_dscr"] == "每日2次"

    # settling before the dispensing is reported back is refused, nothing written
    before = counts(gj)
    early = pharmacy_settles(pharmacy, gj, person, number)
    assert early["infcode"] == -1 and early["err_code"] == "E_SETL_PRESCRIPTION", early
    assert counts(gj)["fee_detail"] == before["fee_detail"]

    done = dispense(pharmacy, number, (METFORMIN, "14"))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "dispensed" and done.json()["rx_used_stas_codg"] == "2"

    settled = pharmacy_settles(pharmacy, gj, person, number)
    assert settled["infcode"] == 0, settled
    info = settled["output"]["setlinfo"]
    state = gj.run(
        lambda uow: uow.session.execute(
            select(M.Prescription.status, M.Prescription.dispensed_by, M.Prescription.dispensed_setl_id).where(
                M.Prescription.hi_rxno == number
            )
        ).one()
    )
    assert tuple(state) == ("dispensed", "P62010200001", int(info["setl_id"]))

    # dispensed once: another pharmacy of the region cannot fetch it, this one cannot report again
    other = site(gj, client, "P62010200002", LANZHOU, "pharmacy")
    refused(other.rx("POST", "/api/rx/fetch", {"hi_rxno": number}), 409, "E_RX_STATE", "已调剂")
    refused(dispense(pharmacy, number, (METFORMIN, "1")), 409, "E_RX_STATE")
    # and a second sale on it is refused at 2204
    again = pharmacy_settles(pharmacy, gj, person, number)
    assert again["infcode"] == -1 and again["err_code"] == "E_SETL_PRESCRIPTION", again

    # cancelling the settlement: still dispensed by this pharmacy, may be settled again
    cancel = {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"]}}
    assert pharmacy.call("2208", cancel)["infcode"] == 0
    assert pharmacy_settles(pharmacy, gj, person, number)["infcode"] == 0


# --- 超量开药 ---------------------------------------------------------------------------------------


def test_days_supply_above_the_profile_limit_is_over_quantity_and_writes_nothing_seed004(gj, client, lanzhou):
    hospital, pharmacy, person = lanzhou
    rules = gj.profile.settlement.prescription
    before = counts(gj)
    over = upload(hospital, gj, person, "CF0100", line(days=rules.max_days + 1))
    refused(over, 422, "E_RX_OVER_QUANTITY", f"{rules.max_days}天")
    assert counts(gj)["prescription"] == before["prescription"]
    assert counts(gj)["prescription_line"] == before["prescription_line"]

    # a chronic-disease (高血压) prescription may carry the longer supply, not more
    long_ok = uploaded(hospital, gj, person, "CF0101", line(days=rules.max_days_chronic), dise="M03900")
    assert long_ok["days_limit"] == rules.max_days_chronic
    refused(
        upload(hospital, gj, person, "CF0102", line(days=rules.max_days_chronic + 1), dise="M03900"),
        422,
        "E_RX_OVER_QUANTITY",
    )
    refused(upload(hospital, gj, person, "CF0103", line(code="NOPE123")), 422, "E_RX_LINES", "不在医保药品目录")

    # the pharmacy dispenses at most what is prescribed, and settles at most what it dispensed
    number = long_ok["hi_rxno"]
    assert pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": number}).status_code == 200
    refused(dispense(pharmacy, number, (METFORMIN, "15")), 422, "E_RX_OVER_QUANTITY", "超过处方数量")
    refused(dispense(pharmacy, number, (CAPTOPRIL, "1")), 422, "E_RX_LINES", "不在该处方上")
    assert dispense(pharmacy, number, (METFORMIN, "10")).status_code == 200
    more = pharmacy_settles(pharmacy, gj, person, number, cnt="14")
    assert more["infcode"] == -1 and more["err_code"] == "E_RX_OVER_QUANTITY", more
    assert pharmacy_settles(pharmacy, gj, person, number, cnt="10")["infcode"] == 0


# --- where the centre is live, and where it is not ------------------------------------------------


def test_the_centre_is_used_where_it_is_live_and_paper_elsewhere_seed004(gj, client, office, lanzhou):
    hospital, pharmacy, person = lanzhou
    baiyin_hospital = site(gj, client, "H62040200001", BAIYIN)
    baiyin_person = S.employee(gj, office, region=BAIYIN, name="白雪", birth=date(1970, 1, 1))
    refused(upload(baiyin_hospital, gj, baiyin_person, "BY0001"), 422, "E_RX_CENTER_NOT_LIVE", "暂未上线")

    # a paper prescription of a 兰州 hospital is refused: it must come through the centre
    paper = paper_body(person, "H62010200001", "ZZ0001")
    refused(pharmacy.rx("POST", "/api/rx/paper", paper), 422, "E_RX_CENTER_REQUIRED")
    # and so is a hospital's 2204 外购处方 line that did not go through the centre
    mdtrt_id = N.open_visit(hospital, gj, person, ipt_otp_no="MZ2204")
    row = N.fee_row(
        psn_no=str(person),
        mdtrt_id=mdtrt_id,
        sn="1",
        code=METFORMIN,
        cnt=14,
        pric_fen=50,
        rxno="HIS01",
        rx_circ_flag="1",
    )
    answer = hospital.call("2204", {"feedetail": [row]})
    assert answer["infcode"] == -1 and answer["err_code"] == "E_RX_CENTER_REQUIRED", answer
    # quoting the centre's number it uploaded is accepted
    rx = uploaded(hospital, gj, person, "HIS02")
    row = dict(row, feedetl_sn="2", rxno=rx["hi_rxno"])
    assert hospital.call("2204", {"feedetail": [row]})["infcode"] == 0


def paper_body(person: int, issuer: str, rxno: str, **kw: Any) -> dict[str, Any]:
    return {
        "rxno": rxno,
        "psn_no": str(person),
        "issuer_code": issuer,
        "insutype": "310",
        "issued_on": "2026-11-23T09:00:00+08:00",
        "dise_codg": "",
        "bilg_dr_codg": "D620402000777",
        "bilg_dr_name": "钱医生",
        "stamp_present": True,
        "lines": [line()],
        **kw,
    }


def test_a_paper_prescription_needs_the_physicians_code_and_the_stamp_confirmed_before_dispensing_seed004(
    gj, client, office
):
    hospital = site(gj, client, "H62040200001", BAIYIN)
    pharmacy = site(gj, client, "P62040200001", BAIYIN, "pharmacy")
    person = S.employee(gj, office, region=BAIYIN, name="白雪", birth=date(1970, 1, 1))
    # the hospital's own record (2204 外购处方 line, 留存备查) names its physician
    mdtrt_id = N.open_visit(hospital, gj, person, ipt_otp_no="MZP1")
    row = N.fee_row(
        psn_no=str(person),
        mdtrt_id=mdtrt_id,
        sn="1",
        code=METFORMIN,
        cnt=14,
        pric_fen=50,
        rxno="ZZ0001",
        rx_circ_flag="1",
    )
    row["bilg_dr_codg"] = "D620402000777"
    assert hospital.call("2204", {"feedetail": [row]})["infcode"] == 0

    before = counts(gj)
    post = lambda body: pharmacy.rx("POST", "/api/rx/paper", body)  # noqa: E731
    refused(post(paper_body(person, "H62040200001", "ZZ0001", stamp_present=False)), 422, "E_RX_STAMP", "专用章")
    refused(post(paper_body(person, "H62040200001", "ZZ0001", bilg_dr_codg="")), 422, "E_RX_PHYSICIAN")
    refused(post(paper_body(person, "H62040200001", "ZZ0001", bilg_dr_codg="620402")), 422, "E_RX_PHYSICIAN", "格式")
    refused(
        post(paper_body(person, "H62040200001", "ZZ0001", bilg_dr_codg="D620402000888")),
        422,
        "E_RX_PHYSICIAN",
        "不符",
    )
    refused(post(paper_body(person, "H99999999999", "ZZ0001")), 422, "E_UNKNOWN_CODE")
    far = site(gj, client, "H62050200001", "620502")  # 天水市秦州区: not this pharmacy's pooling region
    assert far is not None
    refused(post(paper_body(person, "H62050200001", "ZZ0009")), 422, "E_RX_OTHER_REGION")
    assert counts(gj) == before  # every refusal wrote nothing

    entered = post(paper_body(person, "H62040200001", "ZZ0001"))
    assert entered.status_code == 201, entered.text
    number = entered.json()["hi_rxno"]
    assert entered.json()["source"] == "paper" and entered.json()["bilg_dr_codg"] == "D620402000777"
    refused(dispense(pharmacy, number, (METFORMIN, "14")), 422, "E_RX_NOT_CONFIRMED")
    refused(dispense(pharmacy, number, (METFORMIN, "14"), physician_confirmed=True), 422, "E_RX_NOT_CONFIRMED")
    ok = dispense(pharmacy, number, (METFORMIN, "14"), physician_confirmed=True, stamp_confirmed=True)
    assert ok.status_code == 200, ok.text
    assert pharmacy_settles(pharmacy, gj, person, number)["infcode"] == 0


# --- who sees what ----------------------------------------------------------------------------------


def test_a_hospital_sees_its_own_a_pharmacy_only_what_it_fetched_staff_their_regions_seed004(
    gj, client, clock, office, lanzhou
):
    hospital, pharmacy, person = lanzhou
    number = uploaded(hospital, gj, person, "CF0200")["hi_rxno"]
    path = f"/api/rx/prescriptions/{number}"
    assert hospital.rx("GET", path).status_code == 200
    refused(site(gj, client, "H62010200002", LANZHOU).rx("GET", path), 404, "E_RX_UNKNOWN")
    refused(pharmacy.rx("GET", path), 404, "E_RX_UNKNOWN")  # not fetched yet
    refused(dispense(pharmacy, number, (METFORMIN, "14")), 403, "E_RX_NOT_FETCHED")
    refused(pharmacy.rx("POST", "/api/rx/paper", {}), 422, "E_VALIDATION")
    other_region = site(gj, client, "P62010300001", LANZHOU_OTHER, "pharmacy")
    refused(other_region.rx("POST", "/api/rx/fetch", {"hi_rxno": number}), 422, "E_RX_OTHER_REGION", "统筹地区以外")
    refused(hospital.rx("POST", "/api/rx/fetch", {"hi_rxno": number}), 403, "E_FORBIDDEN")
    assert pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": number}).status_code == 200
    assert pharmacy.rx("GET", path).status_code == 200
    assert [x["hi_rxno"] for x in pharmacy.rx("GET", "/api/rx/prescriptions").json()["items"]] == [number]

    lanzhou_staff = S.staff(gj, ["620100"])
    zhangye_staff = S.staff(gj, ["620700"])
    assert client.get(path, headers=login(client, lanzhou_staff.username)).status_code == 200
    refused(client.get(path, headers=login(client, zhangye_staff.username)), 404, "E_RX_UNKNOWN")
    citizen = S.citizen(gj, person)
    refused(client.get(path, headers=login(client, citizen.username)), 403, "E_FORBIDDEN")
    refused(client.get(path), 401, "E_AUTH_REQUIRED")

    # revoked by the hospital: no longer dispensable; expired: neither
    revoked = hospital.rx("POST", f"{path}/revoke", {"reason": "医师更改用药"})
    assert revoked.status_code == 200 and revoked.json()["rx_stas_codg"] == "3"
    refused(dispense(pharmacy, number, (METFORMIN, "14")), 409, "E_RX_STATE", "已撤销")
    late = uploaded(hospital, gj, person, "CF0201")["hi_rxno"]
    clock.advance(timedelta(days=gj.profile.settlement.prescription_valid_days, minutes=1))
    refused(pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": late}), 409, "E_RX_STATE", "有效期")


# --- 存疑线索 ---------------------------------------------------------------------------------------


def test_a_pharmacy_refuses_and_reports_a_doubtful_prescription_that_staff_close_seed004(gj, client, lanzhou):
    hospital, pharmacy, person = lanzhou
    number = uploaded(hospital, gj, person, "CF0300")["hi_rxno"]
    assert pharmacy.rx("POST", "/api/rx/fetch", {"hi_rxno": number}).status_code == 200
    refused(pharmacy.rx("POST", f"/api/rx/prescriptions/{number}/doubts", {"reason": "bogus"}), 422, "E_VALIDATION")
    flagged = pharmacy.rx(
        "POST", f"/api/rx/prescriptions/{number}/doubts", {"reason": "person_mismatch", "note": "持方人与处方不符"}
    )
    assert flagged.status_code == 201, flagged.text
    no = pharmacy.rx("POST", f"/api/rx/prescriptions/{number}/dispense", {"rx_chk_stas_codg": "0", "reason": ""})
    refused(no, 422, "E_VALIDATION", "原因")
    no = pharmacy.rx(
        "POST", f"/api/rx/prescriptions/{number}/dispense", {"rx_chk_stas_codg": "0", "reason": "参保人信息不符"}
    )
    assert no.status_code == 200 and no.json()["state"] == "refused" and no.json()["doubt_reported"]

    staff = login(client, S.staff(gj, ["620100"]).username)
    items = client.get("/api/rx/doubts", headers=staff).json()["items"]
    assert [(d["hi_rxno"], d["reason_zh"], d["pharmacy_code"]) for d in items] == [
        (number, "参保人信息不符", "P62010200001")
    ]
    assert client.get("/api/rx/doubts", headers=login(client, S.staff(gj, ["620700"]).username)).json()["count"] == 0
    refused(
        client.post(f"/api/rx/doubts/{items[0]['id']}/close", json={"note": ""}, headers=staff), 422, "E_VALIDATION"
    )
    closed = client.post(f"/api/rx/doubts/{items[0]['id']}/close", json={"note": "已约谈药店核实"}, headers=staff)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    refused(client.post(f"/api/rx/doubts/{items[0]['id']}/close", json={"note": "再次"}, headers=staff), 409, "E_STATE")
    assert client.get("/api/rx/doubts", headers=staff).json()["count"] == 0


# --- 专项检查 ---------------------------------------------------------------------------------------


def test_the_inspection_lists_chronic_two_diseases_and_high_amount_prescriptions_and_exports_them_seed004(
    gj, client, office, lanzhou
):
    hospital, pharmacy, employee = lanzhou
    resident = S.resident(gj, office, region=LANZHOU, name="牛小花", birth=date(1950, 4, 4))
    two = uploaded(hospital, gj, resident, "IN01", line(days=30), dise="M01600", insutype="390")
    chronic = uploaded(hospital, gj, employee, "IN02", line(days=30), dise="M03900")
    high = uploaded(hospital, gj, employee, "IN03", line(cnt="1000", pric="0.60"))  # 600.00 yuan
    uploaded(hospital, gj, employee, "IN04", line())  # 7.00 yuan, no disease: not inspected
    far_hospital = site(gj, client, "H62010300001", LANZHOU_OTHER)
    far_person = S.employee(gj, office, region=LANZHOU_OTHER, name="朱八", birth=date(1966, 6, 6))
    far = uploaded(far_hospital, gj, far_person, "IN05", line(days=30), dise="M03900")

    staff = login(client, S.staff(gj, ["620100"]).username)
    q = {"start": "2026-11-01", "end": "2026-11-30"}
    items = client.get("/api/rx/inspection", params=q, headers=staff).json()["items"]
    got = {x["hi_rxno"]: x["categories"] for x in items}
    assert got == {
        two["hi_rxno"]: ["two_diseases"],
        chronic["hi_rxno"]: ["chronic"],
        high["hi_rxno"]: ["high_amount"],
        far["hi_rxno"]: ["chronic"],
    }
    only_city = client.get("/api/rx/inspection", params=q | {"region": LANZHOU}, headers=staff).json()["items"]
    assert far["hi_rxno"] not in {x["hi_rxno"] for x in only_city} and len(only_city) == 3
    highs = client.get("/api/rx/inspection", params=q | {"category": "high_amount"}, headers=staff).json()["items"]
    assert [x["hi_rxno"] for x in highs] == [high["hi_rxno"]] and highs[0]["amount"] == "600.00"
    before_period = client.get(
        "/api/rx/inspection", params={"start": "2026-10-01", "end": "2026-10-31"}, headers=staff
    ).json()
    assert before_period["count"] == 0
    refused(client.get("/api/rx/inspection", params=q | {"region": "620702"}, headers=staff), 403, "E_OUT_OF_REGION")
    refused(client.get("/api/rx/inspection", params=q | {"category": "x"}, headers=staff), 422, "E_VALIDATION")
    refused(
        client.get("/api/rx/inspection", params={"start": "2026-11-30", "end": "2026-11-01"}, headers=staff),
        422,
        "E_VALIDATION",
    )
    refused(hospital.rx("GET", "/api/rx/inspection?start=2026-11-01&end=2026-11-30"), 403, "E_FORBIDDEN")

    xlsx = client.get("/api/rx/inspection.xlsx", params=q, headers=staff)
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in ws[2]]
    assert header[:3] == ["处方编号", "医院处方号", "处方来源"] and "处方金额（元）" in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows[high["hi_rxno"]]["处方金额（元）"] == 600.0 and rows[high["hi_rxno"]]["检查类别"] == "高金额"
    assert rows[two["hi_rxno"]]["参保人"] == "牛**" and rows[two["hi_rxno"]]["检查类别"] == "两病"
    cert = S.person_cert(gj, resident)
    cells = [str(v) for r in ws.iter_rows(values_only=True) for v in r if v is not None]
    assert not any(cert in v or "牛小花" in v for v in cells) and "*" in rows[two["hi_rxno"]]["证件号码"]


# --- two pharmacies at once ------------------------------------------------------------------------


def _report(start: threading.Barrier, answers: list[Any], i: int, p: HisClient, number: str) -> None:
    start.wait()
    answers[i] = dispense(p, number, (METFORMIN, "14"))


def test_two_pharmacies_reporting_one_prescription_at_once_dispense_it_once_seed004(gj, client, lanzhou):
    """调剂 once (rx_used_stas_codg 已使用): the report is a conditional update, so of two pharmacies
    of the region that fetched the same number and report together, exactly one wins."""
    hospital, pharmacy, person = lanzhou
    other = site(gj, client, "P62010200003", LANZHOU, "pharmacy")
    for _ in range(3):
        number = uploaded(hospital, gj, person, f"RACE{_}")["hi_rxno"]
        for p in (pharmacy, other):
            assert p.rx("POST", "/api/rx/fetch", {"hi_rxno": number}).status_code == 200
        start = threading.Barrier(2)
        answers: list[Any] = [None, None]
        threads = [
            threading.Thread(target=_report, args=(start, answers, i, p, number))
            for i, p in enumerate((pharmacy, other))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json()["code"] == "E_RX_STATE"
        winner = next(a for a in answers if a.status_code == 200).json()["dispensed_by"]
        dispensed_by = gj.run(
            lambda uow, n=number: uow.session.scalar(
                select(M.Prescription.dispensed_by).where(M.Prescription.hi_rxno == n)
            )
        )
        assert dispensed_by == winner
