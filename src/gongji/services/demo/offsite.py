"""The demo's off-site care (seed 001 二、三): registrations and recognitions in every state, made
through the real use cases, so the staff pages show something on first run.

Registrations: valid long-term (one by an agent at the window), valid late registration (补办),
not yet started, expired (made 200 days ago), changed (and its successor), cancelled.
Recognitions: pending, valid (approved by a second clerk), rejected, revoked, expired, and one
recognized by a designated hospital (主动服务). Time-shifted cases run on a clock set back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Enrollment
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.bootstrap import Gongji
from gongji.domain import offsite as O
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.domain.registry import RETIRED
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.offsite import chronic, registration
from gongji.services.registry.persons import Ctx

CITIES = ("440300", "110000", "310000", "510100", "330100", "420100", "500000", "320100")
PROOF = frozenset({"id_card", "registration_form", "residence_proof"})
PROMISE = frozenset({"id_card", "registration_form", "commitment"})


def create_offsite_cases(gj: Gongji, *, province: str, province_code: str, exclude: set[int]) -> int:
    """Make the demo cases; returns how many rows were made (refusals are skipped, not fatal)."""
    profile = gj.profiles[province]
    with gj.uow() as uow:
        clerk, checker = (_principal(uow, f"staff_{n}") for n in ("province", "province2"))
        hospital = uow.session.scalar(select(AppUser).where(AppUser.role == "institution").order_by(AppUser.id))
        hospital_p = auth.principal_of(uow, hospital) if hospital is not None else None
        rows = uow.session.execute(
            select(Enrollment.person_id, Enrollment.psn_type, Enrollment.insutype)
            .where(Enrollment.status == "normal", Enrollment.region_code.startswith(province_code))
            .order_by(Enrollment.person_id)
            .limit(400)
        ).all()
    if clerk is None or checker is None:
        return 0
    retirees = [
        r.person_id for r in rows if r.insutype == "310" and r.psn_type == RETIRED and r.person_id not in exclude
    ]
    others = [r.person_id for r in rows if r.person_id not in exclude and r.person_id not in retirees]
    people = iter(dict.fromkeys(others))
    made = 0

    def ctx(who: Any, days_ago: int = 0) -> Ctx:
        clock = gj.clock if not days_ago else FixedClock(gj.clock.now() - timedelta(days=days_ago))
        return Ctx(principal=who, channel=Channel("system"), clock=clock)

    def run(step: Callable[[UnitOfWork], Any]) -> Any:
        nonlocal made

        def go(uow: UnitOfWork) -> Any:
            result = step(uow)
            uow.commit()
            return result

        try:
            result = gj.run(go)
        except GongjiError:
            return None
        made += 1
        return result

    def reg(c: Ctx, pid: int | None, kind: str, city: str, materials: frozenset[str], **kw: Any) -> Any:
        if pid is None:
            return None
        app = registration.Application(
            person_id=pid, kind=kind, destination_code=city, materials=materials, commitment_signed=True, **kw
        )
        return run(lambda uow: registration.register(uow, c, profile, app).id)

    today = gj.clock.today()
    if retirees:
        reg(
            ctx(clerk), retirees[0], "retiree_resettled", CITIES[0], PROOF, agent_name="演示代办", agent_relation="子女"
        )
    reg(ctx(clerk), next(people, None), "long_term_resident", CITIES[1], PROMISE)
    reg(
        ctx(clerk),
        next(people, None),
        "emergency",
        CITIES[2],
        PROMISE,
        late=O.Late(today - timedelta(days=3)),
        hospital="演示医院（异地住院）",
    )
    reg(ctx(clerk), next(people, None), "other_temporary", CITIES[3], PROMISE, start_date=today + timedelta(days=10))
    reg(
        ctx(clerk, 200),
        next(people, None),
        "referral",
        CITIES[4],
        frozenset({"id_card", "registration_form", "referral_proof"}),
    )
    changed = reg(ctx(clerk, 220), next(people, None), "long_term_resident", CITIES[5], PROOF)
    if changed is not None:
        run(
            lambda uow: registration.change(
                uow, ctx(clerk, 5), profile, registration_id=changed, destination_code=CITIES[6], reason="演示：迁居"
            )
        )
    cancelled = reg(ctx(clerk, 30), next(people, None), "other_temporary", CITIES[7], PROMISE)
    if cancelled is not None:
        run(
            lambda uow: registration.cancel(
                uow, ctx(clerk), profile, registration_id=cancelled, reason="演示：提前返回"
            )
        )

    def apply(c: Ctx, pid: int | None, disease: str, organ: str | None = None) -> Any:
        if pid is None:
            return None
        return run(lambda uow: chronic.apply(uow, c, profile, person_id=pid, disease=disease, organ=organ).id)

    apply(ctx(clerk), next(people, None), "hypertension")  # pending
    ok = apply(ctx(clerk), next(people, None), "diabetes")
    if ok is not None:
        run(lambda uow: chronic.approve(uow, ctx(checker), recognition_id=ok))
    no = apply(ctx(clerk), next(people, None), "dialysis")
    if no is not None:
        run(lambda uow: chronic.reject(uow, ctx(checker), recognition_id=no, reason="演示：诊断材料不全"))
    revoked = apply(ctx(clerk, 60), next(people, None), "transplant_antirejection", "kidney")
    if revoked is not None:
        run(lambda uow: chronic.approve(uow, ctx(checker, 59), recognition_id=revoked))
        run(lambda uow: chronic.revoke(uow, ctx(checker), recognition_id=revoked, reason="演示：复核不符合"))
    old = apply(ctx(clerk, 400), next(people, None), "hypertension")
    if old is not None:
        run(lambda uow: chronic.approve(uow, ctx(checker, 399), recognition_id=old))
    pid = next(people, None)
    if hospital_p is not None and pid is not None:
        run(
            lambda uow: chronic.recognize_at_institution(
                uow, ctx(hospital_p), profile, person_id=pid, disease="tumour_outpatient", physician="演示医师"
            )
        )
    return made


def _principal(uow: UnitOfWork, username: str) -> auth.Principal | None:
    user = uow.session.scalar(select(AppUser).where(AppUser.username == username))
    return auth.principal_of(uow, user) if user is not None else None


__all__ = ["create_offsite_cases"]
