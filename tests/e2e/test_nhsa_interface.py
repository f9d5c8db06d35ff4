"""The national 两定 interface as a hospital or pharmacy system sees it, over HTTP, on SQLite and
PostgreSQL (SPEC §5).

Sources, cited per test:

* ``reference/nhsa/INTERFACE.md`` §2 (the envelope: request fields, the answer's ``infcode``,
  ``inf_refmsgid`` = region(6) + yyyyMMddHHmmss(14) + serial(10), ``respond_time`` yyyyMMddHHmmssSSS),
  §3 (three URL styles), §4 (field lists and the money identities of 2206/2207: 医疗费总额 =
  全自费 + 超限价 + 先行自付 + 符合政策范围 = 基金支付总额 + 个人负担总金额 + 医院负担; 个人负担 = 个人账户
  + 现金; 个人账户支出中包含账户共济支付金额), §5 (``acct_used_flag`` 0/1/2), §6 (med_type 2101 =
  普通住院 in Hunan), §7 (``_api_*`` and ``x-tif-*`` gateway headers);
* the Hunan spec's own 1101 request sample (``data/nhsa/samples/hunan_spec_1101_request.json``);
* seed 000 (Gansu 家庭共济: own account first, then family funds, at in-province designated
  institutions, for outpatient/inpatient/pharmacy costs — no vaccines), seed 003 (Zhejiang: the
  authorizer's past-years balance pays directly), seed 004 (外配处方: a pharmacy sells on a
  prescription of a designated institution of its own pooling region; prescriptions kept ≥ 2 years);
* the Gansu profile (``policy/profiles/gansu.toml``; demo benefit figures) and the demo catalogue
  (``data/catalogue.csv``) for the hand-computed amounts.

A refusal is ``infcode -1`` with a Chinese ``err_msg`` and ``err_code``, and nothing written.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gongji.adapters.db.models import BenefitAccumulator, FeeDetail, Prescription, Settlement, SettlementParty
from gongji.adapters.nhsa import spec
from gongji.adapters.nhsa.client import CALL_SERVICE, PATHS, HisClient, encode, parts_of
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain import ledger as L
from gongji.entrypoints.api.app import create_app
from gongji.services import ledger
from gongji.services.registry import accounts
from gongji.services.settlement import lookups
from tests import nhsa_support as N
from tests import support as S
from tests.nhsa_support import fen

GANSU = "620702"  # 甘肃省张掖市甘州区: the hospital's and the patients' pooling region
LANZHOU = "620102"  # 兰州市城关区: another county of the same province
BAIYIN = "620402"  # 白银市白银区: another pooling region without an electronic-prescription centre
HANGZHOU = "330106"  # 杭州市西湖区: out of the province
HOSPITAL = "H62070200001"
OTHER_HOSPITAL = "H62070200002"
PHARMACY = "P62070200001"
FAR_HOSPITAL = "H62010000001"
ZJ_HOSPITAL = "H33010600001"

# Demo catalogue items (data/catalogue.csv)
VISIT_FEE = "001102000010000"  # 普通门诊诊察费, 甲, price cap 10.00
OMEPRAZOLE = "XA02BCA001A001010100007"  # 奥美拉唑, 乙 10 % first
DONKEY_GLUE = "ZA09BAA001A001010100012"  # 阿胶, 丙
METFORMIN = "XA10BAA001A001010100001"  # 二甲双胍, 甲, prescription drug
ATORVASTATIN = "XC10AAA001A001010100008"  # 阿托伐他汀, 乙 10 % first, price cap 40.00
BED = "120400001"  # 住院床位费, 乙 10 % first, price cap 50.00
BLOOD_TEST = "270100001"  # 血常规, 甲, price cap 25.00
FLU_VACCINE = "V0001"  # 流感疫苗 (非免疫规划)

STAMP = re.compile(r"\d{17}")
PARTS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
SETLINFO_2207 = spec.transaction("2207").output("setlinfo").codes  # type: ignore[union-attr]


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def authorizer(gj, office) -> int:
    """An employee of 兰州市城关区 (another county) with 1,000.00 yuan."""
    return S.employee(gj, office, region=LANZHOU, name="王建国", birth=date(1960, 5, 1), income_fen=100_000)


def other_institution(gj, client, code: str, *, region: str = GANSU, kind: str = "hospital", level: int = 2):
    key = N.institution(gj, code, region=region, kind=kind, level=level)
    return N.his(client, gj, code, key, region=region)


# --- helpers ---------------------------------------------------------------------------------------


def envelope_ok(answer: dict[str, Any], region: str | None = GANSU) -> None:
    """INTERFACE.md §2: the answer's envelope fields and their formats."""
    assert {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"} <= answer.keys(), answer
    assert answer["infcode"] in (0, -1)
    refmsgid = answer["inf_refmsgid"]
    assert len(refmsgid) == 30 and refmsgid.isdigit(), refmsgid
    if region is not None:
        assert refmsgid[:6] == region
    assert STAMP.fullmatch(answer["refmsg_time"]) and STAMP.fullmatch(answer["respond_time"])
    assert refmsgid[6:20] == answer["respond_time"][:14]  # yyyyMMddHHmmss of the answer
    if answer["infcode"] == 0:
        assert not answer["err_msg"]


def call(his: HisClient, infno: str, input_: Any, **kw: Any) -> dict[str, Any]:
    answer = his.call(infno, input_, **kw)
    envelope_ok(answer, his.region)
    return answer


def ok(his: HisClient, infno: str, input_: Any, **kw: Any) -> dict[str, Any]:
    answer = call(his, infno, input_, **kw)
    assert answer["infcode"] == 0, answer
    return answer["output"]


def refused(answer: dict[str, Any], code: str, fragment: str, *, region: str | None = GANSU) -> None:
    envelope_ok(answer, region)
    assert answer["infcode"] == -1, answer
    assert answer["err_code"] == code, answer
    assert fragment in answer["err_msg"], answer["err_msg"]
    assert answer["output"] == {}


def accounts_of(*person_ids: int) -> list[str]:
    return [code for p in person_ids for code in (L.personal_current(p), L.personal_past(p))]


def own(gj, person_id: int) -> int:
    return gj.run(lambda uow: lookups.own_balance(uow, person_id))


def balance(gj, code: str) -> int:
    return gj.run(lambda uow: ledger.balances_of(uow, [code])[code])


def settle_input(his: HisClient, gj, person_id: int, mdtrt_id: str, medfee_fen: int, flag: str, **kw: Any):
    return his.settle_input(
        psn_no=str(person_id),
        mdtrt_id=mdtrt_id,
        insutype=kw.pop("insutype", "310"),
        certno=S.person_cert(gj, person_id),
        medfee_fen=medfee_fen,
        acct_used_flag=flag,
        **kw,
    )


def settle(
    his: HisClient, gj, person_id: int, medfee_fen: int, flag: str = "1", *, mdtrt_id: str | None = None, **kw: Any
) -> dict[str, Any]:
    """2206 then 2207 with the centre's parts; 2206 foretells 2207. Returns 2207's setlinfo."""
    msgid = kw.pop("msgid", None)
    mdtrt_id = mdtrt_id or N.open_visit(his, gj, person_id)
    pre = ok(his, "2206", settle_input(his, gj, person_id, mdtrt_id, medfee_fen, flag, **kw))["setlinfo"]
    done = ok(
        his,
        "2207",
        settle_input(his, gj, person_id, mdtrt_id, medfee_fen, flag, parts=parts_of(pre), **kw),
        msgid=msgid,
    )
    info = done["setlinfo"]
    assert set(info) >= set(SETLINFO_2207), "every 2207 setlinfo field of the spec (INTERFACE.md §4)"
    assert {k: v for k, v in info.items() if k not in {"setl_id", "medins_setl_id"}} == {
        k: v for k, v in pre.items() if k != "medins_setl_id"
    }
    identities_hold(info)
    return info


def identities_hold(info: dict[str, Any]) -> None:
    """INTERFACE.md §4 money identities."""
    medfee = fen(info["medfee_sumamt"])
    assert medfee == sum(fen(info[p]) for p in PARTS)
    assert medfee == fen(info["fund_pay_sumamt"]) + fen(info["psn_part_amt"]) + fen(info["hosp_part_amt"])
    assert fen(info["psn_part_amt"]) == fen(info["acct_pay"]) + fen(info["psn_cash_pay"])
    assert 0 <= fen(info["acct_mulaid_pay"]) <= fen(info["acct_pay"])


def cancel_input(info: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"]}}


def lines(person_id: int, mdtrt_id: str, *specs: tuple[str, str, Any, int], **kw: Any) -> list[dict[str, Any]]:
    """2204 rows from (sn, code, cnt, price_fen)."""
    return [
        N.fee_row(psn_no=str(person_id), mdtrt_id=mdtrt_id, sn=sn, code=code, cnt=cnt, pric_fen=price, **kw)
        for sn, code, cnt, price in specs
    ]


def rows_of(gj, model: Any, *where: Any) -> list[Any]:
    def go(uow: Any) -> list[Any]:
        rows = list(uow.session.scalars(select(model).where(*where).order_by(model.id)))
        uow.session.expunge_all()  # detached with their columns loaded
        return rows

    return gj.run(go)


def bound_family(gj, authorizer: int, relative: int, allocate_fen: int, relation: str = "child") -> int:
    who = S.citizen(gj, authorizer)
    binding = S.bind(gj, who, relative, relation)
    if allocate_fen:
        S.allocate(gj, who, binding["binding_id"], allocate_fen)  # Gansu: 共济账户划拨 (seed 000)
    return int(binding["binding_id"])


# --- 1. URL styles and gateway schemes (INTERFACE.md §3, §7) ---------------------------------------


def person_info_input(certno: str) -> dict[str, Any]:
    return {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "psn_cert_type": "01", "certno": certno}}


def test_1101_answers_alike_on_all_three_url_styles_and_a_path_infno_must_match_the_body(gj, client, hospital, patient):
    """INTERFACE.md §3: infno in the body, appended to callService, or a path per service."""
    certno = S.person_cert(gj, patient)
    outputs = []
    for n, style in enumerate(("body", "path", "service"), start=1):
        his = N.his(client, gj, HOSPITAL, hospital.key, region=GANSU, style=style)
        assert his.url("1101").endswith({"body": "callService", "path": "/1101", "service": "queryPsnInfo"}[style])
        msgid = f"{HOSPITAL}20261123100000{n:04d}"  # a fresh msgid each time: no replay
        outputs.append(ok(his, "1101", person_info_input(certno), msgid=msgid))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["baseinfo"]["psn_no"] == str(patient)

    before = N.snapshot(gj)
    body = hospital.envelope("1101", person_info_input(certno))
    content = encode(body)
    for url in (f"{CALL_SERVICE}/2201", PATHS["2207"]):
        r = client.post(url, content=content, headers=hospital.headers("1101", url, content))
        assert r.status_code == 200
        refused(r.json(), "E_VALIDATION", "不一致", region=None)  # envelope refused before its region is read
    assert N.snapshot(gj) == before


def test_the_national_gateway_schemes_that_sign_no_body_are_refused_issue13_2(gj, client, hospital, patient):
    """Issue 13 §2: the CSB ``_api_*`` HmacSHA1 (no body, no nonce) and TIF ``x-tif-*`` headers
    (INTERFACE.md §7) could be replayed with another body; only GJ-HMAC-SHA256 is accepted."""
    import base64
    import hashlib
    import hmac

    body = hospital.envelope("1101", person_info_input(S.person_cert(gj, patient)))
    ts = str(int(hospital.now().timestamp() * 1000))
    text = f"_api_access_key={hospital.key.key_id}&_api_name=1101&_api_timestamp={ts}&_api_version=1.0.0"
    sha1 = base64.b64encode(hmac.new(hospital.key.secret.encode(), text.encode(), hashlib.sha1).digest()).decode()
    csb = {"_api_name": "1101", "_api_version": "1.0.0", "_api_timestamp": ts}
    csb |= {"_api_access_key": hospital.key.key_id, "_api_signature": sha1}
    tif = {"x-tif-paasid": hospital.key.key_id, "x-tif-timestamp": ts[:10], "x-tif-nonce": "abc123"}
    tif["x-tif-signature"] = hashlib.sha256(f"{ts[:10]}{hospital.key.secret}abc123{ts[:10]}".encode()).hexdigest()
    before = N.snapshot(gj)
    for headers in (csb, tif):
        r = hospital.post(body, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["error_code"] == "E_GATEWAY_HEADERS" and "缺少服务网关的请求头" in r.json()["message"]
    assert N.snapshot(gj) == before


# --- 2. the spec's own sample and the spec's output names (INTERFACE.md §2, §4) ---------------------


def test_the_hunan_spec_1101_sample_gets_the_spec_output_field_names(gj, hospital, patient):
    sample = json.loads(
        resources.files("gongji").joinpath("data/nhsa/samples/hunan_spec_1101_request.json").read_text("utf-8")
    )
    sample |= {"fixmedins_code": HOSPITAL, "mdtrtarea_admvs": GANSU, "insuplc_admdvs": GANSU}
    assert sample["input"]["data"]["mdtrt_cert_no"] == "REDACTED_ID_NO"
    sample["input"]["data"]["mdtrt_cert_no"] = S.person_cert(gj, patient)
    r = hospital.post(sample)
    assert r.status_code == 200
    answer = r.json()
    envelope_ok(answer)
    assert answer["infcode"] == 0, answer
    out = answer["output"]
    nodes = spec.transaction("1101").outputs
    assert {n.name for n in nodes} == {"baseinfo", "insuinfo", "idetinfo"}
    # beside the spec's nodes, the off-site registrations and recognized chronic diseases (issue 14)
    assert set(out) == {n.name for n in nodes} | {"outreginfo", "opspinfo"}
    for node in nodes:
        value = out[node.name]
        assert isinstance(value, list) == node.is_list
        for row in value if node.is_list else [value]:
            assert set(row) == set(node.codes), node.name
    assert out["baseinfo"]["psn_no"] == str(patient)
    [insured] = out["insuinfo"]
    assert insured["insutype"] == "310" and insured["insuplc_admdvs"] == GANSU and fen(insured["balc"]) == 3_000


# --- 3. refusals write nothing ---------------------------------------------------------------------


def test_malformed_json_unknown_infno_and_missing_envelope_fields_are_refused_and_write_nothing(
    gj, client, hospital, patient
):
    before = N.snapshot(gj, accounts_of(patient))
    r = client.post(
        CALL_SERVICE,
        content=b'{"infno": "1101", ',
        headers=hospital.headers("1101", CALL_SERVICE, b'{"infno": "1101", '),
    )
    refused(r.json(), "E_VALIDATION", "不是合法的JSON", region=None)
    r = client.post(CALL_SERVICE, content=b"[1, 2]", headers=hospital.headers("1101", CALL_SERVICE, b"[1, 2]"))
    refused(r.json(), "E_VALIDATION", "须为JSON对象", region=None)
    refused(hospital.post(hospital.envelope("9999", {})).json(), "E_SETL_INFNO", "不支持的接口编号: 9999", region=None)
    for field in ("msgid", "input", "fixmedins_code", "infno"):
        body = hospital.envelope("1101", person_info_input(S.person_cert(gj, patient)))
        del body[field]
        content = encode(body)
        r = client.post(CALL_SERVICE, content=content, headers=hospital.headers("1101", CALL_SERVICE, content))
        refused(r.json(), "E_VALIDATION", f"缺少报文头字段 {field}", region=None)
    body = hospital.envelope("1101", person_info_input(S.person_cert(gj, patient)))
    body["mdtrtarea_admvs"] = "62"
    refused(hospital.post(body).json(), "E_VALIDATION", "6位医保区划", region=None)
    assert N.snapshot(gj, accounts_of(patient)) == before


def test_missing_required_input_fields_are_refused_and_write_nothing(gj, hospital, patient):
    """INTERFACE.md §4: 2207 medfee_sumamt and 2201 psn_no are 必填."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    before = N.snapshot(gj, accounts_of(patient))
    body = settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=dict.fromkeys(PARTS, 0))
    del body["data"]["medfee_sumamt"]
    refused(call(hospital, "2207", body), "E_VALIDATION", "缺少必填字段 data.medfee_sumamt（医疗费总额）")
    body = settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1")  # 2207 without the four parts
    refused(call(hospital, "2207", body), "E_VALIDATION", "data.fulamt_ownpay_amt")
    refused(call(hospital, "2207", {}), "E_VALIDATION", "缺少输入节点 data")
    register = {"data": {"insutype": "310", "begntime": "2026-11-23 10:00:00", "mdtrt_cert_type": "02",
                         "mdtrt_cert_no": S.person_cert(gj, patient), "ipt_otp_no": "MZ1", "dept_code": "A03",
                         "dept_name": "内科", "caty": "A03"}}  # fmt: skip
    refused(call(hospital, "2201", register), "E_VALIDATION", "缺少必填字段 data.psn_no（人员编号）")
    register["data"] |= {"psn_no": str(patient), "begntime": "2026/11/23"}
    refused(call(hospital, "2201", register), "E_VALIDATION", "yyyy-MM-dd HH:mm:ss")
    assert N.snapshot(gj, accounts_of(patient)) == before


def test_parts_that_do_not_add_up_to_medfee_are_refused_E_SETL_AMOUNTS(gj, hospital, patient):
    """INTERFACE.md §4: medfee_sumamt = fulamt_ownpay + overlmt_selfpay + preselfpay + inscp_scp."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    before = N.snapshot(gj, accounts_of(patient))
    parts = {"fulamt_ownpay_amt": 10_00, "overlmt_selfpay": 0, "preselfpay_amt": 5_00, "inscp_scp_amt": 80_00}
    answer = call(hospital, "2207", settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=parts))
    refused(answer, "E_SETL_AMOUNTS", "医疗费总额 100 ≠ 全自费+超限价+先行自付+符合政策范围 95")
    negative = parts | {"fulamt_ownpay_amt": -5_00, "inscp_scp_amt": 100_00}
    answer = call(hospital, "2207", settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=negative))
    refused(answer, "E_SETL_AMOUNTS", "不能为负")
    r = hospital.post(hospital.envelope("2206", settle_input(hospital, gj, patient, mdtrt_id, -100_00, "1")))
    assert r.status_code == 200  # was a 500: a negative total without parts escaped as an engine error
    refused(r.json(), "E_SETL_AMOUNTS", "不能为负")
    assert N.snapshot(gj, accounts_of(patient)) == before

    msgid = hospital.next_msgid()  # a refused msgid is not kept: the corrected request may reuse it
    refused(
        call(hospital, "2207", settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=parts), msgid=msgid),
        "E_SETL_AMOUNTS",
        "≠",
    )
    fixed = parts | {"inscp_scp_amt": 85_00}
    done = ok(hospital, "2207", settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=fixed), msgid=msgid)
    identities_hold(done["setlinfo"])
    assert parts_of(done["setlinfo"]) == fixed


def test_unknown_persons_are_refused_alike_and_write_nothing(gj, hospital, patient):
    before = N.snapshot(gj)
    unknown = S.new_id(GANSU, date(1977, 7, 7))
    refused(call(hospital, "1101", person_info_input(unknown)), "E_SETL_PERSON", "未查询到该参保人员信息")
    wrong_name = person_info_input(S.person_cert(gj, patient))
    wrong_name["data"]["psn_name"] = "李四"
    refused(call(hospital, "1101", wrong_name), "E_SETL_PERSON", "未查询到该参保人员信息")  # no enumeration
    reg = hospital.register("999999", "310", unknown, "某某", ipt_otp_no="MZ9")
    envelope_ok(reg)
    refused(reg, "E_SETL_PERSON", "未查询到该参保人员信息")
    assert N.snapshot(gj) == before


def test_wrong_institution_is_refused_E_SETL_INSTITUTION(gj, client, hospital, patient):
    mdtrt_id = N.open_visit(hospital, gj, patient)
    other = other_institution(gj, client, OTHER_HOSPITAL)
    before = N.snapshot(gj, accounts_of(patient))
    body = hospital.envelope("1101", person_info_input(S.person_cert(gj, patient)))
    body["fixmedins_code"] = OTHER_HOSPITAL  # not the gateway key's institution
    refused(hospital.post(body).json(), "E_SETL_INSTITUTION", "与接入凭证不符")
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00}
    for infno, body in (
        ("2206", settle_input(other, gj, patient, mdtrt_id, 100_00, "1")),
        ("2207", settle_input(other, gj, patient, mdtrt_id, 100_00, "1", parts=parts)),
        ("2204", {"feedetail": lines(patient, mdtrt_id, ("1", VISIT_FEE, 1, 10_00))}),
        ("2202", {"data": {"psn_no": str(patient), "mdtrt_id": mdtrt_id, "ipt_otp_no": f"MZ{patient}"}}),
    ):
        refused(call(other, infno, body), "E_SETL_INSTITUTION", "不属于本机构")
    assert N.snapshot(gj, accounts_of(patient)) == before
    settle(hospital, gj, patient, 100_00, mdtrt_id=mdtrt_id)  # its own institution may


def test_a_cancelled_visit_cannot_get_fees_or_be_settled_E_SETL_VISIT_CANCELLED(gj, hospital, patient):
    mdtrt_id = N.open_visit(hospital, gj, patient)
    ok(hospital, "2202", {"data": {"psn_no": str(patient), "mdtrt_id": mdtrt_id, "ipt_otp_no": f"MZ{patient}"}})
    before = N.snapshot(gj, accounts_of(patient))
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00}
    answer = call(hospital, "2207", settle_input(hospital, gj, patient, mdtrt_id, 100_00, "1", parts=parts))
    refused(answer, "E_SETL_VISIT_CANCELLED", "该就诊已撤销")
    answer = call(hospital, "2204", {"feedetail": lines(patient, mdtrt_id, ("1", VISIT_FEE, 1, 10_00))})
    refused(answer, "E_SETL_VISIT_CANCELLED", "该就诊已撤销")
    answer = call(hospital, "2202", {"data": {"psn_no": str(patient), "mdtrt_id": mdtrt_id, "ipt_otp_no": "MZ"}})
    refused(answer, "E_SETL_VISIT_CANCELLED", "已撤销")
    assert N.snapshot(gj, accounts_of(patient)) == before


def test_family_funds_may_not_pay_for_a_vaccine_in_gansu_seed000(gj, hospital, patient, authorizer):
    """Seed 000 lists outpatient, inpatient and pharmacy uses; vaccines are Zhejiang's (seed 003)."""
    binding = bound_family(gj, authorizer, patient, 500_00)
    family = L.family_account(binding)
    mdtrt_id = N.open_visit(hospital, gj, patient)
    ok(hospital, "2204", {"feedetail": lines(patient, mdtrt_id, ("1", FLU_VACCINE, 1, 158_00))})
    before = N.snapshot(gj, [*accounts_of(patient, authorizer), family])
    for infno, parts in (("2206", None), ("2207", {"fulamt_ownpay_amt": 158_00} | dict.fromkeys(PARTS[1:], 0))):
        answer = call(hospital, infno, settle_input(hospital, gj, patient, mdtrt_id, 158_00, "2", parts=parts))
        refused(answer, "E_FAMILY_USE", "本省家庭共济资金不能用于非免疫规划疫苗")
    assert N.snapshot(gj, [*accounts_of(patient, authorizer), family]) == before
    info = settle(hospital, gj, patient, 158_00, "1", mdtrt_id=mdtrt_id)  # the own account may pay
    assert fen(info["acct_pay"]) == 30_00 and fen(info["acct_mulaid_pay"]) == 0
    assert fen(info["fulamt_ownpay_amt"]) == 158_00 and fen(info["fund_pay_sumamt"]) == 0
    assert balance(gj, family) == 500_00


def test_gansu_family_funds_at_an_out_of_province_institution_are_refused_seed000(
    gj, client, office, patient, authorizer
):
    """Seed 000: 在甘肃省内定点医疗机构就医. The settlement keeps both regions (异地 out_type 2)."""
    watched = [*accounts_of(patient, authorizer), L.family_account(bound_family(gj, authorizer, patient, 500_00))]
    zj = other_institution(gj, client, ZJ_HOSPITAL, region=HANGZHOU)
    mdtrt_id = N.open_visit(zj, gj, patient)
    before = N.snapshot(gj, watched)
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00}
    answer = call(zj, "2207", settle_input(zj, gj, patient, mdtrt_id, 100_00, "2", parts=parts), insuplc=GANSU)
    refused(answer, "E_FAMILY_USE", "家庭共济资金仅限在本省定点医药机构使用", region=HANGZHOU)
    assert N.snapshot(gj, watched) == before
    info = settle(zj, gj, patient, 100_00, "1", mdtrt_id=mdtrt_id)
    assert fen(info["acct_pay"]) == 30_00 and info["clr_optins"] == GANSU
    [row] = rows_of(gj, Settlement)
    assert (row.treatment_region, row.insured_region, row.out_type) == (HANGZHOU, GANSU, "2")


def test_acct_used_flag_outside_0_1_2_is_refused(gj, hospital, patient):
    """INTERFACE.md §5/§6: acct_used_flag 0 不使用, 1 本人个账, 2 共济人个账."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    before = N.snapshot(gj, accounts_of(patient))
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00}
    for infno, p in (("2206", None), ("2207", parts)):
        answer = call(hospital, infno, settle_input(hospital, gj, patient, mdtrt_id, 100_00, "7", parts=p))
        refused(answer, "E_UNKNOWN_CODE", "个人账户使用标志须为0、1或2")
    assert N.snapshot(gj, accounts_of(patient)) == before


def test_pre_settlement_2206_moves_no_money_and_writes_no_settlement(gj, hospital, patient, authorizer):
    binding = bound_family(gj, authorizer, patient, 500_00)
    family = L.family_account(binding)
    mdtrt_id = N.open_visit(hospital, gj, patient)
    before = N.snapshot(gj, [*accounts_of(patient, authorizer), family])
    for flag in ("0", "1", "2"):
        pre = ok(hospital, "2206", settle_input(hospital, gj, patient, mdtrt_id, 100_00, flag))["setlinfo"]
        identities_hold(pre)
        assert "setl_id" not in pre
    assert fen(pre["acct_pay"]) == 100_00 and fen(pre["acct_mulaid_pay"]) == 70_00 and fen(pre["balc"]) == 0
    after = N.snapshot(gj, [*accounts_of(patient, authorizer), family])
    assert after.pop("nhsa_message") == before.pop("nhsa_message") + 3  # only the answers are kept
    assert after == before


# --- 4. fee details and the benefit engine (INTERFACE.md §4; catalogue.csv) -------------------------


def test_fee_details_are_split_as_by_hand_from_the_catalogue_and_2207_must_agree(gj, hospital, patient):
    """2204 classifies each line; 2206/2207 add the lines up (Gansu 310 × 14 × level 2: no
    deductible, 80 %)."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    uploaded = ok(
        hospital,
        "2204",
        {
            "feedetail": lines(
                patient,
                mdtrt_id,
                ("1", VISIT_FEE, 1, 15_00),  # 甲 over its 10.00 cap: 5.00 超限价, 10.00 in scope
                ("2", OMEPRAZOLE, 2, 23_45),  # 乙 46.90: 10 % = 4.69 先行自付, 42.21 in scope
                ("3", DONKEY_GLUE, 1, 88_00),  # 丙: 88.00 全自费
                ("4", METFORMIN, 3, 12_34),  # 甲 37.02 in scope
                ("5", ATORVASTATIN, 2, 45_50),  # 乙 capped at 40.00: 11.00 超限价; 80.00 → 8.00 + 72.00
                ("6", "ZZ000000000000001", 1, 10_00),  # not in the catalogue: 全自费
            )
        },
    )["result"]
    expected = {  # feedetl_sn: (全自费, 超限价, 先行自付, 符合范围, 等级)
        "1": (0, 5_00, 0, 10_00, "01"),
        "2": (0, 0, 4_69, 42_21, "02"),
        "3": (88_00, 0, 0, 0, "03"),
        "4": (0, 0, 0, 37_02, "01"),
        "5": (0, 11_00, 8_00, 72_00, "02"),
        "6": (10_00, 0, 0, 0, "03"),
    }
    got = {
        r["feedetl_sn"]: (
            fen(r["fulamt_ownpay_amt"]),
            fen(r["overlmt_amt"]),
            fen(r["preselfpay_amt"]),
            fen(r["inscp_scp_amt"]),
            r["chrgitm_lv"],
        )
        for r in uploaded
    }
    assert got == expected
    assert {r["feedetl_sn"] for r in uploaded if r["pric_uplmt_amt"]} == {"1", "5"}

    medfee = 15_00 + 46_90 + 88_00 + 37_02 + 91_00 + 10_00
    assert medfee == 287_92
    centre = {"fulamt_ownpay_amt": 98_00, "overlmt_selfpay": 16_00, "preselfpay_amt": 12_69, "inscp_scp_amt": 161_23}
    pre = ok(hospital, "2206", settle_input(hospital, gj, patient, mdtrt_id, medfee, "1", med_type="14"))["setlinfo"]
    assert parts_of(pre) == centre
    hifp = 128_98  # ROUND_HALF_UP(161.23 × 80 %) = 128.984 → 128.98
    assert (fen(pre["act_pay_dedc"]), fen(pre["hifp_pay"]), fen(pre["fund_pay_sumamt"])) == (0, hifp, hifp)
    assert fen(pre["psn_part_amt"]) == medfee - hifp
    assert (fen(pre["acct_pay"]), fen(pre["psn_cash_pay"])) == (30_00, medfee - hifp - 30_00)
    identities_hold(pre)

    before = N.snapshot(gj, accounts_of(patient))
    wrong = centre | {"fulamt_ownpay_amt": 97_00, "inscp_scp_amt": 162_23}  # adds up, but not the centre's
    body = settle_input(hospital, gj, patient, mdtrt_id, medfee, "1", med_type="14", parts=wrong)
    refused(call(hospital, "2207", body), "E_SETL_AMOUNTS", "全自费金额 97 与中心按明细计算的 98 不符")
    body = settle_input(hospital, gj, patient, mdtrt_id, medfee + 1, "1", med_type="14", parts=centre)
    refused(call(hospital, "2207", body), "E_SETL_AMOUNTS", "与上传费用明细合计 287.92 不符")
    assert N.snapshot(gj, accounts_of(patient)) == before

    info = settle(hospital, gj, patient, medfee, "1", mdtrt_id=mdtrt_id, med_type="14")
    assert set(info) >= set(spec.transaction("2207").output("setlinfo").codes)
    assert set(pre) >= set(spec.transaction("2206").output("setlinfo").codes)
    assert parts_of(info) == centre and fen(info["hifp_pay"]) == hifp
    assert own(gj, patient) == 0
    assert {line.status for line in rows_of(gj, FeeDetail)} == {"settled"}


def test_2205_withdraws_one_batch_of_fee_lines(gj, hospital, patient):
    mdtrt_id = N.open_visit(hospital, gj, patient)
    first = lines(patient, mdtrt_id, ("1", METFORMIN, 2, 10_00), chrg_bchno="B1")
    first[0]["pric"] = "10.000000"  # 单价 is 数值型(16,6) in yuan
    ok(hospital, "2204", {"feedetail": first})
    ok(hospital, "2204", {"feedetail": lines(patient, mdtrt_id, ("2", DONKEY_GLUE, 1, 50_00), chrg_bchno="B2")})
    sub_fen = lines(patient, mdtrt_id, ("3", METFORMIN, 1, 1), chrg_bchno="B3")
    sub_fen[0] |= {"pric": "0.123456", "det_item_fee_sumamt": "0.13"}  # 1 × 0.123456 rounds to 0.12
    refused(call(hospital, "2204", {"feedetail": sub_fen}), "E_SETL_FEE", "明细金额≠数量×单价")
    withdraw = {"data": {"psn_no": str(patient), "mdtrt_id": mdtrt_id, "chrg_bchno": "B2"}}
    ok(hospital, "2205", withdraw)
    refused(call(hospital, "2205", withdraw), "E_SETL_FEE", "没有可撤销的费用明细")
    both = call(hospital, "2206", settle_input(hospital, gj, patient, mdtrt_id, 70_00, "0"))
    refused(both, "E_SETL_AMOUNTS", "与上传费用明细合计 20 不符")
    info = settle(hospital, gj, patient, 20_00, "0", mdtrt_id=mdtrt_id)
    assert parts_of(info) == {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 20_00}


def test_inpatient_med_type_2101_is_read_as_21_with_a_deductible_per_admission(gj, hospital, patient):
    """INTERFACE.md §6 (Hunan 普通住院 2101); Gansu 310 × 21 × level 2: 700.00 per admission, 88 %."""
    for admission in (1, 2):
        mdtrt_id = N.open_visit(hospital, gj, patient, ipt_otp_no=f"ZY{admission}")
        ok(
            hospital,
            "2204",
            {"feedetail": lines(patient, mdtrt_id, ("1", BED, 30, 50_00), ("2", BLOOD_TEST, 4, 25_00))},
        )
        info = settle(hospital, gj, patient, 1_600_00, "1", mdtrt_id=mdtrt_id, med_type="2101")
        assert (info["med_type"], info["clr_type"]) == ("21", "21")
        assert fen(info["preselfpay_amt"]) == 150_00 and fen(info["inscp_scp_amt"]) == 1_450_00
        assert fen(info["act_pay_dedc"]) == 700_00  # again on the second admission
        assert fen(info["hifp_pay"]) == 660_00  # (1,450.00 − 700.00) × 88 %
    [acc] = rows_of(gj, BenefitAccumulator, BenefitAccumulator.person_id == patient)
    assert (acc.med_type, acc.deductible_paid_fen, acc.fund_paid_fen) == ("21", 0, 2 * 660_00)


# --- 5. deductible and cap accumulate over the year -------------------------------------------------


def test_deductible_and_annual_cap_accumulate_and_a_cancellation_gives_them_back(gj, hospital, patient):
    """Gansu 310 × 11 × level 2 (demo): deductible 300.00 a year, 60 %, cap 4,000.00 a year."""

    def acc() -> tuple[int, int]:
        [row] = rows_of(gj, BenefitAccumulator, BenefitAccumulator.person_id == patient)
        return row.deductible_paid_fen, row.fund_paid_fen

    def paid(info: dict[str, Any]) -> tuple[int, int]:
        return fen(info["act_pay_dedc"]), fen(info["hifp_pay"])

    first = settle(hospital, gj, patient, 500_00, "0")
    assert paid(first) == (300_00, 120_00) and acc() == (300_00, 120_00)
    second = settle(hospital, gj, patient, 200_00, "0")
    assert paid(second) == (0, 120_00) and acc() == (300_00, 240_00)  # no deductible the second time
    big = settle(hospital, gj, patient, 10_000_00, "0")
    assert paid(big) == (0, 3_760_00) and acc() == (300_00, 4_000_00)  # 6,000.00 cut to the cap left
    [fund_row] = [d for d in big_detail(hospital, gj, patient, big) if d["fund_pay_type"] == "310100"]
    assert fen(fund_row["crt_payb_lmt_amt"]) == 0
    after_cap = settle(hospital, gj, patient, 100_00, "0")
    assert paid(after_cap) == (0, 0) and fen(after_cap["psn_cash_pay"]) == 100_00

    ok(hospital, "2208", cancel_input(first))
    assert acc() == (0, 3_880_00)
    again = settle(hospital, gj, patient, 500_00, "0")
    assert paid(again) == (300_00, 120_00)  # the deductible again; 200.00 × 60 % fits the cap left
    assert acc() == (300_00, 4_000_00)


def big_detail(his: HisClient, gj, person_id: int, info: dict[str, Any]) -> list[dict[str, Any]]:
    out = ok(
        his, "5203", {"data": {"psn_no": str(person_id), "setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    )
    return list(out["setldetail"])


# --- 6. external prescriptions (seed 004) -----------------------------------------------------------


def test_external_prescriptions_of_the_same_pooling_region_seed004(gj, client, clock, office, hospital, patient):
    pharmacy = other_institution(gj, client, PHARMACY, kind="pharmacy", level=0)
    # 白银市白银区: another pooling region, where (in the Gansu profile) no 电子处方中心 is live, so its
    # hospital still records external prescriptions with 2204 (tests/e2e/test_prescriptions.py: the centre)
    far = other_institution(gj, client, FAR_HOSPITAL, region=BAIYIN)
    policy = gj.profile.settlement

    def sale(rxno: str = "", buyer: int = patient) -> tuple[str, dict[str, Any]]:
        mdtrt_id = N.open_visit(pharmacy, gj, buyer, ipt_otp_no=f"YD{rxno or 'none'}")
        rows = lines(buyer, mdtrt_id, ("1", METFORMIN, 3, 12_34), rxno=rxno)
        return mdtrt_id, call(pharmacy, "2204", {"feedetail": rows})

    def issue(his: HisClient, rxno: str) -> None:
        mdtrt_id = N.open_visit(his, gj, patient, ipt_otp_no=f"MZ{rxno}")
        ok(
            his,
            "2204",
            {"feedetail": lines(patient, mdtrt_id, ("1", METFORMIN, 3, 12_34), rxno=rxno, rx_circ_flag="1")},
        )

    before = N.snapshot(gj)
    _, answer = sale()
    refused(answer, "E_SETL_PRESCRIPTION", "处方药须凭本统筹地区定点医疗机构开具的有效外配处方")
    after = N.snapshot(gj)
    assert after["fee_detail"] == before["fee_detail"] and after["prescription"] == before["prescription"]

    issue(hospital, "RX0001")
    [rx] = rows_of(gj, Prescription, Prescription.rxno == "RX0001")
    assert (rx.issuer_code, rx.issuer_region, rx.status) == (HOSPITAL, GANSU, "valid")
    issued = clock.now().date()
    assert rx.keep_until >= date(issued.year + 2, issued.month, 1)  # kept at least 2 years (seed 004)
    assert rx.keep_until >= issued + timedelta(days=2 * 365)

    stranger = S.employee(gj, office, region=GANSU, name="孙七", birth=date(1970, 7, 7))
    refused(sale("RX0001", stranger)[1], "E_SETL_PRESCRIPTION", "外配处方不存在或不属于该参保人")
    first_sale, answer = sale("RX0001")
    assert answer["infcode"] == 0, answer
    info = settle(pharmacy, gj, patient, 37_02, "1", mdtrt_id=first_sale, med_type="41")
    assert info["clr_type"] == "41" and fen(info["hifp_pay"]) == 18_51  # 310 × 41: 50 %, no deductible
    [rx] = rows_of(gj, Prescription, Prescription.rxno == "RX0001")
    assert (rx.status, rx.dispensed_by, rx.dispensed_setl_id) == ("dispensed", PHARMACY, int(info["setl_id"]))
    refused(sale("RX0001")[1], "E_SETL_PRESCRIPTION", "已过有效期或已调剂")  # dispensed once only

    ok(pharmacy, "2208", cancel_input(info))
    [rx] = rows_of(gj, Prescription, Prescription.rxno == "RX0001")
    assert (rx.status, rx.dispensed_by) == ("valid", None)
    second_sale, answer = sale("RX0001")  # valid again after the cancellation
    assert answer["infcode"] == 0, answer

    issue(far, "RX0002")  # 白银区 620402 is another pooling region than 甘州区 620702
    refused(sale("RX0002")[1], "E_SETL_PRESCRIPTION", "暂不接受本统筹地区以外医疗机构的外配处方")

    issue(hospital, "RX0003")
    clock.advance(timedelta(days=policy.prescription_valid_days, minutes=1))
    refused(sale("RX0003")[1], "E_SETL_PRESCRIPTION", "已过有效期")
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 37_02}
    late = settle_input(pharmacy, gj, patient, second_sale, 37_02, "1", med_type="41", parts=parts)
    refused(call(pharmacy, "2207", late), "E_SETL_PRESCRIPTION", "已过有效期")  # expired by settlement time
    assert {r.rxno: r.status for r in rows_of(gj, Prescription)} == {
        "RX0001": "valid",
        "RX0002": "valid",
        "RX0003": "valid",
    }


# --- 7. 2601 reversal by the original msgid ---------------------------------------------------------


def test_2601_reverses_a_2207_by_its_msgid_once(gj, hospital, patient):
    msgid = hospital.next_msgid()
    info = settle(hospital, gj, patient, 100_00, "1", msgid=msgid)
    assert info["medins_setl_id"] == msgid and own(gj, patient) == 0
    reversal = {"data": {"psn_no": str(patient), "omsgid": msgid, "oinfno": "2207"}}
    out = ok(hospital, "2601", reversal)
    assert out["data"]["omsgid"] == msgid and out["data"]["oinfno"] == "2207"
    assert own(gj, patient) == 30_00
    original, back = rows_of(gj, Settlement)
    assert (original.status, original.refd_setl_flag) == ("cancelled", "0")
    assert (back.status, back.refd_setl_flag, back.reverses_id) == ("reversal", "1", original.id)
    assert str(back.id) == out["data"]["setl_id"]
    assert (back.medfee_fen, back.acct_pay_fen) == (-100_00, -30_00)
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok

    before = N.snapshot(gj, accounts_of(patient))
    refused(call(hospital, "2601", reversal), "E_SETL_CANCELLED", "该结算已撤销，不能重复撤销")
    refused(call(hospital, "2208", cancel_input(info)), "E_SETL_CANCELLED", "该结算已撤销")
    unknown = {"data": {"psn_no": str(patient), "omsgid": hospital.next_msgid(), "oinfno": "2207"}}
    refused(call(hospital, "2601", unknown), "E_SETL_REVERSAL", "原交易不存在或不能冲正")
    assert N.snapshot(gj, accounts_of(patient)) == before


# --- 8. 5203 settlement query -----------------------------------------------------------------------


def test_5203_returns_the_settlement_with_refd_setl_flag_to_its_institution_only(gj, client, hospital, patient):
    info = settle(hospital, gj, patient, 100_00, "1")
    query = {"data": {"psn_no": str(patient), "setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    out = ok(hospital, "5203", query)
    found = out["setlinfo"]
    assert set(found) >= set(spec.transaction("5203").output("setlinfo").codes)
    assert found["refd_setl_flag"] == "0" and found["fixmedins_code"] == HOSPITAL
    same = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", *PARTS, "act_pay_dedc", "hifp_pay", "fund_pay_sumamt",
            "acct_pay", "acct_mulaid_pay", "balc", "medins_setl_id", "clr_type")  # fmt: skip
    assert {k: found[k] for k in same} == {k: info[k] for k in same}
    assert (found["psn_pay"], found["cash_payamt"]) == (info["psn_part_amt"], info["psn_cash_pay"])

    other = other_institution(gj, client, OTHER_HOSPITAL)
    refused(call(other, "5203", query), "E_SETL_INSTITUTION", "不属于本机构")

    cancelled = ok(hospital, "2208", cancel_input(info))["setlinfo"]
    back = {"data": {"psn_no": str(patient), "setl_id": cancelled["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    found = ok(hospital, "5203", back)["setlinfo"]
    assert found["refd_setl_flag"] == "1" and fen(found["medfee_sumamt"]) == -100_00
    assert fen(found["acct_pay"]) == -fen(info["acct_pay"])
    assert ok(hospital, "5203", query)["setlinfo"]["refd_setl_flag"] == "0"  # the original stays as it was


# --- 9. regions recorded for clearing ---------------------------------------------------------------


def test_settlement_keeps_treatment_insured_and_each_authorizers_region(gj, hospital, patient, authorizer):
    """SPEC §5/§7: the treatment place, the insured place and, for family payments, each
    authorizer's insured place (here another county of the province, seed 000)."""
    binding = bound_family(gj, authorizer, patient, 500_00)
    info = settle(hospital, gj, patient, 100_00, "2")
    assert (fen(info["acct_pay"]), fen(info["acct_mulaid_pay"]), fen(info["psn_cash_pay"])) == (100_00, 70_00, 0)
    away = settle(hospital, gj, authorizer, 50_00, "1")  # the authorizer treated away from home
    assert away["clr_optins"] == LANZHOU

    rows = {r.id: r for r in rows_of(gj, Settlement)}
    mine, theirs = rows[int(info["setl_id"])], rows[int(away["setl_id"])]
    assert (mine.treatment_region, mine.insured_region, mine.out_type) == (GANSU, GANSU, "0")
    assert (theirs.treatment_region, theirs.insured_region, theirs.out_type) == (GANSU, LANZHOU, "1")
    parties = [
        (p.role, p.person_id, p.binding_id, p.region_code, p.amount_fen)
        for p in rows_of(gj, SettlementParty, SettlementParty.settlement_id == mine.id)
    ]
    assert parties == [("insured", patient, None, GANSU, 30_00), ("authorizer", authorizer, binding, LANZHOU, 70_00)]

    cancelled = ok(hospital, "2208", cancel_input(info))["setlinfo"]
    reversal = [
        (p.role, p.region_code, p.amount_fen)
        for p in rows_of(gj, SettlementParty, SettlementParty.settlement_id == int(cancelled["setl_id"]))
    ]
    assert reversal == [("insured", GANSU, -30_00), ("authorizer", LANZHOU, -70_00)]
    assert balance(gj, L.family_account(binding)) == 500_00 and own(gj, patient) == 30_00


# --- 10. the money identities hold for any fee mix (property test) ----------------------------------

CATALOGUE_CODES = sorted(lookups.catalogue()) + ["ZZ000000000000001"]
fee_lines = st.lists(
    st.tuples(
        st.sampled_from(CATALOGUE_CODES),
        st.sampled_from(["1", "2", "3", "0.5", "1.25"]),
        st.integers(min_value=1, max_value=300_00),
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one database keeps the run short
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mix=fee_lines,
    flag=st.sampled_from(["0", "1", "2"]),
    own_fen=st.integers(min_value=0, max_value=500_00),
    family_fen=st.integers(min_value=0, max_value=500_00),
    med_type=st.sampled_from(["11", "14", "2101"]),
)
def test_every_2207_keeps_the_money_identities_and_moves_exactly_acct_pay(
    gj, hospital, office, mix, flag, own_fen, family_fen, med_type
):
    person = S.employee(gj, office, region=GANSU, name="赵六", birth=date(1995, 1, 1), income_fen=own_fen)
    family = None
    if family_fen:
        giver = S.employee(gj, office, region=LANZHOU, name="赵五", birth=date(1965, 1, 1), income_fen=family_fen + 1)
        family = L.family_account(bound_family(gj, giver, person, family_fen))
    watched = [*accounts_of(person), *([family] if family else [])]
    mdtrt_id = N.open_visit(hospital, gj, person, ipt_otp_no=f"P{person}")
    rows = lines(person, mdtrt_id, *((str(i), code, cnt, price) for i, (code, cnt, price) in enumerate(mix)))
    ok(hospital, "2204", {"feedetail": rows})
    medfee = sum(fen(r["det_item_fee_sumamt"]) for r in rows)
    before = N.snapshot(gj, watched)
    pre = call(hospital, "2206", settle_input(hospital, gj, person, mdtrt_id, medfee, flag, med_type=med_type))
    catalogue = lookups.catalogue()
    if flag == "2" and any(code in catalogue and catalogue[code].kind == "vaccine" for code, _, _ in mix):
        refused(pre, "E_FAMILY_USE", "疫苗")  # seed 000: no vaccines from family funds in Gansu
        assert N.snapshot(gj, watched) | {"nhsa_message": 0} == before | {"nhsa_message": 0}
        return
    assert pre["infcode"] == 0, pre
    parts = parts_of(pre["output"]["setlinfo"])
    done = ok(
        hospital, "2207", settle_input(hospital, gj, person, mdtrt_id, medfee, flag, med_type=med_type, parts=parts)
    )
    info = done["setlinfo"]
    identities_hold(info)
    assert fen(info["medfee_sumamt"]) == medfee
    acct, mulaid = fen(info["acct_pay"]), fen(info["acct_mulaid_pay"])
    after = N.snapshot(gj, watched)
    own_moved = sum(before[f"balance:{c}"] - after[f"balance:{c}"] for c in accounts_of(person))
    family_moved = before[f"balance:{family}"] - after[f"balance:{family}"] if family else 0
    assert (own_moved, family_moved) == (acct - mulaid, mulaid)
    assert own_moved + family_moved == acct
    if flag == "0":
        assert acct == 0
    if flag != "2":
        assert mulaid == 0
    assert acct <= own_fen + (family_fen if flag == "2" else 0)
    assert fen(info["balc"]) == own_fen - own_moved
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


# --- 11. concurrency: one shared family account (PostgreSQL) ----------------------------------------


@pytest.fixture
def zhejiang(gj, clock) -> Iterator[tuple[Gongji, TestClient]]:
    """The same database under the Zhejiang profile: relatives draw directly on the authorizer's
    past-years balance (seed 003 二), one account shared by every relative."""
    zj = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=clock)
    with TestClient(create_app(zj), raise_server_exceptions=False) as c:
        yield zj, c
    zj.engine.dispose()


@pytest.fixture
def deadlocks(monkeypatch) -> list[str]:
    """Every deadlock PostgreSQL detected (and the unit of work retried) during the test."""
    from gongji.adapters.db import unit_of_work

    seen: list[str] = []
    original = unit_of_work.is_retryable

    def spy(exc: BaseException) -> bool:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01":
            seen.append(str(exc)[:200])
        return original(exc)

    monkeypatch.setattr(unit_of_work, "is_retryable", spy)
    return seen


def at_once(calls: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    """Run the thunks in threads released together; each returns an httpx response."""
    answers: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(i: int) -> None:
        start.wait()
        r = calls[i]()
        answers[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None and a[0] == 200 for a in answers), answers  # no 500s
    return answers


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_2207s_of_relatives_never_overdraw_the_shared_family_account(zhejiang, deadlocks):
    zj, client = zhejiang
    office = S.staff(zj, ["330000"], username="staff_zj")
    giver = S.employee(zj, office, region=HANGZHOU, name="钱大", birth=date(1960, 1, 1), income_fen=1_000_00)

    def rollover(uow: Any) -> None:
        accounts.year_end_rollover(uow, S.ctx(zj, office), year=2025, person_ids=[giver])
        uow.commit()

    zj.run(rollover)
    shared = L.personal_past(giver)
    assert balance(zj, shared) == 1_000_00
    who = S.citizen(zj, giver)
    relatives = [
        S.employee(zj, office, region=HANGZHOU, name=name, birth=date(1990 + n, 1, 1))
        for n, name in enumerate(("钱一", "钱二", "钱三", "钱四"))
    ]
    for r in relatives:
        S.bind(zj, who, r, "child")
    key = N.institution(zj, ZJ_HOSPITAL, region=HANGZHOU, level=1)  # 310 × 11 × 1: 200.00, 73 %
    his = N.his(client, zj, ZJ_HOSPITAL, key, region=HANGZHOU)
    visits = [(r, N.open_visit(his, zj, r, ipt_otp_no=f"MZ{r}-{n}")) for r in relatives for n in range(3)]
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 150_00}
    bodies = [settle_input(his, zj, r, m, 150_00, "2", parts=parts) for r, m in visits]
    answers = at_once([lambda body=body: his.post(his.envelope("2207", body)) for body in bodies])
    for _, answer in answers:
        envelope_ok(answer, HANGZHOU)
        assert answer["infcode"] == 0 or answer["err_code"].startswith("E_"), answer
    done = [a["output"]["setlinfo"] for _, a in answers if a["infcode"] == 0]
    assert len(done) == 12  # every one succeeds: the family pays what is left, then cash
    for info in done:
        identities_hold(info)
    drawn = sum(fen(i["acct_mulaid_pay"]) for i in done)
    left = balance(zj, shared)
    assert left >= 0 and drawn == 1_000_00 - left
    assert left == 0  # 12 × personal parts exceed 1,000.00: the account is used up, never overdrawn
    for r in relatives:  # the yearly deductible is met once, however the settlements interleave
        mine = [i for i in done if i["psn_no"] == str(r)]
        assert sum(fen(i["act_pay_dedc"]) for i in mine) == 200_00
    assert zj.run(lambda uow: ledger.check_ledger(uow)).ok
    assert deadlocks == []  # settlements of one institution queue on its receivable


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_cancellations_and_settlements_cancel_each_settlement_once(
    gj, office, hospital, authorizer, deadlocks
):
    """2208 twice and 2601 at once for each of three settlements, while the same relatives
    settle new visits: one cancellation wins, the others get E_SETL_CANCELLED; no 500s."""
    relatives = [S.employee(gj, office, region=GANSU, name=f"王{c}", birth=date(1990 + n, 1, 1), income_fen=30_00)
                 for n, c in enumerate("甲乙丙")]  # fmt: skip
    families = [L.family_account(bound_family(gj, authorizer, r, 200_00)) for r in relatives]
    msgids = [hospital.next_msgid() for _ in relatives]
    first = [settle(hospital, gj, r, 100_00, "2", msgid=m) for r, m in zip(relatives, msgids, strict=True)]
    visits = [(r, N.open_visit(hospital, gj, r, ipt_otp_no=f"MZ{r}-{n}")) for r in relatives for n in range(2)]
    watched = [*accounts_of(*relatives), *families]
    before = N.snapshot(gj, watched)
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00}
    calls = []
    for info, msgid in zip(first, msgids, strict=True):
        calls += [lambda info=info: hospital.post(hospital.envelope("2208", cancel_input(info)))] * 2
        rev = {"data": {"psn_no": info["psn_no"], "omsgid": msgid, "oinfno": "2207"}}
        calls.append(lambda rev=rev: hospital.post(hospital.envelope("2601", rev)))
    for r, m in visits:
        body = settle_input(hospital, gj, r, m, 100_00, "2", parts=parts)
        calls.append(lambda body=body: hospital.post(hospital.envelope("2207", body)))
    answers = [a for _, a in at_once(calls)]
    for n in range(3):
        cancels = answers[3 * n : 3 * n + 3]
        assert sorted(a["infcode"] for a in cancels) == [-1, -1, 0], cancels
        assert {a.get("err_code") for a in cancels if a["infcode"]} == {"E_SETL_CANCELLED"}
    assert all(a["infcode"] == 0 for a in answers[9:]), answers[9:]
    for a in answers[9:]:
        identities_hold(a["output"]["setlinfo"])
    rows = rows_of(gj, Settlement)
    assert sum(r.status == "reversal" for r in rows) == 3 and sum(r.status == "settled" for r in rows) == 6
    after = N.snapshot(gj, watched)
    for person, family in zip(relatives, families, strict=True):
        settled = [a["output"]["setlinfo"] for a in answers[9:] if a["output"]["setlinfo"]["psn_no"] == str(person)]
        net_acct = sum(fen(i["acct_pay"]) for i in settled)
        net_acct += sum(r.acct_pay_fen for r in rows if r.person_id == person and r.reverses_id is not None)
        moved = sum(before[f"balance:{c}"] - after[f"balance:{c}"] for c in [*accounts_of(person), family])
        assert moved == net_acct
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    assert deadlocks == []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_2207s_of_one_person_meet_the_yearly_deductible_once_issue18(gj, hospital, patient, deadlocks):
    """Issue 18 (lean 2207): the yearly accumulator is created-or-locked by one upsert; four
    2207s of one person released at once still queue on it — the 300.00 deductible (Gansu 310 ×
    11 × level 2) is met by exactly one of them, and the accumulator holds what the answers say."""
    visits = [N.open_visit(hospital, gj, patient, ipt_otp_no=f"MZ-acc-{n}") for n in range(4)]
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 500_00}
    bodies = [settle_input(hospital, gj, patient, v, 500_00, "0", parts=parts) for v in visits]
    answers = [a for _, a in at_once([lambda b=b: hospital.post(hospital.envelope("2207", b)) for b in bodies])]
    assert all(a["infcode"] == 0 for a in answers), answers
    infos = [a["output"]["setlinfo"] for a in answers]
    assert sorted(fen(i["act_pay_dedc"]) for i in infos) == [0, 0, 0, 300_00]
    assert sum(fen(i["hifp_pay"]) for i in infos) == 120_00 + 3 * 300_00  # 60 % of what is above it
    [row] = rows_of(gj, BenefitAccumulator, BenefitAccumulator.person_id == patient)
    assert (row.deductible_paid_fen, row.fund_paid_fen) == (300_00, 1_020_00)
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
    assert deadlocks == []


def test_a_unit_price_below_one_fen_is_accepted_and_the_line_rounds_half_up(gj, hospital, patient):
    """单价 is 数值型(16,6) (INTERFACE.md §4, 2204): 10 tablets at 0.0567 yuan are 0.567 → 0.57."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    tablets = lines(patient, mdtrt_id, ("1", METFORMIN, 10, 1), chrg_bchno="B1")
    tablets[0] |= {"pric": "0.0567", "det_item_fee_sumamt": "0.57"}
    result = ok(hospital, "2204", {"feedetail": tablets})["result"][0]
    assert result["pric"] == 0.0567 and result["inscp_scp_amt"] == 0.57
