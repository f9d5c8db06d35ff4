"""代缴 pages in headless Chromium on a phone (390×844): the Gansu app's 共济管理 → 个账城乡居民
保险代缴 → 代缴明细 → 缴费证明 (PDF) → public 核验 (seed 000), and the Henan tax app's
职工代缴居民医保费 with the commitment signed in the payment flow (seed 004).

The clock stands at 2026-11-23 10:00: Gansu collects 2027 from 2026-09-01, Henan from 10-10.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.registry import accounts
from gongji.services.resident import views as premium_pages
from tests import support
from tests.browser.conftest import MOBILE, login, screenshot, serve
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser

ZHANGYE_620702 = "620702"  # 甘州区
SHENQIU = "411623"  # 沈丘县 (seed 004)


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_gansu_citizen_pays_a_relatives_premium_sees_the_detail_and_verifies_the_certificate(
    web: Any, web_gj: Gongji, browser: Any, live_server: str
) -> None:
    gj = web_gj
    staff = support.staff(gj, ["620000"])
    aid = support.employee(gj, staff, region=ZHANGYE_620702, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)
    child = support.resident(gj, staff, region=ZHANGYE_620702, name="王小明", birth=date(2012, 3, 3))
    mother = support.resident(gj, staff, region=ZHANGYE_620702, name="王秀英", birth=date(1952, 3, 3))
    user = support.citizen(gj, aid)
    paid_binding = support.bind(gj, user, child, "child")["binding_id"]
    support.allocate(gj, user, paid_binding, 40_000)
    empty_binding = support.bind(gj, user, mother, "parent")["binding_id"]  # nothing allocated

    # 共济管理 → 个账城乡居民保险代缴: both relatives unpaid for 2027, 400.00 each.
    login(web, user.username)
    web.goto("/me/family")
    web.get_by_role("link", name="个账城乡居民保险代缴").click()
    web.wait_for_url(re.compile(r"/me/family/premiums$"))
    assert "2027年度" in text_of(web, "standard") and text_of(web, "standard-amount") == "400.00"
    rows = web.get_by_test_id("premium-relative")
    assert rows.count() == 2
    assert all("未缴费" in t for t in rows.all_inner_texts())
    assert "王小明" not in web.content() and support.person_cert(gj, child) not in web.content()
    screenshot(web, "premium-1-relatives")

    # A relative whose family account is empty: refused in Chinese, nothing paid.
    web.locator(f'[data-binding-id="{empty_binding}"]').get_by_test_id("premium-pay").click()
    web.wait_for_url(re.compile(rf"/me/family/premiums/{empty_binding}/pay$"))
    with web.expect_response(lambda r: r.request.method == "POST") as refused:
        web.get_by_role("button", name="确认代缴").click()
    assert refused.value.status == 409
    assert "代缴未成功" in text_of(web, "refusal") and "余额" in text_of(web, "refusal")
    screenshot(web, "premium-2-refused")

    # The child: confirm (masked, 2027, 400.00) → paid → 代缴明细 for 2027.
    web.goto("/me/family/premiums")
    web.locator(f'[data-binding-id="{paid_binding}"]').get_by_test_id("premium-pay").click()
    web.wait_for_url(re.compile(rf"/me/family/premiums/{paid_binding}/pay$"))
    assert text_of(web, "confirm-name") == "王**"
    assert text_of(web, "confirm-year") == "2027年度" and text_of(web, "confirm-amount") == "400.00"
    screenshot(web, "premium-3-confirm")
    web.get_by_role("button", name="确认代缴").click()
    web.wait_for_url(re.compile(r"/me/family/premiums/history\?year=2027&ok=premium_paid$"))
    assert "代缴成功" in text_of(web, "flash")
    row = web.get_by_test_id("premium-row")
    assert row.count() == 1
    assert text_of(web, "premium-row-name") == "王**" and text_of(web, "premium-row-amount") == "400.00"
    assert text_of(web, "premium-row-status") == "已缴费" and text_of(web, "paid-total") == "400.00"
    screenshot(web, "premium-4-history")

    # 缴费证明: the PDF, for the payer.
    href = web.get_by_test_id("certificate-link").get_attribute("href")
    assert href and href.endswith("/certificate.pdf")
    pdf = web.request.get(href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    payment_id = int(href.split("/")[3])

    # The QR's verification link (the same serial and code the PDF prints), opened without login.
    issued = gj.run(lambda uow: premium_pages.issue_certificate(uow, support.ctx(gj, user), payment_id=payment_id))
    assert issued["issued"] is False  # the page issued it already: the same certificate
    if shutil.which("pdftotext"):  # the PDF prints this code and its verification link
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.body(), capture_output=True, check=True).stdout
        assert issued["code"] in text.decode() and "王**" in text.decode()
    anonymous = browser.new_context(base_url=live_server, viewport=MOBILE, is_mobile=True, locale="zh-CN")
    try:
        page = anonymous.new_page()
        page.goto(f"/verify/{issued['serial']}?code={issued['code']}")
        assert text_of(page, "verify-status") == "真实有效"
        assert text_of(page, "verify-name") == "王**" and text_of(page, "verify-year") == "2027年度"
        assert "400.00" in text_of(page, "verify-amount")
        assert "王小明" not in page.content()
        screenshot(page, "premium-5-verified")
        wrong = issued["code"][:-1] + ("A" if issued["code"][-1] != "A" else "B")
        page.goto(f"/verify/{issued['serial']}?code={wrong}")
        assert text_of(page, "verify-status") == "无法核验"
        assert "王**" not in page.content() and "400.00" not in page.content()
        screenshot(page, "premium-6-unverifiable")
    finally:
        anonymous.close()

    # Back on the list: the child is paid (with the certificate link), no 代缴 button.
    web.goto("/me/family/premiums")
    child_row = web.locator(f'[data-binding-id="{paid_binding}"]')
    assert "已缴费" in child_row.inner_text()
    assert child_row.get_by_test_id("premium-pay").count() == 0
    assert child_row.get_by_test_id("premium-certificate").count() == 1


# --- Henan (seed 004): the commitment is signed in the payment flow --------------------------------


@pytest.fixture(scope="module")
def henan_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser-henan-premium.sqlite3"
    shutil.copy(sqlite_template, path)
    settings = dataclasses.replace(_settings(f"sqlite:///{path}"), province="henan")
    gj = bootstrap(settings, clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)))
    assert gj.profile.family.premium_payment_mode == "commitment_at_payment"
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def henan_server(henan_gj: Gongji) -> Iterator[str]:
    yield from serve(henan_gj)


def test_henan_citizen_confirms_looks_up_fills_signs_and_pays_seed004(
    browser: Any, henan_gj: Gongji, henan_server: str
) -> None:
    gj = henan_gj
    staff = support.staff(gj, ["410000"])
    aid = support.employee(gj, staff, region=SHENQIU, name="赵大伟", birth=date(1980, 5, 1), income_fen=100_000)

    def roll(uow: Any) -> None:  # the family premium is paid from past years' balance (direct)
        accounts.year_end_rollover(uow, support.ctx(gj, staff), year=2025, person_ids=[aid])
        uow.commit()

    gj.run(roll)
    child = support.resident(gj, staff, region=SHENQIU, name="赵小红", birth=date(2012, 3, 3))
    worker = support.employee(gj, staff, region=SHENQIU, name="钱多多")  # not a resident
    user = support.citizen(gj, aid)

    context = browser.new_context(
        base_url=henan_server, viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    web = context.new_page()
    try:
        login(web, user.username)
        web.goto("/me/family/tax-premium")

        # 1. 确认承诺内容
        assert "职工个人账户代缴居民医保费承诺书" in text_of(web, "tax-commitment")  # Henan's own text (004)
        screenshot(web, "premium-henan-1-commitment")
        web.get_by_label("我已阅读并确认承诺内容").check()
        web.get_by_role("button", name="下一步").click()

        # 2. (居民)证件号码 → 居民查询: an employee's number and an unknown one get the same answer.
        neutral = []
        for cert in (support.person_cert(gj, worker), support.new_id(SHENQIU, date(2011, 1, 1))):
            web.get_by_label("(居民)证件号码").fill(cert)
            web.get_by_role("button", name="居民查询").click()
            neutral.append(text_of(web, "lookup-notice"))
            assert web.get_by_test_id("resident-name").count() == 0
        assert neutral[0] == neutral[1] and "未查询到" in neutral[0]
        web.get_by_label("(居民)证件号码").fill(support.person_cert(gj, child))
        web.get_by_role("button", name="居民查询").click()
        assert text_of(web, "resident-name") == "赵**"
        screenshot(web, "premium-henan-2-resident")

        # 3. 代缴年度, 代缴关系, 联系电话 → 保存
        step3 = web.get_by_test_id("tax-step-3")
        step3.get_by_label("代缴年度").select_option("2027")
        step3.get_by_label("代缴关系（该居民是您的）").select_option("child")
        step3.get_by_label("联系电话").fill("13800000000")
        screenshot(web, "premium-henan-3-details")
        step3.get_by_role("button", name="保存").click()

        # 4. 签署承诺书: tick and one's own full name → 确认 → paid, 结果查询 for 2027.
        assert text_of(web, "sign-year") == "2027年度" and text_of(web, "sign-amount") == "400.00"
        sign = web.get_by_test_id("tax-step-4")
        sign.get_by_label("本人承诺以上内容真实").check()
        sign.get_by_label("签名（请输入您本人的完整姓名）").fill("赵大伟")
        screenshot(web, "premium-henan-4-sign")
        sign.get_by_role("button", name="确认代缴").click()
        web.wait_for_url(re.compile(r"/me/family/tax-premium/result\?year=2027&ok=premium_paid$"))
        assert "代缴成功" in text_of(web, "flash")
        assert text_of(web, "premium-row-name") == "赵**" and text_of(web, "premium-row-amount") == "400.00"
        assert text_of(web, "premium-row-status") == "已缴费"
        screenshot(web, "premium-henan-5-result")
        balances = gj.run(lambda uow: accounts.account_balances(uow, aid))
        assert balances is not None and balances["past_years_fen"] == 100_000 - 40_000
    finally:
        context.close()
