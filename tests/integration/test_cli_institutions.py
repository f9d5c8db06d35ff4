"""``gongji institutions …`` (issue 13 §3): register, list, issue a key (shown once), list keys
masked, suspend — the gateway then refuses the key — and a clerk of another region is refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gongji.adapters.nhsa.client import HisClient, Key
from gongji.entrypoints.api.app import create_app
from gongji.entrypoints.cli import app
from tests import support as S

runner = CliRunner()
CODE = "H62070200031"


@pytest.fixture
def env(gj, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    return gj


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return f"{result.exit_code}\n{result.output}"


def test_institutions_register_issue_a_key_once_suspend_and_scope(env):
    gj = env
    out = cli("institutions", "add", CODE, "--name", "甘州区第三医院", "--kind", "hospital", "--level", "2",
              "--region", "620702", "--start", "2026-01-01")  # fmt: skip
    assert out.startswith("0\n") and "已登记" in out, out
    assert CODE in cli("institutions", "list")
    issued = cli("institutions", "keys", "issue", CODE)
    assert issued.startswith("0\n") and "只显示这一次" in issued, issued
    key_id = re.search(r"key id: (\S+)", issued).group(1)
    secret = re.search(r"secret: (gjs_\S+)", issued).group(1)
    listed = cli("institutions", "keys", "list", CODE)
    assert key_id in listed and secret not in listed and secret[:8] in listed

    with TestClient(create_app(gj), raise_server_exceptions=False) as client:
        his = HisClient(client, CODE, "甘州区第三医院", "620702", Key(key_id, secret), now=gj.clock.now)
        r = his.post(his.envelope("9001", {"signIn": {"opter_no": "0001", "mac": "", "ip": ""}}))
        assert r.status_code == 200, r.text  # past the gateway with the key the CLI showed

        S.staff(gj, ["620100"], username="staff_lz")  # 兰州 only
        refused = cli("institutions", "suspend", CODE, "--reason", "违规检查", "--as", "staff_lz")
        assert refused.startswith("1\n") and "E_OUT_OF_REGION" in refused, refused
        assert cli("institutions", "suspend", CODE, "--reason", "违规检查").startswith("0\n")
        r = his.post(his.envelope("9001", {"signIn": {"opter_no": "0001", "mac": "", "ip": ""}}))
        assert r.status_code == 403 and r.json()["error_code"] == "E_GATEWAY_SUSPENDED", r.text
