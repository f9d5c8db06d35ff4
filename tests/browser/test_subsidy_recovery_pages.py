"""资助追回 pages in headless Chromium (issue 12; seed 002 §七 只退回个人缴费部分, 003 附件三(二)4 原渠道):
after a family-paid premium of a 低保 relative is refunded whole to the family account, the fixed
subsidy the relative was paid (250.00) is owed back. A clerk sees it on the list with the region's
sum, records 100.00 received (a second submit of the same form books nothing more), asks for a
write-off of the rest; the same clerk cannot approve it, a second clerk does, and it is closed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import code_of, login, screenshot
from tests.integration.test_subsidy_recovery import FIXED, _family_paid_fixed_subsidy_relative, _refund

pytestmark = pytest.mark.browser


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_subsidy_owed_back_is_collected_and_the_rest_written_off_by_a_second_clerk_seed002_s7(
    web: Any, web_gj: Gongji
) -> None:
    maker = support.staff(web_gj, ["620000"])
    checker = support.staff(web_gj, ["620000"])
    s = _family_paid_fixed_subsidy_relative(web_gj, maker)
    _refund(web_gj, s["authorizer"], maker, s["payment_id"])

    login(web, maker.username)
    web.get_by_test_id("subsidy-recoveries-link").click()
    assert "250.00" in text_of(web, "subsidy-recovery-regions")
    row = web.get_by_test_id("subsidy-recovery").first
    assert "代缴退费后资助金追回" in row.inner_text() and f"{FIXED / 100:.2f}" in row.inner_text()
    row.get_by_role("link").click()
    assert text_of(web, "recovery-amount") == "250.00 元"
    assert "*" in text_of(web, "subsidy-recovery-detail")  # the relative's name and ID are masked
    detail_url = web.url

    web.get_by_label("追回金额（元）").fill("100")
    web.get_by_role("button", name="登记追回款").click()
    web.wait_for_url(re.compile(r"\?ok=collected$"))
    assert text_of(web, "recovery-outstanding") == "150.00 元"
    assert text_of(web, "recovery-status") == "部分追回"

    web.get_by_label("追回金额（元）").fill("200")  # more than is owed: refused, nothing booked
    web.get_by_role("button", name="登记追回款").click()
    assert code_of(web, "error") == "E_FAMILY_RECOVERY_EXCEEDS"
    web.goto(detail_url)
    assert text_of(web, "recovery-collected") == "100.00 元"

    web.get_by_label("核销原因").fill("本人已出国定居，无法追回")
    web.get_by_role("button", name="申请核销").click()
    assert web.get_by_test_id("needs-second").is_visible()
    web.get_by_role("button", name="退出").click()

    login(web, checker.username)
    web.goto(detail_url)
    screenshot(web, "staff-subsidy-recovery-approve")
    web.get_by_role("button", name=re.compile("审核通过")).click()
    web.wait_for_url(re.compile(r"\?ok=written_off$"))
    assert text_of(web, "recovery-written-off") == "150.00 元"
    web.goto("/staff/resident/recoveries")
    assert web.get_by_test_id("no-open-subsidy-recoveries").is_visible()
