"""Maker–checker for manual personal-account income in headless Chromium (issue 12 Part C): the
clerk who entered 800元 cannot approve it; a second clerk confirms on a page that shows the
person, the account and the amount, and only then does the money arrive."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import AccountIncome
from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import code_of, login, screenshot

pytestmark = pytest.mark.browser


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_income_above_the_threshold_is_approved_by_a_second_clerk_after_a_confirmation(
    web: Any, web_gj: Gongji
) -> None:
    maker = support.staff(web_gj, ["620702"])
    checker = support.staff(web_gj, ["620700"])
    person_id = support.employee(web_gj, maker, name="段誉")

    login(web, maker.username)
    web.goto(f"/staff/persons/{person_id}")
    form = web.get_by_test_id("income-form")
    form.get_by_label("所属月份").fill("2026-10")
    form.get_by_label("金额（元）").fill("800")
    form.get_by_role("button", name="确认入账").click()
    assert "待另一名经办人员复核" in text_of(web, "flash")
    assert text_of(web, "balance-current") == "0.00 元"
    income_id = web_gj.run(
        lambda uow: uow.session.scalar(select(AccountIncome.id).where(AccountIncome.person_id == person_id))
    )

    web.goto(f"/staff/incomes/{income_id}")
    assert web.get_by_test_id("own-entry").is_visible()
    web.get_by_test_id("approve-form").get_by_role("checkbox").check()
    with web.expect_response(lambda r: r.request.method == "POST") as info:
        web.get_by_role("button", name="确认入账").click()
    assert info.value.status == 403 and code_of(web, "error") == "E_FOUR_EYES"
    web.get_by_role("button", name="退出").click()

    login(web, checker.username)
    web.get_by_test_id("incomes-link").click()
    web.locator(f"[data-income-id='{income_id}']").get_by_test_id("review-link").click()
    assert text_of(web, "income-amount") == "800.00 元"
    assert "个人账户（当年账户）" in text_of(web, "income-account")
    assert text_of(web, "income-balance") == "0.00 元 → 入账后 800.00 元"
    assert "段" in text_of(web, "income-person") and "誉" not in text_of(web, "income-person")
    screenshot(web, "staff-income-review")
    web.get_by_test_id("approve-form").get_by_role("checkbox").check()
    web.get_by_role("button", name="确认入账").click()
    web.wait_for_url(re.compile(r"/staff/incomes\?ok=income_approved"))
    assert "复核通过" in text_of(web, "flash")
    assert web.locator(f"[data-income-id='{income_id}']").count() == 0

    web.goto(f"/staff/persons/{person_id}")
    assert text_of(web, "balance-current") == "800.00 元"
