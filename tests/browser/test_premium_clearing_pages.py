"""The staff pages of premium clearing and the reconciliation with tax in Chromium (issue 15 §4,
§6; seed 003 附件三): a provincial clerk generates December's 划扣明细表, confirms a region, publishes
a week to the intermediate table, the simulated tax side compares, the clerk fetches and settles
the difference with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gongji.adapters.db import tax_exchange as X
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.entrypoints import tax_simulator as T
from tests import premium_support as B
from tests import support
from tests.browser.conftest import login, screenshot


@pytest.fixture
def december(web_gj: Gongji) -> Iterator[None]:
    """One 张掖 authorizer paying a 兰州 child's premium on Tue 2026-12-01; the clock then at 2027-01-04."""
    start = web_gj.clock.at  # type: ignore[attr-defined]
    office = support.staff(web_gj, ["620000"], username="pc_browser")
    support.staff(web_gj, ["620000"], username="pc_browser2")  # the second clerk (four-eyes)
    p = B.pair(web_gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    B.pay(web_gj, B.tax_user(web_gj), p, datetime(2026, 12, 1, 10, 0))
    web_gj.clock.at = datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        web_gj.clock.at = start  # type: ignore[attr-defined]


def test_a_provincial_clerk_clears_december_and_settles_a_tax_difference(
    web: Any, web_gj: Gongji, december: None
) -> None:
    login(web, "pc_browser")
    web.goto("/staff")
    web.get_by_test_id("premium-clearing-link").click()
    web.get_by_label("月份").fill("2026-12")
    web.get_by_role("button", name="查询").click()
    assert web.get_by_test_id("not-generated").is_visible()
    web.get_by_role("button", name="生成 2026-12 全省明细表").click()
    assert "已生成" in web.get_by_test_id("done").inner_text()
    assert web.get_by_test_id("confirm-due").inner_text() == "2027-01-05"
    zhangye = web.locator('[data-testid="region"][data-region="620700"]')
    assert "张掖市" in zhangye.inner_text() and "400.00" in zhangye.inner_text()
    zhangye.get_by_role("button", name="确认").click()
    zhangye = web.locator('[data-testid="region"][data-region="620700"]')
    assert zhangye.get_attribute("data-state") == "done"
    transfer = web.get_by_test_id("transfer").first
    assert "张掖市 → 兰州市" in transfer.inner_text() and "400.00" in transfer.inner_text()
    line = web.get_by_test_id("line").first.inner_text()
    assert "2026-12-01 10:00" in line and "*" in line  # Beijing time, masked
    screenshot(web, "premium-clearing-2026-12")

    web.goto("/staff/tax-recon?week=2026-W49")
    assert web.get_by_test_id("not-published").is_visible()
    web.get_by_role("button", name="推送 2026-W49 对账明细至中间库").click()
    assert "已推送" in web.get_by_test_id("done").inner_text()
    engine = X.tax_side_engine(web_gj.settings.database_url)
    T.compare(engine, "2026-W49", now=web_gj.clock.now(), kinds=("missing",))
    web.get_by_test_id("fetch").click()
    diff = web.locator('[data-testid="difference"][data-kind="missing"]')
    assert "税务缺少记录" in diff.inner_text()
    diff.get_by_label("处理原因").fill("医保已划扣到账，请税务补记")
    diff.get_by_role("button", name="提出处理意见").click()
    diff = web.locator('[data-testid="difference"][data-kind="missing"]')
    assert diff.get_attribute("data-state") == "proposed"  # four-eyes: a second clerk confirms
    assert "须另一名工作人员复核" in diff.get_by_test_id("proposal").inner_text()
    login(web, "pc_browser2")
    web.goto("/staff/tax-recon?week=2026-W49")
    diff = web.locator('[data-testid="difference"][data-kind="missing"]')
    diff.get_by_label("处理原因").fill("复核无误")
    diff.get_by_role("button", name="复核确认").click()
    assert web.locator('[data-testid="difference"][data-kind="missing"]').get_attribute("data-state") == "settled"
    T.apply(engine, "2026-W49", now=web_gj.clock.now())
    engine.dispose()
    web.reload()
    assert "账账相符" in web.get_by_test_id("balance-state").inner_text()
    screenshot(web, "tax-recon-2026-W49")
