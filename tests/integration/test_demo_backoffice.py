"""The demo leaves the back office something to show (issue 15 §2; seed 003 附件二(四)): on
/staff/reimbursements a claim paid in the claimant's own region, one of a relative insured in
another city (listed in the 个人账户家庭共济垫付资金清算表 of the previous month) and one awaiting the
second clerk; on /staff/payments the previous month's statement prepared."""

from __future__ import annotations

import dataclasses
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import InstitutionPaymentRun, ReimbursementClaim, ReimbursementDraw
from gongji.bootstrap import Gongji, bootstrap
from gongji.entrypoints.api.app import create_app
from gongji.services.demo import province as demo


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_zhejiang_demo_shows_paid_advanced_and_waiting_claims_and_a_prepared_statement(gj, clock):
    gj = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=clock)
    try:
        _check(gj)
    finally:
        gj.engine.dispose()


def _check(gj: Gongji) -> None:
    demo.generate(gj, province="zhejiang", persons=400, seed=1)
    claims = gj.run(
        lambda uow: uow.session.execute(
            select(ReimbursementClaim.id, ReimbursementClaim.region_code, ReimbursementClaim.state)
        ).all()
    )
    states = sorted(c.state for c in claims)
    assert states == ["computed", "paid", "paid"], states
    draws = gj.run(
        lambda uow: uow.session.execute(
            select(ReimbursementDraw.claim_id, ReimbursementDraw.region_code, ReimbursementDraw.amount_fen)
        ).all()
    )
    region_of = {c.id: c.region_code for c in claims}
    crossing = [d for d in draws if d.region_code[:4] != region_of[d.claim_id][:4]]
    assert crossing, "one paid claim draws on an authorizer insured in another city"
    today = gj.clock.today()
    month = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    runs = gj.run(
        lambda uow: uow.session.execute(select(InstitutionPaymentRun.month, InstitutionPaymentRun.state)).all()
    )
    assert [(r.month, r.state) for r in runs] == [(month, "prepared")]

    with TestClient(create_app(gj), raise_server_exceptions=False) as c:
        r = c.post(
            "/login", data={"username": "staff_province", "password": demo.DEMO_PASSWORD}, follow_redirects=False
        )
        assert r.status_code == 303, r.text
        page = c.get("/staff/reimbursements")
        assert page.status_code == 200
        assert len({int(i) for i in re.findall(r'/staff/reimbursements/(\d+)"', page.text)}) == 3
        assert "已支付" in page.text and "已核算" in page.text
        advances = c.get(f"/staff/reimbursements/advances?month={month}")
        assert advances.status_code == 200 and "合计" in advances.text
        assert "浙江省个人账户家庭共济垫付资金清算表" in advances.text
        assert f"{crossing[0].amount_fen / 100:,.2f}" in advances.text
        payments = c.get("/staff/payments")
        assert payments.status_code == 200 and month in payments.text
