"""The demo's 就医费用报销"一件事" cases (seed 001; issue 14 §5), made through the real use cases at
the window of the provincial clerk, so the staff queue shows something on first run: open and on
time, due today, past the committed limit, past the statutory limit, closed at once (即办件
only), closed after a second clerk's review, closed with a part refused, and a commitment whose
proof was handed in later. Cases accepted in the past run on a clock set back to that day; the
days are found on the working-day calendar, so "due today" is due today whenever the demo runs.
Provinces without the service (no ``[onething]`` in the profile) get none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import AppUser, Enrollment, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.bootstrap import Gongji
from gongji.domain import onething as T
from gongji.domain.calendar import WorkCalendar
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.services import auth, calendar
from gongji.services.audit import Channel
from gongji.services.offsite import chronic
from gongji.services.onething import apply as A
from gongji.services.onething import cases
from gongji.services.registry.persons import Ctx

PROMISE = ("id_card", "application_form", "commitment")
PROOF = ("id_card", "application_form", "residence_proof")
CITIES = ("620100", "440300", "110000", "310000", "510100", "330100", "420100", "500000", "320100", "610100")


def accepted_day(cal: WorkCalendar, today: date, *, committed: int, statutory: int, timing: str) -> date:
    """The latest day before ``today`` a case accepted on would stand at ``timing`` today."""
    for back in range(1, 60):
        day = today - timedelta(days=back)
        t = T.timing(cal, accepted_on=day, committed_days=committed, statutory_days=statutory, today=today)
        if t.state == timing:
            return day
    return today - timedelta(days=30)


def create_onething_cases(gj: Gongji, *, province: str, province_code: str, exclude: set[int]) -> int:
    """Make the demo cases; returns how many steps succeeded (refusals are skipped, not fatal)."""
    profile = gj.profiles[province]
    r = profile.onething
    if r is None:
        return 0
    with gj.uow() as uow:
        clerk, checker = (_principal(uow, f"staff_{n}") for n in ("province", "province2"))
        rows = uow.session.execute(
            select(Enrollment.person_id, Enrollment.insutype, Person.name)
            .join(Person, Person.id == Enrollment.person_id)
            .where(Enrollment.status == "normal", Enrollment.region_code.startswith(province_code))
            .order_by(Enrollment.person_id.desc())
            .limit(120)
        ).all()
        cal = calendar.load(uow)
    if clerk is None or checker is None:
        return 0
    names = {pid: name for pid, _, name in rows}
    employees = iter(dict.fromkeys(pid for pid, ins, _ in rows if ins == "310" and pid not in exclude))
    residents = iter(dict.fromkeys(pid for pid, ins, _ in rows if ins == "390" and pid not in exclude))
    cities: Iterator[str] = iter(CITIES)
    today, made = gj.clock.today(), 0

    def ctx(who: Any, day: date | None = None) -> Ctx:
        clock = gj.clock if day is None else FixedClock(datetime.combine(day, time(10, 0), tzinfo=SHANGHAI))
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

    def case(day: date | None, parts: tuple[str, ...], materials: tuple[str, ...] = PROMISE, **kw: Any) -> Any:
        pid = next(employees, None)
        if pid is None:
            return None
        app = A.Application(
            person_id=pid,
            parts=parts,
            materials=materials,
            signature=names[pid],
            commitment_signed=True,
            registration=A.RegistrationPart("long_term_resident", next(cities, "440300")),
            chronic=A.ChronicPart(kw.pop("disease", "hypertension")),
            **kw,
        )
        return run(lambda uow: A.apply(uow, ctx(clerk, day), profile, app).id)

    def review(case_id: int | None, day: date | None, *, approve: bool) -> None:
        if case_id is None:
            return

        def step(uow: UnitOfWork) -> None:
            view = cases.get(uow, ctx(checker, day), profile, case_id, audit_read=False)
            rec = next(p["recognition_id"] for p in view["parts"] if p["kind"] == T.CHRONIC)
            if approve:
                chronic.approve(uow, ctx(checker, day), recognition_id=rec)
            else:
                chronic.reject(uow, ctx(checker, day), recognition_id=rec, reason="演示：诊断证明不全")

        run(step)

    def back(timing: str) -> date:
        return accepted_day(
            cal, today, committed=r.committed_working_days, statutory=r.statutory_working_days, timing=timing
        )

    review_parts = (T.REGISTRATION, T.CHRONIC, T.SETTLEMENT)
    case(None, review_parts)  # open, on time
    case(back(T.DUE_TODAY), review_parts, disease="diabetes")  # due today
    case(back(T.OVERDUE), (T.CHRONIC,), disease="dialysis")  # past the committed limit
    case(back(T.STATUTORY_OVERDUE), review_parts, disease="tumour_outpatient")  # past the statutory limit
    case(None, (T.REGISTRATION, T.SETTLEMENT), PROOF, agent_name="演示代办", agent_relation="配偶")  # 即办件 only
    reviewed_on = back(T.DUE_TODAY)
    review(case(reviewed_on, review_parts), reviewed_on + timedelta(days=1), approve=True)  # closed after review
    review(case(None, review_parts, disease="diabetes"), None, approve=False)  # closed, a part refused
    relative = next(residents, None)
    if relative is not None:  # family binding inside the case (in-province relative)
        family = A.FamilyPart(names.get(relative, ""), _cert(gj, relative), "sibling")
        case(None, (T.FAMILY, T.SETTLEMENT), ("id_card", "application_form"), family=family)
    proof_case = case(None, (T.REGISTRATION,))
    if proof_case is not None:
        run(lambda uow: cases.receive_proof(uow, ctx(checker), case_id=proof_case, material="residence_proof"))
    return made


def _cert(gj: Gongji, person_id: int) -> str:
    with gj.uow() as uow:
        person = uow.session.get(Person, person_id)
        return person.cert_no if person is not None else ""


def _principal(uow: UnitOfWork, username: str) -> auth.Principal | None:
    user = uow.session.scalar(select(AppUser).where(AppUser.username == username))
    return auth.principal_of(uow, user) if user is not None else None


__all__ = ["accepted_day", "create_onething_cases"]
