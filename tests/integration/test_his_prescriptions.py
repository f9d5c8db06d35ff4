"""The simulator's external-prescription rounds (``gongji his-rx``) against the app in process, on
SQLite and PostgreSQL: upload → fetch → dispense → settle for every round, and the rounds that try
to settle more than was dispensed refused (seed 004: 超量开药; issue 14 §6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gongji.adapters.db.models import Prescription, Settlement
from gongji.bootstrap import Gongji
from gongji.entrypoints import his_prescriptions as rx
from gongji.entrypoints import his_simulator as sim
from gongji.entrypoints.api.app import create_app
from tests import nhsa_support as N
from tests import support as S

ROUNDS = 12
SEED = 3  # on this cast: 2 rounds try one tablet too many


@pytest.fixture
def client(gj: Gongji) -> Iterator[TestClient]:
    with TestClient(create_app(gj), raise_server_exceptions=False) as c:
        yield c


def test_every_prescription_round_settles_and_over_quantity_rounds_are_refused_seed004(gj, client):
    office = S.staff(gj, ["620000"])
    N.institution(gj, "H62010200001", region="620102")  # 兰州市城关区: centre live (Gansu profile)
    N.institution(gj, "P62010200001", region="620102", kind="pharmacy", level=0)
    N.institution(gj, "H62070200001", region="620702")  # 张掖: no centre, never chosen
    for i, name in enumerate(("甲一", "乙二", "丙三")):
        S.employee(gj, office, region="620102", name=name, birth=date(1960 + i, 1, 1), income_fen=50_000)
    cast = sim.load_cast(gj)
    assert {(h.code, p.code) for h, p in rx.pairs(gj, cast)} == {("H62010200001", "P62010200001")}

    progress: list[int] = []
    out = rx.run(lambda: client, gj, count=ROUNDS, seed=SEED, cast=cast, on_progress=lambda d, t: progress.append(d))
    assert progress == list(range(1, ROUNDS + 1))
    assert out.refused == {}, out.refused
    assert out.over_quantity_refused >= 1
    assert out.settled + out.over_quantity_refused == ROUNDS

    def facts(uow: Any) -> tuple[dict[str, int], int]:
        states = dict(
            uow.session.execute(
                select(Prescription.status, func.count())
                .where(Prescription.hi_rxno.in_(out.numbers))
                .group_by(Prescription.status)
            ).all()
        )
        linked = uow.session.scalar(
            select(func.count())
            .select_from(Prescription)
            .join(Settlement, Settlement.id == Prescription.dispensed_setl_id)
            .where(Prescription.hi_rxno.in_(out.numbers), Settlement.fixmedins_code == "P62010200001")
        )
        return states, int(linked or 0)

    states, linked = gj.run(facts)
    assert states == {"dispensed": ROUNDS}  # every one dispensed once, by the pharmacy that fetched it
    assert linked == out.settled  # the refused sales left theirs unsettled
