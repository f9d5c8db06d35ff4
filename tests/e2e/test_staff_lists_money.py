"""零星报销 claims (/staff/reimbursements) and 拨付结算单 (/staff/payments) on the list convention (issue 17:
"Every list … filters by date, region and state, sorts, pages, and exports to Excel with Chinese
headers, yuan amounts and masked data"): the region is chosen by name among the clerk's regions,
the total reads 共 N 件/份, the export is masked, in yuan, audited, and a clerk of another region
sees nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gongji.adapters.db.models import AuditLog
from tests import backoffice_support as B
from tests import payments_support as M
from tests import support as S
from tests.e2e.test_api_institution_payments import _month
from tests.e2e.test_refund_pages import page_login
from tests.e2e.test_reimbursement_pages import form


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def _audited(zj: B.Province, action: str) -> int:
    return zj.gj.run(lambda uow: len(list(uow.session.scalars(select(AuditLog).where(AuditLog.action == action)))))


def test_reimbursement_list_filters_pages_and_exports_masked_yuan_within_the_region(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    clerk = S.staff(zj.gj, [B.NINGBO], username="rl_nb")
    c = zj.client
    page_login(c, clerk.username)
    for n in range(3):
        made = c.post("/staff/reimbursements", data=form(child, f"RL-{n}"), follow_redirects=False)
        assert made.status_code == 303, made.text

    page1 = c.get("/staff/reimbursements", params={"size": "2", "sort": "registered", "order": "asc"}).text
    assert "共 3 件" in page1 and "第 1/2 页" in page1 and page1.count('data-testid="claim"') == 2
    assert "宁波" in page1 and f'value="{B.NINGBO}"' in page1  # the region select shows names
    assert page1.count('data-testid="claim"') == 2 and "钱*" in page1 and "钱一" not in page1
    page2 = c.get("/staff/reimbursements", params={"size": "2", "page": "2"}).text
    assert page2.count('data-testid="claim"') == 1
    assert "共 0 件" in c.get("/staff/reimbursements", params={"state": "paid"}).text
    assert "共 3 件" in c.get("/staff/reimbursements", params={"state": "registered", "region": B.NINGBO}).text
    assert "共 0 件" in c.get("/staff/reimbursements", params={"month": "2026-01"}).text

    xlsx = c.get("/staff/reimbursements.xlsx", params={"state": "registered"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    rows = _sheet(xlsx.content)
    assert rows[1][:4] == ("申请编号", "受理时间", "姓名", "证件号码") and "发票合计（元）" in rows[1]
    data = rows[2:]
    assert len(data) == 3 and all(r[2] == "钱*" and "*" in r[3] for r in data)
    assert all(r[7] == 300 for r in data)  # 30000 fen shown as 300.00 yuan
    assert _audited(zj, "reimburse.export") == 1

    other = S.staff(zj.gj, [B.HANGZHOU], username="rl_hz")
    page_login(c, other.username)
    assert "共 0 件" in c.get("/staff/reimbursements").text
    assert c.get("/staff/reimbursements", params={"region": B.NINGBO}).status_code == 403
    assert len(_sheet(c.get("/staff/reimbursements.xlsx").content)) == 2  # caption and header only


def test_payment_statement_list_filters_pages_and_exports_yuan_within_the_region(zj, clock):
    _month(zj, clock)
    clerk = S.staff(zj.gj, [B.HANGZHOU], username="pl_hz")
    c = zj.client
    page_login(c, clerk.username)
    made = c.post("/staff/payments", data={"region": B.HANGZHOU, "month": M.MONTH}, follow_redirects=False)
    assert made.status_code == 303, made.text

    listed = c.get("/staff/payments", params={"region": B.HANGZHOU, "state": "prepared", "sort": "total"}).text
    assert "共 1 份" in listed and listed.count('data-testid="run"') == 1 and "杭州市西湖区" in listed
    assert re.search(r'<option value="[0-9]{6}"[^>]*>[^<]*杭州', listed)  # regions by name
    assert "共 0 份" in c.get("/staff/payments", params={"state": "closed"}).text
    assert "共 0 份" in c.get("/staff/payments", params={"month": "2026-10"}).text
    assert "共 1 份" in c.get("/staff/payments", params={"page": "9", "size": "1"}).text
    assert c.get("/staff/payments", params={"region": "12"}).status_code == 422

    rows = _sheet(c.get("/staff/payments.xlsx", params={"month": M.MONTH}).content)
    assert rows[1][:3] == ("结算单编号", "结算月份", "统筹区") and "应拨付合计（元）" in rows[1]
    assert len(rows) == 3 and rows[2][1] == M.MONTH and rows[2][11] == "待审核"
    assert rows[2][8] == 110  # 家庭共济 in yuan
    assert _audited(zj, "payment.export") == 1

    other = S.staff(zj.gj, [B.NINGBO], username="pl_nb")
    page_login(c, other.username)
    assert "共 0 份" in c.get("/staff/payments").text
    assert c.get("/staff/payments", params={"region": B.HANGZHOU}).status_code == 403
