"""就医费用报销"一件事" on the pages (seed 001: 一网受理, 全程网办, 3份材料, 3个环节; issue 14 §5), in
headless Chromium on a 360×740 phone: the citizen applies for all four matters in one form, is
refused at once for a fourth material, then sees each part's state; a clerk finds the case in
the queue by its time limit, approves the recognition and the case is finished."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_a_citizen_applies_for_all_four_matters_on_a_phone_and_a_clerk_finishes_the_case(
    phone: Any, web_gj: Gongji
) -> None:
    office = support.staff(web_gj, ["620700"])
    me = support.citizen(web_gj, support.employee(web_gj, office, name="欧阳锋", income_fen=80_000))
    child = support.resident(web_gj, office, region="620702", name="欧阳克", birth=date(2012, 3, 3))
    login(phone, me.username)

    phone.get_by_test_id("onething-link").click()
    phone.get_by_test_id("onething-new").click()
    phone.wait_for_url(re.compile(r"/me/onething/new$"))
    assert no_sideways_scroll(phone)
    for part in ("family_binding", "offsite_registration", "chronic_recognition", "direct_settlement"):
        phone.get_by_test_id(f"part-{part}").check()
    phone.get_by_test_id("relative-name").fill("欧阳克")
    phone.get_by_test_id("relative-cert").fill(support.person_cert(web_gj, child))
    phone.get_by_test_id("relation").select_option("child")
    phone.get_by_test_id("kind").select_option("long_term_resident")
    phone.get_by_test_id("destination").select_option("440300")
    phone.get_by_test_id("disease").select_option("hypertension")
    for m in ("id_card", "application_form", "residence_proof", "commitment"):
        phone.get_by_test_id(f"material-{m}").check()
    phone.get_by_test_id("signature").fill("欧阳锋")
    phone.get_by_test_id("commitment-signed").check()
    phone.get_by_test_id("submit").click()

    # four materials: refused at once, in Chinese, the form kept (001: 3份材料)
    error = phone.get_by_test_id("error").inner_text()
    assert "最多提交3份材料" in error
    assert phone.get_by_test_id("destination").input_value() == "440300"
    phone.get_by_test_id("material-residence_proof").uncheck()
    phone.get_by_test_id("commitment-signed").check()
    phone.get_by_test_id("submit").click()
    phone.wait_for_url(re.compile(r"/me/onething/\d+\?ok=onething_applied$"))

    states = {p.get_attribute("data-kind"): p.get_attribute("data-state") for p in phone.get_by_test_id("part").all()}
    assert states == {
        "family_binding": "done",
        "offsite_registration": "done",
        "chronic_recognition": "processing",
        "direct_settlement": "waiting",
    }
    assert phone.get_by_test_id("case-state").inner_text() == "受理审核中"
    assert "2026-11-25" in phone.get_by_test_id("deadline").inner_text()  # Mon 11-23 + 2 working days
    assert phone.get_by_test_id("visits").inner_text().startswith("0次")
    assert "异地长期居住证明材料" in phone.get_by_test_id("proofs-pending").inner_text()
    page_text = phone.locator("main").inner_text() if phone.locator("main").count() else phone.inner_text("body")
    assert "long_term_resident" not in page_text and "hypertension" not in page_text  # no raw codes
    assert no_sideways_scroll(phone)
    screenshot(phone, "onething-applied")
    serial = phone.get_by_test_id("serial").inner_text()

    phone.context.clear_cookies()
    login(phone, office.username)
    phone.get_by_test_id("onething-link").click()
    phone.wait_for_url(re.compile(r"/staff/onething$"))
    assert int(phone.get_by_test_id("count-open").inner_text()) >= 1
    chronic_office = phone.locator("[data-testid=office-count][data-office=chronic]").inner_text()
    assert "门诊慢特病认定" in chronic_office and "待办" in chronic_office
    phone.get_by_test_id("case").filter(has_text=serial).get_by_role("link").click()
    phone.get_by_test_id("approve").click()
    phone.wait_for_url(re.compile(r"ok=onething_approved$"))
    assert phone.get_by_test_id("case-state").inner_text() == "已办结"
    assert phone.get_by_test_id("timing").inner_text() == "按时办结"
    states = {p.get_attribute("data-kind"): p.get_attribute("data-state") for p in phone.get_by_test_id("part").all()}
    assert set(states.values()) == {"done"}
    screenshot(phone, "onething-finished")
    xlsx = phone.request.get(
        phone.get_by_test_id("visit").page.url.split("/staff/onething")[0] + "/staff/onething/overdue.xlsx"
    )
    assert xlsx.status == 200 and "spreadsheetml" in xlsx.headers["content-type"]
