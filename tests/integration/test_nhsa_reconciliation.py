"""Reconciliation of the 两定 interface: 3201 对总账, 3202 对明细账 and the files moved by 9101/9102,
plus 9001 sign-in (INTERFACE.md §4 (3201/3202); §2 for the TXT-in-ZIP file rules).

The centre's side is written straight into ``settlement`` the way ``services.settlement.settle`` writes it:
a 2207 row (refd_setl_flag 0, status settled) and, for a cancellation, the original set to
"cancelled" plus its own reversal row (refd_setl_flag 1, negative amounts). Requests go through
``spec.parse_input`` first, so the functions see what the dispatcher gives them.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import Institution, NhsaFile, Settlement, Visit
from gongji.adapters.nhsa import spec
from gongji.domain.errors import AmountsMismatch, FileUnknown, InvalidRequest, WrongInstitution
from gongji.services.settlement import reconciliation as R
from tests import support as S

GANSU = "620702"
OTHER_REGION = "620102"
HOSPITAL = "H62070200001"
CLINIC = "H62070200002"
DAY = date(2026, 11, 20)


# --- builders ---------------------------------------------------------------------------------------------


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


@pytest.fixture
def ctx(gj, office):
    return S.ctx(gj, office)


@pytest.fixture
def person(gj, office):
    return S.employee(gj, office, region=GANSU)


@pytest.fixture
def institutions(gj):
    def go(uow):
        for code in (HOSPITAL, CLINIC):
            uow.session.add(
                Institution(
                    fixmedins_code=code, name=f"测试医院{code[-3:]}", kind="hospital", level=3, region_code=GANSU
                )
            )
        uow.commit()

    gj.run(go)
    return HOSPITAL, CLINIC


def _settle(
    gj,
    person_id: int,
    at: datetime,
    medfee: int,
    fund: int,
    acct: int,
    *,
    code: str = HOSPITAL,
    clr_type: str = "11",
    insutype: str = "310",
    region: str = GANSU,
) -> int:
    """A 2207 settlement row (amounts in fen), with its visit; returns setl_id."""

    def go(uow):
        now = gj.clock.now()
        visit = Visit(
            person_id=person_id,
            fixmedins_code=code,
            insutype=insutype,
            med_type="11",
            psn_type="11",
            ipt_otp_no=f"MZ{at:%H%M%S}{medfee}",
            dept_code=None,
            begntime=at,
            status="open",
            treatment_region=GANSU,
            insured_region=region,
            msgid=f"{code}{at:%Y%m%d%H%M%S}0001",
            created_at=now,
            cancelled_at=None,
        )
        uow.session.add(visit)
        uow.session.flush()
        row = Settlement(
            visit_id=visit.id,
            person_id=person_id,
            fixmedins_code=code,
            msgid=f"{code}{at:%Y%m%d%H%M%S}0002",
            chrg_bchno="0",
            insutype=insutype,
            med_type="11",
            clr_type=clr_type,
            use_kind="outpatient",
            institution_level=3,
            acct_used_flag="1",
            year=at.year,
            setl_time=at,
            status="settled",
            refd_setl_flag="0",
            reverses_id=None,
            medfee_fen=medfee,
            fulamt_ownpay_fen=0,
            overlmt_selfpay_fen=0,
            preselfpay_fen=0,
            inscp_fen=medfee,
            act_pay_dedc_fen=0,
            hifp_pay_fen=fund,
            fund_pay_sumamt_fen=fund,
            psn_part_amt_fen=medfee - fund,
            acct_pay_fen=acct,
            acct_mulaid_pay_fen=0,
            psn_cash_pay_fen=medfee - fund - acct,
            hosp_part_amt_fen=0,
            balc_fen=0,
            pool_ratio_permille=600,
            year_deductible_fen=0,
            fund_txn_id=None,
            account_txn_id=None,
            family_payment_id=None,
            treatment_region=GANSU,
            insured_region=region,
            out_type="0",
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id

    return gj.run(go)


def _cancel(gj, setl_id: int, at: datetime) -> int:
    """A 2208 cancellation as services.settlement.cancel writes it; returns the reversal's setl_id."""

    def go(uow):
        row = uow.session.get(Settlement, setl_id)
        row.status = "cancelled"
        columns = {c.key: getattr(row, c.key) for c in Settlement.__table__.columns if c.key != "id"}
        for name in columns:
            if name.endswith("_fen") and name != "balc_fen" and columns[name] is not None:
                columns[name] = -columns[name]
        columns.update(
            msgid=row.msgid[:-4] + "0003",
            setl_time=at,
            status="reversal",
            refd_setl_flag="1",
            reverses_id=row.id,
            created_at=gj.clock.now(),
        )
        reversal = Settlement(**columns)
        uow.session.add(reversal)
        uow.session.flush()
        uow.commit()
        return reversal.id

    return gj.run(go)


def _call(gj, ctx, fn, node: dict[str, Any], code: str = HOSPITAL) -> Any:
    def go(uow):
        institution = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
        out = fn(uow, ctx, institution, node)
        uow.commit()
        return out

    return gj.run(go)


def _parsed(infno: str, node: str, values: dict[str, Any]) -> dict[str, Any]:
    return spec.parse_input(infno, {node: values})[node]


def _totals(begin: date, end: date, medfee: int, fund: int, acct: int, count: int, **extra: Any) -> dict[str, Any]:
    values = {
        "insutype": "310",
        "clr_type": "11",
        "setl_optins": GANSU,
        "stmt_begndate": begin.isoformat(),
        "stmt_enddate": end.isoformat(),
        "medfee_sumamt": R.yuan(medfee),
        "fund_pay_sumamt": R.yuan(fund),
        "acct_pay": R.yuan(acct),
        "fixmedins_setl_cnt": count,
        "fixmedins_refd_setl_flag": "0",
    }
    values.update(extra)
    return _parsed("3201", "data", values)


def _upload(gj, ctx, content: bytes, code: str = HOSPITAL) -> dict[str, Any]:
    node = _parsed("9101", "fsUploadIn", {"in": list(content), "filename": "detail.zip", "fixmedins_code": code})
    return _call(gj, ctx, R.upload_file, node, code)


def _details(file_qury_no: str, rows: list[dict[str, Any]], *, flag: str = "1", day: date = DAY) -> dict[str, Any]:
    return _parsed(
        "3202",
        "data",
        {
            "setl_optins": GANSU,
            "file_qury_no": file_qury_no,
            "stmt_begndate": day.isoformat(),
            "stmt_enddate": day.isoformat(),
            "medfee_sumamt": R.yuan(sum(r["medfee_sumamt"] for r in rows)),
            "fund_pay_sumamt": R.yuan(sum(r["fund_pay_sumamt"] for r in rows)),
            "cash_payamt": R.yuan(sum(r["medfee_sumamt"] - r["fund_pay_sumamt"] - r["acct_pay"] for r in rows)),
            "fixmedins_setl_cnt": len(rows),
            "clr_type": "11",
            "refd_setl_flag": None,
            "fixmedins_refd_setl_flag": flag,
        },
    )


def _line(gj, setl_id: int, **changes: Any) -> dict[str, Any]:
    """The institution's detail line for a centre row, as the centre has it (then ``changes``)."""

    def go(uow):
        row = uow.session.get(Settlement, setl_id)
        return {
            "setl_id": str(row.id),
            "mdtrt_id": str(row.visit_id),
            "psn_no": str(row.person_id),
            "medfee_sumamt": row.medfee_fen,
            "fund_pay_sumamt": row.fund_pay_sumamt_fen,
            "acct_pay": row.acct_pay_fen,
            "refd_setl_flag": row.refd_setl_flag,
        }

    line = gj.run(go)
    line.update(changes)
    return line


def _download(gj, ctx, file_qury_no: str, code: str = HOSPITAL) -> Any:
    node = _parsed(
        "9102", "fsDownloadIn", {"file_qury_no": file_qury_no, "filename": "result.zip", "fixmedins_code": code}
    )
    return _call(gj, ctx, R.download_file, node, code)


def _reconcile(gj, ctx, lines: list[dict[str, Any]], *, flag: str = "1") -> tuple[dict[str, Any], list[dict]]:
    uploaded = _upload(gj, ctx, R.build_detail_file(lines))
    answer = _call(gj, ctx, R.statement_details, _details(uploaded["file_qury_no"], lines, flag=flag))
    got = _download(gj, ctx, answer["fileinfo"]["file_qury_no"])
    return answer, R.read_result_file(got.content)


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


# --- 9001 ---------------------------------------------------------------------------------------------------


def test_9001_each_sign_in_gets_its_own_sign_no(gj, ctx, institutions):
    node = _parsed("9001", "signIn", {"opter_no": "001", "mac": "00-11-22-33-44-55", "ip": "10.0.0.8"})
    first = _call(gj, ctx, R.sign_in, node)["signinoutb"]
    second = _call(gj, ctx, R.sign_in, node)["signinoutb"]
    assert first["sign_no"] != second["sign_no"]
    assert first["sign_no"].isdigit() and len(first["sign_no"]) <= 30
    assert first["sign_time"] == "2026-11-23 10:00:00"


# --- 3201 ---------------------------------------------------------------------------------------------------


def test_3201_equal_totals_over_the_period_are_flat(gj, ctx, institutions, person):
    _settle(gj, person, at(0, 0, 0, date(2026, 11, 1)), 10000, 6000, 4000)  # first second of the period
    _settle(gj, person, at(23, 59, 59, date(2026, 11, 30)), 5000, 3000, 1000)  # last second
    # none of these is the centre's side of this statement:
    _settle(gj, person, at(0, 0, 0, date(2026, 12, 1)), 999, 0, 0)  # after the period
    _settle(gj, person, at(23, 59, 59, date(2026, 10, 31)), 999, 0, 0)  # before it
    _settle(gj, person, at(9), 999, 0, 0, code=CLINIC)  # another institution
    _settle(gj, person, at(9), 999, 0, 0, clr_type="21")  # another clearing type
    _settle(gj, person, at(9), 999, 0, 0, insutype="390")  # another insurance type
    _settle(gj, person, at(9), 999, 0, 0, region=OTHER_REGION)  # another clearing agency

    out = _call(gj, ctx, R.statement_totals, _totals(date(2026, 11, 1), date(2026, 11, 30), 15000, 9000, 5000, 2))

    assert out == {"stmtinfo": {"setl_optins": GANSU, "stmt_rslt": "0", "stmt_rslt_dscr": "平"}}


def test_3201_a_differing_amount_or_count_is_not_flat_and_names_both_figures(gj, ctx, institutions, person):
    _settle(gj, person, at(9), 12000, 7000, 3000)
    _settle(gj, person, at(10), 8000, 5000, 1000)

    out = _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, 20300, 12000, 4000, 3))["stmtinfo"]

    assert out["stmt_rslt"] == "1"
    assert out["stmt_rslt_dscr"] == "医疗费总额：机构 203.00，中心 200.00；结算笔数：机构 3，中心 2"


def test_3201_refunds_included_counts_forward_and_reversal_rows(gj, ctx, institutions, person):
    kept = 10000, 6000, 3000
    _settle(gj, person, at(9), *kept)
    cancelled = _settle(gj, person, at(10), 5000, 2000, 1000)
    _cancel(gj, cancelled, at(11))

    # "1": the institution sends both directions: +50 and -50 net out, but the count is 3
    out = _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, *kept, 3, fixmedins_refd_setl_flag="1"))
    assert out["stmtinfo"]["stmt_rslt"] == "0", out
    out = _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, *kept, 1, fixmedins_refd_setl_flag="1"))
    assert out["stmtinfo"]["stmt_rslt_dscr"] == "结算笔数：机构 1，中心 3"


def test_3201_refunds_excluded_counts_only_settlements_in_force(gj, ctx, institutions, person):
    kept = 10000, 6000, 3000
    _settle(gj, person, at(9), *kept)
    cancelled = _settle(gj, person, at(10), 5000, 2000, 1000)
    _cancel(gj, cancelled, at(11))

    out = _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, *kept, 1, fixmedins_refd_setl_flag="0"))
    assert out["stmtinfo"]["stmt_rslt"] == "0", out
    # counting the cancelled settlement as if still in force is a difference
    out = _call(gj, ctx, R.statement_totals, _totals(DAY, DAY, 15000, 8000, 4000, 2, fixmedins_refd_setl_flag="0"))
    assert out["stmtinfo"]["stmt_rslt_dscr"] == (
        "医疗费总额：机构 150.00，中心 100.00；基金支付总额：机构 80.00，中心 60.00；"
        "个人账户支付金额：机构 40.00，中心 30.00；结算笔数：机构 2，中心 1"
    )


def test_3201_begin_date_after_end_date_is_refused(gj, ctx, institutions):
    with pytest.raises(InvalidRequest) as caught:
        _call(gj, ctx, R.statement_totals, _totals(date(2026, 11, 30), date(2026, 11, 1), 0, 0, 0, 0))
    assert caught.value.detail["field"] == "stmt_begndate"


# --- 3202 ---------------------------------------------------------------------------------------------------


def test_3202_result_file_lists_exactly_the_differing_rows(gj, ctx, institutions, person):
    matching = _settle(gj, person, at(8), 10000, 6000, 4000)
    differing = _settle(gj, person, at(9), 5000, 3000, 2000)
    not_uploaded = _settle(gj, person, at(10), 8000, 5000, 1000)
    refunded = _settle(gj, person, at(11), 3000, 2000, 500)
    reversal = _cancel(gj, refunded, at(12))
    _settle(gj, person, at(9), 7777, 0, 0, code=CLINIC)  # another institution's
    _settle(gj, person, at(9, day=DAY + timedelta(days=1)), 7777, 0, 0)  # the next day
    _settle(gj, person, at(9), 7777, 0, 0, clr_type="21")  # another clearing type

    lines = [
        _line(gj, matching),
        _line(gj, differing, medfee_sumamt=5500),
        _line(gj, refunded),
        _line(gj, reversal),  # "如果是退费的数据，需传入正向和反向两条数据"
        {
            "setl_id": "999999",
            "mdtrt_id": "888",
            "psn_no": str(person),
            "medfee_sumamt": 1234,
            "fund_pay_sumamt": 1000,
            "acct_pay": 0,
            "refd_setl_flag": "0",
        },
    ]
    answer, rows = _reconcile(gj, ctx, lines)

    assert answer["stmt_rslt"] == "1" and answer["diff_cnt"] == 3
    info = answer["fileinfo"]
    assert info["filename"].endswith(".zip") and info["dld_endtime"] == "2026-11-24 10:00:00"
    by_id = {row["setl_id"]: row for row in rows}
    assert set(by_id) == {str(differing), "999999", str(not_uploaded)}
    assert all(row["stmt_rslt"] == "1" for row in rows)

    amount = by_id[str(differing)]
    assert amount["memo"] == "金额不符：医疗费总额 机构 55.00，中心 50.00"
    assert (amount["medfee_sumamt"], amount["fund_pay_sumamt"], amount["acct_pay"]) == (5000, 3000, 2000)
    assert amount["psn_no"] == str(person) and amount["msgid"] and amount["refd_setl_flag"] == "0"

    unknown = by_id["999999"]
    assert unknown["memo"] == "中心无此结算"
    assert (unknown["msgid"], unknown["medfee_sumamt"], unknown["fund_pay_sumamt"], unknown["acct_pay"]) == (
        None,
        None,
        None,
        None,
    )
    assert unknown["mdtrt_id"] == "888"

    missing = by_id[str(not_uploaded)]
    assert missing["memo"] == "机构未上传该结算"
    assert missing["medfee_sumamt"] == 8000 and missing["mdtrt_id"] is not None


def test_3202_matching_file_including_a_refund_pair_is_flat(gj, ctx, institutions, person):
    kept = _settle(gj, person, at(8), 10000, 6000, 4000)
    refunded = _settle(gj, person, at(11), 3000, 2000, 500)
    reversal = _cancel(gj, refunded, at(12))

    answer, rows = _reconcile(gj, ctx, [_line(gj, kept), _line(gj, refunded), _line(gj, reversal)])

    assert (answer["stmt_rslt"], answer["diff_cnt"], rows) == ("0", 0, [])


def test_3202_refunds_excluded_leave_cancelled_settlements_out(gj, ctx, institutions, person):
    kept = _settle(gj, person, at(8), 10000, 6000, 4000)
    refunded = _settle(gj, person, at(11), 3000, 2000, 500)
    _cancel(gj, refunded, at(12))

    answer, rows = _reconcile(gj, ctx, [_line(gj, kept)], flag="0")
    assert (answer["stmt_rslt"], rows) == ("0", [])

    answer, rows = _reconcile(gj, ctx, [_line(gj, kept), _line(gj, refunded)], flag="0")
    assert answer["diff_cnt"] == 1
    assert rows[0]["setl_id"] == str(refunded) and rows[0]["memo"].startswith("中心该结算已撤销")


def test_3202_a_refund_flag_difference_is_reported(gj, ctx, institutions, person):
    setl_id = _settle(gj, person, at(8), 10000, 6000, 4000)

    _, rows = _reconcile(gj, ctx, [_line(gj, setl_id, refd_setl_flag="1")])

    assert [row["memo"] for row in rows] == ["退费结算标志不符：机构 1，中心 0"]


def test_3202_declared_totals_must_be_the_file_sums(gj, ctx, institutions, person):
    setl_id = _settle(gj, person, at(8), 10000, 6000, 4000)
    lines = [_line(gj, setl_id)]
    uploaded = _upload(gj, ctx, R.build_detail_file(lines))
    data = _details(uploaded["file_qury_no"], lines)
    data["fixmedins_setl_cnt"] = 2

    with pytest.raises(AmountsMismatch) as caught:
        _call(gj, ctx, R.statement_details, data)
    assert "结算笔数 申报 2，文件 1" in caught.value.message_zh


def test_3202_a_broken_zip_is_refused(gj, ctx, institutions):
    uploaded = _upload(gj, ctx, b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InvalidRequest) as caught:
        _call(gj, ctx, R.statement_details, _details(uploaded["file_qury_no"], []))
    assert "ZIP" in caught.value.message_zh


def test_3202_a_bad_row_is_refused_naming_its_line(gj, ctx, institutions, person):
    setl_id = _settle(gj, person, at(8), 10000, 6000, 4000)
    good = _line(gj, setl_id)
    bad_amount = {**good, "setl_id": "2", "medfee_sumamt": "12.345"}
    cases = [
        ([good, bad_amount], 2, "医疗费总额（medfee_sumamt）须为金额"),
        ([good, {**good, "setl_id": "3", "refd_setl_flag": "2"}], 2, "退费结算标志"),
        ([good, good], 2, f"结算ID {setl_id} 与第1行重复"),
        ([good, list(good.values())[:5]], 2, "应有7列"),
    ]
    for lines, number, words in cases:
        uploaded = _upload(gj, ctx, R.build_detail_file(lines))
        data = _details(uploaded["file_qury_no"], [good])  # the totals are not reached
        with pytest.raises(InvalidRequest) as caught:
            _call(gj, ctx, R.statement_details, data)
        assert caught.value.message_zh.startswith(f"明细文件第{number}行："), caught.value.message_zh
        assert words in caught.value.message_zh
        assert caught.value.detail["line"] == number


def test_3202_reads_a_file_with_crlf_bom_and_a_header_line(gj, ctx, institutions, person):
    setl_id = _settle(gj, person, at(8), 10000, 6000, 4000)
    text = "\ufeffsetl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag\r\n"
    line = _line(gj, setl_id)
    text += f"{setl_id}\tnull\tnull\t100\t60.0\t40.00\t0\r\n\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("明细.txt", text.encode("utf-8"))
    uploaded = _upload(gj, ctx, buffer.getvalue())

    answer = _call(gj, ctx, R.statement_details, _details(uploaded["file_qury_no"], [line]))

    assert (answer["stmt_rslt"], answer["diff_cnt"]) == ("0", 0)


# --- 9101 / 9102 --------------------------------------------------------------------------------------------


def test_9101_stores_the_file_and_9102_gives_it_back(gj, ctx, institutions):
    content = R.build_detail_file([])
    node = {"in": base64.b64encode(content).decode(), "filename": r"C:\his\out\detail.zip", "fixmedins_code": HOSPITAL}
    stored = _call(gj, ctx, R.upload_file, node)

    assert stored["filename"] == "detail.zip" and stored["fixmedins_code"] == HOSPITAL
    assert len(stored["file_qury_no"]) <= 30 and stored["dld_endtime"] == "2026-11-24 10:00:00"
    got = _download(gj, ctx, stored["file_qury_no"])
    assert (got.status, got.content, got.filename) == (200, content, "detail.zip")

    as_list = _call(gj, ctx, R.upload_file, {**node, "in": list(content)})
    assert as_list["file_qury_no"] != stored["file_qury_no"]


def test_9101_refuses_empty_oversize_and_invalid_content_and_another_institutions_code(gj, ctx, institutions):
    node = {"filename": "detail.zip", "fixmedins_code": HOSPITAL}
    for bad in ([], "", [1, 256], [1, "2"], "not base64!", 12, bytes(R.MAX_UPLOAD_BYTES + 1)):
        with pytest.raises(InvalidRequest) as caught:
            _call(gj, ctx, R.upload_file, {**node, "in": bad})
        assert caught.value.detail["field"] == "in", bad
        assert "文件数据（in）" in caught.value.message_zh
    with pytest.raises(WrongInstitution):
        _call(gj, ctx, R.upload_file, {**node, "in": [1, 2], "fixmedins_code": CLINIC})

    def stored(uow):
        return uow.session.scalars(select(NhsaFile)).all()

    assert gj.run(stored) == []


def test_9102_a_file_of_another_institution_is_unknown(gj, ctx, institutions):
    uploaded = _upload(gj, ctx, R.build_detail_file([]), code=HOSPITAL)

    with pytest.raises(FileUnknown):
        _download(gj, ctx, uploaded["file_qury_no"], code=CLINIC)
    with pytest.raises(FileUnknown):  # nor can another institution reconcile with it
        _call(gj, ctx, R.statement_details, _details(uploaded["file_qury_no"], []), code=CLINIC)
    with pytest.raises(FileUnknown):
        _download(gj, ctx, "U20261123100000NOSUCHFILE")


def test_9102_an_expired_file_is_unknown(gj, ctx, clock, institutions):
    uploaded = _upload(gj, ctx, R.build_detail_file([]))
    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    assert _download(gj, ctx, uploaded["file_qury_no"]).content

    clock.advance(timedelta(seconds=1))  # dld_endtime reached
    with pytest.raises(FileUnknown):
        _download(gj, ctx, uploaded["file_qury_no"])
    with pytest.raises(FileUnknown):
        _call(gj, ctx, R.statement_details, _details(uploaded["file_qury_no"], []))
