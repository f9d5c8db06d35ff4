"""The township's collection work pages in headless Chromium (issue 16 §3 and §5): failed online
payments (seed 002 §六1), the tax 代征 export against the registry before a 集中代缴 (§六2), the
village posting list (§九5, masked) — reached from the collection menu, in Chinese with yuan and no
raw codes, a township clerk confined to their own township; and every number on the dashboard a
link to the people behind it (issue 16 §5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from gongji.services.collection import failed_payments, task, units
from tests import collection_support as cs
from tests import support
from tests.browser.conftest import login, screenshot

DISTRICT = "620723"  # 临泽县: no other browser test uses it
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_made: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _patient(web: Any) -> None:
    """Up to six test runs share two cores: give a page more than the default 10 s."""
    web.set_default_timeout(30_000)
    web.set_default_navigation_timeout(30_000)


def _district(gj: Gongji) -> dict[str, Any]:
    """Two townships of 临泽县, each with one village; 3 + 2 residents, two paid in 沙河镇; a
    failed-payment report from each township; a clerk bound to 沙河镇. Built once per session."""
    if _made:
        return _made
    boss = support.staff(gj, [DISTRICT])
    town_a = cs.unit(gj, boss, "沙河镇", "town", region=DISTRICT)
    town_b = cs.unit(gj, boss, "平川镇", "town", region=DISTRICT)
    village_a = cs.unit(gj, boss, "新华村", "village", parent=town_a)
    village_b = cs.unit(gj, boss, "三一村", "village", parent=town_b)
    a = [_resident(gj, boss, village_a, "欧阳红") for _ in range(3)]
    b = [_resident(gj, boss, village_b, "司马青") for _ in range(2)]
    c = support.ctx(gj, boss)
    cs.run(gj, lambda uow: task.compute(uow, c, region_code=DISTRICT, benefit_year=cs.YEAR))
    cs.pay_on(gj, boss, a[0], date(2026, 9, 10))
    cs.pay_on(gj, boss, a[1], date(2026, 11, 5))
    for pid in (a[2], b[0]):
        who = support.ctx(gj, support.citizen(gj, pid))
        cs.run(
            gj,
            lambda uow, who=who: failed_payments.report(
                uow, who, gj.profile, benefit_year=cs.YEAR, channel="alipay", amount_fen=40_000,
                paid_on=date(2026, 11, 20), order_no="ZFB20261120", screenshot=PNG,
            ),
        )  # fmt: skip
    clerk = support.staff(gj, [DISTRICT])
    cs.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=town_a))
    _made.update(boss=boss, clerk=clerk, a=a, b=b, village_a=village_a, village_b=village_b)
    return _made


def _resident(gj: Gongji, by: Any, unit: int, name: str) -> int:
    pid = support.resident(gj, by, region=DISTRICT, name=name)
    cs.member(gj, by, pid, unit)
    return pid


def _menu(web: Any, name: str) -> None:
    web.goto(f"/staff/collection?year={cs.YEAR}")
    web.get_by_test_id("collection-menu").get_by_role("link", name=name).click()
    web.wait_for_load_state()


def test_township_clerk_checks_and_resolves_a_failed_online_payment_of_their_township_only(
    web: Any, web_gj: Gongji
) -> None:
    """002 §六1: the report reaches the township; the clerk sees the registry (no payment) and
    resolves it as refunded by the channel; the other township's report is not listed."""
    d = _district(web_gj)
    login(web, d["clerk"].username)
    _menu(web, "线上缴费失败报告")
    rows = web.get_by_test_id("failed-report")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "沙河镇" in text and "支付宝" in text and "400.00" in text and "待核查" in text
    assert "平川镇" not in web.content() and "司马" not in web.content()
    assert "alipay" not in text and "open" not in text  # no raw codes
    rows.first.get_by_role("link", name="核查处理").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("premium-status").inner_text().startswith("未缴费")
    assert web.request.get(web.get_by_test_id("screenshot").get_attribute("href")).headers["content-type"] == (
        "image/png"
    )
    options = web.get_by_test_id("resolution").locator("option").all_inner_texts()
    assert options == ["渠道已退款，需重新缴费"]
    screenshot(web, "collection-failed-payment")
    web.get_by_role("button", name="确认处理").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("done").is_visible()
    assert "渠道已退款" in web.get_by_test_id("failed-report").first.inner_text()


def test_tax_export_comparison_page_lists_mismatches_in_chinese_for_the_clerks_township(
    web: Any, web_gj: Gongji
) -> None:
    """002 §六2: the clerk can choose only 沙河镇; an export with a right row, a person of 平川镇, a
    wrong amount and an already-paid person shows three mismatches with their Chinese reasons."""
    d = _district(web_gj)
    login(web, d["clerk"].username)
    _menu(web, "集中代缴前核对税务代征数据")
    assert web.get_by_test_id("township").locator("option").all_inner_texts() == ["沙河镇"]
    cert = [support.person_cert(web_gj, p) for p in (d["a"][2], d["b"][1], d["a"][0])]
    csv = "\n".join(
        [
            "姓名,身份证号码,险种,年度,金额",
            f"欧阳红,{cert[0]},城乡居民基本医疗保险,{cs.YEAR},400.00",
            f"司马青,{cert[1]},城乡居民基本医疗保险,{cs.YEAR},400.00",
            f"欧阳红,{cert[2]},城乡居民基本医疗保险,{cs.YEAR},350.00",
        ]
    ).encode("utf-8")
    web.get_by_test_id("file").set_input_files({"name": "代征导出.csv", "mimeType": "text/csv", "buffer": csv})
    web.get_by_role("button", name="比对").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("rows").inner_text() == "3"
    assert web.get_by_test_id("matched").inner_text() == "1"
    assert web.get_by_test_id("mismatched").inner_text() == "2"
    table = web.get_by_test_id("mismatches").inner_text()
    assert "归属其他乡镇" in table and "缴费金额与医保系统缴费标准不一致" in table and "已缴费" in table
    assert "350.00" in table and "other_township" not in table and cert[1] not in table  # masked, no codes
    screenshot(web, "collection-tax-compare")


def test_village_posting_page_masks_and_prints_and_keeps_the_clerk_in_their_township(web: Any, web_gj: Gongji) -> None:
    """002 §九5: the villages offered are the clerk's; the November list shows who paid by then,
    masked (欧**, 6207**********…), in yuan, with the PDF; another township's village is refused."""
    d = _district(web_gj)
    login(web, d["clerk"].username)
    _menu(web, "村（社区）缴费公示")
    options = web.get_by_test_id("village").locator("option").all_inner_texts()
    assert options == ["请选择", "沙河镇 · 新华村"]
    web.get_by_test_id("village").select_option(label="沙河镇 · 新华村")
    web.locator("input[name=month]").fill("2026-11")
    web.get_by_role("button", name="生成公示名单").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("posting-count").inner_text() == "2"
    assert web.get_by_test_id("posting-total").inner_text() == "800.00"
    rows = web.get_by_test_id("posted").all_inner_texts()
    assert len(rows) == 2 and all("欧**" in r and "6207**********" in r for r in rows)
    assert support.person_cert(web_gj, d["a"][0]) not in web.content()
    pdf = web.request.get(web.get_by_test_id("posting-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    web.goto(f"/staff/collection/posting?unit_id={d['village_b']}&month=2026-11&year={cs.YEAR}")
    assert "不在您的经办区域" in web.content() or "E_OUT_OF_REGION" in web.content()
    assert "司马" not in web.content()


def test_every_number_on_the_dashboard_links_to_the_people_behind_it(web: Any, web_gj: Gongji) -> None:
    """Issue 16 §5: task, paid, unpaid, completion rate and shortfall are links; the completion
    rate opens the paid people (within scope); the clerk's links stay in their township."""
    d = _district(web_gj)
    login(web, d["boss"].username)
    web.goto(f"/staff/collection?area={DISTRICT}&day=2026-11-23&year={cs.YEAR}")
    for row in web.get_by_test_id("child").all():
        cells = row.locator("td").all()
        for i in (2, 3, 4, 5):  # 任务数, 已缴费, 未缴费, 完成率
            assert cells[i].locator("a").count() == 1, cells[i].inner_text()
        if row.get_attribute("data-behind") == "true":
            assert cells[7].locator("a").count() == 1  # 落后（差N人）
    web.get_by_test_id("total-permille").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("people-total").inner_text() == "2"  # 沙河镇's two paid, 平川镇 none
    web.go_back()
    web.get_by_test_id("total-shortfall").click()  # 2 of 5 = 40 % < 50 % due by 10-31: behind
    web.wait_for_load_state()
    assert web.get_by_test_id("people-total").inner_text() == "3"
    login(web, d["clerk"].username)
    web.goto(f"/staff/collection?year={cs.YEAR}&day=2026-11-23")
    web.get_by_test_id("total-unpaid").click()
    web.wait_for_load_state()
    assert web.get_by_test_id("people-total").inner_text() == "1"  # the clerk's township only
    assert "司马" not in web.content()
