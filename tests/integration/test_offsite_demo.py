"""The demo brings off-site registrations and chronic-disease recognitions in every state, so the
staff pages show something on first run (issue 14 "Also": demo data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import AppUser
from gongji.services import auth
from gongji.services.demo import province as demo
from gongji.services.offsite import chronic, registration
from tests import support


def test_the_demo_has_registrations_and_recognitions_in_every_state(gj: Any) -> None:
    demo.generate(gj, province="gansu", persons=300, seed=5, batch_size=300)
    clerk = gj.run(
        lambda uow: auth.principal_of(
            uow, uow.session.scalar(select(AppUser).where(AppUser.username == "staff_province"))
        )
    )
    c = support.ctx(gj, clerk)
    regs = gj.run(lambda uow: registration.staff_list(uow, c))
    recs = gj.run(lambda uow: chronic.staff_list(uow, c, gj.profile))
    assert {r["state"] for r in regs} == {"valid", "pending_start", "expired", "changed", "cancelled"}
    assert any(r["late"] for r in regs) and any(r["channel"] == "window_agent" for r in regs)
    assert {r["state"] for r in recs} == {"pending", "valid", "rejected", "revoked", "expired"}
    assert any(r["route"] == "institution" for r in recs)
