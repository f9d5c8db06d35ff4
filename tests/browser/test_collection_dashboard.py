"""The collection dashboard in headless Chromium with the network cut off (issue 16 §2: charts
rendered without a CDN; §5 every number links to the people behind it; seed 002 §八3)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlparse

from gongji.bootstrap import Gongji
from gongji.services.collection import units
from tests import collection_support as cs
from tests import support
from tests.browser.conftest import login, screenshot

DISTRICT = "620722"  # 民乐县: no other browser test uses it
LOCAL = {"127.0.0.1", "localhost"}


def _offline(page: Any) -> list[str]:
    """Abort every request that is not to the local server; return the list of aborted URLs."""
    blocked: list[str] = []

    def handle(route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return blocked


def _district(gj: Gongji) -> tuple[Any, Any, int]:
    boss = support.staff(gj, [DISTRICT])
    town = cs.unit(gj, boss, "洪水镇", "town", region=DISTRICT)
    slow = cs.unit(gj, boss, "下柴村", "village", parent=town)
    fast = cs.unit(gj, boss, "益民村", "village", parent=town)
    a = [_resident(gj, boss, slow) for _ in range(4)]
    b = [_resident(gj, boss, fast) for _ in range(4)]
    c = support.ctx(gj, boss)
    cs.run(gj, lambda uow: __import__("gongji.services.collection.task", fromlist=["x"]).compute(
        uow, c, region_code=DISTRICT, benefit_year=cs.YEAR))  # fmt: skip
    cs.pay_on(gj, boss, a[0], date(2026, 9, 12))
    for pid, day in zip(b[:3], (date(2026, 9, 8), date(2026, 9, 20), date(2026, 9, 25)), strict=True):
        cs.pay_on(gj, boss, pid, day)
    clerk = support.staff(gj, [DISTRICT])
    cs.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=town))
    return boss, clerk, slow


def _resident(gj: Gongji, by: Any, unit: int) -> int:
    pid = support.resident(gj, by, region=DISTRICT, name="马小花")
    cs.member(gj, by, pid, unit)
    return pid


def test_dashboard_charts_render_offline_and_the_unit_behind_9_30_is_red(web: Any, web_gj: Gongji) -> None:
    boss, clerk, _ = _district(web_gj)
    blocked = _offline(web)
    login(web, boss.username)
    web.goto(f"/staff/collection?area={DISTRICT}&day=2026-10-01&year={cs.YEAR}")
    chart = web.get_by_test_id("progress-chart")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80  # drawn, not an empty box
    assert web.locator("[data-testid=target-steps]").get_attribute("points").count(",") >= 6
    assert web.locator("[data-testid=progress-line]").count() == 1
    web.get_by_role("link", name="洪水镇").first.click()  # drill-down district → township
    web.wait_for_load_state()
    bars = web.locator("[data-testid=rank-bar]")
    assert bars.count() == 2
    red = web.locator("[data-testid=rank-bar][data-behind=true] rect")
    assert red.count() == 1 and red.get_attribute("fill") == "#c0392b"  # 下柴村: 1/4 = 25% < 35%
    row = web.locator("tr[data-behind=true]")
    assert "下柴村" in row.inner_text() and "落后" in row.inner_text()
    color = row.locator("td").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(192, 57, 43)"
    screenshot(web, "collection-dashboard")
    row.locator("a").first.click()  # the village's task number → its people, masked
    web.wait_for_load_state()
    assert web.get_by_test_id("people-total").inner_text() == "4"
    names = web.locator("[data-testid=person] td:nth-child(2)").all_inner_texts()
    assert names and all(n.startswith("马") and n.endswith("*") for n in names)
    assert blocked == []


def test_a_township_clerk_opens_only_their_township(web: Any, web_gj: Gongji) -> None:
    _, clerk, _ = _district(web_gj)
    _offline(web)
    login(web, clerk.username)
    web.goto(f"/staff/collection?day=2026-10-01&year={cs.YEAR}")
    assert "洪水镇" in web.get_by_test_id("area-name").inner_text()
    web.goto(f"/staff/collection?area={DISTRICT}&year={cs.YEAR}")
    assert "E_OUT_OF_REGION" in web.content() or "不在您的经办区域" in web.content()
