"""The staff person list in Chromium (issue 17 "Clerks"): a total instead of a silent cap,
paging through the same POST form, and the Excel export of everything found, masked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.bootstrap import Gongji
from gongji.domain.masking import mask_id_number
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser
RAW = re.compile(r"[a-z_]+:\d+|_fen|\(E_")  # issue 17: no raw codes in what a page shows

GIVEN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水"  # 25 people of one rare surname


def test_person_list_shows_the_total_pages_through_and_exports_all_rows_masked(
    web: Any, web_gj: Gongji, tmp_path: Any
) -> None:
    clerk = support.staff(web_gj, ["620702"])
    made = [support.resident(web_gj, clerk, name=f"闻人{c}") for c in GIVEN]
    certs = [support.person_cert(web_gj, pid) for pid in made]

    login(web, clerk.username)
    web.get_by_label("姓名或身份证号").fill("闻人")
    web.get_by_test_id("list-submit").click()
    web.get_by_test_id("results").wait_for()

    assert "?" not in web.url  # the query stays out of the URL, also while paging
    assert web.get_by_test_id("list-total").inner_text() == "共 25 人"
    assert web.get_by_test_id("result").count() == 20
    first_page = web.get_by_test_id("results").inner_text()
    assert "2015年生" in first_page and "甘肃省张掖市甘州区" in first_page
    assert not RAW.search(web.locator("main").inner_text())
    screenshot(web, "staff-person-list")

    web.get_by_test_id("page-next").click()
    web.get_by_test_id("results").wait_for()
    assert web.get_by_test_id("result").count() == 5
    assert web.get_by_label("姓名或身份证号").input_value() == "闻人"
    assert "第 2/2 页" in web.get_by_test_id("pager").inner_text()
    assert "?" not in web.url

    with web.expect_download() as info:
        web.get_by_test_id("list-export").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "persons.xlsx"
    download.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    header, body = rows[1], rows[2:]
    assert header[:3] == ("姓名", "证件号码", "性别")
    assert len(body) == 25  # everything found, not the page shown
    text = repr(rows)
    assert all(cert not in text and mask_id_number(cert) in text for cert in certs)
    assert "闻人甲" not in text and "闻**" in text
