"""Settlement pages for staff in Chromium (issue 17 "Settlement pages"): the day list with its
Excel export in yuan, one institution's day with the 3201 result, one settlement's whole split
with its reversal."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.adapters.db.models import Institution
from gongji.bootstrap import Gongji
from gongji.services.settlement import reconciliation as R
from tests import support
from tests.browser.conftest import login, screenshot
from tests.integration import test_nhsa_reconciliation as N

pytestmark = pytest.mark.browser
RAW = re.compile(r"[a-z_]+:\d+|_fen|\(E_")  # issue 17: no raw codes in what a page shows
CODE = "H62070200001"  # the code the reconciliation builders settle at


def test_staff_walks_from_the_day_list_to_one_settlement_and_its_reversal(
    web: Any, web_gj: Gongji, tmp_path: Any
) -> None:
    gj = web_gj
    clerk = support.staff(gj, ["620702"])
    person = support.employee(gj, clerk, name="欧阳明日")

    def institution(uow: Any) -> None:
        if not uow.session.query(Institution).filter_by(fixmedins_code=CODE).count():
            kw = {"kind": "hospital", "level": 3, "region_code": "620702"}
            uow.session.add(Institution(fixmedins_code=CODE, name="张掖测试医院", **kw))
            uow.commit()

    gj.run(institution)
    day = date(2026, 10, 9)
    setl = N._settle(gj, person, datetime(2026, 10, 9, 9, 30), 12_345, 8_000, 3_000)
    N._cancel(gj, setl, datetime(2026, 10, 9, 11, 0))
    N._call(gj, support.ctx(gj, clerk), R.statement_totals, N._totals(day, day, 0, 0, 0, 0), CODE)

    login(web, clerk.username)
    web.goto("/staff/settlements?from=2026-10-09&to=2026-10-09")
    row = web.get_by_test_id("settlement-day").first
    assert "2026-10-09" in row.inner_text() and "\t2\t0.00" in row.inner_text()  # the day nets to zero
    bar = web.get_by_test_id("filter-bar")
    bar.get_by_test_id("list-state").select_option(label="已撤销")
    bar.get_by_test_id("list-submit").click()
    row = web.get_by_test_id("settlement-day").first
    assert "123.45" in row.inner_text() and "state=cancelled" in web.url
    assert web.get_by_test_id("list-total").inner_text().startswith("共 1 ")
    with web.expect_download() as info:
        web.get_by_test_id("list-export").click()
    path = tmp_path / "days.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][4] == "医疗费总额（元）" and float(rows[2][4]) == 123.45

    row.get_by_role("link", name="明细").click()
    assert web.get_by_test_id("reconciliation").count() == 1
    assert "对总账（3201）" in web.get_by_test_id("reconciliation").inner_text()
    web.get_by_role("link", name="2026-10-09 09:30:00").click()
    assert web.get_by_test_id("split-fund").inner_text() == "80.00 元"
    assert web.get_by_test_id("split-own").inner_text() == "30.00 元"
    assert web.get_by_test_id("split-cash").inner_text() == "13.45 元"
    assert "撤销记录" in web.get_by_test_id("settlement-reversal").inner_text()
    assert "欧阳明日" not in web.content()
    assert not RAW.search(web.locator("main").inner_text())
    screenshot(web, "staff-settlement-split")
