"""Phone-layout measurements shared by the citizen-page tests (issue 17, "Citizens (phone first)").

``PHONE`` is the 360×740 window the issue names. :func:`overflow` measures horizontal scrolling
in the page itself (``document.documentElement.scrollWidth`` against ``innerWidth``);
:func:`small_targets` lists the tap targets smaller than 44×44 CSS pixels. A link inside a
sentence is exempt (WCAG 2.5.8's inline exception); a checkbox or radio counts by its label.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gongji.bootstrap import Gongji, bootstrap
from gongji.services.demo import province as demo
from tests.browser.conftest import serve
from tests.conftest import TEST_VAR, _settings

PHONE = {"width": 360, "height": 740}
MIN_TARGET_PX = 44

_SMALL_TARGETS_JS = """
(min) => {
  const bad = [];
  const seen = new Set();
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(sel)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) target = el.closest('label');
    if (seen.has(target)) continue;
    seen.add(target);
    const style = getComputedStyle(target);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = target.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.tagName === 'A') {
      const parent = el.parentElement;
      const own = (el.textContent || '').trim();
      const around = (parent ? parent.textContent || '' : '').trim();
      if (around.length > own.length + 1 && getComputedStyle(el).display === 'inline') continue;
    }
    if (r.height < min - 0.5 || r.width < min - 0.5) {
      const text = (target.innerText || target.value || target.getAttribute('aria-label') || target.name || '').trim();
      bad.push(`${target.tagName.toLowerCase()} "${text.slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return bad;
}
"""


def overflow(page: Any) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits the window)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def small_targets(page: Any) -> list[str]:
    """Tap targets under 44×44 px on the current page, described for the failure message."""
    return list(page.evaluate(_SMALL_TARGETS_JS, MIN_TARGET_PX))


def phone_context(browser: Any, base_url: str) -> Any:
    return browser.new_context(
        base_url=base_url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )


# The Gansu demo the citizen-page tests walk (module-scoped: each test module gets its own copy).


@pytest.fixture(scope="module")
def phone_demo(request: pytest.FixtureRequest, sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / f"browser-phone-{request.module.__name__.rsplit('.', 1)[-1]}.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"))
    demo.generate(gj, province="gansu", persons=300, seed=11)
    yield gj
    gj.engine.dispose()


@pytest.fixture(scope="module")
def phone_server(phone_demo: Gongji) -> Iterator[str]:
    yield from serve(phone_demo)


def login_demo(page: Any, username: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
