"""Done-when of the family issue, on the real demo data (issue 3; seeds 000, 003): the demo
citizen1 binds a household relative, allocates and sees members and history; staff_province
revokes citizen4's binding (paid through at a pharmacy by the demo) and collects the money owed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Enrollment, FamilyBinding, HouseholdMember, Person
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.money import yuan
from gongji.services.demo import family as demo_family
from gongji.services.demo import province as demo
from tests.browser.conftest import MOBILE, screenshot, serve
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def family_demo(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser-family-demo.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"))
    demo.generate(gj, province="gansu", persons=400, seed=3)
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def server(family_demo: Gongji) -> Iterator[str]:
    yield from serve(family_demo)


def _page(browser: Any, server: str, username: str) -> Any:
    context = browser.new_context(base_url=server, viewport=MOBILE, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def _household_relative(gj: Gongji) -> tuple[str, str, str]:
    """A relative of citizen1 from the demo household, as citizen1 would know them."""
    with gj.uow() as uow:
        me = uow.session.scalar(select(AppUser.person_id).where(AppUser.username == "citizen1"))
        household = uow.session.scalar(select(HouseholdMember.household_id).where(HouseholdMember.person_id == me))
        rows = uow.session.execute(
            select(Person.name, Person.cert_no, HouseholdMember.relation)
            .join(HouseholdMember, HouseholdMember.person_id == Person.id)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(
                HouseholdMember.household_id == household,
                HouseholdMember.relation.in_(("spouse", "child", "parent", "sibling")),
                Enrollment.status == "normal",
            )
            .order_by(Person.id)
        ).all()
    assert rows, "the demo gives citizen1 a household with insured relatives"
    name, cert, relation = rows[0]
    return name, cert, relation


def test_demo_citizen1_binds_allocates_and_sees_members_and_history(browser: Any, family_demo: Gongji, server: str):
    name, cert, relation = _household_relative(family_demo)
    with family_demo.uow() as uow:
        me = uow.session.scalar(
            select(Person).join(AppUser, AppUser.person_id == Person.id).where(AppUser.username == "citizen1")
        )
        my_name = me.name
    page = _page(browser, server, "citizen1")
    try:
        page.get_by_role("link", name="家庭共济").click()
        page.get_by_label("我已阅读并同意").check()
        page.get_by_role("button", name="确认，下一步").click()
        form = page.get_by_test_id("bind-form")
        form.get_by_label("亲属姓名").fill(name)
        form.get_by_label("亲属身份证号码").fill(cert)
        form.get_by_label("该亲属是您的").select_option(relation)
        form.get_by_label("本人承诺以上内容真实").check()
        form.get_by_label("签名（请输入您本人的完整姓名）").fill(my_name)
        form.get_by_role("button", name="确认绑定").click()
        page.wait_for_url(re.compile(r"/me/family\?ok=bound"))
        assert page.get_by_test_id("member-status").inner_text().strip() == "已绑定"
        assert cert not in page.content()

        page.get_by_test_id("allocate-link").click()
        allocate = page.get_by_test_id("allocate-form")
        allocate.get_by_label("划拨金额（元）").fill("50.00")
        allocate.get_by_role("button", name="下一步：核对划拨").click()
        assert page.get_by_test_id("plan-amount").inner_text().strip() == "50.00"
        page.get_by_role("button", name="确认划拨").click()
        page.wait_for_url(re.compile(r"/me/family\?ok=allocated$"))
        assert page.get_by_test_id("family-balance").inner_text().strip() == "50.00"
        screenshot(page, "family-demo-citizen1-members")

        page.get_by_test_id("history-link").click()
        rows = page.get_by_test_id("history-row").all_inner_texts()
        assert any("共济账户划拨" in r and "+50.00" in r for r in rows)
        screenshot(page, "family-demo-citizen1-history")
        page.goto("/me")  # the account movements name the allocation in Chinese too
        assert "共济账户划拨" in page.content() and "family.allocate" not in page.content()
    finally:
        page.context.close()


def test_demo_staff_revokes_citizen4s_binding_and_collects_the_pharmacy_sale_seed003_4_4(
    browser: Any, family_demo: Gongji, server: str
):
    with family_demo.uow() as uow:
        authorizer = uow.session.scalar(select(AppUser.person_id).where(AppUser.username == "citizen4"))
        binding = uow.session.scalar(select(FamilyBinding).where(FamilyBinding.authorizer_id == authorizer))
        assert binding is not None and binding.status == "active"
    page = _page(browser, server, "staff_province")
    try:
        page.goto(f"/staff/persons/{authorizer}")
        page.get_by_test_id("family-link").click()
        page.get_by_test_id("revoke-link").click()
        assert page.get_by_test_id("plan-owed").inner_text().startswith(yuan(demo_family.PHARMACY_FEN))
        revoke = page.get_by_test_id("revoke-form")
        revoke.get_by_label("终止原因").fill("经核查虚构亲属关系")
        revoke.get_by_label("我已核对以上内容，确认终止并立案追回").check()
        revoke.get_by_role("button", name="确认终止").click()
        page.wait_for_url(re.compile(r"ok=revoked"))
        owed = yuan(demo_family.PHARMACY_FEN)
        assert page.get_by_test_id("case-outstanding").inner_text().strip() == f"{owed} 元"
        collect = page.get_by_test_id("collect-form")
        collect.get_by_label("追回金额（元）").fill(owed)
        collect.get_by_role("button", name="登记追回款").click()
        page.wait_for_url(re.compile(r"ok=collected"))
        assert page.get_by_test_id("case-status").inner_text().strip() == "已追回"
        screenshot(page, "family-demo-staff-recovered")
    finally:
        page.context.close()
