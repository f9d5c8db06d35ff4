"""The 两定 field spec (data/nhsa/fields.json) and lenient input parsing (INTERFACE.md §2, §4).

Everything is read from the installed package (importlib.resources), never from the reference folder.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import pytest

from gongji.adapters.nhsa.spec import (
    SpecViolation,
    known_infnos,
    money,
    output_node,
    parse_input,
    transaction,
)

DATA = resources.files("gongji") / "data" / "nhsa"
SAMPLES = DATA / "samples"
ENVELOPE = {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"}
# Captured responses that are not a successful 两定 envelope, and why:
NOT_ENVELOPES = {
    # 1162 is a local electronic-voucher call, not a baseline transaction: its body is {message, success, code}.
    "openhis_1162_response.json",
    # A captured failure (infcode -1) that carries no output node at all.
    "openhis_2401_response.json",
}
# The captured 2207 answer predates 伤残人员医疗保障基金支出 (hifdm_pay) and puts the extension field at
# output level (output.expContent) instead of setlinfo.exp_content; every other spec field is there.
NOT_IN_CAPTURED_2207 = {"hifdm_pay", "exp_content"}

TRANSACTIONS = {"1101", "2201", "2202", "2204", "2205", "2206", "2207", "2208", "2601"}
TRANSACTIONS |= {"3201", "3202", "5203", "9001", "9101", "9102"}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sample_files() -> list[Traversable]:
    return sorted((p for p in SAMPLES.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)


def fields_json() -> Any:
    return json.loads((DATA / "fields.json").read_text(encoding="utf-8"))


def settle_2207(**changes: object) -> dict[str, Any]:
    data: dict[str, Any] = {
        "psn_no": "PSN003",
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": "REDACTED01",
        "med_type": "11",
        "medfee_sumamt": 4.52,
        "psn_setlway": "01",
        "mdtrt_id": "300179916",
        "chrg_bchno": "CB0001",
        "insutype": "310",
        "acct_used_flag": "1",
        "invono": "",
        "fulamt_ownpay_amt": 0,
        "overlmt_selfpay": "0",
        "preselfpay_amt": "0.23",
        "inscp_scp_amt": 4.29,
    }
    data.update(changes)
    return {"data": data}


def violation(infno: str, input_obj: object) -> SpecViolation:
    with pytest.raises(SpecViolation) as err:
        parse_input(infno, input_obj)
    assert str(err.value) == err.value.zh
    return err.value


# --- the copied samples ------------------------------------------------------------------------------------


def test_every_reference_sample_was_copied_into_the_package():
    names = {p.name for p in sample_files()}
    expected = {f"openhis_{n}_response.json" for n in (1101, 1161, 1162, 2201, 2204, 2206, 2207, 2208, 2301)}
    expected |= {f"openhis_{n}_response.json" for n in (2302, 2303, 2304, 2305, 2401, 2402, 2405, 5301, 9001)}
    expected |= {"hunan_spec_1101_request.json", "hunan_spec_5303_request.json"}
    assert names == expected


def test_every_sample_file_parses_as_json():
    for path in sample_files():
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path.name


def test_response_samples_carry_the_spec_response_envelope():
    odd = set()
    for path in sample_files():
        if not path.name.endswith("_response.json"):
            continue
        body = json.loads(path.read_text(encoding="utf-8"))
        if ENVELOPE <= body.keys():
            assert body["infcode"] in (0, -1), path.name
        else:
            odd.add(path.name)
    assert odd == NOT_ENVELOPES


def test_samples_keep_their_redactions():
    text = (SAMPLES / "openhis_2207_response.json").read_text(encoding="utf-8")
    assert "REDACTED01" in text and "PSN003" in text
    assert sample("hunan_spec_1101_request.json")["input"]["data"]["mdtrt_cert_no"] == "REDACTED_ID_NO"


def test_captured_2207_setlinfo_holds_every_spec_output_field():
    spec = transaction("2207")
    assert spec is not None
    setlinfo = spec.output("setlinfo")
    assert setlinfo is not None
    captured = sample("openhis_2207_response.json")["output"]["setlinfo"]
    missing = [code for code in setlinfo.codes if code not in captured]
    print("2207 setlinfo fields not in the captured response:", missing)
    assert set(missing) == NOT_IN_CAPTURED_2207
    assert set(captured) <= set(setlinfo.codes)


def test_captured_2207_setldetail_holds_every_spec_output_field():
    spec = transaction("2207")
    assert spec is not None
    node = spec.output("setldetail")
    assert node is not None and node.is_list
    for row in sample("openhis_2207_response.json")["output"]["setldetail"]:
        assert set(row) == set(node.codes)


def test_captured_outputs_use_the_spec_node_names():
    for infno in ("1101", "2201", "2204", "2206", "2207", "2208", "9001"):
        spec = transaction(infno)
        assert spec is not None
        output = sample(f"openhis_{infno}_response.json")["output"]
        for node in spec.outputs:
            assert node.name in output, (infno, node.name)
            assert isinstance(output[node.name], list) == node.is_list, (infno, node.name)


# --- the tables --------------------------------------------------------------------------------------------


def test_the_fifteen_transactions_are_known():
    assert known_infnos() == frozenset(TRANSACTIONS)
    assert transaction("2303") is None
    spec = transaction("2207")
    assert spec is not None and spec.name == "门诊结算"


def test_field_lengths_and_scales_are_read_from_the_spec():
    spec = transaction("2207")
    assert spec is not None
    data = spec.input("data")
    assert data is not None
    medfee = data.field("medfee_sumamt")
    assert medfee is not None
    assert (medfee.type, medfee.length, medfee.scale, medfee.required) == ("number", 16, 2, True)
    assert medfee.is_money
    psn_no = data.field("psn_no")
    assert psn_no is not None and (psn_no.type, psn_no.length, psn_no.scale) == ("string", 30, None)
    setlinfo = spec.output("setlinfo")
    assert setlinfo is not None
    ratio = setlinfo.field("pool_prop_selfpay")
    assert ratio is not None and (ratio.length, ratio.scale, ratio.is_money) == (5, 4, False)
    spec_3201 = transaction("3201")
    assert spec_3201 is not None
    count = spec_3201.inputs[0].field("fixmedins_setl_cnt")
    assert count is not None and (count.type, count.length, count.scale) == ("number", 10, 0)


def test_spec_quirks_are_normalised():
    sign_in = transaction("9001")
    assert sign_in is not None and sign_in.outputs[0].fields[0].type == "datetime"  # 日期型 + HH:mm:ss note
    fees = transaction("2204")
    assert fees is not None
    feedetail = fees.input("feedetail")
    assert feedetail is not None and feedetail.is_list
    sn = feedetail.field("feedetl_sn")
    assert sn is not None and sn.type == "string"  # 数字型(30), but clients send "yp570"
    upload = transaction("9101")
    assert upload is not None
    content = upload.inputs[0].field("in")
    assert content is not None and content.type == "bytes" and content.required
    assert upload.outputs[0].name == ""  # 9101 answers without a node
    recon = transaction("3202")
    assert recon is not None and recon.input_file is not None and recon.output_file is not None
    assert recon.input_file.codes[:3] == ("setl_id", "mdtrt_id", "psn_no")


def test_relaxed_fields_are_spec_required_and_exclude_the_3201_amounts():
    data = fields_json()
    for infno, codes in data["relaxed"].items():
        spec = transaction(infno)
        assert spec is not None
        for code in codes:
            field = spec.inputs[0].field(code)
            assert field is not None and field.required and field.relaxed and not field.enforced
    assert set(data["relaxed"]["2207"]) >= {"psn_cert_type", "certno"}
    assert set(data["relaxed"]["1101"]) == {"psn_name", "certno", "psn_cert_type"}
    assert not {"medfee_sumamt", "fund_pay_sumamt", "acct_pay"} & set(data["relaxed"]["3201"])


# --- parse_input: accepted inputs --------------------------------------------------------------------------


def test_hunan_1101_request_sample_is_accepted():
    parsed = parse_input("1101", sample("hunan_spec_1101_request.json")["input"])
    data = parsed["data"]
    assert data["mdtrt_cert_type"] == "02"
    assert data["card_sn"] is None  # sent as "NULL"
    assert data["begntime"] is None  # sent as ""
    assert data["psn_name"] is None  # relaxed: the spec's own sample sends it empty


def test_2207_input_is_normalised():
    data = parse_input("2207", settle_2207())["data"]
    assert data["medfee_sumamt"] == 452
    assert data["fulamt_ownpay_amt"] == 0
    assert data["preselfpay_amt"] == 23
    assert data["invono"] is None
    assert data["certno"] is None and data["psn_cert_type"] is None  # relaxed for openhis clients


@pytest.mark.parametrize(
    ("given", "fen"),
    [("4.52", 452), (4.52, 452), ("0", 0), (0, 0), (1234567.89, 123456789), ("1234567.89", 123456789)],
)
def test_money_is_converted_to_fen_exactly(given: object, fen: int):
    assert parse_input("2207", settle_2207(medfee_sumamt=given))["data"]["medfee_sumamt"] == fen


def test_money_conversion_keeps_the_sign_and_trailing_zeros_are_harmless():
    assert parse_input("2207", settle_2207(medfee_sumamt="-4.52"))["data"]["medfee_sumamt"] == -452
    assert parse_input("2207", settle_2207(medfee_sumamt="4.520"))["data"]["medfee_sumamt"] == 452
    assert parse_input("2207", settle_2207(medfee_sumamt=" 10 "))["data"]["medfee_sumamt"] == 1000


@pytest.mark.parametrize("blank", [None, "", "null", "NULL"])
def test_optional_null_or_empty_becomes_none(blank: object):
    assert parse_input("2207", settle_2207(invono=blank, exp_content=blank))["data"]["invono"] is None


def test_missing_optional_fields_are_filled_with_none():
    data = parse_input("2207", settle_2207())["data"]
    assert "pub_hosp_rfom_flag" in data and data["pub_hosp_rfom_flag"] is None


def test_extra_fields_and_nodes_are_kept_unchanged():
    input_obj = settle_2207(vendor_flag={"x": 1}, psn_type="11")
    input_obj["extra_node"] = [1, 2]
    parsed = parse_input("2207", input_obj)
    assert parsed["data"]["vendor_flag"] == {"x": 1}
    assert parsed["data"]["psn_type"] == "11"
    assert parsed["extra_node"] == [1, 2]


def test_numbers_are_accepted_for_string_fields():
    data = parse_input("2207", settle_2207(mdtrt_id=300179916, med_type=11.0))["data"]
    assert data["mdtrt_id"] == "300179916"
    assert data["med_type"] == "11"


def test_string_values_are_trimmed():
    assert parse_input("2207", settle_2207(psn_no="  PSN003 "))["data"]["psn_no"] == "PSN003"


def test_whole_numbers_and_other_scales():
    recon = {"insutype": "310", "clr_type": "11", "setl_optins": "130399", "stmt_begndate": "2021-11-01"}
    recon |= {"stmt_enddate": "2021-11-30", "medfee_sumamt": "100.5", "fund_pay_sumamt": 0, "acct_pay": "100.50"}
    recon |= {"fixmedins_setl_cnt": "3", "fixmedins_refd_setl_flag": "0"}
    data = parse_input("3201", {"data": recon})["data"]
    assert data["fixmedins_setl_cnt"] == 3
    assert data["stmt_begndate"] == date(2021, 11, 1)
    assert data["medfee_sumamt"] == 10050 and data["acct_pay"] == 10050
    row = fee_row(cnt="2.5", pric=1.806, prd_days="1.5")
    parsed = parse_input("2204", {"feedetail": [row]})["feedetail"][0]
    assert parsed["cnt"] == Decimal("2.5")
    assert parsed["pric"] == Decimal("1.806")
    assert parsed["prd_days"] == Decimal("1.5")  # 数值型(4,2) days, not money
    assert parsed["det_item_fee_sumamt"] == 452


def test_datetimes_are_parsed_naive_and_a_t_separator_is_accepted():
    row = parse_input("2204", {"feedetail": [fee_row()]})["feedetail"][0]
    assert row["fee_ocur_time"] == datetime(2021, 11, 29, 18, 9, 52)
    row = parse_input("2204", {"feedetail": [fee_row(fee_ocur_time="2021-11-29T18:09:52")]})["feedetail"][0]
    assert row["fee_ocur_time"] == datetime(2021, 11, 29, 18, 9, 52)
    assert row["fee_ocur_time"].tzinfo is None


def test_exp_content_may_be_a_json_object_or_list():
    row = parse_input("2204", {"feedetail": [fee_row(exp_content=[{"er_flag": "0"}])]})["feedetail"][0]
    assert row["exp_content"] == [{"er_flag": "0"}]


def test_a_non_list_node_given_as_a_one_element_list_is_accepted():
    parsed = parse_input("2207", {"data": [settle_2207()["data"]]})
    assert parsed["data"]["medfee_sumamt"] == 452


def test_file_upload_accepts_byte_values_or_base64():
    node = {"filename": "detail.zip", "fixmedins_code": "H43028100255"}
    assert parse_input("9101", {"fsUploadIn": node | {"in": [80, 75, 3, 4]}})["fsUploadIn"]["in"] == b"PK\x03\x04"
    assert parse_input("9101", {"fsUploadIn": node | {"in": "UEsDBA=="}})["fsUploadIn"]["in"] == b"PK\x03\x04"
    assert parse_input("9101", {"fsUploadIn": node | {"in": [-1, 0]}})["fsUploadIn"]["in"] == b"\xff\x00"


# --- parse_input: refused inputs ---------------------------------------------------------------------------


def test_missing_required_field_is_refused_naming_the_field():
    data = settle_2207()["data"]
    del data["medfee_sumamt"]
    err = violation("2207", {"data": data})
    assert err.field == "data.medfee_sumamt"
    assert err.zh == "缺少必填字段 data.medfee_sumamt（医疗费总额）"
    assert err.en == "Missing required field data.medfee_sumamt"


@pytest.mark.parametrize("blank", [None, "", "   ", "null"])
def test_blank_required_field_is_refused(blank: object):
    assert violation("2207", settle_2207(psn_no=blank)).field == "data.psn_no"


def test_3201_amounts_stay_required():
    recon = {"insutype": "310", "clr_type": "11", "setl_optins": "130399", "stmt_begndate": "2021-11-01"}
    recon |= {"stmt_enddate": "2021-11-30", "fund_pay_sumamt": 0, "acct_pay": 0, "fixmedins_setl_cnt": 3}
    assert violation("3201", {"data": recon}).zh == "缺少必填字段 data.medfee_sumamt（医疗费总额）"


@pytest.mark.parametrize("bad", ["abc", "4.5.2", "1e3", "¥4.52", True, [4.52], {"v": 1}, float("nan")])
def test_wrong_number_is_refused(bad: object):
    err = violation("2207", settle_2207(medfee_sumamt=bad))
    assert err.zh == "字段 data.medfee_sumamt（医疗费总额）须为数值，最多2位小数"
    assert err.field == "data.medfee_sumamt"


@pytest.mark.parametrize("bad", ["4.521", 4.521, 0.1 + 0.2])
def test_more_than_two_decimals_is_refused(bad: object):
    assert "医疗费总额" in violation("2207", settle_2207(medfee_sumamt=bad)).zh


def test_too_many_integer_digits_is_refused():
    err = violation("2207", settle_2207(medfee_sumamt="123456789012345"))  # 15 + 2 > 16
    assert err.zh == "字段 data.medfee_sumamt（医疗费总额）超过最大长度16"


def test_fraction_for_a_whole_number_is_refused():
    recon = {"insutype": "310", "clr_type": "11", "setl_optins": "130399", "stmt_begndate": "2021-11-01"}
    recon |= {"stmt_enddate": "2021-11-30", "medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0}
    err = violation("3201", {"data": recon | {"fixmedins_setl_cnt": 2.5}})
    assert err.zh == "字段 data.fixmedins_setl_cnt（定点医药机构结算笔数）须为整数"


def test_too_long_string_is_refused():
    err = violation("2207", settle_2207(psn_no="P" * 31))
    assert err.zh == "字段 data.psn_no（人员编号）超过最大长度30"
    assert err.en == "Field data.psn_no exceeds the maximum length 30"


def test_length_counts_characters_not_bytes():
    assert parse_input("2207", settle_2207(psn_no="人" * 30))["data"]["psn_no"] == "人" * 30


def test_object_for_a_string_field_is_refused():
    assert violation("2207", settle_2207(psn_no={"id": 1})).zh == "字段 data.psn_no（人员编号）须为字符串"


@pytest.mark.parametrize("bad", ["2021/11/01", "2021-13-01", "2021-02-30", "20211101", "2021-11-01 00:00:00", 20211101])
def test_bad_date_is_refused(bad: object):
    recon = {"insutype": "310", "clr_type": "11", "setl_optins": "130399", "stmt_begndate": bad}
    recon |= {"stmt_enddate": "2021-11-30", "medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0}
    err = violation("3201", {"data": recon | {"fixmedins_setl_cnt": 1}})
    assert err.zh == "字段 data.stmt_begndate（对账开始日期）日期格式应为 yyyy-MM-dd"


@pytest.mark.parametrize("bad", ["2021-11-29", "2021-11-29 25:00:00", "2021/11/29 18:09:52", "1638180592"])
def test_bad_datetime_is_refused(bad: object):
    err = violation("2204", {"feedetail": [fee_row(fee_ocur_time=bad)]})
    assert err.field == "feedetail[0].fee_ocur_time"
    assert err.zh == "字段 feedetail[0].fee_ocur_time（费用发生时间）日期时间格式应为 yyyy-MM-dd HH:mm:ss"


def test_missing_input_node_is_refused():
    assert violation("2207", {}).zh == "缺少输入节点 data"
    assert violation("2207", {"data": None}).field == "data"


def test_list_node_given_as_an_object_is_refused():
    err = violation("2204", {"feedetail": fee_row()})
    assert err.zh == "输入节点 feedetail 须为列表"


def test_list_rows_must_be_objects_and_are_named_by_index():
    assert violation("2204", {"feedetail": [fee_row(), "x"]}).field == "feedetail[1]"
    row = fee_row()
    del row["psn_no"]
    assert violation("2204", {"feedetail": [fee_row(), row]}).field == "feedetail[1].psn_no"


def test_non_list_node_given_as_a_longer_list_or_a_text_is_refused():
    data = settle_2207()["data"]
    assert violation("2207", {"data": [data, data]}).zh == "输入节点 data 须为对象"
    assert violation("2207", {"data": "x"}).zh == "输入节点 data 须为对象"


def test_input_must_be_an_object():
    assert violation("2207", [settle_2207()]).field == "input"


def test_unknown_transaction_is_refused():
    assert violation("2303", {"data": {}}).field == "infno"


def test_bad_file_content_is_refused():
    node = {"filename": "detail.zip", "fixmedins_code": "H43028100255"}
    for bad in ("not base64!", [256], [True], 12):
        assert violation("9101", {"fsUploadIn": node | {"in": bad}}).field == "fsUploadIn.in"


# --- output ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fen", "yuan"), [(452, 4.52), (0, 0), (500, 5), (-452, -4.52), (123456789, 1234567.89)])
def test_money_turns_fen_into_a_yuan_json_number(fen: int, yuan: float):
    assert money(fen) == yuan
    assert json.dumps(money(fen)) == json.dumps(yuan)


def test_money_of_none_is_zero_as_the_spec_sends_empty_numbers():
    assert money(None) == 0


def test_output_node_lists_every_spec_field_then_extras():
    row = output_node("2201", "data", {"mdtrt_id": "M1", "psn_no": "P1", "vendor": 1})
    assert row == {"mdtrt_id": "M1", "psn_no": "P1", "ipt_otp_no": None, "exp_content": None, "vendor": 1}
    spec = transaction("2207")
    assert spec is not None
    setlinfo = spec.output("setlinfo")
    assert setlinfo is not None
    row = output_node("2207", "setlinfo", {"medfee_sumamt": 4.52})
    assert list(row) == list(setlinfo.codes)
    assert row["medfee_sumamt"] == 4.52


def test_output_node_emits_both_spellings_of_the_2208_cash_field():
    assert output_node("2208", "setlinfo", {"psn_cash_pay": -4.52})["pdn_cash_pay"] == -4.52
    row = output_node("2208", "setlinfo", {"pdn_cash_pay": 0})
    assert row["psn_cash_pay"] == 0 and row["pdn_cash_pay"] == 0


def test_output_node_for_an_unknown_node_is_a_programming_error():
    with pytest.raises(KeyError):
        output_node("2207", "nosuchnode", {})


def fee_row(**changes: object) -> dict[str, Any]:
    row: dict[str, Any] = {
        "feedetl_sn": "yp570",
        "mdtrt_id": "300179916",
        "psn_no": "PSN003",
        "chrg_bchno": "CB0001",
        "rx_circ_flag": "0",
        "fee_ocur_time": "2021-11-29 18:09:52",
        "med_list_codg": "XA01ABD075A002010100483",
        "medins_list_codg": "yp570",
        "det_item_fee_sumamt": 4.52,
        "cnt": 1,
        "pric": 4.52,
        "bilg_dept_codg": "D01",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "DR01",
        "bilg_dr_name": "王医生",
        "hosp_appr_flag": "1",
    }
    row.update(changes)
    return row


def test_every_offered_transaction_has_a_handler_and_every_handler_a_field_list():
    from gongji.adapters.nhsa import spec
    from gongji.services.settlement import interface as nhsa

    assert set(nhsa.HANDLERS) == set(spec.known_infnos()) == set(nhsa.OFFERED)
    assert set(nhsa.SERVICE_PATHS.values()) <= set(nhsa.OFFERED)
