"""Every citizen page works on a 360×740 phone (issue 17, "Citizens (phone first)").

Each demo citizen logs in and walks every page reachable from 我的医保 by links (GET, same
site, no PDFs), and the forms they open: on each page nothing scrolls sideways
(``document.documentElement.scrollWidth <= innerWidth``, measured in Chromium) and every tap
target is at least 44×44 px. The township window's 附件2 form (seed 002 三.3) is walked too:
the clerk fills it on a tablet or phone at the counter.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gongji.bootstrap import bootstrap
from gongji.services.demo import province as demo
from tests.browser.conftest import serve
from tests.browser.phone import login_demo as _login
from tests.browser.phone import overflow, phone_context, small_targets
from tests.conftest import TEST_VAR, _settings

pytestmark = pytest.mark.browser

CITIZEN_PREFIXES = ("/me", "/password", "/verify")
MAX_PAGES = 60
EVERYONE_REACHES = {
    "/me/code",
    "/me/family",
    "/me/messages",
    "/me/documents",
    "/me/premiums",
    "/me/offsite",
    "/me/offsite/new",
    "/me/chronic/new",
    "/me/onething",
    "/me/onething/new",
    "/password",
}


def _problems(page: Any, where: str) -> list[str]:
    found = []
    if (px := overflow(page)) > 0:
        found.append(f"{where}: scrolls sideways by {px}px")
    found += [f"{where}: tap target {t}" for t in small_targets(page)]
    return found


def _walk(page: Any, start: str) -> tuple[set[str], list[str]]:
    """Breadth-first over the citizen's links from ``start``; returns the paths seen and problems."""
    queue, seen, problems = [start], set(), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.goto(path)
        problems += _problems(page, path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(CITIZEN_PREFIXES) or parts.path.endswith(".pdf"):
                continue
            if "/pdf" in parts.path or parts.path.endswith((".xlsx", ".csv")):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return seen, problems


@pytest.mark.parametrize("username", ["citizen1", "citizen2", "citizen3", "citizen4", "citizen5"])
def test_every_citizen_page_fits_a_360_phone_with_44px_tap_targets(
    browser: Any, phone_server: str, username: str
) -> None:
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, username)
        assert urlsplit(page.url).path == "/me", f"{username} did not land on 我的医保"
        seen, problems = _walk(page, "/me")
        assert "/me" in seen and len(seen) >= 5, sorted(seen)
        assert EVERYONE_REACHES <= seen, sorted(EVERYONE_REACHES - seen)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_login_password_and_verify_pages_fit_a_360_phone(browser: Any, phone_server: str) -> None:
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        problems: list[str] = []
        for path in ("/login", "/password/reset", "/verify/62202700000001"):
            page.goto(path)
            problems += _problems(page, path)
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_township_change_form_fits_a_360_phone(browser: Any, phone_server: str) -> None:
    """附件2 《信息变更登记表》 (seed 002 三.3) at the counter: six rows, each one usable on a phone."""
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "staff_620100")
        page.goto("/staff/resident/changes/new")
        problems = _problems(page, "/staff/resident/changes/new")
        assert not problems, "\n".join(problems)
        first = page.get_by_label("第1行身份证件号码")
        box = first.bounding_box()
        assert box is not None and box["width"] >= 200, "the ID field of a row is too narrow to read on a phone"
    finally:
        context.close()


UNKNOWN_ID = "620102199001011233"  # well-formed (check digit right), registered to nobody in the demo


def test_a_refused_change_form_keeps_every_typed_field_the_id_number_included(browser: Any, phone_server: str) -> None:
    """Issue 17: "validation that keeps what was typed (today an error clears the ID field)"."""
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "staff_620100")
        page.goto("/staff/resident/changes/new")
        page.get_by_label("填报人").fill("王五")
        page.get_by_label("联系电话").fill("13900000000")
        page.get_by_label("第1行身份证件号码").fill(UNKNOWN_ID)
        page.get_by_label("第1行姓名").fill("赵六")
        page.get_by_label("第1行变更后").fill("赵留")
        page.get_by_role("button", name="提交变更登记表").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("error").is_visible()
        assert page.get_by_label("第1行身份证件号码").input_value() == UNKNOWN_ID
        assert page.get_by_label("第1行姓名").input_value() == "赵六"
        assert page.get_by_label("第1行变更后").input_value() == "赵留"
        assert page.get_by_label("填报人").input_value() == "王五"
        assert overflow(page) <= 0
    finally:
        context.close()


def test_a_refused_registration_keeps_the_typed_id_number(browser: Any, phone_server: str) -> None:
    context = phone_context(browser, phone_server)
    page = context.new_page()
    try:
        _login(page, "staff_620100")
        page.goto("/staff/register")
        page.get_by_label("身份证号码").fill("620102199001011238")  # wrong check digit
        page.get_by_label("姓名").fill("钱七")
        page.get_by_role("button", name="登记并参保").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("error").is_visible()
        assert page.get_by_label("身份证号码").input_value() == "620102199001011238"
        assert page.get_by_label("姓名").input_value() == "钱七"
    finally:
        context.close()


@pytest.fixture(scope="module")
def henan_server(sqlite_template: Path) -> Iterator[str]:
    """The Henan demo: its citizens pay a relative's premium in the tax flow (seed 004)."""
    path = TEST_VAR / "browser-phone-henan.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(dataclasses.replace(_settings(f"sqlite:///{path}"), province="henan"))
    demo.generate(gj, province="henan", persons=200, seed=5)
    yield from serve(gj)
    gj.engine.dispose()


def test_the_henan_tax_flow_pages_fit_a_360_phone(browser: Any, henan_server: str) -> None:
    context = phone_context(browser, henan_server)
    page = context.new_page()
    try:
        _login(page, "citizen1")
        seen, problems = _walk(page, "/me/family/tax-premium")
        assert {"/me/family/tax-premium", "/me/family/tax-premium/result"} <= seen, sorted(seen)
        assert not problems, "\n".join(problems)
    finally:
        context.close()
