"""异地就医备案 on the pages (seed 001 二: 一网受理, 全程网办; issue 14 §2), in headless Chromium on a
phone-sized window: the citizen is refused at once with the reason, then registered at once and
can print the 登记备案表; staff find it by kind, region and state, and review a recognition."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import code_of, login, screenshot

pytestmark = pytest.mark.browser


def test_a_citizen_registers_off_site_care_on_a_phone_and_staff_find_it(web: Any, web_gj: Gongji) -> None:
    office = support.staff(web_gj, ["620700"])
    me = support.citizen(web_gj, support.employee(web_gj, office, name="殷素素"))
    login(web, me.username)

    web.get_by_test_id("offsite-link").click()
    web.get_by_test_id("offsite-new").click()
    web.wait_for_url(re.compile(r"/me/offsite/new$"))
    web.get_by_test_id("kind").select_option("long_term_resident")
    web.get_by_test_id("destination").select_option("440300")
    web.get_by_test_id("material-id_card").check()
    web.get_by_test_id("material-registration_form").check()
    web.get_by_test_id("submit").click()

    # refused at once, with the reason, the form kept
    error = web.get_by_test_id("error").inner_text()
    assert "办理材料不全" in error and "异地长期居住证明材料或个人承诺书" in error
    assert code_of(web, "error") == "E_OFFSITE_MATERIALS"
    assert web.get_by_test_id("destination").input_value() == "440300"

    # the commitment in place of the residence proof: accepted at once
    web.get_by_test_id("material-commitment").check()
    web.get_by_test_id("commitment-signed").check()
    web.get_by_test_id("submit").click()
    web.wait_for_url(re.compile(r"/me/offsite/\d+\?ok=offsite_registered$"))
    assert "即时生效" in web.get_by_test_id("flash").inner_text()
    assert web.get_by_test_id("state").inner_text() == "有效"
    assert web.get_by_test_id("destination").inner_text() == "广东省深圳市"
    assert "长期有效" in web.get_by_test_id("validity").inner_text()
    serial = web.get_by_test_id("serial").inner_text()
    assert web.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    screenshot(web, "offsite-registered")
    pdf = web.request.get(web.get_by_test_id("pdf-link").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    web.context.clear_cookies()
    login(web, office.username)
    web.get_by_test_id("offsite-link").click()
    web.goto("/staff/offsite?kind=long_term_resident&region=620702&state=valid")
    rows = web.get_by_test_id("registration")
    assert rows.count() >= 1 and "殷**" in rows.first.inner_text()
    web.goto("/staff/offsite?state=cancelled")
    assert all(r.get_attribute("data-state") == "cancelled" for r in web.get_by_test_id("registration").all())
    refused = web.goto("/staff/offsite?region=620100")
    assert refused.status == 403 and code_of(web, "error") == "E_OUT_OF_REGION"
    web.goto("/staff/offsite")
    web.get_by_text("殷**").first.click()
    assert web.get_by_test_id("serial").inner_text() == serial


def test_a_clerk_approves_a_chronic_disease_application_another_clerk_entered(web: Any, web_gj: Gongji) -> None:
    office = support.staff(web_gj, ["620700"])
    me = support.citizen(web_gj, support.employee(web_gj, office, name="纪晓芙"))
    login(web, me.username)
    web.goto("/me/chronic/new")
    web.get_by_label("病种").select_option("diabetes")
    web.get_by_role("button", name="提交申请").click()
    web.wait_for_url(re.compile(r"/me/offsite\?ok=chronic_applied$"))
    assert "待审核" in web.get_by_test_id("recognition").first.inner_text()

    web.context.clear_cookies()
    login(web, office.username)
    web.goto("/staff/chronic?state=pending")
    item = web.get_by_test_id("recognition").filter(has_text="纪**")
    item.get_by_test_id("approve").click()
    web.wait_for_url(re.compile(r"ok=chronic_approved"))
    web.goto("/staff/chronic?state=valid&disease=diabetes")
    assert "纪**" in web.get_by_test_id("recognitions").inner_text()


def test_a_clerk_registers_at_the_window_for_an_agent_and_the_citizen_cancels_online(web: Any, web_gj: Gongji) -> None:
    office = support.staff(web_gj, ["620700"])
    pid = support.employee(web_gj, office, name="宋青书")
    login(web, office.username)
    web.goto("/staff/offsite/new")
    web.get_by_label("参保人身份证号码").fill(support.person_cert(web_gj, pid))
    web.get_by_label("代办人姓名（本人办理不填）").fill("宋远桥")
    web.get_by_label("代办人与参保人关系").fill("父子")
    web.get_by_test_id("kind").select_option("other_temporary")
    web.get_by_test_id("destination").select_option("510100")
    for m in ("id_card", "registration_form", "commitment"):
        web.get_by_test_id(f"material-{m}").check()
    web.get_by_test_id("commitment-signed").check()
    web.get_by_test_id("submit").click()
    web.wait_for_url(re.compile(r"/staff/offsite/\d+\?ok=offsite_registered$"))
    facts = web.get_by_test_id("registration-facts").inner_text()
    assert "窗口办理（他人代办）" in facts and "宋**" in facts and "四川省成都市" in facts
    assert "2026-11-23 至 2027-05-22" in web.get_by_test_id("validity").inner_text()

    web.context.clear_cookies()
    me = support.citizen(web_gj, pid)
    login(web, me.username)
    web.goto("/me/offsite")
    web.get_by_test_id("registration").first.get_by_role("link").click()
    web.get_by_test_id("cancel-form").get_by_label("取消原因").fill("行程取消")
    web.get_by_test_id("cancel-form").get_by_role("button").click()
    web.wait_for_url(re.compile(r"ok=offsite_cancelled$"))
    assert web.get_by_test_id("state").inner_text() == "已取消"
    assert web.get_by_test_id("cancel-form").count() == 0
