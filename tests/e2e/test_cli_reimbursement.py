"""``gongji reimburse list`` and ``gongji reimburse advances --month … --out DIR`` (issue 15 §2, §6;
seed 003 附件二(四)) on SQLite and PostgreSQL: the month's claims listed masked, the 垫付资金清算表
printed per authorizer region and written as .xlsx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gongji.entrypoints.cli import app
from gongji.services.backoffice import reimbursement as U
from tests import backoffice_support as B
from tests import support as S
from tests.e2e.test_backoffice_reimbursement import DRUG_A, call, claim_in, register

runner = CliRunner()


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def test_the_cli_lists_claims_and_writes_the_advances_table_seed003_2_4(zj, db_url, monkeypatch, tmp_path):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    a, b = S.staff(zj.gj, [B.NINGBO], username="cli_a"), S.staff(zj.gj, [B.NINGBO], username="cli_b")
    claim = claim_in(nb_child, [("CLI-1", 300_00)], [(DRUG_A, "10", "30.00", 300_00)], flag="2", region=B.NINGBO)
    cid = register(zj, a, claim, "k-cli")
    call(zj, a, U.compute, zj.gj.profile, cid)
    call(zj, b, U.approve, zj.gj.profile, cid, idempotency_key="pay-cli")
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_PROVINCE", "zhejiang")
    monkeypatch.setenv("GONGJI_CLOCK", "2026-12-03T09:00")
    listed = runner.invoke(app, ["reimburse", "list", "--month", "2026-11"])
    assert listed.exit_code == 0, listed.output
    assert "钱*" in listed.output and "钱一" not in listed.output and "已支付" in listed.output
    out = tmp_path / "t"
    done = runner.invoke(app, ["reimburse", "advances", "--month", "2026-11", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "杭州市西湖区" in done.output and "227.00" in done.output
    ws = load_workbook(out / "家庭共济垫付资金清算表_33_2026-11.xlsx").worksheets[0]
    assert ws["A1"].value == "浙江省个人账户家庭共济垫付资金清算表（2026年11月）"
    assert ws.cell(row=ws.max_row, column=1).value == "合计" and ws.cell(row=ws.max_row, column=10).value == 227
    bad = runner.invoke(app, ["reimburse", "advances", "--month", "2026-1x", "--out", str(out)])
    assert bad.exit_code == 1 and "E_VALIDATION" in bad.output
