"""The demo brings one-thing cases in every state, overdue ones included, so the staff queue shows
something real on first run (issue 14 "Also": demo data; §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import AppUser
from gongji.services import auth
from gongji.services.demo import province as demo
from gongji.services.onething import queue
from tests import support


def test_the_demo_has_one_thing_cases_open_due_today_overdue_and_closed(gj: Any) -> None:
    demo.generate(gj, province="gansu", persons=300, seed=5, batch_size=300)
    clerk = gj.run(
        lambda uow: auth.principal_of(
            uow, uow.session.scalar(select(AppUser).where(AppUser.username == "staff_province"))
        )
    )
    q = gj.run(lambda uow: queue.staff_queue(uow, support.ctx(gj, clerk), gj.profile, view="all"))
    timings = {c["timing"] for c in q["cases"]}
    assert {"on_time", "due_today", "overdue", "statutory_overdue", "finished_in_time"} <= timings
    assert q["counts"]["overdue"] == 2 and q["counts"]["due_today"] == 1
    states = {p["state"] for c in q["cases"] for p in c["parts"]}
    assert {"done", "refused", "processing", "waiting"} <= states
    assert any(c["proofs_received"] for c in q["cases"])
    assert any(p["kind"] == "family_binding" for c in q["cases"] for p in c["parts"])
