"""``gongji clearing run --month`` and ``gongji clearing tables --month … --out DIR`` (issue 15 §6)
on SQLite and PostgreSQL: the balance table printed, both .xlsx files written, the run audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from gongji.adapters.db.models import AuditLog
from gongji.entrypoints.cli import app
from tests import backoffice_support as B
from tests.e2e.test_backoffice_clearing import month_of_two_cities

runner = CliRunner()


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def test_the_cli_runs_the_month_and_writes_both_tables(zj, db_url, monkeypatch, tmp_path):
    month_of_two_cities(zj)
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_PROVINCE", "zhejiang")
    monkeypatch.setenv("GONGJI_CLOCK", "2026-12-03T09:00")
    early = runner.invoke(app, ["clearing", "run", "--month", "2026-12"])
    assert early.exit_code == 1 and "E_STATE" in early.output, early.output
    done = runner.invoke(app, ["clearing", "run", "--month", "2026-11"])
    assert done.exit_code == 0, done.output
    assert "杭州市" in done.output and "-70.00" in done.output and "70.00" in done.output
    assert "明细 3 笔，合计 130.00 元" in done.output and "通过" in done.output
    out = tmp_path / "tables"
    written = runner.invoke(app, ["clearing", "tables", "--month", "2026-11", "--out", str(out)])
    assert written.exit_code == 0, written.output
    balance = load_workbook(out / "清算平衡表_33_2026-11.xlsx").worksheets[0]
    assert balance["A1"].value == "浙江省个人账户家庭共济资金清算平衡表（2026年11月）"
    assert [balance.cell(row=r, column=6).value for r in (4, 5, 6)] == [-70, 70, 0]
    detail = load_workbook(out / "清算明细表_33_2026-11.xlsx").worksheets[0]
    assert detail.max_row == 3 + 3 + 1
    actions = zj.gj.run(lambda uow: list(uow.session.scalars(select(AuditLog.action).where(AuditLog.channel == "cli"))))
    assert "clearing.run" in actions
