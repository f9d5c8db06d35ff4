"""The staff institution pages in headless Chromium (issue 13 §3): a clerk registers a hospital,
issues a gateway key — the secret is on that answer only, the key list shows it masked — and
suspends the hospital with a reason; a clerk of another region does not see it."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser
CODE = "H62070200041"


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_a_clerk_registers_a_hospital_issues_a_key_shown_once_and_suspends_it(web: Any, web_gj: Gongji) -> None:
    clerk = support.staff(web_gj, ["620700"])
    other = support.staff(web_gj, ["620100"])

    login(web, clerk.username)
    web.get_by_test_id("institutions-link").click()
    form = web.get_by_test_id("register-form")
    form.get_by_label("机构编码").fill(CODE)
    form.get_by_label("机构名称").fill("甘州区浏览器测试医院")
    form.get_by_label("等级").select_option("2")
    form.get_by_label("统筹区代码").fill("620702")
    form.get_by_label("协议开始日期").fill("2026-01-01")
    form.get_by_role("button", name="登记").click()
    assert text_of(web, "institution-status") == "协议有效"

    web.get_by_role("button", name="发放新密钥").click()
    secret = text_of(web, "shown-secret")
    key_id = text_of(web, "shown-key-id")
    assert secret.startswith("gjs_") and len(secret) > 40
    assert secret[:8] in text_of(web, "key-secret") and secret not in text_of(web, "keys")
    screenshot(web, "staff-institution-key-once")
    web.goto(f"/staff/institutions/{CODE}")
    assert secret not in web.content() and key_id in web.content()  # shown once only

    status = web.get_by_test_id("status-form")
    status.get_by_label("变更状态").select_option("suspended")
    status.get_by_label("原因").fill("违规检查")
    status.get_by_role("button", name="确认变更").click()
    assert text_of(web, "institution-status") == "暂停"
    web.get_by_role("button", name="退出").click()

    login(web, other.username)
    web.goto("/staff/institutions")
    assert CODE not in web.content()
    with web.expect_response(lambda r: f"/staff/institutions/{CODE}" in r.url) as info:
        web.goto(f"/staff/institutions/{CODE}")
    assert info.value.status == 403 and "E_OUT_OF_REGION" in web.content()
