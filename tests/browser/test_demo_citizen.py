"""A demo citizen logs in and sees the balances (issue 2, tests that must exist)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Person
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.money import yuan
from gongji.services.demo import province as demo
from gongji.services.registry import accounts
from tests.browser.conftest import MOBILE, screenshot, serve
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "browser-demo.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"))
    demo.generate(gj, province="gansu", persons=300, seed=11)
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def demo_server(demo_gj: Gongji) -> Iterator[str]:
    yield from serve(demo_gj)


def test_demo_citizen1_logs_in_with_the_printed_password_and_sees_the_ledger_balances(
    browser: Any, demo_gj: Gongji, demo_server: str
) -> None:
    with demo_gj.uow() as uow:
        user = uow.session.scalar(select(AppUser).where(AppUser.username == "citizen1"))
        assert user is not None and user.person_id is not None
        balances = accounts.account_balances(uow, user.person_id)
        cert = uow.session.get(Person, user.person_id).cert_no
    assert balances is not None and balances["total_fen"] > 0

    context = browser.new_context(base_url=demo_server, viewport=MOBILE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("用户名").fill("citizen1")
        page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/me")
        assert page.get_by_test_id("balance-current").inner_text().startswith(yuan(balances["current_fen"]))
        assert page.get_by_test_id("balance-past").inner_text().startswith(yuan(balances["past_years_fen"]))
        assert page.get_by_test_id("balance-total").inner_text().startswith(yuan(balances["total_fen"]))
        assert cert not in page.content()
        screenshot(page, "demo-citizen1-home")
    finally:
        context.close()
