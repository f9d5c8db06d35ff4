"""The family money's uses, seen from both sides, on a 360 px phone (issue 17, "Citizens").

On the demo: citizen4 (an employee, authorizer) has one unread notice of the pharmacy sale the
demo settled for their relative; the message centre names the pharmacy, the amount and the time;
citizen4 reports it and staff_province finds it on 可疑共济使用举报 with the way into the
existing revocation (seed 003 四(四)). citizen5, the relative, sees who paid for them, what and
when. An employee is not asked for a resident premium.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import Institution, Settlement
from gongji.bootstrap import Gongji
from gongji.services.demo import family as demo_family
from tests.browser.phone import login_demo as _login
from tests.browser.phone import overflow, phone_context, small_targets

pytestmark = pytest.mark.browser

PHARMACY_YUAN = f"{demo_family.PHARMACY_FEN // 100}.{demo_family.PHARMACY_FEN % 100:02d}"


def _pharmacy_name(gj: Gongji) -> str:
    with gj.uow() as uow:
        name = uow.session.scalar(
            select(Institution.name)
            .join(Settlement, Settlement.fixmedins_code == Institution.fixmedins_code)
            .where(Settlement.family_payment_id.is_not(None))
        )
    assert name
    return name


def _fits(page: Any) -> None:
    assert overflow(page) <= 0
    assert small_targets(page) == []


def test_the_authorizer_is_told_of_the_relatives_purchase_and_reports_it_to_staff(
    browser: Any, phone_demo: Gongji, phone_server: str
) -> None:
    pharmacy = _pharmacy_name(phone_demo)
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "citizen4")
        assert page.get_by_test_id("unread-count").inner_text() == "1条未读"
        assert "共济账户" in page.inner_text("main") and "family:" not in page.inner_text("main")
        page.get_by_test_id("messages-link").click()
        notice = page.get_by_test_id("notice")
        assert notice.count() == 1
        assert page.get_by_test_id("notice-place").inner_text() == pharmacy
        assert page.get_by_test_id("notice-amount").inner_text() == f"{PHARMACY_YUAN} 元"
        assert page.get_by_test_id("notice-time").inner_text().startswith("20")
        assert page.get_by_test_id("notice-new").is_visible()
        _fits(page)
        page.goto("/me")
        assert page.get_by_test_id("unread-count").count() == 0, "read once the message centre was opened"
        page.goto("/me/messages")
        page.get_by_test_id("report-link").click()
        _fits(page)
        page.get_by_label("情况说明").fill("我的亲属没有去过这家药店")
        page.get_by_role("button", name="确认举报").click()
        page.wait_for_load_state()
        assert "已提交举报" in page.get_by_test_id("flash").inner_text()
        assert "待经办核查" in page.get_by_test_id("notice-reported").inner_text()
    finally:
        context.close()

    staff = phone_context(browser, phone_server)
    page = staff.new_page()
    try:
        _login(page, "staff_province")
        page.goto("/staff/family/recoveries")
        page.get_by_test_id("reports-link").click()
        report = page.get_by_test_id("report")
        assert report.count() == 1
        assert pharmacy in report.inner_text() and PHARMACY_YUAN in report.inner_text()
        assert "我的亲属没有去过这家药店" in report.inner_text()
        page.get_by_test_id("report-revoke").click()
        page.wait_for_load_state()
        assert "/revoke" in page.url  # the existing fraud flow: confirmation with the amounts
    finally:
        staff.close()


def test_the_relative_sees_who_pays_for_them_what_and_when(browser: Any, phone_demo: Gongji, phone_server: str) -> None:
    pharmacy = _pharmacy_name(phone_demo)
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "citizen5")
        page.get_by_test_id("family-link").click()
        assert page.get_by_test_id("bound-by-item").count() == 1, "no agreement to sign before seeing it"
        assert page.get_by_test_id("paid-for-me-place").inner_text() == pharmacy
        assert page.get_by_test_id("paid-for-me-amount").inner_text() == f"{PHARMACY_YUAN} 元"
        assert page.get_by_test_id("paid-for-me-time").inner_text().startswith("20")
        assert page.locator(".flash.warn").count() == 0, "a resident relative gets a note, not a warning"
        _fits(page)
    finally:
        context.close()


def test_an_employee_is_not_asked_for_a_resident_premium(browser: Any, phone_server: str) -> None:
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "citizen4")
        assert "居民医保缴费" not in page.get_by_test_id("my-premiums-link").inner_text()
        page.get_by_test_id("my-premiums-link").click()
        assert "无需缴纳城乡居民医保费" in page.get_by_test_id("not-resident").inner_text()
        assert "应缴" not in page.inner_text("main")
        assert "未缴费" not in page.inner_text("main")
    finally:
        context.close()
