"""The zh-CN pages in real headless Chromium, on a phone-sized (390×844) viewport."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.adapters.db.models import Person
from gongji.bootstrap import Gongji
from gongji.domain.masking import mask_id_number
from gongji.services import auth
from gongji.services.auth import Role
from tests import support
from tests.browser.conftest import code_of, login, screenshot

pytestmark = pytest.mark.browser


def cert_of(gj: Gongji, person_id: int) -> str:
    def go(uow: Any) -> str:
        person = uow.session.get(Person, person_id)
        assert person is not None
        return str(person.cert_no)

    return gj.run(go)


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_citizen_sees_own_balances_with_id_masked_and_whole_id_absent(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="赵敏", income_fen=12_345)
    support.credit_income(web_gj, staff, person_id, 100_000, last_month="2026-11")
    user = support.citizen(web_gj, person_id)
    cert = cert_of(web_gj, person_id)

    login(web, user.username)

    assert web.url.endswith("/me")
    assert web.title().startswith("我的医保")
    assert text_of(web, "balance-current") == "1,123.45"
    assert text_of(web, "balance-past") == "0.00"
    assert text_of(web, "balance-total") == "1,123.45"
    assert text_of(web, "person-name") == "赵*"
    assert text_of(web, "person-cert") == mask_id_number(cert)
    assert re.fullmatch(r"\d{4}\*{10}[\dX]{4}", text_of(web, "person-cert"))
    html = web.content()
    assert cert not in html and cert[6:14] not in html  # not even the birth-date digits
    assert "赵敏" not in html
    enrollment = web.get_by_test_id("enrollment")
    assert "职工基本医疗保险" in enrollment.inner_text()
    assert "甘肃省张掖市甘州区" in enrollment.inner_text()
    assert "正常参保" in enrollment.inner_text()
    assert "在职" in enrollment.inner_text()
    assert web.get_by_test_id("movement").count() == 2
    assert "+1,000.00" in web.get_by_test_id("movement").first.inner_text()  # newest first
    screenshot(web, "citizen-home")


def test_resident_citizen_sees_that_resident_insurance_has_no_personal_account(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.resident(web_gj, staff, name="周芷若")
    user = support.citizen(web_gj, person_id)

    login(web, user.username)

    assert web.get_by_test_id("no-account").inner_text() == "居民医保无个人账户"
    assert web.get_by_test_id("balance-current").count() == 0
    assert "城乡居民基本医疗保险" in web.get_by_test_id("enrollment").inner_text()
    screenshot(web, "citizen-home-resident")


def test_wrong_password_shows_chinese_error_with_401(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    user = support.citizen(web_gj, support.employee(web_gj, staff, name="张无忌"))

    response = login(web, user.username, "wrong-password")

    assert response.status == 401
    assert web.get_by_test_id("error").inner_text().startswith("用户名或密码错误")
    assert web.url.endswith("/login")
    assert web.get_by_label("用户名").input_value() == user.username
    screenshot(web, "login-error")


def test_staff_search_by_name_lists_only_masked_persons_of_own_region(web: Any, web_gj: Gongji) -> None:
    gz_staff = support.staff(web_gj, ["620702"])
    lz_staff = support.staff(web_gj, ["620102"])
    mine = support.employee(web_gj, gz_staff, name="上官仪")
    other = support.resident(web_gj, lz_staff, region="620102", name="上官婉")
    mine_cert, other_cert = cert_of(web_gj, mine), cert_of(web_gj, other)

    login(web, gz_staff.username)
    assert web.url.endswith("/staff")
    assert "甘肃省张掖市甘州区" in web.get_by_test_id("staff-regions").inner_text()
    web.get_by_label("姓名或身份证号").fill("上官")
    web.get_by_role("button", name="查询").click()
    web.get_by_test_id("results").wait_for()
    assert "?" not in web.url  # a search never puts its query in the URL

    results = web.get_by_test_id("result")
    assert results.count() == 1
    row = results.first.inner_text()
    assert "上**" in row and mask_id_number(mine_cert) in row
    assert "甘肃省张掖市甘州区" in row
    html = web.content()
    assert mask_id_number(other_cert) not in html and "城关区" not in html
    assert mine_cert not in html and other_cert not in html
    assert "上官仪" not in html and "上官婉" not in html
    assert web.get_by_role("link", name=re.compile(r"上\*\*")).get_attribute("href") == f"/staff/persons/{mine}"
    screenshot(web, "staff-search")


def test_staff_cannot_open_the_record_of_a_person_of_another_region(web: Any, web_gj: Gongji) -> None:
    gz_staff = support.staff(web_gj, ["620702"])
    lz_staff = support.staff(web_gj, ["620102"])
    other = support.resident(web_gj, lz_staff, region="620102", name="黄药师")

    login(web, gz_staff.username)
    response = web.goto(f"/staff/persons/{other}")

    assert response.status == 403
    error = text_of(web, "error")
    assert code_of(web, "error") == "E_OUT_OF_REGION" and re.search(r"[\u4e00-\u9fff]", error)
    assert cert_of(web_gj, other) not in web.content()


def test_staff_suspends_an_enrollment_and_the_page_shows_suspended(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="段誉", income_fen=5_000)

    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    assert text_of(web, "person-name") == "段誉"  # the whole record, an audited read
    assert text_of(web, "person-cert") == cert_of(web_gj, person_id)
    assert text_of(web, "enrollment-status") == "正常参保"
    web.get_by_text("变更参保状态").click()
    form = web.get_by_test_id("change-form")
    form.get_by_label("操作").select_option("suspend")
    form.get_by_label("原因").fill("单位申请暂停")
    form.get_by_role("button", name="提交变更").click()
    web.wait_for_url(re.compile(r"ok=status"))

    assert text_of(web, "flash") == "参保状态已变更"
    assert text_of(web, "enrollment-status") == "暂停参保"
    screenshot(web, "staff-person-suspended")

    # Suspending again is refused with a Chinese message and its code, status 409, not a 500.
    web.get_by_text("变更参保状态").click()
    form = web.get_by_test_id("change-form")
    form.get_by_label("操作").select_option("suspend")
    with web.expect_response(lambda r: r.request.method == "POST") as info:
        form.get_by_role("button", name="提交变更").click()
    assert info.value.status == 409
    error = text_of(web, "error")
    assert "暂停参保" in error and "不能执行该操作" in error and code_of(web, "error") == "E_STATE"
    assert text_of(web, "enrollment-status") == "暂停参保"


def test_staff_posts_income_in_yuan_and_the_citizen_then_sees_the_new_balance(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="虚竹", income_fen=10_000)
    user = support.citizen(web_gj, person_id)

    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    form = web.get_by_test_id("income-form")
    form.get_by_label("所属月份").fill("2026-11")
    form.get_by_label("金额（元）").fill("256.78")
    form.get_by_role("button", name="确认入账").click()
    web.wait_for_url(re.compile(r"ok=income"))
    assert text_of(web, "flash") == "个人账户入账成功"
    assert text_of(web, "balance-current") == "356.78 元"
    screenshot(web, "staff-person-income")

    web.get_by_role("button", name="退出").click()
    web.wait_for_url(re.compile(r"/login"))
    assert web.context.cookies() == [] or all(c["name"] != "gongji_token" for c in web.context.cookies())
    login(web, user.username)
    assert text_of(web, "balance-current") == "356.78"
    assert text_of(web, "balance-total") == "356.78"


def test_a_double_submitted_income_form_posts_only_once(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="乔峰", income_fen=10_000)

    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    key = web.locator("input[name=idempotency_key]").input_value()
    form = {"month": "2026-11", "kind": "employee_contribution", "amount_yuan": "50.10", "idempotency_key": key}
    first = web.request.post(f"/staff/persons/{person_id}/income", form=form, max_redirects=0)
    second = web.request.post(f"/staff/persons/{person_id}/income", form=form, max_redirects=0)

    assert first.status == 303 and first.headers["location"].endswith("ok=income")
    assert second.status == 303 and second.headers["location"].endswith("ok=income_replayed")
    web.goto(f"/staff/persons/{person_id}")
    assert text_of(web, "balance-current") == "150.10 元"


def test_an_amount_with_a_fraction_of_a_fen_is_refused_and_nothing_is_posted(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="阿朱", income_fen=10_000)

    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    web.get_by_test_id("income-form").get_by_label("金额（元）").fill("10.005")
    with web.expect_response(lambda r: r.request.method == "POST") as info:
        web.get_by_role("button", name="确认入账").click()

    assert info.value.status == 422
    assert "金额最多精确到分" in text_of(web, "error") and code_of(web, "error") == "E_AMOUNT"
    assert text_of(web, "balance-current") == "100.00 元"
    screenshot(web, "staff-person-amount-error")


def test_staff_registers_and_enrolls_a_resident_through_the_form(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    cert = support.new_id("620702")

    login(web, staff.username)
    web.goto("/staff/register")
    form = web.get_by_test_id("register-form")
    form.get_by_label("身份证号码").fill(cert)
    form.get_by_label("姓名").fill("王语嫣")
    form.get_by_label("城乡居民基本医疗保险").check()
    form.get_by_label("居民人员类别").select_option("15")
    screenshot(web, "staff-register")
    form.get_by_role("button", name="登记并参保").click()
    web.wait_for_url(re.compile(r"ok=registered"))

    assert text_of(web, "person-cert") == cert
    assert "城乡居民基本医疗保险" in web.get_by_test_id("enrollment").inner_text()
    assert text_of(web, "enrollment-status") == "正常参保"


def test_auditor_sees_the_audit_log_masked_newest_first(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="李秋水")
    cert = cert_of(web_gj, person_id)

    def make_auditor(uow: Any) -> str:
        user = auth.create_user(
            uow, username=f"auditor{person_id}", password=support.PASSWORD, role=Role.AUDITOR, display_name="审计员"
        )
        uow.commit()
        return str(user.username)

    username = web_gj.run(make_auditor)
    login(web, username)

    assert web.url.endswith("/audit")
    table = web.get_by_test_id("audit-table")
    newest = table.locator("tbody tr").first  # our own login is the newest row
    assert "登录" in newest.inner_text() and "auth.login" not in newest.inner_text()
    assert newest.get_by_test_id("audit-action").get_attribute("title") == "auth.login"  # the code in a tooltip
    html = web.content()
    assert cert not in html and mask_id_number(cert) in html
    screenshot(web, "audit-log")


@pytest.mark.parametrize("path", ["/", "/me", "/staff", "/staff/register", "/staff/persons/1", "/audit"])
def test_a_page_without_login_redirects_to_login(web: Any, path: str) -> None:
    """…and remembers the page to return to after login (issue 13 §4)."""
    from urllib.parse import parse_qs, urlsplit

    web.goto(path)
    url = urlsplit(web.url)
    assert url.path == "/login"
    assert parse_qs(url.query).get("next", ["/"]) == [path]
    assert web.get_by_role("button", name="登录").is_visible()
    if path == "/me":
        screenshot(web, "login")


def test_a_citizen_cannot_open_staff_pages(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    user = support.citizen(web_gj, support.employee(web_gj, staff, name="木婉清"))
    login(web, user.username)

    response = web.goto("/staff")

    assert response.status == 403
    assert "无权访问" in text_of(web, "error")


def test_staff_search_by_whole_id_number_finds_the_person_but_shows_it_masked(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="丁春秋")
    cert = cert_of(web_gj, person_id)

    login(web, staff.username)
    web.get_by_label("姓名或身份证号").fill(cert)
    web.get_by_role("button", name="查询").click()
    web.get_by_test_id("results").wait_for()
    assert cert not in web.url

    assert web.get_by_test_id("result").count() == 1
    assert mask_id_number(cert) in text_of(web, "result")
    assert cert not in web.get_by_test_id("results").inner_html()
