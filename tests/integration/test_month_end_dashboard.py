"""The month-end dashboard (issue 15 §6) for Gansu's premium clearing and weekly tax reconciliation
(seed 003 附件三(二)3: each region confirms by the 5th, 全额清算 by month end; 附件三(二)5: 按周同步 …
做到两部门账账相符), each step against its deadline on the working-day calendar, with the working
days late or left counted. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from gongji.adapters.db import tax_exchange as X
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import Forbidden, InvalidRequest
from gongji.entrypoints import tax_simulator as T
from gongji.services.backoffice import month_end as ME
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.backoffice import tax_recon as TR
from tests import premium_support as B
from tests import support as S

ZHANGYE, LANZHOU = "620700", "620100"  # the pooling regions (cities) of the premium table


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _run(gj, who, call):
    return S.committed(gj, lambda uow: call(uow, S.ctx(gj, who)))


def _at(gj, y, m, d, h=10):
    gj.clock.at = datetime(y, m, d, h, 0, tzinfo=SHANGHAI)


def board(gj, who, month: str) -> dict[str, Any]:
    return _run(gj, who, lambda uow, c: ME.dashboard(uow, c, province="62", month=month))


def step(view: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    sec = next(s for s in view["sections"] if s["key"] == section)
    return next(s for s in sec["steps"] if s["key"] == key)


def test_premium_confirmations_by_the_5th_late_and_overdue_counted_in_working_days_seed003_3_2_3(gj, office):
    """December 2026: confirmation due Tue 2027-01-05. 张掖市 confirms Thu 01-07: late by 2
    working days; on Fri 01-08 兰州市 has not: overdue by 3; the 全额清算 transfers are due
    2027-02-01 (01-31 a Sunday): 16 working days left (01-11…02-01, weekdays)."""
    tax = B.tax_user(gj)
    B.pay(gj, tax, B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU), datetime(2026, 12, 1, 9))
    B.pay(gj, tax, B.pair(gj, office, authorizer_region=B.LANZHOU, relative_region=B.ZHANGYE), datetime(2026, 12, 9, 9))
    _at(gj, 2027, 1, 4)
    before = board(gj, office, "2026-12")
    assert step(before, "premium_clearing", "generate")["state"] == "open"
    _run(gj, office, lambda uow, c: PC.generate(uow, c, month="2026-12"))
    _at(gj, 2027, 1, 7)
    _run(gj, S.staff(gj, [ZHANGYE]), lambda uow, c: PC.confirm(uow, c, month="2026-12", region_code=ZHANGYE))
    _at(gj, 2027, 1, 8)
    view = board(gj, office, "2026-12")
    assert step(view, "premium_clearing", "generate")["state"] == "done"
    confirm = step(view, "premium_clearing", "confirm")
    items = {i["name"]: i for i in confirm["items"]}
    assert (items["张掖市"]["state"], items["张掖市"]["working_days_late"], items["张掖市"]["done"]) == (
        "late",
        2,
        "2027-01-07",
    )
    assert (items["兰州市"]["state"], items["兰州市"]["working_days_late"]) == ("overdue", 3)
    assert (confirm["state"], confirm["due"], confirm["state_zh"]) == ("overdue", "2027-01-05", "已逾期")
    transfer = step(view, "premium_clearing", "transfer")
    assert transfer["state"] == "open" and transfer["due"] == "2027-02-01"
    assert {i["name"] for i in transfer["items"]} == {"张掖市 → 兰州市", "兰州市 → 张掖市"}
    assert all(i["working_days_left"] == 16 and "400.00 元" in i["note"] for i in transfer["items"])
    assert "共济账户代缴保费划扣明细表与全额清算：各统筹区确认划扣明细（次月5日前）" in view["overdue"]


def test_tax_weeks_of_the_month_published_and_balanced_seed003_3_2_5(gj, office):
    """November 2026's weeks are those whose Monday is in it (W45–W49). W49 (11-30…12-06) is
    published on Mon 12-07, its first working day after: on time; W45–W48 never: overdue. The tax
    side writes back a difference: W49 is 未相符 with one open difference until it is settled by
    two clerks and the tax side balances; then 账账相符."""
    tax = B.tax_user(gj)
    B.pay(gj, tax, B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.ZHANGYE), datetime(2026, 12, 1, 9))
    _at(gj, 2026, 12, 7)
    _run(gj, office, lambda uow, c: TR.publish(uow, c, week="2026-W49"))
    engine = X.tax_side_engine(gj.settings.database_url)
    T.compare(engine, "2026-W49", now=gj.clock.now(), kinds=("missing",))
    _run(gj, office, lambda uow, c: TR.fetch_differences(uow, c, week="2026-W49"))
    _at(gj, 2026, 12, 8)
    view = board(gj, office, "2026-11")
    published = {i["name"][:8]: i for i in step(view, "tax_recon", "publish")["items"]}
    assert list(published) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert (published["2026-W49"]["state"], published["2026-W49"]["due"]) == ("done", "2026-12-07")
    assert published["2026-W48"]["state"] == "overdue" and published["2026-W48"]["due"] == "2026-11-30"
    assert published["2026-W48"]["working_days_late"] == 6  # 12-01 … 12-08 less the weekend
    balance = {i["name"][:8]: i for i in step(view, "tax_recon", "balance")["items"]}
    assert balance["2026-W49"]["state"] == "open" and "待处理差异 1 条" in balance["2026-W49"]["note"]
    assert balance["2026-W48"]["state"] == "waiting"

    diff = _run(gj, office, lambda uow, c: TR.week_view(uow, c, week="2026-W49"))["differences"][0]
    for who in (office, S.staff(gj, ["620000"])):
        _run(
            gj, who, lambda uow, c: TR.settle(uow, c, difference_id=diff["id"], resolution="accept_ours", reason="补记")
        )
    T.apply(engine, "2026-W49", now=gj.clock.now())
    engine.dispose()
    balance = {i["name"][:8]: i for i in step(board(gj, office, "2026-11"), "tax_recon", "balance")["items"]}
    assert (balance["2026-W49"]["state"], balance["2026-W49"]["note"]) == ("done", "账账相符")


def test_the_dashboard_is_the_provinces_and_checks_its_month(gj, office):
    """Another province's staff are refused; a bad month is a 4xx code, not a 500."""
    zj_staff = S.staff(gj, ["330000"])
    with pytest.raises(Forbidden):
        board(gj, zj_staff, "2026-11")
    with pytest.raises(InvalidRequest):
        board(gj, office, "2026-13")
    city = board(gj, S.staff(gj, [B.ZHANGYE]), "2026-10")  # a city's staff read it; the books are the province's
    assert step(city, "accounting", "trial_balance")["state_zh"] == "仅省级人员可见"
    assert date.fromisoformat(city["today"]) == gj.clock.today()
