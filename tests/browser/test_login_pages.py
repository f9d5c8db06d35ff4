"""Issue 13 §4 in headless Chromium on a phone-sized window: after login the user lands on the
page that asked for it; a citizen changes the password (the old one no longer works, the other
device is logged out); a clerk's reset code lets the citizen set a new one."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import login, screenshot
from tests.support import PASSWORD

pytestmark = pytest.mark.browser
NEW = "Xinmima2026ok"


def test_login_returns_to_the_page_that_asked_for_it(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="黄药师")

    web.goto(f"/staff/persons/{person_id}")
    assert "/login?next=" in web.url
    web.get_by_label("用户名").fill(staff.username)
    web.get_by_label("密码").fill(PASSWORD)
    web.get_by_role("button", name="登录").click()
    web.wait_for_load_state()

    assert web.url.endswith(f"/staff/persons/{person_id}")


def test_a_citizen_changes_the_password_and_the_other_device_is_logged_out(
    web: Any, web_gj: Gongji, browser: Any, live_server: str
) -> None:
    staff = support.staff(web_gj, ["620702"])
    user = support.citizen(web_gj, support.employee(web_gj, staff, name="洪七公"))
    other = browser.new_context(base_url=live_server)
    try:
        laptop = other.new_page()
        login(laptop, user.username)
        assert laptop.url.endswith("/me")

        login(web, user.username)
        web.get_by_test_id("nav-password").click()
        web.get_by_label("原密码", exact=True).fill("not-my-password1")
        web.get_by_label("新密码", exact=True).fill(NEW)
        web.get_by_label("再次输入新密码", exact=True).fill(NEW)
        web.get_by_role("button", name="确认修改").click()
        assert "原密码不正确" in web.get_by_test_id("error").inner_text()

        web.get_by_label("原密码", exact=True).fill(PASSWORD)
        web.get_by_label("新密码", exact=True).fill(NEW)
        web.get_by_label("再次输入新密码", exact=True).fill(NEW)
        screenshot(web, "password-change")
        web.get_by_role("button", name="确认修改").click()
        web.wait_for_load_state()
        assert web.url.endswith("/me?ok=password_changed")
        assert "密码已修改" in web.get_by_test_id("flash").inner_text()

        laptop.goto("/me")  # the other device's session has ended
        assert "/login" in laptop.url
    finally:
        other.close()
    assert login(web.context.new_page(), user.username, PASSWORD).status == 401
    assert login(web.context.new_page(), user.username, NEW).status == 303


def test_a_clerk_issues_a_reset_code_and_the_citizen_sets_a_new_password(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="欧阳锋锋")
    user = support.citizen(web_gj, person_id)

    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    web.get_by_role("button", name="生成密码重置码").click()
    code = web.get_by_test_id("reset-code").inner_text().strip()
    assert len(code) == 14 and web.get_by_test_id("reset-username").inner_text() == user.username
    screenshot(web, "reset-code-issued")

    web.context.clear_cookies()
    web.goto("/login")
    web.get_by_role("link", name="用重置码设置新密码").click()
    web.get_by_label("用户名").fill(user.username)
    web.get_by_label("重置码（经办窗口提供）").fill(code)
    web.get_by_label("新密码", exact=True).fill(NEW)
    web.get_by_label("再次输入新密码", exact=True).fill(NEW)
    web.get_by_role("button", name="设置新密码").click()
    web.wait_for_load_state()
    assert "密码已重新设置" in web.get_by_test_id("flash").inner_text()
    assert login(web, user.username, NEW).status == 303
    assert web.url.endswith("/me")
