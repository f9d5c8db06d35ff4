"""The payment-of-institutions pages in Chromium on a phone-sized window (issue 15 §2, §6; seed
003 附件 二(二)2): a clerk of 杭州市西湖区 prepares November from the staff home, cannot approve
it herself, a second clerk approves and makes the payment order, the bank file downloads and
reads back, and the bank's payment is registered."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gongji.bootstrap import bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.backoffice import institution_payments_excel as X
from tests import backoffice_support as B
from tests import payments_support as M
from tests import support
from tests.browser.conftest import MOBILE, login, screenshot, serve
from tests.conftest import TEST_VAR, _settings


@pytest.fixture(scope="module")
def province(sqlite_template: Path) -> Iterator[tuple[B.Province, str]]:
    path = TEST_VAR / "browser-payments.sqlite3"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    base = bootstrap(dataclasses.replace(_settings(f"sqlite:///{path}"), province="zhejiang"), clock=clock)
    made = B.zhejiang(base, clock)
    p = next(made)
    M.november_at_hangzhou(p)
    M.reconcile_totals(p, B.HANGZHOU, M.HZ_HOSPITAL)
    support.staff(p.gj, [B.HANGZHOU], username="xh_pay_maker")
    support.staff(p.gj, [B.HANGZHOU], username="xh_pay_checker")
    M.at(clock, "2026-12-02T09:00")
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
    context.set_default_timeout(30_000)  # a loaded CI box; the clearing pages use 10 s
    try:
        yield context.new_page()
    finally:
        context.close()


def test_prepare_approve_by_a_second_clerk_order_bank_file_and_payment(page: Any, tmp_path: Path) -> None:
    login(page, "xh_pay_maker")
    page.goto("/staff")
    page.get_by_test_id("payments-link").click()
    page.get_by_test_id("prepare").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("run-state").inner_text() == "待审核"
    assert "家庭共济 110.00" in page.get_by_test_id("run-total").inner_text()
    assert page.get_by_test_id("line").first.inner_text().startswith("测试医院001")
    assert page.get_by_test_id("approve").is_disabled()  # the preparer cannot approve
    screenshot(page, "payments-prepared-2026-11")

    login(page, "xh_pay_checker")
    page.goto("/staff/payments?month=2026-11&state=prepared")
    page.get_by_test_id("run").first.locator("a").click()
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("run-state").inner_text() == "已审核"
    page.get_by_test_id("order").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("order-no").inner_text() == "ZF330106-202611"
    with page.expect_download() as info:
        page.get_by_test_id("bank-csv").click()
    saved = tmp_path / "bank.csv"
    info.value.save_as(saved)
    rows = X.read_bank_export(saved.read_bytes())
    assert [(r["支付单号"], r["收款单位"]) for r in rows] == [("ZF330106-202611", "测试医院001")]
    page.get_by_label("银行流水号").fill("ICBC20261203001")
    page.get_by_test_id("confirm").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("run-state").inner_text() == "已全部拨付"
    assert page.get_by_test_id("line").first.get_attribute("data-state") == "paid"
    screenshot(page, "payments-paid-2026-11")
