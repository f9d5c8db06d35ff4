"""The clearing pages in Chromium on a phone-sized window (issue 15 §3, §6): a provincial clerk
runs last month's clearing for Zhejiang, sees the balance table (杭州市 −70.00, 宁波市 +70.00),
filters a city's detail rows, a city clerk confirms, and the balance table downloads as .xlsx."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.bootstrap import bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from tests import backoffice_support as B
from tests import support
from tests.browser.conftest import MOBILE, login, screenshot, serve
from tests.conftest import TEST_VAR, _settings
from tests.e2e.test_backoffice_clearing import at, month_of_two_cities


@pytest.fixture(scope="module")
def province(sqlite_template: Path) -> Iterator[tuple[B.Province, str]]:
    path = TEST_VAR / "browser-clearing.sqlite3"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    base = bootstrap(dataclasses.replace(_settings(f"sqlite:///{path}"), province="zhejiang"), clock=clock)
    made = B.zhejiang(base, clock)
    p = next(made)
    month_of_two_cities(p)
    support.staff(p.gj, ["330200"], username="nb_browser")
    at(p, clock, "2026-12-03T09:00")
    server = serve(p.gj)
    url = next(server)
    yield p, url
    server.close()
    made.close()
    base.engine.dispose()


@pytest.fixture
def page(browser: Any, province: tuple[B.Province, str]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=province[1], viewport=MOBILE, is_mobile=True, has_touch=True, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_provincial_clerk_runs_the_month_and_downloads_the_balance_table(page: Any, tmp_path: Path) -> None:
    login(page, "staff_zj_province")
    page.goto("/staff")
    page.get_by_test_id("clearing-link").click()
    assert page.get_by_test_id("run-month").input_value() == "2026-11"
    page.get_by_test_id("run-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("run-state").inner_text() == "已预生成"
    assert "3 笔，合计 130.00 元" in page.get_by_test_id("run-items").inner_text()
    nets = {
        row.get_attribute("data-city"): row.get_by_test_id("net").inner_text()
        for row in page.get_by_test_id("city").all()
    }
    assert nets == {"330100": "-70.00", "330200": "70.00"}
    generate = page.locator("[data-testid=run-step][data-step=generate]")
    assert generate.get_attribute("data-state") == "done"
    with page.expect_download() as info:
        page.get_by_test_id("balance-xlsx").click()
    saved = tmp_path / "balance.xlsx"
    info.value.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert (sheet["A1"].value, sheet["F3"].value, sheet["C5"].value, sheet["F5"].value) == (
        "浙江省个人账户家庭共济资金清算平衡表（2026年11月）",
        "净额（正数应收，负数应上解）",
        "宁波市",
        70,
    )
    screenshot(page, "clearing-run-2026-11")


def test_a_city_clerk_filters_its_detail_and_confirms(page: Any) -> None:
    login(page, "nb_browser")
    page.goto("/staff/clearing?month=2026-11")
    page.get_by_test_id("run").first.locator("a").click()
    page.get_by_label("地区（市代码）").fill("330200")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert [r.get_attribute("data-city") for r in page.get_by_test_id("city").all()] == ["330200"]
    assert page.get_by_test_id("detail-row").count() == 3
    page.get_by_test_id("confirm-local_confirm").click()
    page.wait_for_load_state()
    step = page.locator("[data-testid=city][data-city='330200'] [data-testid=city-step][data-step=local_confirm]")
    assert step.get_attribute("data-state") == "done"
    screenshot(page, "clearing-city-330200")
