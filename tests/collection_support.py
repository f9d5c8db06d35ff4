"""Builders for the collection tests (issue 16): units, members, payments on chosen days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.services.auth import Principal
from gongji.services.collection import task, units
from gongji.services.resident import channels
from tests import support

YEAR = 2027  # collected in 2026, the test clock's year
DISTRICT = "620702"


def run(gj: Gongji, fn: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow)
        uow.commit()
        return out

    return gj.run(go)


def unit(gj: Gongji, by: Principal, name: str, kind: str, *, parent: int | None = None, region: str = DISTRICT) -> int:
    c = support.ctx(gj, by)
    return run(
        gj,
        lambda uow: (
            units.create_unit(uow, c, name=name, kind=kind, parent_id=parent, region_code=None if parent else region).id
        ),
    )


def member(gj: Gongji, by: Principal, person_id: int, unit_id: int, basis: str = "household") -> None:
    c = support.ctx(gj, by)
    run(gj, lambda uow: units.assign(uow, c, person_id=person_id, unit_id=unit_id, basis=basis, reason="户籍所在村"))


def residents(gj: Gongji, by: Principal, unit_id: int, n: int) -> list[int]:
    out = []
    for i in range(n):
        pid = support.resident(gj, by, name=f"王{'一二三四五六七八九十'[i % 10]}")
        member(gj, by, pid, unit_id)
        out.append(pid)
    return out


def compute(gj: Gongji, by: Principal, region: str = DISTRICT) -> dict[str, int]:
    c = support.ctx(gj, by)
    return run(gj, lambda uow: task.compute(uow, c, region_code=region, benefit_year=YEAR))


def pay_on(gj: Gongji, by: Principal, person_id: int, day: date) -> None:
    """A bank payment of the year's premium booked on ``day`` (business clock moved there)."""
    clock = gj.clock
    saved = clock.at  # type: ignore[attr-defined]
    clock.at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)  # type: ignore[attr-defined]
    try:
        c = support.ctx(gj, by)
        cert = support.person_cert(gj, person_id)
        run(
            gj,
            lambda uow: channels.record_payment(
                uow,
                c,
                gj.profile,
                cert_no=cert,
                benefit_year=YEAR,
                amount_fen=gj.profile.premium_for(YEAR).individual_fen,
                channel="bank",
                reference=f"BANK-{person_id}-{day}",
            ),
        )
    finally:
        clock.at = saved  # type: ignore[attr-defined]
