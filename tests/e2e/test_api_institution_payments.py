"""The payment of institutions through the API, the pages and the CLI (issue 15 §2, §6) on SQLite
and PostgreSQL: the statement, approval by a second clerk, the payment order, the bank file read
back, the bank's answer; the 拨付结算单 read back cell by cell; a hospital's key and another
region's clerk refused. Seed 003 附件 二(一), 二(二)2 (the region of care pays its institutions
monthly, the family part in full)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gongji.entrypoints.cli import app
from gongji.services.backoffice import institution_payments_excel as X
from tests import backoffice_support as B
from tests import payments_support as M
from tests import support as S
from tests.e2e.conftest import login
from tests.e2e.test_refund_pages import page_login


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def _month(zj: B.Province, clock) -> None:
    M.november_at_hangzhou(zj)
    M.reconcile_totals(zj, B.HANGZHOU, M.HZ_HOSPITAL)
    M.at(clock, "2026-12-02T09:00")


def test_the_payment_round_trip_through_the_api_with_the_bank_file_read_back(zj, clock):
    _month(zj, clock)
    S.staff(zj.gj, [B.HANGZHOU], username="xh_maker")
    S.staff(zj.gj, ["330100"], username="hz_checker")
    S.staff(zj.gj, [B.NINGBO], username="hs_clerk")
    c = zj.client
    maker, checker, other = login(c, "xh_maker"), login(c, "hz_checker"), login(c, "hs_clerk")
    hospital = login(c, f"his_{M.HZ_HOSPITAL}")

    body = {"region": B.HANGZHOU, "month": M.MONTH}
    for who in (hospital, other):  # hospitals never; another region's clerk neither
        refused = c.post("/api/payments/runs", json=body, headers=who)
        assert refused.status_code == 403 and refused.json()["code"] == "E_FORBIDDEN", refused.text
    made = c.post("/api/payments/runs", json=body, headers=maker)
    assert made.status_code == 201, made.text
    run = made.json()
    rid, total = run["run_id"], run["total_fen"]
    assert run["lines"][0]["institution_name"] == "测试医院001" and run["family_fen"] == 110_00
    assert c.get(f"/api/payments/runs/{rid}", headers=hospital).status_code == 403
    assert c.get("/api/payments/runs", headers=other).json() == []
    assert [r["run_id"] for r in c.get("/api/payments/runs", params={"state": "prepared"}, headers=checker).json()] == [
        rid
    ]
    same = c.post(f"/api/payments/runs/{rid}/approve", headers=maker)
    assert same.status_code == 403 and same.json()["code"] == "E_FOUR_EYES"
    assert c.post(f"/api/payments/runs/{rid}/approve", headers=checker).json()["state"] == "approved"
    early = c.get(f"/api/payments/runs/{rid}/bank.csv", headers=maker)
    assert early.status_code == 409 and early.json()["code"] == "E_STATE"
    ordered = c.post(f"/api/payments/runs/{rid}/order", headers=maker).json()
    assert ordered["order_no"] == "ZF330106-202611"

    got = c.get(f"/api/payments/runs/{rid}/bank.csv", headers=maker)
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    rows = X.read_bank_export(got.content)
    assert rows == [
        {
            "支付单号": "ZF330106-202611",
            "明细号": "ZF330106-202611-0001-1",
            "收款单位": "测试医院001",
            "收款账号": f"待补录（机构编码 {M.HZ_HOSPITAL}）",
            "开户银行": "待补录",
            "金额（元）": f"{total // 100}.{total % 100:02d}",
            "用途": "2026年11月定点医药机构医疗费用拨付",
        }
    ]
    answer = {"fixmedins_code": M.HZ_HOSPITAL, "bank_ref": "ICBC20261205001", "request_key": "api-bank-0001"}
    first = c.post(f"/api/payments/runs/{rid}/confirm", json=answer, headers=maker)
    again = c.post(f"/api/payments/runs/{rid}/confirm", json=answer, headers=maker)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["state"] == "closed" and first.json()["lines"][0]["state_zh"] == "银行已确认"

    sheet = c.get(f"/api/payments/runs/{rid}/statement.xlsx", headers=checker)
    assert sheet.status_code == 200
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb["拨付结算单"]
    assert ws["A1"].value == "杭州市西湖区定点医药机构费用拨付结算单（2026年11月）"
    assert ws.cell(row=2, column=10).value == "单位：元"
    assert [ws.cell(row=3, column=i).value for i in (2, 6, 8, 9)] == [
        "定点医药机构",
        "统筹基金支付",
        "家庭共济支付",
        "应拨付金额",
    ]
    assert [ws.cell(row=4, column=i).value for i in (2, 3, 4, 8, 10)] == ["测试医院001", 4, 1, 110, "银行已确认"]
    assert round(ws.cell(row=4, column=9).value * 100) == total
    assert ws.cell(row=5, column=1).value == "合计" and round(ws.cell(row=5, column=9).value * 100) == total
    assert wb["对账差异"].cell(row=4, column=1).value == "合计"  # no differences, totals row only


def test_the_page_shows_the_statement_in_chinese_with_yuan_and_the_filters(zj, clock):
    _month(zj, clock)
    clerk = S.staff(zj.gj, [B.HANGZHOU])
    c = zj.client
    page_login(c, clerk.username)
    made = c.post("/staff/payments", data={"region": B.HANGZHOU, "month": M.MONTH}, follow_redirects=False)
    assert made.status_code == 303, made.text
    page = c.get(made.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "杭州市西湖区 2026-11 定点医药机构费用拨付结算单" in html and "测试医院001" in html
    assert "待审核" in html and "110.00" in html and "没有对账差异" in html
    listed = c.get("/staff/payments", params={"month": M.MONTH, "region": B.HANGZHOU, "state": "prepared"})
    assert listed.status_code == 200 and "杭州市西湖区" in listed.text and 'data-testid="run"' in listed.text
    none = c.get("/staff/payments", params={"state": "closed"})
    assert 'data-testid="run"' not in none.text and "没有拨付结算单" in none.text
    page_login(c, f"his_{M.HZ_HOSPITAL}")
    assert c.get(made.headers["location"]).status_code == 403


def test_the_cli_prepares_approves_exports_and_confirms(zj, clock, db_url, monkeypatch, tmp_path):
    _month(zj, clock)
    S.staff(zj.gj, [B.HANGZHOU], username="cli_maker")
    S.staff(zj.gj, [B.HANGZHOU], username="cli_checker")
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_PROVINCE", "zhejiang")
    monkeypatch.setenv("GONGJI_CLOCK", "2026-12-02T09:00")
    where = ["--month", M.MONTH, "--region", B.HANGZHOU]
    runner = CliRunner()
    done = runner.invoke(app, ["payments", "prepare", *where, "--as", "cli_maker"])
    assert done.exit_code == 0, done.output
    assert "测试医院001" in done.output and "待审核" in done.output
    same = runner.invoke(app, ["payments", "approve", *where, "--as", "cli_maker"])
    assert same.exit_code == 1 and "E_FOUR_EYES" in same.output
    assert runner.invoke(app, ["payments", "approve", *where, "--as", "cli_checker"]).exit_code == 0
    out = tmp_path / "bank"
    exported = runner.invoke(app, ["payments", "export", *where, "--out", str(out), "--as", "cli_maker"])
    assert exported.exit_code == 0, exported.output
    rows = X.read_bank_export((out / "ZF330106-202611.csv").read_bytes())
    assert [r["收款单位"] for r in rows] == ["测试医院001"]
    assert (out / f"拨付结算单_{B.HANGZHOU}_{M.MONTH}.xlsx").exists()
    paid = ["payments", "confirm", *where, "--institution", M.HZ_HOSPITAL, "--bank-ref", "B-1", "--key", "cli-key-0001"]
    assert runner.invoke(app, paid).exit_code == 0
    again = runner.invoke(app, paid)
    assert again.exit_code == 0 and "已全部拨付" in again.output
