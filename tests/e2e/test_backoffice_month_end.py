"""The month-end dashboard of a province (issue 15 §6) for the family-fund clearing (seed 003 附件二
(二)3: 每月5日前 预生成, 25日前/20日前 对账, 月底前 平衡表和明细表, 付款通知后15个工作日内 上解, 7个工作日内
划转), as JSON and as the staff page with the overdue step in red, the working days counted across
the National Day holiday. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from gongji.services.backoffice import clearing as C
from tests import backoffice_support as B
from tests import support as S
from tests.e2e.conftest import login
from tests.e2e.test_backoffice_clearing import HZ, NB, at, call, month_of_two_cities
from tests.e2e.test_refund_pages import page_login


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def step(view: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    sec = next(s for s in view["sections"] if s["key"] == section)
    return next(s for s in sec["steps"] if s["key"] == key)


def test_month_end_dashboard_shows_each_clearing_step_against_its_deadline_seed003_2_2_3(zj, clock):
    """August 2026: pre-generated Mon 09-07 (due Sat 09-05: 1 working day late); both cities confirm
    that day; tables and notice 09-28 (tables due 09-30). 15 working days from 09-28 skip the
    National Day week and count the make-up Saturday 10-10: 杭州's remittance due 10-23; on 10-27
    it is overdue by 2 working days, in red on the page; 宁波's transfer waits for it."""
    month_of_two_cities(zj, then=lambda: at(zj, clock, "2026-08-20T10:00"))
    at(zj, clock, "2026-09-01T09:00")
    h = login(zj.client, zj.office.username)  # a token lives on the business clock: log in after moving it
    before = zj.client.get("/api/backoffice/month-end", params={"month": "2026-08"}, headers=h).json()
    gen = step(before, "clearing", "generate")
    assert (gen["state"], gen["working_days_left"]) == ("open", 3)  # 09-02, 09-03, 09-04 (09-05 a Saturday)
    at(zj, clock, "2026-09-07T09:00")
    run_id = call(zj, zj.office, C.run_month, "33", "2026-08")
    for code in (HZ, NB):
        who = S.staff(zj.gj, [code])
        call(zj, who, C.confirm, run_id, code, "local")
        call(zj, who, C.confirm, run_id, code, "offsite")
    at(zj, clock, "2026-09-28T09:00")
    call(zj, zj.office, C.make_tables, run_id)
    call(zj, zj.office, C.notice, run_id)
    at(zj, clock, "2026-10-27T09:00")
    h = login(zj.client, zj.office.username)
    r = zj.client.get("/api/backoffice/month-end", params={"month": "2026-08"}, headers=h)
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["province"], view["province_name"], view["month"]) == ("33", "浙江省", "2026-08")
    gen = step(view, "clearing", "generate")
    assert (gen["state"], gen["due"], gen["done"], gen["working_days_late"]) == ("late", "2026-09-05", "2026-09-07", 1)
    assert step(view, "clearing", "local_confirm")["state"] == "done"
    assert step(view, "clearing", "offsite_confirm")["due"] == "2026-09-20"
    tables = step(view, "clearing", "tables")
    assert (tables["state"], tables["due"], tables["done"]) == ("done", "2026-09-30", "2026-09-28")
    remit = step(view, "clearing", "remit")
    assert (remit["state"], remit["due"], remit["working_days_late"]) == ("overdue", "2026-10-23", 2)
    assert [(i["name"], i["state"], i["note"]) for i in remit["items"]] == [("杭州市", "overdue", "应上解 70.00 元")]
    assert step(view, "clearing", "transfer")["state"] == "waiting"
    assert "个人账户家庭共济资金清算：各市上解净额（通知后15个工作日内）" in view["overdue"]

    page_login(zj.client, zj.office.username)
    html = zj.client.get("/staff/month-end", params={"month": "2026-08"}).text
    row = re.search(r'<tr class="([^"]*)" data-testid="step" data-key="clearing\.remit"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None and row.group(1) == "behind"  # red (tr.behind td: #c0392b)
    assert "已逾期 2 个工作日" in row.group(2) and "2026-10-23" in row.group(2)
    assert "overdue" not in re.sub(r"<[^>]+>", "", html)  # no raw state codes shown
    only = zj.client.get("/staff/month-end", params={"month": "2026-08", "state": "overdue"}).text
    assert 'data-key="clearing.remit"' in only and 'data-key="clearing.tables"' not in only


def test_month_end_dashboard_refuses_bad_input_with_a_code(zj, clock):
    h = login(zj.client, zj.office.username)
    for params in ({"month": "2026-13"}, {"month": "x"}, {"province": "3"}):
        r = zj.client.get("/api/backoffice/month-end", params=params, headers=h)
        assert r.status_code in (400, 422) and r.json()["code"] == "E_VALIDATION", r.text
    other = login(zj.client, S.staff(zj.gj, ["620000"]).username)
    r = zj.client.get("/api/backoffice/month-end", params={"month": "2026-08"}, headers=other)
    assert r.status_code == 403 and r.json()["code"] == "E_FORBIDDEN" and "不在您的经办区域" in r.json()["message"]


def test_month_end_dashboard_shows_institution_payments_against_their_deadlines_and_claims_waiting(zj, clock):
    """拨付 (附件二(一)(二)2, "按正常月结流程"; deadlines our reading, docs/backoffice.md §6): August's
    statements are due prepared by 09-05, approved by 09-10, ordered by 09-15, confirmed by 09-30.
    杭州 prepares on 09-03; 宁波 and 温州 (settlements in August, no statement) are overdue on 09-14,
    so is 杭州's approval. 零星报销 (附件二(四), no deadline): one registered, one computed — counted."""
    from datetime import date

    from gongji.services.backoffice import institution_payments as IP
    from gongji.services.backoffice import reimbursement as U

    month_of_two_cities(zj, then=lambda: at(zj, clock, "2026-08-20T10:00"))
    at(zj, clock, "2026-09-03T09:00")
    call(zj, S.staff(zj.gj, [B.HANGZHOU], username="hz_payer"), IP.prepare, B.HANGZHOU, "2026-08")
    clerk = S.staff(zj.gj, [B.HANGZHOU], username="hz_reimb")
    for n in (1, 2):
        person = B.giver(zj, B.HANGZHOU, "郑" + "一二"[n - 1], 0)
        claim = U.ClaimIn(
            person_id=person, insutype="310", med_type="11", institution_kind="hospital",
            institution_level=1, treatment_region=B.HANGZHOU, begin_date=date(2026, 9, 1), reason="emergency",
            acct_used_flag="1", invoices=(U.R.Invoice(f"ME-{n}", "某某医院", None, date(2026, 9, 1), 100_00),),
            fees=(U.FeeIn("XA10BAA001A001010100001", "2", "50.00", 100_00),),
        )  # fmt: skip
        cid = call(zj, clerk, U.register, zj.gj.profile, claim, idempotency_key=f"me-{n}")
        if n == 2:
            call(zj, clerk, U.compute, zj.gj.profile, cid)
    at(zj, clock, "2026-09-14T09:00")
    h = login(zj.client, zj.office.username)
    view = zj.client.get("/api/backoffice/month-end", params={"month": "2026-08"}, headers=h).json()
    prepare = step(view, "institution_payments", "prepare")
    assert (prepare["state"], prepare["due"]) == ("overdue", "2026-09-05")
    by_city = {i["name"]: (i["state"], i["done"]) for i in prepare["items"]}
    assert by_city["西湖区"] == ("done", "2026-09-03")
    assert by_city["海曙区"][0] == by_city["鹿城区"][0] == "overdue"
    approve = step(view, "institution_payments", "approve")
    assert (approve["state"], approve["due"]) == ("overdue", "2026-09-10")
    assert step(view, "institution_payments", "order")["state"] == "open"  # due 09-15
    assert step(view, "institution_payments", "confirm")["due"] == "2026-09-30"
    assert step(view, "reimbursements", "compute")["count"] == 1
    assert step(view, "reimbursements", "approve")["count"] == 1
    assert "定点医药机构费用拨付：编制拨付结算单（次月5日前）" in view["overdue"]
    page_login(zj.client, zj.office.username)
    html = zj.client.get("/staff/month-end", params={"month": "2026-08"}).text
    assert 'data-key="institution_payments.prepare"' in html and "1 笔待办" in html
