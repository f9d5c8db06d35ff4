"""The accounting page in Chromium (issue 15 §5; seed 003 附件四): a provincial clerk opens the
month's vouchers from the staff home, filters a region (宁波市海曙区: its advance under
暂付款/家庭共济医药费用), switches to the trial balance (平衡, the totals row in yuan) and downloads it
as .xlsx; a city clerk asking for another city's books is refused."""

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
from tests.browser.conftest import login, serve
from tests.conftest import TEST_VAR, _settings


@pytest.fixture(scope="module")
def province(sqlite_template: Path) -> Iterator[tuple[B.Province, str]]:
    path = TEST_VAR / "browser-accounting.sqlite3"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    base = bootstrap(dataclasses.replace(_settings(f"sqlite:///{path}"), province="zhejiang"), clock=clock)
    made = B.zhejiang(base, clock)
    p = next(made)
    hz = B.giver(p, B.HANGZHOU, "钱大", 500_00)
    B.settle(p, B.NINGBO, B.relative_of(p, hz, B.NINGBO, "钱一"), 80_00)
    support.staff(p.gj, ["330200"], username="nb_books")
    server = serve(p.gj)
    url = next(server)
    yield p, url
    server.close()
    made.close()
    base.engine.dispose()


@pytest.fixture
def page(browser: Any, province: tuple[B.Province, str]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=province[1], viewport={"width": 1100, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_provincial_clerk_reads_the_vouchers_and_downloads_the_trial_balance(page: Any, tmp_path: Path) -> None:
    login(page, "staff_zj_province")
    page.goto("/staff")
    page.get_by_test_id("accounting-link").click()
    page.locator("input[name=month]").fill("2026-11")
    page.locator("select[name=region]").select_option("330200")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    lines = page.get_by_test_id("voucher-line").all_inner_texts()
    assert any("110101" in t and "暂付款/家庭共济医药费用" in t and "80.00" in t for t in lines), lines
    assert page.get_by_test_id("debit-total").inner_text() == page.get_by_test_id("credit-total").inner_text()

    page.locator("select[name=view]").select_option("trial")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("balanced").inner_text() == "平衡"
    assert "合计" in page.get_by_test_id("totals").inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("excel").click()
    saved = tmp_path / "tb.xlsx"
    info.value.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert sheet["A1"].value == "宁波市基本医疗保险基金试算平衡表（2026年11月）" and sheet["A2"].value == "单位：元"


def test_a_city_clerk_is_refused_another_citys_books(page: Any) -> None:
    login(page, "nb_books")
    response = page.goto("/staff/accounting?month=2026-11&region=330100")
    assert response is not None and response.status == 403
    assert "E_OUT_OF_REGION" in page.content()
