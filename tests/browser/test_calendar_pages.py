"""The working-day calendar and the business clock in Chromium on a phone-sized window
(issue 14 §1): the simulated date's banner, the 2-working-day calculator over National Day, and a
provincial clerk entering 2027's New Year in a provisional year."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI, OffsetClock
from tests import support
from tests.browser.conftest import login, screenshot


@pytest.fixture
def simulated(web_gj: Gongji) -> Iterator[None]:
    """GONGJI_CLOCK=2026-09-30T16:30 for this test (the live server reads ``gj.clock`` per request)."""
    real = web_gj.clock
    web_gj.clock = OffsetClock(datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI))
    try:
        yield
    finally:
        web_gj.clock = real


def test_a_clerk_sees_the_simulated_date_and_counts_2_working_days_over_national_day(
    web: Any, web_gj: Gongji, simulated: None
) -> None:
    support.staff(web_gj, ["620000"], username="cal_browser")
    login(web, "cal_browser")

    web.goto("/staff")
    banner = web.get_by_test_id("sim-clock")
    assert banner.is_visible() and "2026-09-30" in banner.inner_text()

    web.get_by_test_id("calendar-link").click()
    web.get_by_label("起算日").fill("2026-09-30")
    web.get_by_label("工作日数").fill("2")
    web.get_by_role("button", name="计算").click()
    result = web.get_by_test_id("calc-result").inner_text()
    assert "2026-10-09" in result and "暂定" not in result
    assert web.get_by_test_id("day-2026-10-10").get_attribute("data-working") == "1"  # make-up Saturday
    assert web.get_by_test_id("day-2026-10-05").get_attribute("data-working") == "0"
    screenshot(web, "calendar-2026-national-day")


def test_a_provincial_clerk_enters_new_year_2027_in_a_provisional_year(web: Any, web_gj: Gongji) -> None:
    support.staff(web_gj, ["620000"], username="cal_browser2")
    login(web, "cal_browser2")
    web.goto("/staff/calendar?year=2027")
    assert "暂定" in web.get_by_test_id("year-standing").inner_text()
    assert web.get_by_test_id("day-2027-01-01").get_attribute("data-working") == "1"

    form = web.get_by_test_id("edit-day")
    form.get_by_label("日期").fill("2027-01-01")
    form.get_by_label("安排").select_option("0")
    form.get_by_label("名称").fill("元旦")
    form.get_by_label("依据").fill("国务院办公厅关于2027年部分节假日安排的通知")
    form.get_by_role("button", name="保存调整").click()

    assert "已保存" in web.get_by_test_id("done").inner_text()
    assert web.get_by_test_id("day-2027-01-01").get_attribute("data-working") == "0"
    assert "元旦" in web.get_by_test_id("overrides").inner_text()
