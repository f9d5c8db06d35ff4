"""Premium refunds (退费办理, seed 002 §七; 退费核销, seed 003 附件三(二)4) and the full-subsidy roster
(《全额资助对象花名册》, seed 002 §四(二)1) in headless Chromium on a phone (390×844).

The clock stands at 2026-11-23 10:00: Gansu collects 2027 (individual premium 400.00) from
2026-09-01 to 12-31; refunds are asked by 12-30 of the year of payment and not once the benefit
year has begun. The deadline test runs its own server whose clock is moved to 12-31.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.auth import Principal
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import views as P
from tests import support
from tests.browser.conftest import MOBILE, code_of, login, screenshot, serve
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser

ZHANGYE_620702 = "620702"  # 甘州区
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def bank_payment(gj: Gongji, staff: Principal, pid: int, *, year: int = 2027, late: bool = False) -> int:
    """The person paid their own premium at the bank (seed 002 §六), booked by the channel."""
    c = support.ctx(gj, staff)

    def go(uow: Any) -> int:
        paid = premium_channels.record_payment(
            uow,
            c,
            gj.profile,
            cert_no=support.person_cert(gj, pid),
            benefit_year=year,
            amount_fen=40_000,
            channel="bank",
            reference=f"BANK-WEB-{pid}-{year}",
            late=late,
        )
        uow.commit()
        return int(paid["payment_id"])

    return gj.run(go)


def new_page(browser: Any, base_url: str) -> Any:
    context = browser.new_context(
        base_url=base_url, viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def open_refund(web: Any, payment_id: int) -> None:
    """/me → 我的居民医保缴费 → the payment's 申请退费."""
    web.goto("/me")
    web.get_by_test_id("my-premiums-link").click()
    web.wait_for_url(re.compile(r"/me/premiums$"))
    row = web.locator(f'[data-testid="my-payment"][data-payment-id="{payment_id}"]')
    href = row.get_by_test_id("my-certificate-link").get_attribute("href")
    pdf = web.request.get(href)  # 缴费证明 of a bank payment too (seed 000/004: 缴费证明)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    row.get_by_test_id("refund-link").click()
    web.wait_for_url(re.compile(rf"/me/premiums/{payment_id}/refund$"))


def test_refund_of_a_bank_payment_is_quoted_asked_approved_and_shown_refunded_seed002_s7(
    web: Any, web_gj: Gongji, browser: Any, live_server: str
) -> None:
    """Seed 002 §七: the insured person who paid 2027 at the bank asks a refund (参加职工医保) before
    12-30 and before the benefit year: the quote gives back all 400.00 by the original route; the
    request waits (待审核); the agency approves it with a note; the person sees 已退费."""
    gj = web_gj
    staff = support.staff(gj, [ZHANGYE_620702])
    pid = support.resident(gj, staff, region=ZHANGYE_620702, name="韩梅梅", birth=date(1991, 7, 7))
    user = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid)
    support.joined_employee_insurance(gj, staff, pid)  # the 310 enrollment the reason needs

    login(web, user.username)
    open_refund(web, payment_id)
    screenshot(web, "refund-1-form")
    form = web.get_by_test_id("refund-form")
    form.get_by_label("退费原因").select_option(label="参加职工医保")
    form.get_by_label("说明（选填）").fill("已在新单位参加职工医保")
    form.get_by_role("button", name="下一步").click()
    assert text_of(web, "quote-refund") == "400.00"
    assert text_of(web, "quote-route") == "原渠道退回（银行）"
    assert web.get_by_test_id("quote-assistance").count() == 0  # no subsidy: nothing for the fund
    assert "韩梅梅" not in web.content() and support.person_cert(gj, pid) not in web.content()
    screenshot(web, "refund-2-quote")
    web.get_by_role("button", name="确认申请退费").click()
    web.wait_for_url(re.compile(r"/me/premiums\?ok=refund_requested$"))
    assert "退费申请已提交" in text_of(web, "flash")
    row = web.locator(f'[data-testid="my-payment"][data-payment-id="{payment_id}"]')
    assert "待审核" in row.get_by_test_id("refund-status").inner_text()
    assert row.get_by_test_id("refund-link").count() == 0  # one open request per payment
    screenshot(web, "refund-3-requested")

    # The agency (甘州区): 居民参保登记 → 退费审核 (pending count) → the quote → 审核通过.
    desk = new_page(browser, live_server)
    try:
        login(desk, staff.username)
        desk.goto("/staff/resident")
        assert int(text_of(desk, "refunds-pending")) >= 1
        desk.get_by_test_id("refunds-link").click()
        desk.wait_for_url(re.compile(r"/staff/resident/refunds$"))
        item = desk.locator(f'[data-testid="refund-request"][data-payment-id="{payment_id}"]')
        assert "韩**" in item.inner_text() and "参加职工医保" in item.get_by_test_id("refund-reason").inner_text()
        assert item.get_by_test_id("quote-refund").inner_text() == "400.00"
        assert not FULL_ID.search(desk.locator("main").inner_text()), "a whole ID number on the staff list"
        screenshot(desk, "refund-4-review")
        item.get_by_label("审核意见").fill("材料齐全，同意退费")
        item.get_by_role("button", name="审核通过").click()
        # Irreversible: a confirmation page with the amounts first.
        assert text_of(desk, "confirm-refund") == "400.00" and text_of(desk, "confirm-assistance") == "0.00"
        screenshot(desk, "refund-4b-confirm")
        desk.get_by_test_id("refund-approve-confirm").click()
        desk.wait_for_url(re.compile(r"/staff/resident/refunds\?status=requested&ok=refund_approved$"))
        assert "审核通过" in text_of(desk, "flash")
        assert desk.locator(f'[data-testid="refund-request"][data-payment-id="{payment_id}"]').count() == 0
        desk.goto("/staff/resident/refunds?status=approved")
        done = desk.locator(f'[data-testid="refund-request"][data-payment-id="{payment_id}"]')
        assert done.get_by_test_id("refund-status").inner_text() == "已退费"
        assert done.get_by_test_id("refund-paid-back").inner_text() == "400.00 元"
        screenshot(desk, "refund-5-approved")
    finally:
        desk.context.close()

    web.goto("/me/premiums")
    row = web.locator(f'[data-testid="my-payment"][data-payment-id="{payment_id}"]')
    assert row.get_by_test_id("payment-status").inner_text() == "已退费"
    assert "已退费" in row.get_by_test_id("refund-status").inner_text()
    year = web.locator('[data-testid="my-premium"][data-year="2027"]')
    assert year.get_by_test_id("my-premium-status").inner_text() == "已退费"
    assert "-400.00" in year.inner_text()  # the refund movement
    screenshot(web, "refund-6-refunded")


def test_one_open_refund_request_per_payment_a_second_submission_is_refused_seed002_s7(
    web: Any, web_gj: Gongji
) -> None:
    """Seed 002 §七 (one request per payment): the quote is open in two tabs; the first 确认 asks,
    the second is refused with E_DUPLICATE in Chinese and shows the request in progress."""
    gj = web_gj
    staff = support.staff(gj, [ZHANGYE_620702])
    pid = support.resident(gj, staff, region=ZHANGYE_620702, name="李雷", birth=date(1990, 1, 9))
    user = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid)

    login(web, user.username)
    tabs = [web, web.context.new_page()]
    for tab in tabs:
        tab.goto(f"/me/premiums/{payment_id}/refund")
        tab.get_by_label("退费原因").select_option(label="出国定居")
        tab.get_by_role("button", name="下一步").click()
        assert text_of(tab, "quote-refund") == "400.00"
    tabs[0].get_by_role("button", name="确认申请退费").click()
    tabs[0].wait_for_url(re.compile(r"/me/premiums\?ok=refund_requested$"))
    with tabs[1].expect_response(lambda r: r.request.method == "POST") as second:
        tabs[1].get_by_role("button", name="确认申请退费").click()
    assert second.value.status == 409
    assert "该笔缴费已提交退费申请" in text_of(tabs[1], "error") and code_of(tabs[1], "error") == "E_DUPLICATE"
    assert "待审核" in text_of(tabs[1], "refund-open")
    assert tabs[1].get_by_test_id("refund-form").count() == 0
    screenshot(tabs[1], "refund-7-duplicate")


def test_no_refund_once_the_benefit_year_has_begun_seed002_s7(web: Any, web_gj: Gongji) -> None:
    """Seed 002 §七 待遇享受期开始后 … 个人缴费不再退回: 2026's premium (paid late, 中途参保) shows
    E_RESIDENT_REFUND_BENEFIT_STARTED in Chinese, and no form to ask."""
    gj = web_gj
    staff = support.staff(gj, [ZHANGYE_620702])
    pid = support.resident(gj, staff, region=ZHANGYE_620702, name="林涛", birth=date(1985, 2, 2))
    user = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid, year=2026, late=True)

    login(web, user.username)
    open_refund(web, payment_id)
    assert "待遇享受期开始后，个人缴费不再退回" in text_of(web, "refusal")
    assert code_of(web, "refusal") == "E_RESIDENT_REFUND_BENEFIT_STARTED"
    assert web.get_by_test_id("refund-form").count() == 0
    screenshot(web, "refund-8-benefit-started")


# --- the yearly deadline (12-30 of the year of payment), on a server whose clock moves -----------------


@pytest.fixture(scope="module")
def late_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser-refund-deadline.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"), clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)))
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def late_server(late_gj: Gongji) -> Iterator[str]:
    yield from serve(late_gj)


def test_refund_asked_after_the_deadline_is_refused_seed002_s7(browser: Any, late_gj: Gongji, late_server: str) -> None:
    """Seed 002 §七 退费截止时间为…12月30日: paid 2027 at the bank on 2026-11-23; on 12-31 the refund
    page shows E_RESIDENT_REFUND_DEADLINE in Chinese instead of the form."""
    gj = late_gj
    staff = support.staff(gj, [ZHANGYE_620702])
    pid = support.resident(gj, staff, region=ZHANGYE_620702, name="赵敏", birth=date(1992, 12, 1))
    user = support.citizen(gj, pid)
    payment_id = bank_payment(gj, staff, pid)
    clock = gj.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=38))  # 2026-12-31 10:00
    assert clock.today() == date(2026, 12, 31)

    web = new_page(browser, late_server)
    try:
        login(web, user.username)
        open_refund(web, payment_id)
        assert "已超过本年度退费截止时间" in text_of(web, "refusal")
        assert code_of(web, "refusal") == "E_RESIDENT_REFUND_DEADLINE"
        assert web.get_by_test_id("refund-form").count() == 0
        screenshot(web, "refund-9-deadline")
    finally:
        web.context.close()


# --- a premium paid from the family account: its payer asks (seed 003 附件三(二)4) -------------------------


def test_family_account_premium_refund_is_asked_by_its_payer_from_the_detail_seed002_s7(
    web: Any, web_gj: Gongji
) -> None:
    """Seed 002 §七 with seed 003 附件三(二)4 (由授权人发起, 原渠道返还): the authorizer who paid a
    relative's 2027 premium from the family account finds 申请退费 on the 代缴明细 row; the quote
    sends 400.00 back to the family account; the request is listed on 我的居民医保缴费."""
    gj = web_gj
    staff = support.staff(gj, ["620000"])
    aid = support.employee(gj, staff, region=ZHANGYE_620702, name="诸葛亮", birth=date(1975, 5, 1), income_fen=100_000)
    child = support.resident(gj, staff, region=ZHANGYE_620702, name="诸葛瞻", birth=date(2010, 3, 3))
    user = support.citizen(gj, aid)
    binding = support.bind(gj, user, child, "child")["binding_id"]
    support.allocate(gj, user, binding, 40_000)
    c = support.ctx(gj, user)

    def pay(uow: Any) -> dict[str, Any]:
        answer = P.pay_for_binding(uow, c, gj.profile, binding_id=binding, benefit_year=2027, key="refund-web-family")
        uow.commit()
        return answer

    assert gj.run(pay)["status"] == "paid"

    login(web, user.username)
    web.goto("/me/family/premiums/history?year=2027")
    row = web.get_by_test_id("premium-row")
    assert row.count() == 1
    payment_id = int(row.get_attribute("data-payment-id") or 0)
    row.get_by_test_id("refund-link").click()
    web.wait_for_url(re.compile(rf"/me/premiums/{payment_id}/refund$"))
    web.get_by_label("退费原因").select_option(label="出国定居")
    web.get_by_role("button", name="下一步").click()
    assert text_of(web, "quote-refund") == "400.00"
    assert text_of(web, "quote-route") == "原渠道退回（家庭共济账户）"
    assert "诸葛瞻" not in web.content()
    web.get_by_role("button", name="确认申请退费").click()
    web.wait_for_url(re.compile(r"/me/premiums\?ok=refund_requested$"))
    family = web.locator(f'[data-testid="family-payment"][data-payment-id="{payment_id}"]')
    assert "待审核" in family.get_by_test_id("refund-status").inner_text()
    assert family.get_by_test_id("refund-link").count() == 0
    screenshot(web, "refund-10-family")
    web.goto("/me/family/premiums/history?year=2027")
    assert web.get_by_test_id("premium-row").get_by_test_id("refund-link").count() == 0
    assert "待审核" in web.get_by_test_id("premium-row").inner_text()


# --- the full-subsidy roster (seed 002 §四(二)1) ---------------------------------------------------------


def test_roster_all_or_nothing_keeps_nothing_with_a_bad_row_then_valid_only_is_approved_by_a_second_clerk_seed002_s4(
    web: Any, web_gj: Gongji
) -> None:
    """Seed 002 §四(二)1 (全额资助对象花名册, 批量导入代缴): a CSV with one ID number whose check digit
    is wrong — 全部成功才导入 lists that row with its reason and keeps nothing; 仅导入正确行 keeps the
    roster for approval with the true total (800.00), nothing paid; a second clerk (issue 12 Part C,
    separation of duties) sees the amounts, confirms and approves: the two good rows' 2027 premium
    is paid (channel batch) from the medical-assistance fund."""
    gj = web_gj
    staff = support.staff(gj, [ZHANGYE_620702])
    checker = support.staff(gj, [ZHANGYE_620702])
    good = [
        support.resident(gj, staff, region=ZHANGYE_620702, name="司马懿", birth=date(1966, 6, 6)),
        support.resident(gj, staff, region=ZHANGYE_620702, name="司马昭", birth=date(1968, 8, 8)),
    ]
    certs = [support.person_cert(gj, pid) for pid in good]
    bad = certs[0][:17] + ("0" if certs[0][17] != "0" else "1")
    data = f"姓名,身份证号码\n司马懿,{certs[0]}\n司马师,{bad}\n司马昭,{certs[1]}\n".encode()
    roster = {"name": "roster.csv", "mimeType": "text/csv", "buffer": data}

    def status(pid: int) -> dict[str, Any]:
        c = support.ctx(gj, staff)
        return gj.run(lambda uow: premium_channels.payment_status(uow, c, gj.profile, person_id=pid, benefit_year=2027))

    login(web, staff.username)
    web.goto("/staff/resident")
    web.get_by_test_id("roster-link").click()
    web.wait_for_url(re.compile(r"/staff/resident/roster$"))
    form = web.get_by_test_id("roster-form")
    form.get_by_label("待遇年度").select_option("2027")
    form.get_by_label("资助类别").select_option(label="特困人员")
    form.get_by_label("花名册文件").set_input_files(roster)
    form.get_by_label("全部成功才导入").check()
    form.get_by_role("button", name="上传并校验").click()

    assert text_of(web, "roster-imported") == "有问题行，未保存（全部导入或全部不导入）"
    assert (text_of(web, "roster-rows"), text_of(web, "roster-accepted"), text_of(web, "roster-bad")) == ("3", "2", "1")
    bad_row = web.locator('[data-testid="roster-row"][data-row="3"]')
    assert bad_row.get_attribute("data-accepted") == "0"
    assert "身份证号码有误" in bad_row.inner_text() and "身份证号码校验位错误" in bad_row.inner_text()
    assert "司**" in bad_row.inner_text()
    report = web.get_by_test_id("roster-report").inner_text()
    assert "司马懿" not in report and certs[0] not in report and not FULL_ID.search(report)
    assert all(status(pid)["status"] == "unpaid" for pid in good)
    screenshot(web, "roster-1-all-or-nothing")

    form = web.get_by_test_id("roster-form")
    form.get_by_label("花名册文件").set_input_files(roster)  # a file input is never kept
    form.get_by_label("仅导入正确行").check()
    form.get_by_role("button", name="上传并校验").click()
    assert text_of(web, "roster-imported") == "待审核"
    assert text_of(web, "roster-premium-paid") == "800.00 元"  # what approval will pay, not 0.00
    assert web.locator('[data-testid="roster-row"][data-row="2"]').get_attribute("data-accepted") == "1"
    assert web.locator('[data-testid="roster-row"][data-row="3"]').get_attribute("data-accepted") == "0"
    assert all(status(pid)["status"] == "unpaid" for pid in good)  # nothing moves at upload
    assert "本人上传，须由另一名工作人员审核" in text_of(web, "roster-pending")
    screenshot(web, "roster-2-pending")

    web.context.clear_cookies()
    login(web, checker.username)
    web.goto("/staff/resident/roster")
    web.get_by_test_id("roster-review-link").click()
    assert text_of(web, "confirm-premium") == "800.00"
    review = web.get_by_test_id("roster-review-form")
    review.get_by_label("审核意见").fill("复核无误")
    review.get_by_test_id("roster-confirm").check()
    review.get_by_test_id("roster-approve").click()
    web.wait_for_url(re.compile(r"/staff/resident/roster\?ok=approved$"))
    assert "花名册已审核通过" in text_of(web, "flash")
    for pid in good:
        s = status(pid)
        assert (s["status"], s["channel"]) == ("paid", "batch")
    screenshot(web, "roster-3-approved")
