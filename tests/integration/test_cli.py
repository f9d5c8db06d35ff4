"""The gongji command line (issue 2 §8): migrate, check-profiles, check-ledger, users."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongji.entrypoints.cli import app
from gongji.policy import default_profiles_dir

runner = CliRunner()


@pytest.fixture
def env(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    return db_url


def test_check_profiles_lists_the_three_provinces_and_their_demo_figures():
    result = runner.invoke(app, ["check-profiles"])
    assert result.exit_code == 0, result.output
    for code in ("gansu", "zhejiang", "henan"):
        assert code in result.output


def test_check_profiles_names_the_file_and_field_of_a_broken_profile(tmp_path: Path):
    for f in default_profiles_dir().glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "henan.toml").write_text("[profile\ncode = ", encoding="utf-8")
    result = runner.invoke(app, ["check-profiles", "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert "henan.toml" in result.output and "<toml>" in result.output


def test_check_ledger_passes_on_a_consistent_ledger_and_users_can_be_created(env):
    created = runner.invoke(
        app,
        ["users", "create", "clerk01", "--role", "staff", "--regions", "620100"],
        input="S3cret-pass\nS3cret-pass\n",
    )
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["users", "list"])
    assert "clerk01" in listed.output and "620100" in listed.output
    checked = runner.invoke(app, ["check-ledger"])
    assert checked.exit_code == 0 and "Ledger OK" in checked.output


def test_check_ledger_fails_when_a_balance_was_edited_behind_the_ledgers_back(env, gj):
    from sqlalchemy import update

    from gongji.adapters.db.models import LedgerAccount
    from tests import support

    staff = support.staff(gj, ["620700"])
    support.employee(gj, staff, income_fen=1_000)
    with gj.engine.begin() as c:  # a lost update / manual edit the ledger did not record
        c.execute(
            update(LedgerAccount).where(LedgerAccount.code.like("personal:%:current")).values(balance_fen=999_999)
        )
    result = runner.invoke(app, ["check-ledger"])
    assert result.exit_code == 1
    assert "≠ opening + postings" in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "gongji.example.cn"])
def test_serve_refuses_the_development_secrets_beyond_loopback_issue13(env, monkeypatch, host):
    """The 医保码 secret and the key pepper have laptop defaults; off loopback the server refuses
    to start without both (else a 医保码 or a gateway key could be forged from the source)."""
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k["host"]))
    monkeypatch.delenv("GONGJI_EC_SECRET", raising=False)
    monkeypatch.setenv("GONGJI_KEY_PEPPER", "p" * 40)
    result = runner.invoke(app, ["serve", "--host", host])
    assert result.exit_code == 2 and started == []
    assert "GONGJI_EC_SECRET" in result.output and "GONGJI_KEY_PEPPER" not in result.output

    monkeypatch.setenv("GONGJI_EC_SECRET", "s" * 40)
    assert runner.invoke(app, ["serve", "--host", host]).exit_code == 0 and started == [host]


def test_serve_on_loopback_starts_with_the_development_secrets(env, monkeypatch):
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k["host"]))
    monkeypatch.delenv("GONGJI_EC_SECRET", raising=False)
    monkeypatch.delenv("GONGJI_KEY_PEPPER", raising=False)
    assert runner.invoke(app, ["serve"]).exit_code == 0 and started == ["127.0.0.1"]
