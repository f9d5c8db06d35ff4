"""Shared fixtures: a fixed clock, a fresh migrated database per test (SQLite and PostgreSQL).

Every integration test that takes ``gj`` runs twice, on SQLite and on PostgreSQL 15. The
PostgreSQL cluster is a throwaway one started once per session; under ``CI=true`` a missing
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from gongji.adapters.db.migrate import upgrade
from gongji.bootstrap import Gongji, bootstrap
from gongji.config import Settings
from gongji.devtools import pg_cluster
from gongji.domain.clock import SHANGHAI, FixedClock
from tests import logscan

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_VAR = Path(tempfile.mkdtemp(prefix="gongji-test-var-"))
LOG_FILE = TEST_VAR / "gongji-test.log"
os.environ.setdefault("GONGJI_LOG_FILE", str(LOG_FILE))


def need(condition: bool, why: str) -> None:
    """Skip locally when a service is missing; fail under CI (nothing may be skipped there)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required service missing under CI=true: {why}")
    pytest.skip(why)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def sqlite_template() -> Iterator[Path]:
    path = TEST_VAR / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    yield path


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_cluster.PgCluster | None]:
    if not pg_cluster.available():
        yield None
        return
    cluster = pg_cluster.start()
    template = cluster.create_database("gongji_template")
    upgrade(template)
    try:
        yield cluster
    finally:
        cluster.stop()


_counter = iter(range(1, 1_000_000))


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        log_file=LOG_FILE,
        token_ttl_minutes=60,
        province="gansu",
        profiles_dir=None,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = TEST_VAR / f"t{next(_counter)}.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        cluster = request.getfixturevalue("pg")
        need(cluster is not None, "PostgreSQL 15 is not installed (make services)")
        import psycopg

        name = f"t{next(_counter)}"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}" TEMPLATE gongji_template')
        yield f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/{name}"


@pytest.fixture
def gj(db_url: str, clock: FixedClock) -> Iterator[Gongji]:
    app = bootstrap(_settings(db_url), clock=clock)
    yield app
    logscan.remember_persons(app.engine)
    app.engine.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After the whole suite (both databases): no whole ID number or name of any person the tests
    created may be in the log file, plain or encoded (SPEC §9, issue 13 §6); else the run fails."""
    import logging

    logging.shutdown()
    if not LOG_FILE.exists():
        return
    text = LOG_FILE.read_text(encoding="utf-8", errors="replace")
    leaked = logscan.leaks(text, logscan.NAMES, logscan.ID_NUMBERS)
    if leaked:
        print(f"\nPII LEAK: {len(leaked)} whole ID numbers or names in {LOG_FILE}, e.g. {leaked[:5]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under CI=true a skipped test is a failed test: nothing may be skipped there."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"
