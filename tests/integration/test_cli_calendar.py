"""``gongji calendar`` (issue 14 §1): count working days, and enter next year's schedule (audited)."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from gongji.adapters.db.models import AuditLog
from gongji.bootstrap import bootstrap
from gongji.entrypoints.cli import app

runner = CliRunner()


def test_the_cli_counts_working_days_and_enters_2027_new_year(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_CLOCK", "2026-12-31T10:00")
    added = runner.invoke(app, ["calendar", "add", "2026-09-30", "2"])
    assert added.exit_code == 0 and "2026-10-09" in added.output, added.output

    before = runner.invoke(app, ["calendar", "add", "2026-12-31", "1"])
    assert "2027-01-01" in before.output and "暂定" in before.output
    result = runner.invoke(app, ["calendar", "set", "2027-01-01", "--holiday", "--name", "元旦", "--note", "国办通知"])
    assert result.exit_code == 0, result.output
    after = runner.invoke(app, ["calendar", "add", "2026-12-31", "1"])
    assert "2027-01-04" in after.output
    shown = runner.invoke(app, ["calendar", "show", "2027"])
    assert "元旦" in shown.output and "暂定" in shown.output

    refused = runner.invoke(app, ["calendar", "confirm", "2026", "--source", "国办发明电〔2025〕7号"])
    assert refused.exit_code == 1 and "E_VALIDATION" in refused.output

    gj = bootstrap()
    rows = gj.run(
        lambda uow: [
            (r.action, r.channel, r.username, r.at.isoformat()[:10])
            for r in uow.session.scalars(select(AuditLog).where(AuditLog.action.like("calendar.%")))
        ]
    )
    assert rows == [("calendar.override.set", "cli", "system", "2026-12-31")]  # stamped on the business clock
    gj.engine.dispose()
