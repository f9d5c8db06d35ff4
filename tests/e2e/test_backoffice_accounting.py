"""Fund accounting (issue 15 §5; seed 003 附件四) on SQLite and PostgreSQL: known family payments
give known voucher lines in each region's books; vouchers are numbered per region and month; a
month with the clearing paid balances and leaves 暂付款/暂收款 – 家庭共济医药费用 at zero; an account
no mapping row covers is refused; the Excel files read back cell by cell; other regions' staff are
refused (service, API and page)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.domain import ledger as L
from gongji.domain.errors import AccountingUnmapped, OutOfRegion
from gongji.services import ledger
from gongji.services.backoffice import accounting as A
from gongji.services.backoffice import accounting_excel as X
from gongji.services.backoffice import clearing as C
from tests import backoffice_support as B
from tests import support as S
from tests.e2e.conftest import login
from tests.e2e.test_backoffice_clearing import at, call, month_of_two_cities
from tests.e2e.test_refund_pages import page_login

FAMILY_AID = "个人账户家庭共济支付医药费用（1笔）"


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def book(p: B.Province, fn: Any, month: str, region: str, who: Any = None) -> dict[str, Any]:
    return p.gj.run(lambda uow: fn(uow, S.ctx(p.gj, who or p.office), month=month, region=region))  # type: ignore[no-any-return]


def lines_of(v: dict[str, Any], summary: str) -> list[tuple[str, str, int, int]]:
    found = [x for x in v["vouchers"] if x["summary"] == summary]
    assert len(found) == 1, [x["summary"] for x in v["vouchers"]]
    return [(ln["code"], ln["subject"], ln["debit_fen"], ln["credit_fen"]) for ln in found[0]["lines"]]


def test_a_draw_across_regions_is_benefit_expense_at_the_authorizers_and_an_advance_at_the_relatives_annex4_1(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    B.settle(zj, B.NINGBO, nb_child, 80_00)
    # 附件四(一)1 at 杭州 (the authorizer's region pays the aid), held for 宁波 until the clearing
    assert lines_of(book(zj, A.vouchers, "2026-11", B.HANGZHOU), FAMILY_AID) == [
        ("500102", "社会保险待遇支出/个人账户", 80_00, 0),
        ("200101", "暂收款/家庭共济医药费用", 0, 80_00),
    ]
    # 附件四(一)2 at 宁波 (the relative's region advanced it: owed to its hospital, paid at the month's 拨付)
    assert lines_of(book(zj, A.vouchers, "2026-11", B.NINGBO), FAMILY_AID) == [
        ("110101", "暂付款/家庭共济医药费用", 80_00, 0),
        ("200102", "暂收款/定点医药机构结算款", 0, 80_00),
    ]


def test_a_draw_within_one_region_and_its_cancellation_annex4_1_1(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    hz_child = B.relative_of(zj, hz, B.HANGZHOU, "钱一")
    info = B.settle(zj, B.HANGZHOU, hz_child, 50_00)
    B.cancel(zj, B.HANGZHOU, info)
    v = book(zj, A.vouchers, "2026-11", B.HANGZHOU)
    assert lines_of(v, FAMILY_AID) == [
        ("500102", "社会保险待遇支出/个人账户", 50_00, 0),
        ("200102", "暂收款/定点医药机构结算款", 0, 50_00),
    ]
    assert lines_of(v, "冲正：" + FAMILY_AID) == [
        ("200102", "暂收款/定点医药机构结算款", 50_00, 0),
        ("500102", "社会保险待遇支出/个人账户", 0, 50_00),
    ]
    # numbered 1..n within the region and month, each voucher balanced
    assert [x["no"] for x in v["vouchers"]] == list(range(1, len(v["vouchers"]) + 1))
    assert [x["number"] for x in v["vouchers"]][:2] == ["记字第1号", "记字第2号"]
    assert all(x["debit_fen"] == x["credit_fen"] > 0 for x in v["vouchers"]) and v["balanced"]


def closing(t: dict[str, Any], code: str) -> int:
    row = next((r for r in t["rows"] if r["code"] == code), None)
    return 0 if row is None else row["closing_debit_fen"] - row["closing_credit_fen"]


def test_after_the_months_clearing_is_paid_the_books_balance_and_the_family_advances_close_at_zero(zj, clock):
    """附件二(二)3 + 附件四(一)2: advances and holdings netted and paid in December; the province's
    trial balance for December balances, and 暂付款/暂收款 – 家庭共济医药费用 end at zero."""
    month_of_two_cities(zj)
    at(zj, clock, "2026-12-03T09:00")
    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")
    for code in ("330100", "330200"):
        for kind in ("local", "offsite"):
            call(zj, zj.office, C.confirm, run_id, code, kind)
    call(zj, zj.office, C.make_tables, run_id)
    call(zj, zj.office, C.notice, run_id)
    call(zj, zj.office, C.remit, run_id, "330100")
    call(zj, zj.office, C.transfer, run_id, "330200")

    nov = book(zj, A.trial_balance, "2026-11", "330000")
    dec = book(zj, A.trial_balance, "2026-12", "330000")
    assert nov["balanced"] and dec["balanced"]
    assert closing(nov, "110101") == 130_00 and closing(nov, "200101") == -130_00  # advanced = held, gross
    assert closing(dec, "110101") == 0 and closing(dec, "200101") == 0
    for r in dec["rows"]:  # December opens where November closed
        assert r["opening_debit_fen"] - r["opening_credit_fen"] == closing(nov, r["code"]), r["code"]
    for region in (B.HANGZHOU, B.NINGBO, B.WENZHOU, "330100", "330200"):
        assert book(zj, A.trial_balance, "2026-12", region)["balanced"], region
    pay = book(zj, A.vouchers, "2026-12", "330100")
    remitted = lines_of(pay, "家庭共济清算款上解与划转（1笔）")  # 杭州 remits its net 70.00
    assert remitted == [("200101", "暂收款/家庭共济医药费用", 70_00, 0), ("1004", "支出户存款", 0, 70_00)]


def test_an_account_no_mapping_row_covers_refuses_the_books(zj):
    def post(uow: Any) -> None:
        now = zj.gj.clock.now()
        ledger.ensure_account(
            uow, code="external:mystery:330106", kind=L.AccountKind.EXTERNAL, now=now, region_code=B.HANGZHOU
        )
        ledger.ensure_account(uow, code="fund:330106:310", kind=L.AccountKind.EXTERNAL, now=now, region_code=B.HANGZHOU)
        draft = L.TransactionDraft(
            "mystery:1", "mystery.kind", "未对照的业务", L.transfer("external:mystery:330106", "fund:330106:310", 1_00)
        )
        ledger.post(uow, draft, request={"op": "mystery"}, now=now)
        uow.commit()

    zj.gj.run(post)
    with pytest.raises(AccountingUnmapped) as err:
        book(zj, A.trial_balance, "2026-11", "330000")
    assert "external:mystery:330106 (mystery.kind)" in err.value.detail["accounts"]
    r = zj.client.get(
        "/api/accounting/vouchers?month=2026-11&region=330000", headers=login(zj.client, "staff_zj_province")
    )
    assert r.status_code == 409 and r.json()["code"] == "E_ACCOUNTING_UNMAPPED"


def test_staff_of_another_region_are_refused_and_a_citys_staff_see_their_own(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    B.settle(zj, B.NINGBO, nb_child, 80_00)
    nb_staff = S.staff(zj.gj, ["330200"], username="nb_finance")
    with pytest.raises(OutOfRegion):
        book(zj, A.vouchers, "2026-11", B.HANGZHOU, who=nb_staff)
    with pytest.raises(OutOfRegion):
        book(zj, A.trial_balance, "2026-11", "330000", who=nb_staff)
    own = book(zj, A.vouchers, "2026-11", "", who=nb_staff)  # default: their own scope
    assert own["region"] == "330200" and {x["region"] for x in own["vouchers"]} == {B.NINGBO}

    c = zj.client
    for path in ("vouchers", "trial-balance", "vouchers.xlsx", "trial-balance.xlsx"):
        r = c.get(f"/api/accounting/{path}?month=2026-11&region={B.HANGZHOU}", headers=login(c, "nb_finance"))
        assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION", path
    ok = c.get(f"/api/accounting/vouchers?month=2026-11&region={B.NINGBO}", headers=login(c, "nb_finance"))
    assert ok.status_code == 200 and ok.json()["vouchers"][0]["region_name"] == "宁波市海曙区"
    bad = c.get("/api/accounting/trial-balance?month=2026-13", headers=login(c, "nb_finance"))
    assert bad.status_code == 422

    page_login(c, "nb_finance")
    refused = c.get(f"/staff/accounting?month=2026-11&region={B.HANGZHOU}")
    assert refused.status_code == 403 and "E_OUT_OF_REGION" in refused.text
    page = c.get(f"/staff/accounting?month=2026-11&region={B.NINGBO}")
    assert page.status_code == 200 and "暂付款/家庭共济医药费用" in page.text and "80.00" in page.text
    trial = c.get(f"/staff/accounting?month=2026-11&region={B.NINGBO}&view=trial")
    assert trial.status_code == 200 and "试算结果：" in trial.text and 'data-testid="balanced">平衡' in trial.text


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]


def test_vouchers_and_trial_balance_read_back_cell_by_cell(zj, tmp_path: Path):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    B.settle(zj, B.NINGBO, nb_child, 80_00)
    r = zj.client.get(
        f"/api/accounting/vouchers.xlsx?month=2026-11&region={B.NINGBO}", headers=login(zj.client, "staff_zj_province")
    )
    assert r.status_code == 200 and f"accounting-vouchers-{B.NINGBO}-2026-11.xlsx" in r.headers["content-disposition"]
    got = rows_of(r.content)
    assert got[0][0] == "宁波市海曙区基本医疗保险基金记账凭证（2026年11月）"
    assert got[1][0] == "单位：元" and got[2] == tuple(X.VOUCHER_HEADER)
    v = book(zj, A.vouchers, "2026-11", B.NINGBO)
    expected = [
        (x["number"], x["date"], B.NINGBO, "宁波市海曙区", x["summary"], ln["code"], ln["subject"],
         Decimal(ln["debit_fen"]) / 100 if ln["debit_fen"] else None,
         Decimal(ln["credit_fen"]) / 100 if ln["credit_fen"] else None)
        for x in v["vouchers"] for ln in x["lines"]
    ]  # fmt: skip
    body = [tuple(Decimal(str(c)) if isinstance(c, (int, float)) else c for c in row) for row in got[3:-1]]
    assert body == expected
    assert (
        "记字第1号",
        "2026-11-23",
        B.NINGBO,
        "宁波市海曙区",
        FAMILY_AID,
        "110101",
        "暂付款/家庭共济医药费用",
        Decimal(80),
        None,
    ) in body
    total = got[-1]
    assert total[0] == "合计" and total[1] == f"{len(v['vouchers'])}张"
    assert Decimal(str(total[7])) == Decimal(v["debit_fen"]) / 100 == Decimal(str(total[8]))

    path = tmp_path / "tb.xlsx"
    t = zj.gj.run(
        lambda uow: X.write_trial_balance(uow, S.ctx(zj.gj, zj.office), path, month="2026-11", region="330000")
    )
    got = rows_of(path.read_bytes())
    assert got[0][0] == "浙江省基本医疗保险基金试算平衡表（2026年11月）" and got[1][0] == "单位：元"
    assert got[2] == tuple(X.TRIAL_HEADER)
    by_code = {row[0]: row for row in got[3:]}
    assert by_code["110101"][1:3] == ("　家庭共济医药费用", "资产类")  # a detail, indented under 暂付款
    assert [Decimal(str(c)) if c is not None else None for c in by_code["110101"][3:]] == [
        None,
        None,
        Decimal(80),
        None,
        Decimal(80),
        None,
    ]
    totals = by_code["合计"]
    assert Decimal(str(totals[5])) == Decimal(str(totals[6])) == Decimal(t["totals"]["debit_fen"]) / 100
    assert got[-1] == ("试算结果：平衡",) + (None,) * (len(got[-1]) - 1)
