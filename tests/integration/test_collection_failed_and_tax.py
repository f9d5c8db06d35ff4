"""Failed online payments and the 集中代缴 comparison with the tax export (issue 16 §3; seed 002 §六1
"缴费未成功的，保留未成功缴费提示截图，及时与所在乡镇、街道（社区）医保工作人员联系", §六2 "代缴时要核对税务代征
系统导出的人员信息，确保医保系统和税务系统人员信息一致"). SQLite and PostgreSQL; clock 2026-11-23."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook

from gongji.adapters.db.models import AuditLog, FailedPaymentReport
from gongji.bootstrap import Gongji
from gongji.services.collection import failed_payments, tax_compare
from gongji.services.resident import subsidies
from tests import collection_support as CS
from tests import support
from tests.integration.test_collection_followup import Towns

YEAR = CS.YEAR
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def towns(gj: Gongji) -> Towns:
    return Towns(gj)


def report(gj: Gongji, pid: int, **kw: Any) -> Any:
    c = support.ctx(gj, support.citizen(gj, pid))
    args = {"benefit_year": YEAR, "channel": "wechat", "amount_fen": 40_000, "paid_on": date(2026, 11, 20)} | kw
    return lambda uow: failed_payments.report(uow, c, gj.profile, **args)


def test_failed_payment_goes_to_the_township_and_is_resolved_against_the_registry(gj: Gongji, towns: Towns) -> None:
    """A citizen reports with a screenshot; their township's clerk sees it (the other township does not),
    checks the registry, and resolves: ``refused`` while unpaid is refused as ``paid_late``; once the
    late payment arrives, ``paid_late`` closes it; closing twice is E_STATE."""
    zhang = towns.a[0]
    citizen = support.ctx(gj, support.citizen(gj, zhang))
    r = CS.run(
        gj,
        lambda uow: failed_payments.report(
            uow,
            citizen,
            gj.profile,
            benefit_year=YEAR,
            channel="wechat",
            amount_fen=40_000,
            paid_on=date(2026, 11, 20),
            order_no="WX20261120001",
            screenshot=PNG,
        ),
    )
    assert (r["status"], r["has_screenshot"], r["township_code"]) == ("open", True, "620702001")
    a, b = support.ctx(gj, towns.clerk_a), support.ctx(gj, towns.clerk_b)
    assert [x["report_id"] for x in CS.run(gj, lambda uow: failed_payments.queue(uow, a))] == [r["report_id"]]
    assert CS.run(gj, lambda uow: failed_payments.queue(uow, b)) == []
    shot, kind = CS.run(gj, lambda uow: failed_payments.screenshot(uow, a, report_id=r["report_id"]))
    assert (shot, kind) == (PNG, "image/png")
    checked = CS.run(gj, lambda uow: failed_payments.check(uow, a, report_id=r["report_id"]))
    assert (checked["registry"]["paid"], checked["possible"]) == (False, ["refunded"])
    counted = (FailedPaymentReport, AuditLog)
    err = support.refused_unchanged(
        gj, lambda uow: failed_payments.resolve(uow, a, report_id=r["report_id"], resolution="paid_late"), counted
    )
    assert err.code == "E_COLLECTION_RESOLUTION" and "未查询到" in err.message_zh
    err = support.refused_unchanged(
        gj, lambda uow: failed_payments.resolve(uow, b, report_id=r["report_id"], resolution="refunded"), counted
    )
    assert err.code == "E_NOT_FOUND"  # another township's clerk
    CS.pay_on(gj, towns.office, zhang, date(2026, 11, 23))  # the payment arrived late
    done = CS.run(gj, lambda uow: failed_payments.resolve(uow, a, report_id=r["report_id"], resolution="paid_late"))
    assert (done["status"], done["resolution_name"]) == ("resolved", "已到账（延迟到账）")
    err = support.refused_unchanged(
        gj, lambda uow: failed_payments.resolve(uow, a, report_id=r["report_id"], resolution="duplicate"), counted
    )
    assert err.code == "E_STATE"


def test_refunded_payment_and_bad_reports(gj: Gongji, towns: Towns) -> None:
    """The channel refunded: resolved ``refunded`` while unpaid. Bad input writes nothing."""
    li = towns.a[1]
    r = CS.run(gj, report(gj, li, channel="alipay"))
    a = support.ctx(gj, towns.clerk_a)
    done = CS.run(gj, lambda uow: failed_payments.resolve(uow, a, report_id=r["report_id"], resolution="refunded"))
    assert done["resolution"] == "refunded"
    counted = (FailedPaymentReport, AuditLog)
    for kw, field in [
        ({"channel": "cash"}, "channel"),
        ({"amount_fen": 0}, None),
        ({"paid_on": date(2026, 12, 1)}, "paid_on"),
        ({"screenshot": b"GIF89a...."}, "screenshot"),
        ({"phone": "12345"}, "phone"),
    ]:
        err = support.refused_unchanged(gj, report(gj, li, **kw), counted)
        assert err.code in ("E_VALIDATION", "E_AMOUNT") and err.message_zh
        if field:
            assert err.detail.get("field") == field


def bad_check(cert: str) -> str:
    return cert[:-1] + ("1" if cert[-1] == "0" else "0")


def _export(rows: list[list[Any]], *, xlsx: bool) -> bytes:
    header = ["姓名", "身份证号码", "险种", "年度", "金额"]
    if xlsx:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    return "\n".join(",".join(str(v) for v in r) for r in [header, *rows]).encode("gb18030")


@pytest.mark.parametrize("xlsx", [True, False], ids=["xlsx", "csv"])
def test_tax_export_comparison_lists_each_kind_of_mismatch(gj: Gongji, towns: Towns, xlsx: bool) -> None:
    """Name, ID, insurance, year and amount compared with the registry; also a person of another
    township, one already paid, one dead, a repeated row, an unknown number."""
    zhang, li, wang = towns.a
    zhao = towns.b[0]
    CS.pay_on(gj, towns.office, li, date(2026, 11, 2))
    support.died(gj, towns.office, wang)
    cert = lambda p: support.person_cert(gj, p)  # noqa: E731
    med = "城乡居民基本医疗保险"
    rows = [
        ["张三", cert(zhang), med, YEAR, "400.00"],  # matches
        ["张叁", cert(zhang), med, YEAR, "400.00"],  # repeated number
        ["李四", cert(li), med, YEAR, "400.00"],  # already paid
        ["王五丰", cert(wang), med, YEAR, "400.00"],  # dead (not enrolled any more)
        ["赵六", cert(zhao), med, YEAR, "400.00"],  # another township's village
        ["钱七", bad_check(cert(towns.b[1])), med, YEAR, "400.00"],  # bad check digit
        ["孙八", support.new_id(), med, YEAR, "400.00"],  # not registered
        ["张三丰", cert(zhang), med, YEAR, "400.00"],
    ]
    # a second comparison with the name, insurance, year and amount wrong
    wrong = [["张三丰", cert(zhang), "城乡居民基本养老保险", YEAR - 1, "350.00"]]
    c = support.ctx(gj, towns.clerk_a)

    def compare(data: list[list[Any]]) -> dict[str, Any]:
        return CS.run(
            gj,
            lambda uow: tax_compare.compare(
                uow, c, gj.profile, township_code="620702001", benefit_year=YEAR, file=_export(data, xlsx=xlsx)
            ),
        )

    out = compare(rows)
    kinds = {m["row"]: m["kinds"] for m in out["mismatches"]}
    assert out["matched"] == 1 and out["rows"] == 8
    assert kinds == {
        3: ["duplicate_row"],
        4: ["already_paid"],
        5: ["not_registered"],
        6: ["other_township"],
        7: ["bad_id"],
        8: ["not_registered"],
        9: ["duplicate_row"],
    }
    assert all("*" in m["id_number"] and cert(zhang) not in str(m) for m in out["mismatches"])
    out = compare(wrong)
    assert out["mismatches"][0]["kinds"] == ["name", "insurance", "year", "amount"]
    assert out["by_kind"]["amount"]["name"] == "缴费金额与医保系统缴费标准不一致"
    err = support.refused_unchanged(
        gj,
        lambda uow: tax_compare.compare(
            uow, c, gj.profile, township_code="620702001", benefit_year=YEAR, file=b"name,id\nx,y"
        ),
        (AuditLog,),
    )
    assert err.code == "E_VALIDATION" and "缺少列" in err.message_zh
    err = support.refused_unchanged(
        gj,
        lambda uow: tax_compare.compare(
            uow, c, gj.profile, township_code="620702002", benefit_year=YEAR, file=_export(rows, xlsx=xlsx)
        ),
        (AuditLog,),
    )
    assert err.code == "E_COLLECTION_TOWNSHIP"


def test_full_subsidy_person_in_tax_batch_expects_the_whole_premium(gj: Gongji, towns: Towns) -> None:
    """002 §四(二)1: a full-subsidy person is batch-imported with the whole premium (the assistance fund
    pays it), so 400.00 matches for them too."""
    c0 = support.ctx(gj, towns.office)
    zhang = towns.a[0]
    CS.run(
        gj,
        lambda uow: subsidies.change_category(
            uow,
            c0,
            gj.profile,
            person_id=zhang,
            subsidy_codes=("extreme_poverty",),
            benefit_year=YEAR,
            reason="民政认定",
        ),
    )
    c = support.ctx(gj, towns.clerk_a)
    data = _export([["张三", support.person_cert(gj, zhang), "城乡居民基本医疗保险", YEAR, "400.00"]], xlsx=False)
    out = CS.run(
        gj,
        lambda uow: tax_compare.compare(uow, c, gj.profile, township_code="620702001", benefit_year=YEAR, file=data),
    )
    assert out["matched"] == 1
