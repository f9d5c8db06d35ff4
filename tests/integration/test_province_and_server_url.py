"""The README's promises about running the demo (issue 17, "Errors and documentation"):
switching PROVINCE on a loaded database is refused with a clear message; ``gongji his`` finds
the running server's address (or says which --url to give); citizen4's login names a clerk who
can act on citizen4."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gongji.bootstrap import bootstrap
from gongji.entrypoints import runfile
from gongji.entrypoints.api.app import create_app
from gongji.entrypoints.cli import app as cli
from gongji.services import province_guard
from gongji.services.demo import province as demo

runner = CliRunner()


@pytest.fixture
def gansu_demo(gj):
    return demo.generate(gj, province="gansu", persons=60, seed=3)


def test_another_province_on_a_loaded_database_is_refused_with_what_to_do(gj, gansu_demo):
    province_guard.check(gj)  # the province it was loaded for starts
    other = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=gj.clock)
    try:
        with pytest.raises(province_guard.ProvinceMismatch) as refused:
            province_guard.check(other)
    finally:
        other.engine.dispose()
    text = str(refused.value)
    assert "甘肃省" in text and "浙江省" in text and "PROVINCE=gansu" in text and "GONGJI_DATABASE_URL" in text


def test_an_empty_database_starts_with_any_province(gj):
    other = bootstrap(dataclasses.replace(gj.settings, province="henan"), clock=gj.clock)
    try:
        province_guard.check(other)
    finally:
        other.engine.dispose()


def test_gongji_serve_refuses_to_start_on_another_provinces_database(gj, gansu_demo, monkeypatch, tmp_path):
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k["host"]))
    monkeypatch.setenv("GONGJI_DATABASE_URL", gj.settings.database_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GONGJI_PROVINCE", "zhejiang")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 2 and started == []
    assert "甘肃省" in result.output and "PROVINCE=gansu" in result.output

    monkeypatch.setenv("GONGJI_PROVINCE", "gansu")
    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(runfile.running_url()))
    assert runner.invoke(cli, ["serve", "--port", "8123"]).exit_code == 0
    assert seen == ["http://127.0.0.1:8123"]  # while serving, the run file names it
    assert not runfile.path().exists()  # and it is gone when the server stops


def test_the_simulators_use_the_running_servers_address_else_say_which_url_to_give(monkeypatch, tmp_path):
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    assert runfile.server_url("") == runfile.DEFAULT_URL  # nothing running: the default port
    runfile.write("0.0.0.0", 8765)
    assert runfile.server_url("") == "http://127.0.0.1:8765"
    assert runfile.server_url("http://10.0.0.5:9000") == "http://10.0.0.5:9000"  # --url wins
    runfile.path().write_text('{"url": "http://127.0.0.1:8765", "pid": 999999999}', encoding="utf-8")
    assert runfile.server_url("") == runfile.DEFAULT_URL  # a stale file of a dead server is ignored
    hint = runfile.unreachable_hint("http://127.0.0.1:8000")
    assert "--url" in hint and "make run" in hint and os.getpid() > 0


def test_citizen4s_login_names_a_clerk_who_can_open_citizen4(gj, gansu_demo):
    line = next(what for _role, user, what in gansu_demo.logins if user == "citizen4")
    clerk = re.search(r"由 (staff_\d{6})", line)
    assert clerk is not None, line
    person_id = gj.run(lambda uow: uow.session.scalar(_citizen4_person()))
    with TestClient(create_app(gj)) as client:
        client.post("/login", data={"username": clerk.group(1), "password": demo.DEMO_PASSWORD})
        assert client.get(f"/staff/persons/{person_id}").status_code == 200
        client.post("/logout")
        client.post("/login", data={"username": "staff_province", "password": demo.DEMO_PASSWORD})
        assert client.get(f"/staff/persons/{person_id}").status_code == 200


def _citizen4_person():
    from sqlalchemy import select

    from gongji.adapters.db.models import AppUser

    return select(AppUser.person_id).where(AppUser.username == "citizen4")
