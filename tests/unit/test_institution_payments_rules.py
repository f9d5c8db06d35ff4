"""Pure rules of the monthly payment of institutions (issue 15 §2; seed 003 附件 二(二)2: the
family part is paid in full in the monthly settlement, "不预留")."""

from __future__ import annotations

import pytest

from gongji.domain import institution_payments as D
from gongji.domain.errors import FourEyesRequired, InvalidStateTransition


def test_what_is_paid_is_the_fund_share_plus_both_account_shares_in_full():
    assert D.Totals(settlements=3, fund_fen=120_00, own_acct_fen=50_00, family_fen=30_00).total_fen == 200_00


def test_the_preparer_cannot_approve_but_another_clerk_can():
    with pytest.raises(FourEyesRequired):
        D.require_second_clerk(7, 7)
    D.require_second_clerk(7, 8)


def test_open_differences_block_approval():
    with pytest.raises(InvalidStateTransition):
        D.require_no_open_differences(1)
    D.require_no_open_differences(0)


def test_a_month_netting_to_nothing_or_less_is_offset_not_paid():
    assert [D.line_state_after_order(f) for f in (1, 0, -500)] == ["ordered", "offset", "offset"]


def test_order_number_and_line_reference_and_yuan_text_of_the_bank_file():
    order = D.order_number("330106", "2026-11")
    assert order == "ZF330106-202611"
    assert D.line_reference(order, 3, 2) == "ZF330106-202611-0003-2"
    assert [D.yuan_text(f) for f in (123456, 5, 0, -120)] == ["1234.56", "0.05", "0.00", "-1.20"]


def test_the_statement_closes_when_every_line_is_paid_or_offset():
    assert D.run_closed(["paid", "offset"])
    assert not D.run_closed(["paid", "rejected"])
