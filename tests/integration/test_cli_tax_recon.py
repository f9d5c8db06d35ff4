"""``gongji tax-recon publish --week`` with its progress bar, and the round trip from the command
line with ``gongji tax-sim`` (issue 15 §4, §6; seed 003 附件三(二)5), on both databases."""

from __future__ import annotations

from datetime import datetime

from typer.testing import CliRunner

from gongji.entrypoints.cli import app
from tests import premium_support as B
from tests import support as S

runner = CliRunner()


def test_cli_publishes_a_week_and_the_simulated_tax_side_compares_and_applies(gj, db_url, monkeypatch, tmp_path):
    office = S.staff(gj, ["620000"])
    tax = B.tax_user(gj)
    p = B.pair(gj, office, authorizer_region=B.ZHANGYE, relative_region=B.LANZHOU)
    B.pay(gj, tax, p, datetime(2026, 12, 2, 10, 0))
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_CLOCK", "2026-12-08T09:00")

    early = runner.invoke(app, ["tax-recon", "publish", "--week", "2026-W50"])
    assert early.exit_code == 1 and "E_STATE" in early.output
    bad = runner.invoke(app, ["tax-recon", "publish", "--week", "W50"])
    assert bad.exit_code == 1 and "E_VALIDATION" in bad.output
    done = runner.invoke(app, ["tax-recon", "publish", "--week", "2026-W49"])
    assert done.exit_code == 0, done.output
    assert "推送 2026-W49" in done.output and "4/4" in done.output  # the progress bar ran to the end
    assert "1 笔，合计 400.00 元" in done.output
    compared = runner.invoke(app, ["tax-sim", "compare", "--week", "2026-W49", "--kinds", "missing"])
    assert compared.exit_code == 0 and "差异 1 条" in compared.output, compared.output
    fetched = runner.invoke(app, ["tax-recon", "fetch", "--week", "2026-W49"])
    assert "新读取差异 1 条" in fetched.output
    shown = runner.invoke(app, ["tax-recon", "show", "--week", "2026-W49"])
    assert "税务缺少记录" in shown.output and "待处理 1 条" in shown.output
    out = tmp_path / "w49.xlsx"
    assert runner.invoke(app, ["tax-recon", "excel", "--week", "2026-W49", "--out", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"
