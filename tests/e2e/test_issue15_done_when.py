"""Issue 15 "Done when", walked as the README tells a new user to (README "Back office on the
demo"): on the Zhejiang demo, ``staff_province`` runs the previous month's clearing on
/staff/clearing, every city confirms, the tables are made and both Excel tables download; the
tax reconciliation round trip (``gongji tax-recon publish``, ``gongji tax-sim compare``, settle on
/staff/tax-recon with a second clerk, ``gongji tax-sim apply``) ends 账账相符; the province's trial
balance for the month balances. Seed 003 附件二(二)3, 附件三(二)5, 附件四."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from gongji.adapters.db.models import TaxReconDifference, TaxReconWeek
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.clock import SHANGHAI
from gongji.entrypoints.api.app import create_app
from gongji.entrypoints.cli import app
from gongji.services.demo import province as demo

NOW = "2026-12-03T09:00"  # a Thursday: the data month is 2026-11, the previous ISO week 2026-W48
MONTH, WEEK = "2026-11", "2026-W48"
runner = CliRunner()


@pytest.fixture
def zj(gj, clock, db_url, monkeypatch, tmp_path) -> Iterator[Gongji]:
    clock.at = datetime.fromisoformat(NOW).replace(tzinfo=SHANGHAI)
    z = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=clock)
    for name, value in {
        "GONGJI_DATABASE_URL": db_url,
        "GONGJI_VAR_DIR": str(tmp_path),
        "GONGJI_PROVINCE": "zhejiang",
        "GONGJI_CLOCK": NOW,
    }.items():
        monkeypatch.setenv(name, value)
    demo.generate(z, province="zhejiang", persons=400, seed=1)  # what `PROVINCE=zhejiang make run` loads
    yield z
    z.engine.dispose()


def login(c: TestClient, username: str) -> None:
    c.cookies.clear()
    r = c.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def cli(*args: str) -> str:
    out = runner.invoke(app, list(args))
    assert out.exit_code == 0, out.output
    return out.output


def posted(c: TestClient, url: str, **data: Any) -> str:
    r = c.post(url, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[-2000:]
    return r.headers["location"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_issue15_done_when_on_the_zhejiang_demo(zj):
    with TestClient(create_app(zj), raise_server_exceptions=False) as c:
        login(c, "staff_province")
        # 1. the month's clearing: run, every city confirms, tables, download both
        where = posted(c, "/staff/clearing", month=MONTH)
        run_id = int(re.search(r"/staff/clearing/(\d+)", where).group(1))  # type: ignore[union-attr]
        page = c.get(where).text
        forms = re.findall(
            rf'action="/staff/clearing/{run_id}/confirm".*?name="city" value="(\d{{6}})".*?name="kind" value="(\w+)"',
            page,
        )
        assert forms, "the demo's cross-city 零星报销 of the month is there to confirm and clear"
        for city, kind in forms:  # the 确认本地 / 确认异地 buttons of each city
            posted(c, f"/staff/clearing/{run_id}/confirm", city=city, kind=kind)
        posted(c, f"/staff/clearing/{run_id}/tables")
        balance = c.get(f"/staff/clearing/{run_id}/balance.xlsx")
        detail = c.get(f"/staff/clearing/{run_id}/detail.xlsx")
        assert balance.status_code == detail.status_code == 200
        sheet = load_workbook(io.BytesIO(balance.content)).worksheets[0]
        assert sheet["A1"].value == "浙江省个人账户家庭共济资金清算平衡表（2026年11月）"
        rows = list(load_workbook(io.BytesIO(detail.content)).worksheets[0].iter_rows(values_only=True))
        assert len(rows) > 4  # title, unit, header, at least one settlement or claim, total

        # 2. the tax round trip
        cli("tax-recon", "publish", "--week", WEEK)
        cli("tax-sim", "compare", "--week", WEEK)
        posted(c, f"/staff/tax-recon/{WEEK}/fetch")
        with zj.uow() as uow:
            diffs = list(uow.session.scalars(select(TaxReconDifference.id)))
        assert diffs, "the simulator writes differences back"
        for diff in diffs:
            posted(
                c,
                f"/staff/tax-recon/{WEEK}/differences/{diff}/settle",
                resolution="accept_ours",
                reason="以医保记录为准",
            )
        login(c, "staff_province2")
        for diff in diffs:
            posted(c, f"/staff/tax-recon/{WEEK}/differences/{diff}/settle", resolution="accept_ours", reason="复核同意")
        cli("tax-sim", "apply", "--week", WEEK)
        page = c.get(f"/staff/tax-recon?week={WEEK}")
        assert page.status_code == 200
        assert re.search(r'data-testid="balance-state"><strong class="ok">账账相符<', page.text), page.text[-1500:]
        with zj.uow() as uow:
            week = uow.session.scalar(select(TaxReconWeek).where(TaxReconWeek.week == WEEK))
            assert week is not None and week.row_count >= 1

        # 3. the trial balance of the province for the month
        tb = c.get("/staff/accounting", params={"month": MONTH, "region": "330000", "view": "trial"})
        assert tb.status_code == 200
        assert re.search(r'data-testid="balanced">平衡<', tb.text), tb.text[-1500:]
