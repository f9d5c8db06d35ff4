"""The township window in headless Chromium: seed 002 §五1 参保登记表 (附件1) filled, approved, printed."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_staff_fills_the_registration_form_approves_it_sees_the_person_and_prints_it(web: Any, web_gj: Gongji) -> None:
    """Seed 002 §五1: 首次参保 at the township, 填写《参保登记表》（附件1）, 收件审核, then the person is insured."""
    staff = support.staff(web_gj, ["620702"])
    checker = support.staff(web_gj, ["620702"])
    cert = support.new_id("620702", date(1979, 9, 9))
    login(web, staff.username)

    web.goto("/staff")
    web.get_by_test_id("resident-forms-link").click()
    web.get_by_test_id("new-registration").click()
    form = web.get_by_test_id("registration-form")
    form.get_by_label("姓名", exact=True).fill("慕容复")
    form.get_by_label("身份证件号码", exact=True).fill(cert)
    form.get_by_label("联系电话").fill("13912340000")
    form.get_by_label("省/市/区(县)：区划代码").fill("620702")
    form.get_by_label("村(社区)").fill("燕子坞村")
    form.get_by_label("乡/镇(街道)").fill("梁家墩镇")
    form.get_by_label("普通居民(成年)").check()
    form.get_by_label("特困人员").check()
    form.get_by_label("签字人姓名").fill("慕容复")
    screenshot(web, "resident-registration-form")
    form.get_by_role("button", name="提交登记表").click()

    assert re.search(r"/staff/resident/registrations/\d+\?ok=submitted$", web.url), web.url
    assert web.get_by_test_id("flash").inner_text() == "登记表已提交，等待审核"
    assert web.get_by_test_id("form-status").inner_text() == "待审核"
    fields = web.get_by_test_id("form-fields").inner_text()
    assert "慕容复" in fields and "特困人员" in fields and "普通居民(成年)" in fields
    screenshot(web, "resident-registration-pending")

    # Separation of duties: the clerk who entered it cannot approve it; a second clerk does.
    assert web.get_by_test_id("approve-form").count() == 0 and web.get_by_test_id("four-eyes-note").count() == 1
    form_url = web.url.split("?")[0]
    login(web, checker.username)
    web.goto(form_url)
    web.get_by_test_id("approve-form").get_by_role("button", name="审核通过").click()
    assert web.get_by_test_id("flash").inner_text() == "审核通过，已完成参保登记"
    assert web.get_by_test_id("form-status").inner_text() == "已通过"
    assert "甘州区医疗保障经办机构" in web.get_by_test_id("review-result").inner_text()

    pdf = web.request.get(web.get_by_test_id("pdf-link").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")

    web.get_by_test_id("person-link").click()
    assert web.get_by_test_id("person-name").inner_text() == "慕容复"
    page = web.locator("main").inner_text()
    assert "城乡居民基本医疗保险" in page and "居民（成年）" in page and "正常参保" in page
    screenshot(web, "resident-registration-person")
