"""``gongji accounting vouchers|trial-balance --month … [--region …] [--out FILE]`` (issue 15 §5;
seed 003 附件四) on SQLite and PostgreSQL: the tables printed in yuan, the .xlsx written, the
export audited, a bad month refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from gongji.adapters.db.models import AuditLog
from gongji.entrypoints.cli import app
from tests import backoffice_support as B

runner = CliRunner()


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def test_the_cli_prints_and_writes_the_vouchers_and_the_trial_balance(zj, db_url, monkeypatch, tmp_path):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    B.settle(zj, B.NINGBO, nb_child, 80_00)
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_PROVINCE", "zhejiang")
    monkeypatch.setenv("COLUMNS", "200")
    shown = runner.invoke(app, ["accounting", "vouchers", "--month", "2026-11", "--region", B.NINGBO])
    assert shown.exit_code == 0, shown.output
    assert "记字第1号" in shown.output and "110101 暂付款/家庭共济医药费用" in shown.output and "80.00" in shown.output
    out = tmp_path / "tb.xlsx"
    tb = runner.invoke(app, ["accounting", "trial-balance", "--month", "2026-11", "--out", str(out)])
    assert tb.exit_code == 0, tb.output
    assert "浙江省 2026-11 试算平衡表" in tb.output and "试算结果：平衡" in tb.output
    sheet = load_workbook(out).worksheets[0]
    assert sheet["A1"].value == "浙江省基本医疗保险基金试算平衡表（2026年11月）" and sheet["A2"].value == "单位：元"
    bad = runner.invoke(app, ["accounting", "vouchers", "--month", "2026-13"])
    assert bad.exit_code == 1 and "E_VALIDATION" in bad.output
    actions = zj.gj.run(lambda uow: list(uow.session.scalars(select(AuditLog.action).where(AuditLog.channel == "cli"))))
    assert "accounting.export" in actions
