"""The person at the counter is the person charged (issue 13 §1), over HTTP on SQLite and
PostgreSQL.

Sources: issue 13 §1; the Hunan spec V1.1.27 as summarised in reference/nhsa/INTERFACE.md §4
(1101/2201/2206/2207 input ``mdtrt_cert_type`` / ``mdtrt_cert_no``: "就诊凭证类型为“01”时填写
电子凭证令牌，为“02”时填写身份证号，为“03”时填写社会保障卡卡号"; 2201/2206 ``psn_type`` 字符型(3))
and §6 (``mdtrt_cert_type`` 01 医保电子凭证, 02 居民身份证, 03 社会保障卡; ``psn_type`` 1401–1405,
151 居民). A refusal is ``infcode -1`` with a Chinese ``err_msg`` and nothing about the other
person in the answer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from gongji.adapters.db import models as M
from gongji.adapters.nhsa.client import HisClient, parts_of
from tests import nhsa_support as N
from tests import support as S
from tests.e2e.conftest import login

GANSU = "620702"
OTHER_HOSPITAL = "H62070200002"
HOSPITAL_CODE = "H62070200001"  # the `hospital` fixture (tests/e2e/conftest.py)
CARD = "G12345678"


@pytest.fixture
def stranger(gj, office) -> int:
    """Another employee of 甘州区, with money in the account: the one a key must not reach."""
    return S.employee(gj, office, region=GANSU, name="钱多多", birth=date(1970, 7, 7), income_fen=500_000)


def refused(answer: dict[str, Any], code: str, fragment: str) -> None:
    assert answer["infcode"] == -1, answer
    assert answer["err_code"] == code, answer
    assert fragment in answer["err_msg"], answer["err_msg"]
    assert answer["output"] == {}


def reveals(answer: dict[str, Any], gj, person_id: int) -> bool:
    text = json.dumps(answer, ensure_ascii=False)
    return S.person_cert(gj, person_id) in text or S.person_name(gj, person_id) in text


def info_input(cert_type: str, number: str, **extra: Any) -> dict[str, Any]:
    return {"data": {"mdtrt_cert_type": cert_type, "mdtrt_cert_no": number, "psn_cert_type": "01", **extra}}


def register_input(gj, psn_no: int, cert_type: str, number: str, **extra: Any) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": str(psn_no),
            "insutype": extra.pop("insutype", "310"),
            "begntime": "2026-11-23 10:00:00",
            "mdtrt_cert_type": cert_type,
            "mdtrt_cert_no": number,
            "ipt_otp_no": "MZ-CRED",
            "dept_code": "A03",
            "dept_name": "内科",
            "caty": "A03",
            **extra,
        }
    }


def other_his(gj, client) -> HisClient:
    key = N.institution(gj, OTHER_HOSPITAL, region=GANSU, level=2, name="甘州区另一医院")
    return N.his(client, gj, OTHER_HOSPITAL, key, region=GANSU)


# --- 1101: the credential's person, and nobody else ---------------------------------------------------


def test_1101_with_a_psn_no_of_someone_else_is_refused_and_says_nothing_about_them(gj, hospital, patient, stranger):
    """Issue 13 §1: psn_no given with a credential that belongs to someone else → infcode -1."""
    answer = hospital.call("1101", info_input("02", S.person_cert(gj, patient), psn_no=str(stranger)))
    refused(answer, "E_SETL_CREDENTIAL", "就诊凭证与人员编号不是同一人")
    assert not reveals(answer, gj, stranger) and not reveals(answer, gj, patient)
    # both persons see the refused attempt, and no read of anyone was recorded as a read
    assert N.reads(gj, stranger) == [(hospital.fixmedins_code, "refused", "02")]
    assert N.reads(gj, patient) == [(hospital.fixmedins_code, "refused", "02")]


def test_1101_cannot_read_a_certno_without_that_persons_credential(gj, hospital, patient, stranger):
    """Today's hole: any credential type other than 02 made 1101 look the person up by certno."""
    for cert_type, number in (("01", "anything"), ("03", "NOCARD0001")):
        answer = hospital.call("1101", info_input(cert_type, number, certno=S.person_cert(gj, stranger)))
        assert answer["infcode"] == -1, answer
        assert not reveals(answer, gj, stranger)
    # a real credential of the patient with the stranger's certno: refused too
    mixed = info_input("02", S.person_cert(gj, patient), certno=S.person_cert(gj, stranger))
    refused(hospital.call("1101", mixed), "E_SETL_CREDENTIAL", "不是同一人")


def test_1101_finds_the_person_by_the_social_security_card(gj, office, hospital, patient):
    """Credential 03: the card number stored at enrollment (registry)."""
    N.ssc_card(gj, office, patient, CARD)
    out = hospital.call("1101", info_input("03", CARD.lower()))
    assert out["infcode"] == 0, out
    assert out["output"]["baseinfo"]["psn_no"] == str(patient)
    unknown = hospital.call("1101", info_input("03", "G99999999"))
    refused(unknown, "E_SETL_PERSON", "未查询到")


def test_every_1101_is_recorded_with_institution_and_credential_type(gj, client, office, hospital, patient):
    """Issue 13 §1: every 1101 audited (institution, person, time); staff list them, the
    citizen sees them (without the institution's operator code)."""
    other = other_his(gj, client)
    assert hospital.person_info(S.person_cert(gj, patient))["infcode"] == 0
    assert other.person_info("", cert_type="01", cert_no=N.ec_token(gj, patient))["infcode"] == 0
    assert N.reads(gj, patient) == [(hospital.fixmedins_code, "read", "02"), (OTHER_HOSPITAL, "read", "01")]

    staff_reads = client.get(f"/api/persons/{patient}/reads", headers=login(client, office.username))
    assert staff_reads.status_code == 200, staff_reads.text
    items = staff_reads.json()["items"]
    assert [(i["fixmedins_code"], i["cert_type_zh"]) for i in items] == [
        (OTHER_HOSPITAL, "医保电子凭证"),
        (hospital.fixmedins_code, "居民身份证"),
    ]
    assert items[0]["institution_name"] == "甘州区另一医院" and items[0]["at"] == "2026-11-23 10:00:00"
    assert items[0]["opter"] == "0001"

    me = S.citizen(gj, patient)
    mine = client.get("/api/me/reads", headers=login(client, me.username)).json()["items"]
    assert [i["institution_name"] for i in mine] == ["甘州区另一医院", "测试医院001"]
    assert all("opter" not in i and "msgid" not in i for i in mine)

    outsider = S.staff(gj, ["330100"])  # 杭州: not the person's region
    r = client.get(f"/api/persons/{patient}/reads", headers=login(client, outsider.username))
    assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION"


def test_1101_psn_type_is_one_that_2201_and_2206_accept(gj, office, hospital):
    """Today 1101 answered the registry's 4-character 1403 (中小学生), which 2201/2206 refuse
    (psn_type 字符型(3)); the interface code is 151 居民."""
    pupil = S.resident(gj, office, region=GANSU, name="李小明", birth=date(2014, 3, 3))
    cert = S.person_cert(gj, pupil)
    insu = hospital.person_info(cert)["output"]["insuinfo"][0]
    assert insu["psn_type"] == "151"
    reg = hospital.call("2201", register_input(gj, pupil, "02", cert, insutype="390", psn_type=insu["psn_type"]))
    assert reg["infcode"] == 0, reg
    pre = hospital.call(
        "2206",
        {
            "data": hospital.settle_input(
                psn_no=str(pupil),
                mdtrt_id=reg["output"]["data"]["mdtrt_id"],
                insutype="390",
                certno=cert,
                medfee_fen=50_00,
                acct_used_flag="0",
            )["data"]
            | {"psn_type": insu["psn_type"]}
        },
    )
    assert pre["infcode"] == 0, pre
    assert pre["output"]["setlinfo"]["psn_type"] == "151"


# --- 2201 / 2206 / 2207: the credential travels with the visit -----------------------------------------


def test_2201_refuses_a_credential_of_someone_else(gj, hospital, patient, stranger):
    before = N.snapshot(gj)
    answer = hospital.call("2201", register_input(gj, stranger, "02", S.person_cert(gj, patient)))
    refused(answer, "E_SETL_CREDENTIAL", "不是同一人")
    assert not reveals(answer, gj, stranger)
    after = N.snapshot(gj)
    assert after["visit"] == before["visit"]


def test_2207_with_someone_elses_credential_moves_no_money(gj, hospital, patient, stranger):
    """A visit opened for the stranger with the stranger's card cannot be settled with the
    patient's card, nor the other way round: the visit's person is the credential's person."""
    mdtrt_id = N.open_visit(hospital, gj, stranger)
    before = N.snapshot(gj)
    for infno in ("2206", "2207"):
        body = hospital.settle_input(
            psn_no=str(stranger),
            mdtrt_id=mdtrt_id,
            insutype="310",
            certno=S.person_cert(gj, patient),
            medfee_fen=100_00,
            acct_used_flag="1",
            parts={"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 100_00},
        )
        refused(hospital.call(infno, body), "E_SETL_CREDENTIAL", "不是同一人")
    after = N.snapshot(gj)
    for table in ("settlement", "ledger_txn", "ledger_posting", "family_payment", "nhsa_message"):
        assert after[table] == before[table], table


def test_2208_and_2601_only_for_the_institution_that_settled(gj, client, hospital, patient):
    """Issue 13 §1: 2208/2601 only for the institution that settled."""
    mdtrt_id = N.open_visit(hospital, gj, patient)
    args: dict[str, Any] = dict(
        psn_no=str(patient),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=S.person_cert(gj, patient),
        medfee_fen=20_00,
        acct_used_flag="1",
    )
    pre = hospital.call("2206", hospital.settle_input(**args))
    msgid = hospital.next_msgid()
    done = hospital.call("2207", hospital.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])), msgid=msgid)
    assert done["infcode"] == 0, done
    info = done["output"]["setlinfo"]
    other = other_his(gj, client)
    before = N.snapshot(gj)
    cancel = other.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert cancel["infcode"] == -1 and cancel["err_code"] == "E_SETL_INSTITUTION", cancel
    reverse = other.call("2601", {"data": {"psn_no": str(patient), "omsgid": msgid, "oinfno": "2207"}})
    assert reverse["infcode"] == -1 and reverse["err_code"] == "E_SETL_REVERSAL", reverse
    after = N.snapshot(gj)
    assert after["settlement"] == before["settlement"] and after["ledger_txn"] == before["ledger_txn"]
    ok = hospital.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert ok["infcode"] == 0, ok


# --- 01 医保电子凭证: the 医保码 token -----------------------------------------------------------------


def token_visit(gj, his: HisClient, person_id: int, token: str) -> dict[str, Any]:
    info = his.person_info("", cert_type="01", cert_no=token)
    assert info["infcode"] == 0, info
    assert info["output"]["baseinfo"]["psn_no"] == str(person_id)
    return his.register(str(person_id), "310", "", "", ipt_otp_no="MZ-EC", cert_type="01", cert_no=token)


def test_a_visit_opened_with_the_qr_token_settles_with_it_once(gj, client, hospital, patient):
    """Issue 13 §1: the token is short-lived and serves one visit; the visit it opened settles
    with it even after it expired."""
    me = S.citizen(gj, patient)
    r = client.post("/api/me/ec-token", headers=login(client, me.username))
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert r.json()["mdtrt_cert_type"] == "01" and len(token) <= 50  # mdtrt_cert_no 字符型(50)
    reg = token_visit(gj, hospital, patient, token)
    assert reg["infcode"] == 0, reg
    mdtrt_id = reg["output"]["data"]["mdtrt_id"]
    again = hospital.register(str(patient), "310", "", "", ipt_otp_no="MZ-EC2", cert_type="01", cert_no=token)
    refused(again, "E_SETL_CREDENTIAL_INVALID", "医保码已使用")
    elsewhere = other_his(gj, client).person_info("", cert_type="01", cert_no=token)
    refused(elsewhere, "E_SETL_CREDENTIAL_INVALID", "医保码已失效")

    gj.clock.advance(timedelta(minutes=30))  # fees take a while: the visit keeps its token
    args: dict[str, Any] = dict(
        psn_no=str(patient),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno="",
        medfee_fen=25_00,
        acct_used_flag="1",
        cert_type="01",
        cert_no=token,
    )
    pre = hospital.call("2206", hospital.settle_input(**args))
    assert pre["infcode"] == 0, pre
    done = hospital.call("2207", hospital.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))
    assert done["infcode"] == 0, done
    assert done["output"]["setlinfo"]["mdtrt_cert_type"] == "01"


def test_an_expired_altered_or_replaced_token_is_refused(gj, hospital, patient):
    token = N.ec_token(gj, patient, ttl_minutes=5)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    refused(hospital.person_info("", cert_type="01", cert_no=forged), "E_SETL_CREDENTIAL_INVALID", "医保码无效")
    newer = N.ec_token(gj, patient)
    refused(hospital.person_info("", cert_type="01", cert_no=token), "E_SETL_CREDENTIAL_INVALID", "医保码已失效")
    gj.clock.advance(timedelta(minutes=6))
    refused(hospital.person_info("", cert_type="01", cert_no=newer), "E_SETL_CREDENTIAL_INVALID", "医保码已过期")
    assert N.reads(gj, patient) == []


def test_a_token_of_someone_else_cannot_open_a_visit_for_psn_no(gj, hospital, patient, stranger):
    token = N.ec_token(gj, patient)
    answer = hospital.register(str(stranger), "310", "", "", ipt_otp_no="MZ-X", cert_type="01", cert_no=token)
    refused(answer, "E_SETL_CREDENTIAL", "不是同一人")
    assert not reveals(answer, gj, stranger)

    def token_state(uow: Any) -> str:
        from sqlalchemy import select

        return str(uow.session.scalar(select(M.EcToken.status).where(M.EcToken.person_id == patient)))

    assert gj.run(token_state) == "live"  # nothing was used up by the refused call


# --- the card number at enrollment (registry) -----------------------------------------------------------


def test_the_card_number_is_stored_at_enrollment_and_belongs_to_one_person(gj, client, office, patient):
    headers = login(client, office.username)
    person = client.post(
        "/api/persons", json={"cert_no": S.new_id(GANSU, date(1992, 1, 1)), "name": "孙卡号"}, headers=headers
    ).json()
    enroll = {"insutype": "390", "region_code": GANSU, "psn_type": "15", "start_date": "2026-01-01"}
    r = client.post(
        f"/api/persons/{person['person_id']}/enrollments", json=enroll | {"ssc_no": " g87654321 "}, headers=headers
    )
    assert r.status_code == 201, r.text
    record = client.get(f"/api/persons/{person['person_id']}", headers=headers).json()
    assert record["ssc_no"] == "G*****321"  # masked in answers
    taken = client.post(f"/api/persons/{patient}/ssc-card", json={"ssc_no": "G87654321"}, headers=headers)
    assert taken.status_code == 409 and taken.json()["code"] == "E_DUPLICATE"
    bad = client.post(f"/api/persons/{patient}/ssc-card", json={"ssc_no": "卡-1"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "E_VALIDATION"


def test_the_loser_of_two_calls_racing_with_one_token_is_refused(gj, hospital, patient):
    """One visit per token even when two 2201 pass the status check together: binding is a
    conditional UPDATE, so the second binding finds the token used and is refused."""
    from sqlalchemy import select

    from gongji.domain.errors import CredentialInvalid
    from gongji.services.settlement import credentials

    token = N.ec_token(gj, patient)
    won = hospital.register(str(patient), "310", "", "", ipt_otp_no="MZ-R1", cert_type="01", cert_no=token)
    assert won["infcode"] == 0, won
    ctx = S.ctx(gj, S.staff(gj, ["620000"]))

    def lose(uow: Any) -> None:
        row = uow.session.scalar(select(M.EcToken).where(M.EcToken.person_id == patient))
        visit = uow.session.get(M.Visit, int(won["output"]["data"]["mdtrt_id"]))
        institution = uow.session.scalar(select(M.Institution).where(M.Institution.fixmedins_code == HOSPITAL_CODE))
        credentials.use_token(uow, ctx, institution, row, visit)  # as if its status check had passed

    with pytest.raises(CredentialInvalid, match="医保码已使用"):
        gj.run(lose)
