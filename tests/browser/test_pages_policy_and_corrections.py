"""政策参数 (the policy profile as Chinese tables, demo figures marked) and the staff corrections:
freezing a personal account and reversing a mistaken posting (冲正), in headless Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from gongji.domain.money import yuan
from gongji.domain.relations import RELATION_ZH
from gongji.entrypoints.web import labels
from gongji.policy.schema import Profile
from tests import support
from tests.browser.conftest import code_of, login, screenshot

pytestmark = pytest.mark.browser


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def at_path(page: Any, path: str) -> Any:
    """The element of one profile group or field, by its dotted path from ``demo_fields()``."""
    return page.locator(f'[data-path="{path}"]')


def pct(permille: int) -> str:
    whole, tenth = divmod(permille, 10)
    return f"{whole}.{tenth}%" if tenth else f"{whole}%"


def assert_every_demo_field_badged(page: Any, profile: Profile) -> None:
    demo = profile.demo_fields()
    for path in demo:
        assert at_path(page, path).get_by_test_id("demo-badge").count() >= 1, path
    # One badge per demo path, and none elsewhere.
    assert page.get_by_test_id("demo-badge").count() == len(demo)


# --- 政策参数 ----------------------------------------------------------------------------------


def test_policy_page_shows_the_active_gansu_profile_from_the_profile_with_demo_badges(web: Any, web_gj: Gongji) -> None:
    profile = web_gj.profile
    assert profile.code == "gansu"
    demo = set(profile.demo_fields())
    staff = support.staff(web_gj, ["620702"])
    login(web, staff.username)

    web.get_by_test_id("nav-policy").click()
    web.wait_for_url(re.compile(r"/policy$"))
    assert web.title().startswith("政策参数")
    assert text_of(web, "policy-name") == profile.name == "甘肃省"
    assert web.get_by_test_id("not-active").count() == 0
    info = text_of(web, "policy-info")
    assert profile.code in info and profile.profile.version in info

    # A sourced premium entry (benefit year 2023): its figures, its source, and no demo badge.
    sourced = profile.premium_for(2023)
    assert f"resident.premium[{sourced.key}]" not in demo
    group = at_path(web, f"resident.premium[{sourced.key}]")
    text = group.inner_text()
    assert f"{yuan(sourced.individual_fen)} 元" in text and f"{yuan(sourced.fiscal_fen)} 元" in text
    assert sourced.collection_end.isoformat() in text
    # cited by title, not by the seed's number (issue 17): "002 §一 …" reads 《甘州区…通知…》 §一 …
    assert sourced.source.startswith("002 §一")
    assert f"来源：《{labels.table()['policy_documents']['002']}》 §一" in text and "002 §" not in text
    assert group.get_by_test_id("demo-badge").count() == 0

    # A demo premium entry (benefit year 2026): badged as a whole group.
    demo_premium = profile.premium_for(2026)
    assert f"resident.premium[{demo_premium.key}]" in demo
    group = at_path(web, f"resident.premium[{demo_premium.key}]")
    assert group.get_by_test_id("demo-badge").count() == 1
    assert f"{yuan(demo_premium.individual_fen)} 元" in group.inner_text()
    assert demo_premium.collection_start is not None
    assert demo_premium.collection_start.isoformat() in group.inner_text()

    # Family mutual aid: funding model and relation kinds in Chinese, demo limits badged one by one.
    family = at_path(web, "family").inner_text()
    assert {"direct": "直接使用历年结余", "allocation": "共济账户划拨"}[profile.family.funding_model] in family
    assert all(RELATION_ZH[kind] in family for kind in profile.family.relation_kinds)
    docs = labels.table()["policy_documents"]
    assert profile.family.source.startswith("000 谁能办")
    assert f"来源：《{docs['000']}》 谁能办" in family and f"《{docs['001']}》 常见问题" in family
    assert at_path(web, "family.funding_model").get_by_test_id("demo-badge").count() == 0
    assert "family.max_active_relatives" in demo
    row = at_path(web, "family.max_active_relatives")
    assert f"{profile.family.max_active_relatives}人" in row.inner_text()
    assert row.get_by_test_id("demo-badge").count() == 1
    assert at_path(web, "family").locator("h3").get_by_test_id("demo-badge").count() == 0  # group itself sourced

    # A benefit rule: deductible, ratio as a percentage and annual cap, from the profile.
    rule = profile.benefit_rule("310", "21", 3)
    row = at_path(web, f"benefit.rule[{rule.key}]")
    cells = row.inner_text()
    assert yuan(rule.deductible_fen) in cells and pct(rule.fund_ratio_permille) in cells
    assert yuan(rule.annual_cap_fen) in cells
    assert row.get_by_test_id("demo-badge").count() == (1 if f"benefit.rule[{rule.key}]" in demo else 0)

    # Subsidies (one source per row; the provincial default amount is demo: seed 002 is 甘州区
    # 2023 only) and a collection target as a percentage.
    subsidy = next(s for s in profile.resident.subsidy if s.code == "dibao_full")
    row = at_path(web, "resident.subsidy[dibao_full]")
    assert subsidy.source.startswith("002 §四")
    assert subsidy.name in row.inner_text() and subsidy.source.replace("002", f"《{docs['002']}》") in row.inner_text()
    assert subsidy.amount_fen is not None and yuan(subsidy.amount_fen) in row.inner_text()
    assert row.get_by_test_id("demo-badge").count() == 1
    sourced = at_path(web, "resident.terms[620702:2023]")
    assert "620702" in sourced.inner_text() and sourced.get_by_test_id("demo-badge").count() == 0
    assert at_path(web, "resident.terms[62:2026]").get_by_test_id("demo-badge").count() == 1
    target = profile.collection.target[0]
    assert pct(target.share_permille) in at_path(web, f"collection.target[{target.key}]").inner_text()

    assert_every_demo_field_badged(web, profile)
    # Readable on a phone: no sideways scrolling of the page or of any table.
    assert web.evaluate("document.documentElement.scrollWidth") <= 390
    overflowing = web.evaluate(
        "[...document.querySelectorAll('.table-wrap')].filter(e => e.scrollWidth > e.clientWidth).length"
    )
    assert overflowing == 0
    screenshot(web, "policy-gansu")


def test_policy_page_shows_another_shipped_profile_as_not_active(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    citizen = support.citizen(web_gj, support.employee(web_gj, staff, name="黄蓉"))
    login(web, citizen.username)  # any logged-in user may read the policy parameters
    zhejiang = web_gj.profiles["zhejiang"]

    response = web.goto("/policy?province=zhejiang")

    assert response.status == 200
    assert text_of(web, "policy-name") == zhejiang.name == "浙江省"
    assert "浙江" in text_of(web, "not-active") and "不是本系统当前执行的配置" in text_of(web, "not-active")
    premium = zhejiang.resident.premium[0]
    assert f"{yuan(premium.individual_fen)} 元" in at_path(web, f"resident.premium[{premium.key}]").inner_text()
    assert_every_demo_field_badged(web, zhejiang)
    screenshot(web, "policy-zhejiang")


def test_every_shipped_profile_marks_each_of_its_demo_fields(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    login(web, staff.username)
    for code, profile in web_gj.profiles.items():
        assert web.goto(f"/policy?province={code}").status == 200
        assert_every_demo_field_badged(web, profile)


def test_an_unknown_province_is_a_chinese_error_with_4xx(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    login(web, staff.username)

    response = web.goto("/policy?province=atlantis")

    assert 400 <= response.status < 500
    error = text_of(web, "error")
    assert "策略配置不存在" in error and code_of(web, "error") == "E_UNKNOWN_CODE"


def test_the_policy_page_needs_a_login(web: Any) -> None:
    web.goto("/policy")
    assert web.url.endswith("/login?next=%2Fpolicy")  # back to the policy page after login


# --- 冻结 / 解冻 ---------------------------------------------------------------------------------


def test_staff_freezes_a_personal_account_then_unfreezes_it(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="郭靖", income_fen=20_000)
    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    assert text_of(web, "account-status") == "正常"

    # The reason is required: a post without one is refused in Chinese and nothing changes.
    refused = web.request.post(
        f"/staff/persons/{person_id}/account/status", form={"action": "freeze", "reason": "", "confirm": "1"}
    )
    assert refused.status == 422 and "请填写原因" in refused.text()
    # Freezing is confirmed: a post without the ticked box is refused and nothing changes (issue 12 Part C).
    unconfirmed = web.request.post(
        f"/staff/persons/{person_id}/account/status", form={"action": "freeze", "reason": "疑似冒用"}
    )
    assert unconfirmed.status == 422 and "勾选确认" in unconfirmed.text()

    web.get_by_text("冻结账户", exact=True).first.click()  # the summary opens the form
    form = web.get_by_test_id("freeze-form")
    assert "合计 200.00 元将不能使用" in text_of(web, "freeze-effect")
    form.get_by_label("原因").fill("疑似冒用，暂停支付")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="冻结账户").click()
    web.wait_for_url(re.compile(r"ok=account_frozen"))
    assert text_of(web, "flash") == "个人账户已冻结"
    assert text_of(web, "account-status") == "已冻结"
    assert text_of(web, "balance-current") == "200.00 元"  # freezing keeps the money
    screenshot(web, "staff-person-frozen")

    web.get_by_text("解冻账户", exact=True).first.click()
    form = web.get_by_test_id("freeze-form")
    form.get_by_label("原因").fill("核实无误，恢复支付")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="解冻账户").click()
    web.wait_for_url(re.compile(r"ok=account_unfrozen"))
    assert text_of(web, "flash") == "个人账户已解冻"
    assert text_of(web, "account-status") == "正常"


# --- 冲正 ----------------------------------------------------------------------------------------


def test_staff_reverses_a_mistaken_income_and_a_second_reversal_is_refused(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="杨过", income_fen=10_000)
    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")

    # The mistake: 499 yuan instead of 49.9 (below the 500-yuan approval threshold: posted at once).
    form = web.get_by_test_id("income-form")
    form.get_by_label("所属月份").fill("2026-11")
    form.get_by_label("金额（元）").fill("499")
    form.get_by_role("button", name="确认入账").click()
    web.wait_for_url(re.compile(r"ok=income"))
    assert text_of(web, "balance-current") == "599.00 元"
    moves = web.get_by_test_id("staff-movement")
    assert moves.count() == 2
    mistaken = moves.filter(has_text="+499.00")
    txn_id = mistaken.get_attribute("data-txn-id")
    assert mistaken.get_by_test_id("reverse-form").count() == 1

    # A second tab keeps the page as it is now, with its own 冲正 form for the same transaction.
    stale = web.context.new_page()
    stale.goto(f"/staff/persons/{person_id}")

    mistaken.get_by_text("冲正此笔").click()
    # What will happen is shown before confirming (issue 12 Part C): the amount and the balance after.
    assert "当年账户 -499.00 元，余额 599.00 → 100.00 元" in " ".join(
        mistaken.get_by_test_id("reverse-effect").inner_text().split()
    )
    mistaken.get_by_label("冲正原因").fill("金额录入错误，应为49.90元")
    mistaken.get_by_role("checkbox").check()
    mistaken.get_by_role("button", name="冲正").click()
    web.wait_for_url(re.compile(r"ok=reversed"))

    assert text_of(web, "flash") == "冲正成功，已生成冲正交易"
    assert text_of(web, "balance-current") == "100.00 元"
    moves = web.get_by_test_id("staff-movement")
    assert moves.count() == 3  # the original stays; the reversal is a new row
    reversal = moves.first
    assert reversal.get_by_test_id("reversal-badge").inner_text() == "冲正"
    assert "-499.00" in reversal.inner_text() and "金额录入错误" in reversal.inner_text()
    assert reversal.get_by_test_id("reverse-form").count() == 0  # a reversal is not reversed
    original = web.locator(f'[data-testid="staff-movement"][data-txn-id="{txn_id}"]')
    assert original.count() == 1
    assert original.get_by_test_id("reversed-badge").inner_text() == "已冲正"
    assert "+499.00" in original.inner_text()
    assert original.get_by_test_id("reverse-form").count() == 0
    screenshot(web, "staff-person-movements-reversed")

    # The stale tab tries to reverse it again: refused in Chinese with its code, 409, not a 500.
    row = stale.locator(f'[data-testid="staff-movement"][data-txn-id="{txn_id}"]')
    row.get_by_text("冲正此笔").click()
    row.get_by_label("冲正原因").fill("重复操作")
    row.get_by_role("checkbox").check()
    with stale.expect_response(lambda r: r.request.method == "POST") as info:
        row.get_by_role("button", name="冲正").click()
    assert info.value.status == 409
    error = text_of(stale, "error")
    assert "该交易已冲正" in error and code_of(stale, "error") == "E_STATE"
    assert text_of(stale, "balance-current") == "100.00 元"
    assert stale.get_by_test_id("staff-movement").count() == 3
    stale.close()


def test_a_double_submitted_reversal_posts_only_once(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    person_id = support.employee(web_gj, staff, name="小龙女", income_fen=30_000)
    login(web, staff.username)
    web.goto(f"/staff/persons/{person_id}")
    row = web.get_by_test_id("staff-movement").first
    txn_id = row.get_attribute("data-txn-id")
    key = row.locator("input[name=reversal_key]").input_value()
    form = {"reason": "入账重复", "reversal_key": key, "confirm": "1"}
    url = f"/staff/persons/{person_id}/transactions/{txn_id}/reverse"
    unconfirmed = web.request.post(url, form={"reason": "入账重复", "reversal_key": key}, max_redirects=0)
    assert unconfirmed.status == 422 and "勾选确认" in unconfirmed.text()  # nothing reversed yet

    first = web.request.post(url, form=form, max_redirects=0)
    second = web.request.post(url, form=form, max_redirects=0)

    assert first.status == 303 and first.headers["location"].endswith("ok=reversed")
    assert second.status == 303 and second.headers["location"].endswith("ok=reversed_replayed")
    web.goto(f"/staff/persons/{person_id}")
    assert text_of(web, "balance-current") == "0.00 元"
    assert web.get_by_test_id("staff-movement").count() == 2


def test_a_transaction_of_another_person_cannot_be_reversed_from_this_page(web: Any, web_gj: Gongji) -> None:
    staff = support.staff(web_gj, ["620702"])
    mine = support.employee(web_gj, staff, name="令狐冲", income_fen=10_000)
    other = support.employee(web_gj, staff, name="任盈盈", income_fen=10_000)
    login(web, staff.username)
    web.goto(f"/staff/persons/{other}")
    txn_id = web.get_by_test_id("staff-movement").first.get_attribute("data-txn-id")

    response = web.request.post(
        f"/staff/persons/{mine}/transactions/{txn_id}/reverse",
        form={"reason": "测试", "reversal_key": "x1", "confirm": "1"},
    )

    assert response.status == 422 and "交易不属于该人员" in response.text()
    web.goto(f"/staff/persons/{other}")
    assert text_of(web, "balance-current") == "100.00 元"
