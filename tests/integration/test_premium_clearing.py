"""保险费划扣明细表 and 全额清算 (seed 003 附件三(三); issue 15 §4), on SQLite and PostgreSQL.

The seed: the province generates the table of premiums paid from family accounts, split into
本统筹区保险费划转 and 跨统筹区保险费清算; each region confirms the previous month by the 5th
(原则上每月5日前), submits its 用款计划, and the authorizer's region pays the relative's region's
finance the full amount (全额清算) by month end.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, OutOfRegion
from gongji.services.backoffice import premium_clearing as PC
from tests import premium_support as B
from tests import support as S

ZHANGYE, LANZHOU = "620700", "620100"


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _run(gj, who, call):
    return S.committed(gj, lambda uow: call(uow, S.ctx(gj, who)))


def test_month_table_splits_within_and_across_regions_with_full_amount_transfers(gj, office):
    """Four premiums of December: one within 张掖, two 张掖 authorizers paying for 兰州 children,
    one 兰州 authorizer paying for a 张掖 child; one of November is not in December's table.
    全额清算: 张掖 pays 兰州 800.00 and 兰州 pays 张掖 400.00 — two transfers, not a net of 400."""
    tax = B.tax_user(gj)
    within = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.ZHANGYE)
    z2l_1 = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    z2l_2 = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    l2z = B.pair(gj, office, authorizer_region=B.LANZHOU, relative_region=B.ZHANGYE)
    november = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    B.pay(gj, tax, november, datetime(2026, 11, 30, 23, 59))
    B.pay(gj, tax, within, datetime(2026, 12, 1, 0, 0))
    B.pay(gj, tax, z2l_1, datetime(2026, 12, 10, 9, 0))
    B.pay(gj, tax, z2l_2, datetime(2026, 12, 20, 9, 0))
    B.pay(gj, tax, l2z, datetime(2026, 12, 31, 23, 59))

    gj.clock.at = datetime(2027, 1, 2, 9, 0, tzinfo=gj.clock.at.tzinfo)
    view = _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-12"))
    assert view["province"] == {"line_count": 4, "total_fen": 160_000, "within_fen": 40_000, "across_fen": 120_000}
    regions = {r["region_code"]: r for r in view["regions"]}
    assert set(regions) == {ZHANGYE, LANZHOU}
    z, lz = regions[ZHANGYE], regions[LANZHOU]
    assert (z["within_count"], z["within_fen"], z["pay_count"], z["pay_fen"], z["receive_fen"]) == (
        1, 40_000, 2, 80_000, 40_000
    )  # fmt: skip
    assert (lz["within_fen"], lz["pay_count"], lz["pay_fen"], lz["receive_count"], lz["receive_fen"]) == (
        0, 1, 40_000, 2, 80_000
    )  # fmt: skip
    transfers = {(t["payer_region"], t["payee_region"]): t for t in view["transfers"]}
    assert {k: t["amount_fen"] for k, t in transfers.items()} == {
        (ZHANGYE, LANZHOU): 80_000,
        (LANZHOU, ZHANGYE): 40_000,
    }
    assert transfers[(ZHANGYE, LANZHOU)]["due"] == "2027-02-01"  # 01-31 is a Sunday
    assert z["confirm_due"] == "2027-01-05"
    lines = _run(gj, office, lambda uow, c: PC.month_lines(uow, c, month="2026-12"))
    assert [(ln["kind_zh"], ln["amount_fen"]) for ln in lines] == [
        ("本统筹区划转", 40_000), ("跨统筹区清算", 40_000), ("跨统筹区清算", 40_000), ("跨统筹区清算", 40_000)
    ]  # fmt: skip
    assert all("*" in ln["relative_cert"] and "*" in ln["relative"] for ln in lines)

    # a 张掖 city clerk sees and acts for 张掖 only; the steps go in order
    city = S.staff(gj, [ZHANGYE])
    seen = _run(gj, city, lambda uow, c: PC.month_view(uow, c, month="2026-12"))
    assert [r["region_code"] for r in seen["regions"]] == [ZHANGYE]
    with pytest.raises(OutOfRegion):
        _run(gj, city, lambda uow, c: PC.confirm(uow, c, month="2026-12", region_code=LANZHOU))
    with pytest.raises(InvalidStateTransition):  # 用款计划 only after the confirmation
        _run(gj, city, lambda uow, c: PC.submit_plan(uow, c, month="2026-12", region_code=ZHANGYE))
    _run(gj, city, lambda uow, c: PC.confirm(uow, c, month="2026-12", region_code=ZHANGYE))
    plan = _run(gj, city, lambda uow, c: PC.submit_plan(uow, c, month="2026-12", region_code=ZHANGYE))
    assert plan["plan_fen"] == 80_000 and plan["confirm_state"] == "done"
    gj.clock.at = datetime(2027, 1, 15, 10, 0, tzinfo=gj.clock.at.tzinfo)
    paid = _run(
        gj, city,
        lambda uow, c: PC.record_transfer(
            uow, c, month="2026-12", payer_region=ZHANGYE, payee_region=LANZHOU,
            paid_on=date(2027, 1, 15), bank_ref="ZY2027011501",
        ),
    )  # fmt: skip
    assert (paid["state"], paid["amount_fen"]) == ("done", 80_000)
    with pytest.raises(InvalidStateTransition):  # confirmed: the month is not generated again
        _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-12"))


def test_confirmation_due_on_the_5th_moves_past_national_day_and_then_is_overdue(gj, office):
    """September 2026: the 5th of October is in the National Day holiday (10-01…10-07), so the
    deadline is the next working day, Thu 10-08 (民法典 第二百零三条). On 10-06 the region is not
    late; on Fri 10-09, unconfirmed, it is overdue by one working day; the transfer is due
    Mon 11-02 (10-31 is a Saturday)."""
    tax = B.tax_user(gj)
    p = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    B.pay(gj, tax, p, datetime(2026, 9, 15, 10, 0))
    gj.clock.at = datetime(2026, 10, 6, 10, 0, tzinfo=gj.clock.at.tzinfo)
    view = _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-09"))
    assert view["confirm_due"] == "2026-10-08"
    assert view["transfer_due"] == "2026-11-02"
    assert {r["confirm_state"] for r in view["regions"]} == {"open"}
    gj.clock.at = datetime(2026, 10, 9, 10, 0, tzinfo=gj.clock.at.tzinfo)
    late = _run(gj, office, lambda uow, c: PC.month_view(uow, c, month="2026-09", state="overdue"))
    assert [(r["region_code"], r["working_days_late"]) for r in late["regions"]] == [
        (LANZHOU, 1), (ZHANGYE, 1)
    ]  # fmt: skip
    _run(gj, office, lambda uow, c: PC.confirm(uow, c, month="2026-09", region_code=ZHANGYE))
    after = _run(gj, office, lambda uow, c: PC.month_view(uow, c, month="2026-09"))
    states = {r["region_code"]: (r["confirm_state"], r["working_days_late"]) for r in after["regions"]}
    assert states == {ZHANGYE: ("late", 1), LANZHOU: ("overdue", 1)}


def test_bad_month_and_unfinished_month_and_county_clerk_are_refused(gj, office):
    with pytest.raises(InvalidRequest):
        _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-13"))
    with pytest.raises(InvalidStateTransition):  # the clock stands in November 2026
        _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-11"))
    with pytest.raises(Forbidden):
        _run(gj, S.staff(gj, [B.ZHANGYE]), lambda uow, c: PC.generate(uow, c, month="2026-10"))
