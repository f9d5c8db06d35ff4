"""The HTML error page in Chromium (issue 17 "Tests that must exist"): a mistyped address, a
wrong method and a refusal each show a Chinese page with the code, what to do and the way back,
at phone width without sideways scrolling; an API client still gets JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gongji.domain.errors import all_error_classes
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_mistyped_address_shows_a_chinese_page_with_the_code_and_the_way_home(web: Any) -> None:
    response = web.goto("/staff/no-such-page")
    assert response is not None and response.status == 404
    assert web.get_by_test_id("error-title").inner_text() == "页面不存在"
    assert "检查网址" in web.get_by_test_id("error-hint").inner_text()
    assert web.get_by_test_id("error-code").inner_text() == "E_HTTP_404"
    assert web.get_by_test_id("error").inner_text() == "页面或接口不存在"
    assert _no_sideways_scroll(web)
    screenshot(web, "error-404-phone")
    web.get_by_test_id("error-home").click()
    web.wait_for_url("**/login")  # home, and as nobody is logged in: the login page


def test_the_back_link_returns_to_the_page_before(web: Any) -> None:
    web.goto("/login")
    web.goto("/no-such-page")
    web.get_by_test_id("error-back").click()
    web.wait_for_url("**/login")


def test_a_wrong_method_and_a_refusal_are_pages_too_and_the_codes_are_listed(web: Any, web_gj: Any) -> None:
    response = web.goto("/logout")  # a form's address opened by hand (it takes POST)
    assert response is not None and response.status == 405
    assert web.get_by_test_id("error-title").inner_text() == "不支持的操作方式"
    assert web.get_by_test_id("error-code").inner_text() == "E_HTTP_405"

    staff = support.staff(web_gj, ["620702"])
    outsider = support.staff(web_gj, ["620100"])
    person_id = support.employee(web_gj, staff, name="欧阳锋")
    login(web, outsider.username)
    refused = web.goto(f"/staff/persons/{person_id}")
    assert refused is not None and refused.status == 403
    assert web.get_by_test_id("error-title").inner_text() == "没有权限"
    assert web.get_by_test_id("error-code").inner_text() == "E_OUT_OF_REGION"
    assert "欧阳锋" not in web.content()

    listed = {c.code for c in all_error_classes()}
    assert {"E_HTTP_404", "E_HTTP_405", "E_OUT_OF_REGION"} <= listed


def test_an_api_client_gets_json_from_the_same_address(web: Any) -> None:
    response = web.request.get("/api/no-such-endpoint", headers={"Accept": "application/json"})
    assert response.status == 404
    assert json.loads(response.text())["code"] == "E_HTTP_404"
