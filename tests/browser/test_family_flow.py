"""家庭共济 (family mutual aid) pages in headless Chromium on a phone (390×844): the citizen's
five steps of the Gansu app (seed 000), a refused binding, and staff stopping a fraudulent
binding after a confirmation with amounts, collecting, a write-off approved by a second clerk and
the credit entries (seed 003 四(四)).

The server's database is shared by the whole session: every test makes its own persons.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import FamilyBinding
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import IdentityMismatch
from gongji.domain.masking import mask_id_number
from gongji.services import ledger
from gongji.services.family import allocation as family_allocation
from gongji.services.family import payment as family_payment
from gongji.services.registry import accounts
from tests import support
from tests.browser.conftest import MOBILE, code_of, login, screenshot, serve
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser

ZHANGYE_620702 = "620702"  # 甘州区
XIHU = "330106"  # 杭州市西湖区


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def bindings_of(gj: Gongji, authorizer_id: int) -> int:
    def go(uow: Any) -> int:
        q = select(func.count()).select_from(FamilyBinding).where(FamilyBinding.authorizer_id == authorizer_id)
        return int(uow.session.scalar(q) or 0)

    return gj.run(go)


def balances_of(gj: Gongji, person_id: int) -> dict[str, int]:
    result = gj.run(lambda uow: accounts.account_balances(uow, person_id))
    assert result is not None
    return result


def family_people(gj: Gongji, authorizer: str, relative: str) -> tuple[Any, int, int]:
    """Staff of the province; an employee of 甘州区 with 1,000.00 yuan (current year) and a
    citizen login; their child, a resident of 甘州区."""
    staff = support.staff(gj, ["620000"])
    aid = support.employee(
        gj, staff, region=ZHANGYE_620702, name=authorizer, birth=date(1980, 5, 1), income_fen=100_000
    )
    rid = support.resident(gj, staff, region=ZHANGYE_620702, name=relative, birth=date(2012, 3, 3))
    return staff, aid, rid


def test_citizen_walks_the_five_steps_agreement_bind_members_allocate_history_unbind(web: Any, web_gj: Gongji) -> None:
    assert web_gj.profile.family.funding_model == "allocation"  # Gansu: 共济账户划拨
    _staff, aid, child = family_people(web_gj, "王建国", "王小明")
    user = support.citizen(web_gj, aid)
    child_cert = support.person_cert(web_gj, child)

    # 1. 我的医保 → 【家庭共济】
    login(web, user.username)
    assert web.url.endswith("/me")
    screenshot(web, "family-1-home")
    web.get_by_role("link", name="家庭共济").click()
    web.wait_for_url(re.compile(r"/me/family$"))

    # 2. First use: the agreement and the Q&A, confirmed once.
    assert "家庭共济承诺协议" in text_of(web, "agreement")
    qa = text_of(web, "qa")
    assert "问：谁可以发起家庭共济？" in qa and "答：" in qa
    screenshot(web, "family-2-agreement")
    web.get_by_label("我已阅读并同意").check()
    web.get_by_role("button", name="确认，下一步").click()
    web.wait_for_url(re.compile(r"/me/family/bind\?ok=agreed"))

    # 3. The bind form: name, ID number, relation, the commitment signed with one's own name.
    assert "已确认" in text_of(web, "flash")
    assert "家庭共济承诺书" in text_of(web, "commitment")
    form = web.get_by_test_id("bind-form")
    form.get_by_label("亲属姓名").fill("王小明")
    form.get_by_label("亲属身份证号码").fill(child_cert)
    form.get_by_label("该亲属是您的").select_option("child")
    form.get_by_label("本人承诺以上内容真实").check()
    form.get_by_label("签名（请输入您本人的完整姓名）").fill("王建国")
    screenshot(web, "family-3-bind")
    form.get_by_role("button", name="确认绑定").click()
    web.wait_for_url(re.compile(r"/me/family\?ok=bound"))

    # 4. The member list: the relative masked, 已绑定, an empty family account.
    assert text_of(web, "flash") == "绑定成功，已添加共济亲属"
    member = web.get_by_test_id("member")
    assert member.count() == 1
    assert text_of(web, "member-name") == "王**"
    assert text_of(web, "member-cert") == mask_id_number(child_cert)
    assert "子女" in member.inner_text()
    assert text_of(web, "member-status") == "已绑定"
    assert text_of(web, "family-balance") == "0.00"
    html = web.content()
    assert child_cert not in html and "王小明" not in html and "王建国" not in html
    screenshot(web, "family-4-members")

    # 5a. 共济账户划拨: 100.00 yuan into the relative's family account.
    web.get_by_test_id("allocate-link").click()
    web.wait_for_url(re.compile(r"/me/family/allocate$"))
    assert text_of(web, "balance-current") == "1,000.00"
    allocate = web.get_by_test_id("allocate-form")
    assert "王**（子女）" in allocate.get_by_label("共济亲属").inner_text()
    allocate.get_by_label("划拨金额（元）").fill("100.00")
    screenshot(web, "family-5-allocate")
    allocate.get_by_role("button", name="下一步：核对划拨").click()
    # Part C: the confirmation says how much leaves which account and where it goes; nothing moved yet.
    assert text_of(web, "plan-amount") == "100.00"
    assert web.get_by_test_id("plan-draw").all_inner_texts() == ["当年账户：100.00 元"]
    assert "王**（子女）" in text_of(web, "allocate-plan")
    assert text_of(web, "plan-family-after") == "0.00 元 → 100.00 元"
    assert balances_of(web_gj, aid)["current_fen"] == 100_000
    screenshot(web, "family-5b-allocate-confirm")
    web.get_by_role("button", name="确认划拨").click()
    web.wait_for_url(re.compile(r"/me/family\?ok=allocated$"))
    assert text_of(web, "flash") == "共济账户划拨成功"
    assert text_of(web, "family-balance") == "100.00"
    assert balances_of(web_gj, aid)["current_fen"] == 90_000
    screenshot(web, "family-6-allocated")

    # 5b. 共济明细: the allocation, out of the current-year account and into the family account.
    web.get_by_test_id("history-link").click()
    web.wait_for_url(re.compile(r"/me/family/history$"))
    rows = [str(t) for t in web.get_by_test_id("history-row").all_inner_texts()]
    assert len(rows) == 2 and all("共济账户划拨" in r for r in rows)
    assert any("+100.00" in r and "共济账户" in r for r in rows)
    assert any("-100.00" in r and "当年账户" in r and "900.00" in r for r in rows)
    screenshot(web, "family-7-history")

    # 4 again: unbind (confirmed by a tick); the family balance goes back to the past-years account.
    web.get_by_role("link", name="← 返回成员列表").click()
    web.wait_for_url(re.compile(r"/me/family$"))
    web.get_by_test_id("member-detail").click()
    web.wait_for_url(re.compile(r"/me/family/bindings/\d+$"))
    assert "先解除" in text_of(web, "change-note")
    unbind = web.get_by_test_id("unbind-form")
    unbind.get_by_label("我确认解除与该亲属的家庭共济关系").check()
    screenshot(web, "family-8-unbind")
    unbind.get_by_role("button", name="解除绑定").click()
    web.wait_for_url(re.compile(r"/me/family\?ok=unbound$"))
    assert text_of(web, "flash") == "已解除共济绑定关系"
    assert text_of(web, "member-status") == "已解除"
    assert text_of(web, "family-balance") == "0.00"
    assert balances_of(web_gj, aid) == {"current_fen": 90_000, "past_years_fen": 10_000, "total_fen": 100_000}
    screenshot(web, "family-9-unbound")

    web.get_by_test_id("history-link").click()
    kinds = [str(t) for t in web.get_by_test_id("history-kind").all_inner_texts()]
    assert kinds[0] == "共济账户余额退回"


def test_a_double_submitted_allocation_moves_money_once(web: Any, web_gj: Gongji) -> None:
    _staff, aid, child = family_people(web_gj, "赵大海", "赵小溪")
    user = support.citizen(web_gj, aid)
    binding = support.bind(web_gj, user, child, "child")

    login(web, user.username)
    web.goto(f"/me/family/allocate?binding={binding['binding_id']}")
    key = web.locator("input[name=idempotency_key]").input_value()
    form = {"binding_id": str(binding["binding_id"]), "amount_yuan": "12.34", "idempotency_key": key}
    preview = web.request.post("/me/family/allocate", form=form, max_redirects=0)
    assert preview.status == 200 and balances_of(web_gj, aid)["current_fen"] == 100_000  # only the confirmation
    form["confirm"] = "1"
    first = web.request.post("/me/family/allocate", form=form, max_redirects=0)
    second = web.request.post("/me/family/allocate", form=form, max_redirects=0)

    assert first.status == 303 and first.headers["location"].endswith("ok=allocated")
    assert second.status == 303 and second.headers["location"].endswith("ok=allocated_replayed")
    web.goto(second.headers["location"])
    assert "已处理过" in text_of(web, "flash")
    assert text_of(web, "family-balance") == "12.34"
    assert balances_of(web_gj, aid)["current_fen"] == 100_000 - 1_234


def test_a_name_that_does_not_match_the_id_number_is_refused_in_chinese_and_binds_nothing(
    web: Any, web_gj: Gongji
) -> None:
    _staff, aid, relative = family_people(web_gj, "李国强", "李小红")
    user = support.citizen(web_gj, aid)
    support.accept_agreement(web_gj, user)
    cert = support.person_cert(web_gj, relative)

    login(web, user.username)
    web.get_by_role("link", name="家庭共济").click()
    web.get_by_test_id("add-relative").click()
    web.wait_for_url(re.compile(r"/me/family/bind$"))
    form = web.get_by_test_id("bind-form")
    form.get_by_label("亲属姓名").fill("李小虹")  # not the registered name
    form.get_by_label("亲属身份证号码").fill(cert)
    form.get_by_label("该亲属是您的").select_option("child")
    form.get_by_label("本人承诺以上内容真实").check()
    form.get_by_label("签名（请输入您本人的完整姓名）").fill("李国强")
    with web.expect_response(lambda r: r.request.method == "POST") as info:
        form.get_by_role("button", name="确认绑定").click()

    assert info.value.status == IdentityMismatch.http_status == 422
    error = text_of(web, "error")
    assert IdentityMismatch.message_zh in error and code_of(web, "error") == "E_FAMILY_IDENTITY"
    # What was typed is kept to be corrected; the signature is signed again.
    form = web.get_by_test_id("bind-form")
    assert form.get_by_label("亲属姓名").input_value() == "李小虹"
    assert form.get_by_label("该亲属是您的").input_value() == "child"
    assert form.get_by_label("签名（请输入您本人的完整姓名）").input_value() == ""
    assert "李小红" not in web.content()  # the registered name is never revealed
    screenshot(web, "family-bind-identity-error")

    assert bindings_of(web_gj, aid) == 0
    web.goto("/me/family")
    assert web.get_by_test_id("member").count() == 0
    assert web.get_by_test_id("no-members").is_visible()


def test_staff_revoke_confirms_amounts_then_collects_and_a_second_clerk_writes_off_seed003_4_4(
    web: Any, web_gj: Gongji
) -> None:
    staff, aid, relative = family_people(web_gj, "孙志远", "孙小梅")
    user = support.citizen(web_gj, aid)
    binding_id = support.bind(web_gj, user, relative, "child")["binding_id"]
    pharmacy = f"external:test-pharmacy:{binding_id}"  # stands in for a designated pharmacy

    def allocate_and_pay(uow: Any) -> dict[str, Any]:
        family_allocation.allocate(
            uow,
            support.ctx(web_gj, user),
            web_gj.profile,
            binding_id=binding_id,
            amount_fen=20_000,
            idempotency_key=f"browser-allocate-{binding_id}",
        )
        ledger.ensure_account(
            uow, code=pharmacy, kind=L.AccountKind.EXTERNAL, now=web_gj.clock.now(), region_code=ZHANGYE_620702
        )
        paid = family_payment.pay(
            uow,
            support.ctx(web_gj, staff),
            web_gj.profile,
            relative_id=relative,
            amount_fen=3_050,
            use="pharmacy_drugs",
            payee_account=pharmacy,
            idempotency_key=f"browser-pay-{binding_id}",
            institution_region=ZHANGYE_620702,
        )
        uow.commit()
        return paid.body

    paid = web_gj.run(allocate_and_pay)
    assert paid["family_fen"] == 3_050 and paid["own_fen"] == 0 and paid["cash_fen"] == 0

    login(web, staff.username)
    web.goto(f"/staff/persons/{aid}")
    web.get_by_test_id("family-link").click()
    web.wait_for_url(re.compile(rf"/staff/persons/{aid}/family$"))
    row = web.get_by_test_id("staff-binding")
    assert row.count() == 1
    assert text_of(web, "binding-status") == "已绑定"
    assert text_of(web, "paid") == "30.50 元"
    html = web.content()
    for whole in ("孙志远", "孙小梅", support.person_cert(web_gj, aid), support.person_cert(web_gj, relative)):
        assert whole not in html
    screenshot(web, "family-staff-1-bindings")

    # 违规终止: the confirmation page says what will happen, with amounts, before anything is written.
    web.get_by_test_id("revoke-link").click()
    web.wait_for_url(re.compile(rf"/family/bindings/{binding_id}/revoke$"))
    assert "169.50" in text_of(web, "plan-revoked")  # 200.00 allocated − 30.50 paid goes back
    assert text_of(web, "plan-returned") == "169.50 元"
    assert text_of(web, "plan-owed").startswith("30.50 元")
    assert web.get_by_test_id("plan-stopped-none").is_visible()
    screenshot(web, "family-staff-2-revoke-confirm")
    assert text_of_binding_status(web_gj, binding_id) == "active"  # nothing written yet
    revoke = web.get_by_test_id("revoke-form")
    revoke.get_by_label("终止原因").fill("经核查虚构亲属关系")
    revoke.get_by_label("我已核对以上内容，确认终止并立案追回").check()
    revoke.get_by_role("button", name="确认终止").click()
    web.wait_for_url(re.compile(r"/staff/family/recoveries/\d+\?ok=revoked"))
    assert text_of(web, "case-status") == "待追回"
    assert text_of(web, "case-outstanding") == "30.50 元"

    # 追回: a collection of 10.00, then a write-off asked by this clerk waits for a second one.
    collect = web.get_by_test_id("collect-form")
    collect.get_by_label("追回金额（元）").fill("10.00")
    collect.get_by_role("button", name="登记追回款").click()
    web.wait_for_url(re.compile(r"ok=collected"))
    assert text_of(web, "case-status") == "部分追回"
    assert text_of(web, "case-outstanding") == "20.50 元"
    write_off = web.get_by_test_id("write-off-form")
    write_off.get_by_label("核销原因").fill("当事人无力偿还")
    write_off.get_by_role("button", name="申请核销").click()
    web.wait_for_url(re.compile(r"ok=write_off_requested"))
    assert web.get_by_test_id("needs-second").is_visible()
    assert web.get_by_test_id("approve-form").count() == 0
    screenshot(web, "family-staff-3-case")

    checker = support.staff(web_gj, ["620700"])
    login(web, checker.username)
    web.goto("/staff/family/recoveries")
    assert "20.50" in text_of(web, "case-outstanding")
    web.get_by_test_id("recovery-case").get_by_role("link").first.click()
    web.get_by_role("button", name=re.compile("审核通过")).click()
    web.wait_for_url(re.compile(r"ok=written_off"))
    assert text_of(web, "case-status") == "已核销"
    assert text_of(web, "case-written-off") == "20.50 元"

    # Both parties have a credit entry (纳入医保信用管理); the binding page names the case.
    web.goto(f"/staff/persons/{aid}/family")
    assert text_of(web, "binding-status") == "已终止（违规）"
    assert "已核销" in text_of(web, "binding-case")
    assert "30.50 元" in text_of(web, "credit-record")
    web.goto(f"/staff/persons/{relative}/family")
    assert "30.50 元" in text_of(web, "credit-record")


def text_of_binding_status(gj: Gongji, binding_id: int) -> str:
    return str(gj.run(lambda uow: uow.session.get(FamilyBinding, binding_id).status))


# --- a "direct" province (Zhejiang, seed 003): no family account, nothing to allocate ----------


@pytest.fixture(scope="module")
def zhejiang_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser-zhejiang.sqlite3"
    shutil.copy(sqlite_template, path)
    settings = dataclasses.replace(_settings(f"sqlite:///{path}"), province="zhejiang")
    gj = bootstrap(settings, clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)))
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def zhejiang_server(zhejiang_gj: Gongji) -> Iterator[str]:
    yield from serve(zhejiang_gj)


def test_a_direct_profile_hides_the_family_account_and_refuses_allocation(
    browser: Any, zhejiang_gj: Gongji, zhejiang_server: str
) -> None:
    gj = zhejiang_gj
    assert gj.profile.family.funding_model == "direct"
    staff = support.staff(gj, ["330000"])
    aid = support.employee(gj, staff, region=XIHU, name="钱塘生", birth=date(1980, 5, 1), income_fen=100_000)
    child = support.resident(gj, staff, region=XIHU, name="钱小溪", birth=date(2012, 3, 3))
    user = support.citizen(gj, aid)
    support.bind(gj, user, child, "child")

    context = browser.new_context(base_url=zhejiang_server, viewport=MOBILE, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, user.username)
        page.get_by_role("link", name="家庭共济").click()
        page.wait_for_url(re.compile(r"/me/family$"))
        assert text_of(page, "member-status") == "已绑定"
        assert page.get_by_test_id("family-balance").count() == 0
        assert page.get_by_test_id("allocate-link").count() == 0
        assert "共济账户划拨" not in page.content()
        assert "历年账户结余" in text_of(page, "manage")
        screenshot(page, "family-direct-members")

        response = page.goto("/me/family/allocate")
        assert response is not None and response.status == 422
        assert code_of(page, "error") == "E_FAMILY_MODEL"
    finally:
        context.close()
