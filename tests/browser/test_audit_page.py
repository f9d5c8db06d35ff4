"""The auditor's audit log in Chromium (issue 17 "Audit page: filters by person, staff member,
action, period; export"): Chinese action labels, a filter that narrows, an Excel export."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.bootstrap import Gongji
from gongji.domain.masking import mask_id_number
from gongji.services import auth
from gongji.services.auth import Role
from tests import support
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser
RAW = re.compile(r"[a-z_]+:\d+|_fen|\(E_")  # issue 17: no raw codes in what a page shows


def test_auditor_filters_by_staff_and_action_and_exports_what_is_shown(web: Any, web_gj: Gongji, tmp_path: Any) -> None:
    clerk = support.staff(web_gj, ["620702"])
    first = support.employee(web_gj, clerk, name="公孙止")
    second = support.resident(web_gj, clerk, name="公孙绿")
    certs = [support.person_cert(web_gj, p) for p in (first, second)]

    def make_auditor(uow: Any) -> str:
        user = auth.create_user(
            uow, username=f"auditor_list{first}", password=support.PASSWORD, role=Role.AUDITOR, display_name="审计员"
        )
        uow.commit()
        return str(user.username)

    login(web, web_gj.run(make_auditor))
    bar = web.get_by_test_id("filter-bar")
    bar.get_by_label("经办人员（用户名）").fill(clerk.username)
    bar.get_by_label("操作").select_option(label="登记人员")
    bar.get_by_test_id("list-submit").click()
    web.get_by_test_id("audit-table").wait_for()

    assert web.get_by_test_id("list-total").inner_text() == "共 2 条"
    actions = web.get_by_test_id("audit-action").all_inner_texts()
    assert actions == ["登记人员", "登记人员"]
    html = web.content()
    assert all(c not in html for c in certs)
    assert not RAW.search(web.locator("main").inner_text())
    screenshot(web, "audit-filtered")

    with web.expect_download() as info:
        web.get_by_test_id("list-export").click()
    path = tmp_path / "audit.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("时间", "用户", "角色", "操作")
    body = rows[2:]
    assert len(body) == 2 and {r[3] for r in body} == {"登记人员"} and {r[1] for r in body} == {clerk.username}
    text = repr(rows)
    assert all(c not in text and mask_id_number(c) in text for c in certs)
