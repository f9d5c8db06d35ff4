"""The 零星报销 pages in Chromium on a phone-sized window (issue 15 §2, §6; seed 003 附件二(四)): a
宁波 clerk registers a relative's cash-paid claim on the form, computes it (fund 73.00, 家庭共济
227.00), a second clerk approves and pays 300.00 to the card; the 垫付资金清算表 lists it under
杭州市西湖区 and downloads as .xlsx."""

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


@pytest.fixture(scope="module")
def province(sqlite_template: Path) -> Iterator[tuple[B.Province, str, int]]:
    path = TEST_VAR / "browser-reimbursement.sqlite3"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    base = bootstrap(dataclasses.replace(_settings(f"sqlite:///{path}"), province="zhejiang"), clock=clock)
    made = B.zhejiang(base, clock)
    p = next(made)
    hz = B.giver(p, B.HANGZHOU, "钱大", 500_00)
    child = B.relative_of(p, hz, B.NINGBO, "钱一")
    support.staff(p.gj, [B.NINGBO], username="rb_nb_a")
    support.staff(p.gj, [B.NINGBO], username="rb_nb_b")
    server = serve(p.gj)
    url = next(server)
    yield p, url, child
    server.close()
    made.close()
    base.engine.dispose()


@pytest.fixture
def page(browser: Any, province: tuple[B.Province, str, int]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=province[1], viewport=MOBILE, is_mobile=True, has_touch=True, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_claim_is_registered_computed_approved_and_listed_for_clearing(
    page: Any, province: tuple[B.Province, str, int], tmp_path: Path
) -> None:
    child = province[2]
    login(page, "rb_nb_a")
    page.goto("/staff")
    page.get_by_test_id("reimbursement-link").click()
    page.get_by_test_id("new-claim").click()
    page.get_by_test_id("person-id").fill(str(child))
    page.get_by_test_id("treatment-region").fill(B.NINGBO)
    page.get_by_test_id("acct-flag").select_option("2")
    page.get_by_test_id("inv-no-1").fill("NB-BR-0001")
    page.get_by_test_id("inv-inst-1").fill("宁波某医院")
    page.get_by_test_id("inv-date-1").fill("2026-11-10")
    page.get_by_test_id("inv-amount-1").fill("300.00")
    page.get_by_test_id("fee-code-1").fill("XA10BAA001A001010100001")
    page.get_by_test_id("fee-count-1").fill("10")
    page.get_by_test_id("fee-price-1").fill("30.00")
    page.get_by_test_id("fee-amount-1").fill("300.00")
    page.get_by_test_id("register").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("claim-state").inner_text() == "已受理"
    page.get_by_test_id("compute").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("fund").inner_text().startswith("73.00")
    assert page.get_by_test_id("family").inner_text() == "227.00"
    assert page.get_by_test_id("payout").inner_text() == "300.00"
    claim_url = page.url.split("?")[0]
    screenshot(page, "reimbursement-computed")

    login(page, "rb_nb_b")
    page.goto(claim_url)
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("claim-state").inner_text() == "已支付"
    assert "跨统筹区" in page.get_by_test_id("draws").inner_text()

    page.goto("/staff/reimbursements/advances?month=2026-11")
    region = page.get_by_test_id("advance-region")
    assert region.get_attribute("data-region") == B.HANGZHOU and "227.00" in region.inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("advances-xlsx").click()
    saved = tmp_path / "advances.xlsx"
    info.value.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert sheet["A1"].value == "浙江省个人账户家庭共济垫付资金清算表（2026年11月）"
    assert sheet.cell(row=sheet.max_row, column=10).value == 227
    screenshot(page, "reimbursement-advances")
