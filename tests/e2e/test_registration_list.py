"""The 参保登记表 and 保费退费申请 lists on the list convention (issue 17 "Every list … registrations filters by date,
region and state, sorts, pages, and exports to Excel … masked"). SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongji.bootstrap import Gongji
from gongji.domain.ids import make_id_number
from gongji.domain.masking import mask_id_number
from tests import support
from tests.e2e.test_refund_pages import bank_payment, page_login
from tests.integration.test_enrollment_forms import application, review, submit


def test_registrations_filter_by_region_and_status_page_and_export_masked(gj: Gongji, client: TestClient) -> None:
    office = support.staff(gj, ["620000"])
    checker = support.staff(gj, ["620000"])
    certs = [make_id_number("620702", date(1980, 4, 5), 311 + 2 * i) for i in range(3)]
    names = ["夏侯甲", "夏侯乙", "夏侯丙"]
    ids = [
        submit(gj, office, application(name=n, signer_name=n, cert_no=c)).form_id
        for n, c in zip(names, certs, strict=True)
    ]
    lanzhou = make_id_number("620102", date(1981, 4, 5), 311)
    there = {"region_code": "620102", "hukou_region": "620102", "township": "东岗街道"}
    submit(gj, office, application(name="夏侯丁", signer_name="夏侯丁", cert_no=lanzhou, **there))
    review(gj, checker, ids[0], approve=False, reason="材料不全")

    page_login(client, support.staff(gj, ["620702"]).username)  # a county clerk: 甘州区 only
    r = client.get("/staff/resident/registrations", params={"state": "pending", "size": "1", "sort": "submitted"})
    assert r.status_code == 200 and "共 2 份" in r.text and 'data-testid="page-next"' in r.text
    assert all(c not in r.text for c in certs) and "夏侯乙" not in r.text
    refused = client.get("/staff/resident/registrations", params={"region": "620102"})
    assert refused.status_code == 403 and "不在您的经办区域内" in refused.text

    x = client.get("/staff/resident/registrations.xlsx", params={"from": "2020-01-01"})
    rows = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    body = rows[2:]
    assert rows[1][:4] == ("登记表编号", "提交时间", "姓名", "证件号码")
    assert sorted(r[0] for r in body) == sorted(ids)  # the 兰州 one is out of scope
    assert {r[3] for r in body} == {mask_id_number(c) for c in certs} and "夏侯甲" not in repr(rows)
    assert {r[9] for r in body} == {"待审核", "未通过"}


def test_refund_requests_list_filters_by_state_and_exports_yuan_masked(gj: Gongji, client: TestClient) -> None:
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="郑小雨", birth=date(1993, 3, 3))
    cert = support.person_cert(gj, pid)
    payment_id = bank_payment(gj, staff, pid)
    page_login(client, support.citizen(gj, pid).username)
    asked = client.post(
        f"/me/premiums/{payment_id}/refund/confirm", data={"reason": "cross_province_duplicate"}, follow_redirects=False
    )
    assert asked.status_code == 303

    page_login(client, staff.username)
    listed = client.get("/staff/resident/refund-list", params={"state": "requested"})
    assert listed.status_code == 200 and "共 1 笔" in listed.text and "400.00" in listed.text
    assert cert not in listed.text and mask_id_number(cert) in listed.text and "郑小雨" not in listed.text
    assert "共 0 笔" in client.get("/staff/resident/refund-list", params={"state": "approved"}).text
    x = client.get("/staff/resident/refund-list.xlsx", params={"state": "requested"})
    rows = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    assert rows[1][7] == "缴费金额（元）" and float(rows[2][7]) == 400.0 and rows[2][9] == "待审核"
    assert cert not in repr(rows)
    elsewhere = support.staff(gj, ["620100"])
    page_login(client, elsewhere.username)
    assert "共 0 笔" in client.get("/staff/resident/refund-list").text
