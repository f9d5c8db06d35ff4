"""The month-end dashboard page in headless Chromium (issue 15 §6; seed 003 附件二(二)3 每月5日前预生成):
reached from the staff home, a step past its deadline red with its working days counted, the
month filter and the 已逾期 filter, on a phone-sized window."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import login, screenshot


@pytest.fixture(autouse=True)
def _patient(web: Any) -> None:
    web.set_default_timeout(30_000)
    web.set_default_navigation_timeout(30_000)


def test_month_end_page_shows_a_missed_pre_generation_in_red_with_working_days(web: Any, web_gj: Gongji) -> None:
    """June 2026 was never cleared in the browser database: pre-generation was due 2026-07-05 and is
    overdue on the test day (2026-11-23), red, with its working days counted; the 已逾期 filter
    keeps only overdue rows."""
    office = support.staff(web_gj, ["620000"], username="month_end_browser")
    login(web, office.username)
    web.get_by_test_id("month-end-link").click()
    web.wait_for_load_state()
    assert web.locator("input[name=month]").input_value() == "2026-10"  # the month before today
    web.locator("input[name=month]").fill("2026-06")
    web.get_by_role("button", name="查询").click()
    web.wait_for_load_state()
    row = web.locator('[data-testid="step"][data-key="clearing.generate"]')
    assert row.get_attribute("data-state") == "overdue"
    text = row.inner_text()
    assert "2026-07-05" in text and re.search(r"已逾期 \d+ 个工作日", text)
    assert row.locator("td").first.evaluate("e => getComputedStyle(e).color") == "rgb(192, 57, 43)"
    assert "逾期" in web.get_by_test_id("overdue-summary").inner_text()
    screenshot(web, "month-end-2026-06")
    web.locator("select[name=state]").select_option("overdue")
    web.get_by_role("button", name="查询").click()
    web.wait_for_load_state()
    states = web.locator('[data-testid="step"]').evaluate_all("rows => rows.map(r => r.dataset.state)")
    assert states and set(states) == {"overdue"}
