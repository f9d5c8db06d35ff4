"""The premium clearing and tax reconciliation API (issue 15 §4, §6; seed 003 附件三) and their
Excel files read back cell by cell: title, 单位：元, region names, amounts in yuan, the 合计 row,
masked personal data; bad input → 4xx with a code and a Chinese message, never a 500."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gongji.adapters.db import tax_exchange as X
from gongji.domain.clock import SHANGHAI
from gongji.entrypoints import tax_simulator as T
from tests import premium_support as B
from tests import support as S
from tests.e2e.conftest import login


@pytest.fixture
def december(gj, office):
    """Four premiums of December 2026: 张掖→张掖 (Dec 1), 张掖→兰州 twice, 兰州→张掖."""
    tax = B.tax_user(gj)
    plan = [
        (B.ZHANGYE, B.ZHANGYE, datetime(2026, 12, 1, 9, 0)),
        (B.ZHANGYE, B.LANZHOU, datetime(2026, 12, 10, 9, 0)),
        (B.ZHANGYE, B.LANZHOU, datetime(2026, 12, 20, 9, 0)),
        (B.LANZHOU, B.ZHANGYE, datetime(2026, 12, 31, 23, 0)),
    ]
    pairs = [B.pair(gj, office, authorizer_region=a, relative_region=r) for a, r, _ in plan]
    for p, (_, _, at) in zip(pairs, plan, strict=True):
        B.pay(gj, tax, p, at)
    gj.clock.at = datetime(2027, 1, 2, 9, 0, tzinfo=SHANGHAI)


def _rows(content: bytes, sheet: str) -> list[tuple]:
    book = load_workbook(BytesIO(content))
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


def test_month_tables_by_api_and_excel_cell_by_cell(gj, client, office, december):
    h = login(client, office.username)
    r = client.get("/api/premium-clearing/months/2026-12", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "E_NOT_FOUND"
    for bad in ("2026-13", "26-12", "2026-1x"):
        r = client.post(f"/api/premium-clearing/months/{bad}", headers=h)
        assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION" and r.json()["message"], r.text
    county = S.staff(gj, [B.ZHANGYE])
    r = client.post("/api/premium-clearing/months/2026-12", headers=login(client, county.username))
    assert r.status_code == 403 and r.json()["code"] == "E_FORBIDDEN"
    r = client.post("/api/premium-clearing/months/2026-12", headers=h)
    assert r.status_code == 200 and r.json()["province"]["across_fen"] == 120_000
    assert client.get("/api/premium-clearing/months/2026-12?region=abc", headers=h).status_code == 422
    assert client.get("/api/premium-clearing/months/2026-12?state=bogus", headers=h).status_code == 422

    x = client.get("/api/premium-clearing/months/2026-12/excel", headers=h)
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    summary = _rows(x.content, "汇总")
    assert summary[0][0] == "个人账户家庭共济保险费划扣汇总表（2026年12月）"
    assert summary[1][0] == "单位：元"
    assert summary[2][:3] == ("统筹区代码", "统筹区名称", "本统筹区划转笔数")
    assert summary[3][:8] == ("620100", "兰州市", 0, 0, 1, 400, 2, 800)
    assert summary[4][:8] == ("620700", "张掖市", 1, 400, 2, 800, 1, 400)
    assert summary[3][8:10] == ("2027-01-05", "未到期")
    assert summary[5][:8] == ("合计", None, 1, 400, 3, 1200, 3, 1200)
    transfers = _rows(x.content, "全额清算")
    assert transfers[0][0] == "跨统筹区保险费全额清算表（2026年12月）" and transfers[1][0] == "单位：元"
    assert [t[:6] for t in transfers[3:5]] == [
        ("620100", "兰州市", "620700", "张掖市", 1, 400),
        ("620700", "张掖市", "620100", "兰州市", 2, 800),
    ]
    assert transfers[5][0] == "合计" and transfers[5][4:6] == (3, 1200)
    lines = _rows(x.content, "明细")
    assert lines[0][0] == "个人账户家庭共济保险费划扣明细表（2026年12月）" and lines[1][0] == "单位：元"
    body = lines[3:7]
    assert [(ln[0], ln[2], ln[7], ln[10], ln[11], ln[12]) for ln in body] == [
        (1, "划扣", "张掖市", "张掖市", "本统筹区划转", 400),
        (2, "划扣", "张掖市", "兰州市", "跨统筹区清算", 400),
        (3, "划扣", "张掖市", "兰州市", "跨统筹区清算", 400),
        (4, "划扣", "兰州市", "张掖市", "跨统筹区清算", 400),
    ]
    assert [ln[1] for ln in body] == ["2026-12-01 09:00", "2026-12-10 09:00", "2026-12-20 09:00", "2026-12-31 23:00"]
    assert all("*" in ln[5] and "*" in ln[6] and "*" in ln[8] and "*" in ln[9] for ln in body)
    assert lines[7][:2] == ("合计", "4笔") and lines[7][12] == 1600

    # a 兰州 city clerk's Excel holds 兰州 only (and the lines touching it)
    city = S.staff(gj, ["620100"])
    mine = client.get("/api/premium-clearing/months/2026-12/excel", headers=login(client, city.username))
    assert [row[1] for row in _rows(mine.content, "汇总")[3:-1]] == ["兰州市"]
    assert len(_rows(mine.content, "明细")) == 3 + 3 + 1
    r = client.post(
        "/api/premium-clearing/months/2026-12/transfers",
        headers=login(client, city.username),
        json={"payer_region": "620100", "payee_region": "620700", "paid_on": "2027-01-02", "bank_ref": "LZ0001"},
    )
    assert r.status_code == 409 and r.json()["code"] == "E_STATE"  # no 用款计划 yet


def test_tax_reconciliation_by_api_and_its_excel(gj, client, office, december):
    h = login(client, office.username)
    assert client.post("/api/tax-recon/weeks/2026-W99", headers=h).json()["code"] == "E_VALIDATION"
    r = client.post("/api/tax-recon/weeks/2026-W49", headers=h)
    assert r.status_code == 200 and r.json() == {
        "week": "2026-W49",
        "row_count": 1,
        "total_fen": 40_000,
        "paid_fen": 40_000,
    }
    engine = X.tax_side_engine(gj.settings.database_url)
    assert T.compare(engine, "2026-W49", now=gj.clock.now()).differences == 2  # missing + extra (one row only)
    assert client.post("/api/tax-recon/weeks/2026-W49/fetch", headers=h).json()["fetched"] == 2
    view = client.get("/api/tax-recon/weeks/2026-W49", headers=h).json()
    ids = {d["kind"]: d["id"] for d in view["differences"]}
    r = client.post(
        f"/api/tax-recon/differences/{ids['extra']}/settlement", headers=h, json={"resolution": "x", "reason": "核对"}
    )
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    r = client.post(
        f"/api/tax-recon/differences/{ids['extra']}/settlement",
        headers=h,
        json={"resolution": "reverse_ours", "reason": "核对"},
    )
    assert r.status_code == 409 and r.json()["code"] == "E_STATE"
    assert (
        client.post(
            "/api/tax-recon/differences/999999/settlement",
            headers=h,
            json={"resolution": "accept_ours", "reason": "核对"},
        ).status_code
        == 404
    )
    checker = login(client, S.staff(gj, ["620000"]).username)
    for kind in ("missing", "extra"):  # proposed by one clerk, confirmed by a second (four-eyes)
        for who, state in ((h, "proposed"), (h, None), (checker, "settled")):
            r = client.post(
                f"/api/tax-recon/differences/{ids[kind]}/settlement",
                headers=who,
                json={"resolution": "accept_ours", "reason": "以医保为准"},
            )
            if state is None:
                assert r.status_code == 403 and r.json()["code"] == "E_FOUR_EYES"
            else:
                assert r.status_code == 200 and r.json()["state"] == state, r.text
    assert T.apply(engine, "2026-W49", now=gj.clock.now()).state == "balanced"
    engine.dispose()
    done = client.get("/api/tax-recon/weeks/2026-W49", headers=h).json()
    assert done["balanced"] and done["theirs"] == done["ours"]

    rows = _rows(client.get("/api/tax-recon/weeks/2026-W49/excel", headers=h).content, "对账差异")
    assert rows[0][0] == "共济账户代缴城乡居民保费对账差异表（2026-W49：2026-11-30至2026-12-06）"
    assert rows[1][0] == "单位：元"
    assert rows[3][:4] == ("医保推送", 1, 400, 400) and rows[4][:4] == ("税务比对", 1, 400, 400)
    assert rows[5][:2] == ("对账状态", "账账相符")
    header = rows[7]
    assert header[:3] == ("序号", "差异类型", "税务请求流水号")
    diffs = rows[8:10]
    assert [(d[0], d[1], d[4], d[6], d[7], d[10], d[11]) for d in diffs] == [
        (1, "税务缺少记录", "甘州区", 400, None, "已处理", "以医保记录为准（税务更正）"),
        (2, "税务多出记录", "甘州区", None, 400, "已处理", "以医保记录为准（税务更正）"),
    ]
    assert all("*" in d[5] for d in diffs)
    assert rows[10][:2] == ("合计", "2条") and rows[10][6:8] == (400, 400)
