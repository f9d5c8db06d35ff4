"""Fund accounting rules (issue 15 §5; seed 003 附件四): the chart and the mapping are data, every
subject a rule names exists, and the postings the ledger books for the seed's three family cases
give the seed's entries."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.domain.accounting import Line, glob_to_like, parse_chart, parse_month, split_balance, voucher_lines
from gongji.domain.errors import AccountingUnmapped, InvalidRequest
from gongji.services.backoffice.accounting import chart

HZ, NB = "330106", "330203"


def booked(c: Any, *vouchers: list[Line]) -> dict[str, int]:
    """Several vouchers' lines as net amounts per subject (debit positive), zero left out."""
    net: dict[str, int] = {}
    for lines in vouchers:
        for ln in lines:
            net[ln.subject] = net.get(ln.subject, 0) + ln.debit_fen - ln.credit_fen
    return {s: n for s, n in net.items() if n}


PAY = [("external:institution:H1", -80_00), ("external:bank:expenditure:R", 80_00)]  # 拨付 (issue 15 §2)


def test_the_authorizers_region_books_medical_aid_as_benefit_expense_paid_from_the_expense_bank_account_annex4_1_1():
    """附件四(一)1: 借记“社会保险待遇支出/个人账户”，贷记“支出户存款”: at the settlement the amount is
    owed to the institution, at the month's payment (拨付) it leaves the 支出户."""
    c = chart()
    settled = voucher_lines(
        c, "family.pay.outpatient", [("personal:7:past", -80_00), ("external:institution:H1", 80_00)]
    )
    paid = voucher_lines(c, "backoffice.institution_payment", PAY)
    assert settled == [Line("社会保险待遇支出/个人账户", 80_00, 0), Line("暂收款/定点医药机构结算款", 0, 80_00)]
    assert paid == [Line("暂收款/定点医药机构结算款", 80_00, 0), Line("支出户存款", 0, 80_00)]
    assert booked(c, settled, paid) == {"社会保险待遇支出/个人账户": 80_00, "支出户存款": -80_00}


def test_across_regions_the_relatives_region_books_its_advance_under_temporary_payments_annex4_1_2():
    """附件四(一)2: the relative's region advanced → 暂付款/家庭共济医药费用; the authorizer's region
    holds the money for it → 暂收款/家庭共济医药费用 (the postings ``advances.py`` books)."""
    c = chart()
    at_authorizer = voucher_lines(
        c, "family.pay.outpatient", [("personal:7:past", -80_00), (f"clearing:family:held:{HZ}:{NB}", 80_00)]
    )
    at_relative = voucher_lines(
        c, "family.pay.outpatient", [("external:institution:H1", 80_00), (f"clearing:family:advance:{NB}:{HZ}", -80_00)]
    )
    assert at_authorizer == [Line("社会保险待遇支出/个人账户", 80_00, 0), Line("暂收款/家庭共济医药费用", 0, 80_00)]
    assert at_relative == [Line("暂付款/家庭共济医药费用", 80_00, 0), Line("暂收款/定点医药机构结算款", 0, 80_00)]
    paid = voucher_lines(c, "backoffice.institution_payment", PAY)
    assert booked(c, at_relative, paid) == {"暂付款/家庭共济医药费用": 80_00, "支出户存款": -80_00}


def test_premium_aid_is_other_expenditure_family_premium_paid_from_the_expense_bank_account_annex4_2():
    """附件四(二): 借记“其他支出/个人账户/家庭共济缴费支出”，贷记“支出户存款”; the relative's region
    books the premium as income."""
    c = chart()
    payer = voucher_lines(c, "family.pay.premium", [("personal:7:past", -400_00)])
    payee = voucher_lines(c, "family.pay.premium", [("external:premium:330203:390", 400_00)])
    assert payer == [Line("其他支出/个人账户/家庭共济缴费支出", 400_00, 0), Line("支出户存款", 0, 400_00)]
    assert payee == [Line("收入户存款", 400_00, 0), Line("社会保险费收入", 0, 400_00)]


def test_a_reversal_is_booked_as_its_original_kind_mirrored():
    lines = voucher_lines(
        chart(), "reversal.family.pay.outpatient", [("personal:7:past", 80_00), ("external:institution:H1", -80_00)]
    )
    assert lines == [Line("暂收款/定点医药机构结算款", 80_00, 0), Line("社会保险待遇支出/个人账户", 0, 80_00)]


def test_a_move_between_personal_accounts_gives_no_voucher_line():
    assert voucher_lines(chart(), "rollover", [("personal:7:current", -10_00), ("personal:7:past", 10_00)]) == []


def test_an_account_no_rule_maps_is_refused_not_left_out():
    with pytest.raises(AccountingUnmapped):
        voucher_lines(chart(), "whatever.new", [("external:mystery:1", -1), ("personal:7:past", 1)])


def test_the_seeds_subjects_are_in_the_chart_with_the_known_codes():
    c = chart()
    assert c.code("支出户存款") == "1004" and c.code("社会保险待遇支出") == "5001"
    for name in (
        "社会保险待遇支出/个人账户",
        "暂付款/家庭共济医药费用",
        "暂收款/家庭共济医药费用",
        "其他支出/个人账户/家庭共济缴费支出",
    ):
        assert name in c.subjects
        assert c.code(name).startswith(c.code(name.split("/")[0]))  # a detail's code extends its parent's


def test_a_rule_naming_an_unknown_subject_fails_when_the_data_is_read():
    subjects = "code,name,class,side,confidence,note\n1004,支出户存款,asset,debit,secondary,\n"
    mapping = "account,kind,subject,cash_subject,note\npersonal:*,*,不存在的科目,支出户存款,\n"
    with pytest.raises(ValueError, match="unknown subject"):
        parse_chart(subjects, mapping, "kind,summary\n")


def test_patterns_become_like_patterns_with_sql_wildcards_taken_literally():
    assert glob_to_like("personal:*") == "personal:%"
    assert glob_to_like("a_b%*") == "a\\_b\\%%"


def test_balances_split_to_their_side_and_months_are_checked():
    assert split_balance(5) == (5, 0) and split_balance(-5) == (0, 5)
    assert parse_month("2026-12") == (2026, 12)
    for bad in ("2026-13", "26-12", "2026/12", ""):
        with pytest.raises(InvalidRequest):
            parse_month(bad)
