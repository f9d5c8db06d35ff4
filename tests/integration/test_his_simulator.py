"""The hospital simulator (``gongji his``) against the app in process, on SQLite and PostgreSQL:
a small demo province, the full outpatient flow 1101 → 2201 → 2206 → 2207 (→ 2208) for each
round, every 2207 answer adding up, the ledger balanced afterwards, and refusals counted
instead of raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gongji.adapters.db.models import Institution, Settlement
from gongji.bootstrap import Gongji
from gongji.entrypoints import his_simulator as sim
from gongji.entrypoints.api.app import create_app
from gongji.services import ledger
from gongji.services.demo import province as demo

PERSONS = 120
ROUNDS = 20
SEED = 7  # on this demo: 2 cancellations, flags 0/1/2, 3 pharmacy rounds, 3 bound relatives


@pytest.fixture
def province(gj: Gongji) -> Gongji:
    demo.generate(gj, province="gansu", persons=PERSONS, seed=5, batch_size=60)
    return gj


@pytest.fixture
def client(province: Gongji) -> Iterator[TestClient]:
    with TestClient(create_app(province), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def result(province: Gongji, client: TestClient) -> sim.SimulationResult:
    progress: list[int] = []
    out = sim.run_simulation(
        lambda: client,
        province,
        count=ROUNDS,
        concurrency=1,
        style="mixed",
        seed=SEED,
        on_progress=lambda done, total: progress.append(done),
    )
    assert progress == list(range(1, ROUNDS + 1))
    return out


def test_every_round_settles_med_type_41_at_pharmacies_and_about_one_in_ten_is_cancelled(province, result):
    assert result.errors == {} and result.refused == {}, (result.errors, result.refused)
    assert result.settlements == ROUNDS
    assert result.cancelled >= 1
    assert result.calls["2207"] == ROUNDS and result.calls["2208"] == result.cancelled
    assert len(result.latencies_2207) == ROUNDS and result.tps > 0

    ours = [int(s.setl_id) for s in result.settled]  # the demo itself settled one purchase before

    def rows(uow: Any) -> tuple[int, int, set[tuple[str, str]]]:
        count = select(func.count()).select_from(Settlement)
        settled = uow.session.scalar(count.where(Settlement.refd_setl_flag == "0", Settlement.id.in_(ours)))
        reversals = uow.session.scalar(count.where(Settlement.refd_setl_flag == "1", Settlement.reverses_id.in_(ours)))
        kinds = uow.session.execute(
            select(Institution.kind, Settlement.med_type)
            .join(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
            .where(Settlement.id.in_(ours))
            .distinct()
        )
        return settled, reversals, {tuple(r) for r in kinds}

    settled, reversals, kinds = province.run(rows)
    assert (settled, reversals) == (result.settlements, result.cancelled)
    assert kinds == {("hospital", "11"), ("pharmacy", "41")}


def test_every_2207_answer_adds_up_medfee_fund_personal_hospital_and_account_cash(result):
    assert result.settled
    for s in result.settled:
        assert s.medfee_fen == s.fund_fen + s.psn_part_fen + s.hosp_part_fen, s
        assert s.psn_part_fen == s.acct_fen + s.cash_fen, s
        if s.acct_used_flag == "0":
            assert s.acct_fen == 0, s
    assert result.not_adding_up == []
    assert {s.acct_used_flag for s in result.settled} >= {"1", "2"}


def test_the_ledger_balances_after_settling_and_cancelling(province, result):
    assert result.settlements and result.cancelled
    with province.uow() as uow:
        check = ledger.check_ledger(uow)
    assert check.ok, check


def test_refusals_are_counted_by_message_and_the_run_goes_on(province, client):
    cast = sim.load_cast(province)
    stranger = sim.Patient(person_id=0, certno="110101199001011237", name="无此人", insutype="310")
    cast = replace(cast, patients=(stranger, *cast.patients[:3]), relatives=())
    out = sim.run_simulation(lambda: client, province, count=12, concurrency=1, style="body", seed=1, cast=cast)
    assert out.refusals >= 1 and out.settlements >= 1
    assert out.refusals + out.settlements == 12
    assert all(message.startswith("1101 ") for message in out.refused), out.refused
