"""No page shows a raw code (issue 17 "Tests that must exist"): every demo role walks every page
it can reach from its home and the navigation; the visible text must hold no ``family:1``,
``amount_fen``, ``（E_…）``, ``demo.opening``, audit action names or ``险种390``. The codes stay in
tooltips (``title``) and the API. Any 5xx on the way fails too.

New pages are covered as soon as a link leads to them (``tests/page_walker.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import AppUser
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.entrypoints.api.app import create_app
from gongji.services.demo import province as demo
from tests import page_walker
from tests.conftest import TEST_VAR, _settings

# Every kind of demo login the README lists: citizens (employee, retiree, resident, the one with
# a bound relative), province and city clerks, the checker, the township and district collection
# clerks, the auditor.
ROLES = [
    "citizen1",
    "citizen2",
    "citizen3",
    "citizen4",
    "staff_province",
    "staff_province2",
    "staff_620100",
    "staff_620700",
    "clerk1",
    "district1",
    "auditor1",
]


@pytest.fixture(scope="module")
def demo_gj(sqlite_template: Path) -> Iterator[Gongji]:
    path = TEST_VAR / "walk-demo.sqlite3"
    shutil.copy(sqlite_template, path)
    gj = bootstrap(_settings(f"sqlite:///{path}"), clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)))
    demo.generate(gj, province="gansu", persons=300, seed=11)
    yield gj
    gj.engine.dispose()


def _demo_person_pages(gj: Gongji) -> list[str]:
    """The persons the demo citizens stand for, as staff open them from a search."""
    with gj.engine.connect() as conn:
        ids = conn.scalars(select(AppUser.person_id).where(AppUser.person_id.is_not(None))).all()
    return [f"/staff/persons/{i}" for i in ids] + [f"/staff/persons/{i}/family" for i in ids]


@pytest.mark.parametrize("username", ROLES)
def test_no_page_shows_a_raw_code_to_any_demo_role_issue17(demo_gj: Gongji, username: str) -> None:
    with TestClient(create_app(demo_gj), raise_server_exceptions=False) as client:
        home = page_walker.login(client, username, demo.DEMO_PASSWORD)
        start = [home, "/policy", "/password"]
        if home == "/staff":
            start += _demo_person_pages(demo_gj)
        walked = page_walker.walk(client, start)
    assert len(walked.pages) >= 3, walked.pages  # the walk got somewhere
    assert walked.server_errors == []
    shown = sorted({f"{f.code!r} on {f.url}: …{f.context}…" for f in walked.findings})
    assert shown == [], "\n".join(shown[:40])


def test_the_walker_sees_what_a_user_sees_and_not_tooltips() -> None:
    """The walk reads text nodes, not attributes: a code in a title is allowed, in the text not."""
    html = '<p title="E_STATE">不能执行</p><td title="family.bind">绑定共济亲属</td><script>a.b_c=1</script>'
    assert page_walker.RAW_CODE.search(page_walker.visible_text(html)) is None
    for raw in ("家庭 family:1", "amount_fen=5", "失败（E_STATE）", "demo.opening", "险种390", "auth.login"):
        assert page_walker.RAW_CODE.search(page_walker.visible_text(f"<p>{raw}</p>")), raw
