"""Migration 0021 books cross-region family payments made before issue 15 §1 between the two
regions (seed 003 附件二(二)2), and its downgrade takes exactly that back; the ledger checks hold
on both sides, and a payment already booked the new way is not booked twice (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import func, select

from gongji.adapters.db.migrate import alembic_config
from gongji.adapters.db.models import LedgerTxn
from gongji.services import ledger
from gongji.services.backoffice import advances
from gongji.services.backoffice.advances import advance_account, held_account
from tests import backoffice_support as B


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def pair(p: B.Province) -> tuple[int, int]:
    codes = [advance_account(B.NINGBO, B.HANGZHOU), held_account(B.HANGZHOU, B.NINGBO)]
    got = p.gj.run(lambda uow: ledger.balances_of(uow, codes))
    return got[codes[0]], got[codes[1]]


def migrated_txns(p: B.Province) -> int:
    q = select(func.count()).select_from(LedgerTxn).where(LedgerTxn.idempotency_key.like("migration-0021:%"))
    return int(p.gj.run(lambda uow: uow.session.scalar(q)))


def test_old_cross_region_payments_are_moved_between_the_regions_and_back(zj, monkeypatch):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 900_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    with monkeypatch.context() as m:  # booked as before issue 15 §1: no pair
        m.setattr(advances, "cross_region_postings", lambda *a, **k: ())
        B.settle(zj, B.NINGBO, nb_child, 70_00)
        cancelled = B.settle(zj, B.NINGBO, nb_child, 20_00)
        B.cancel(zj, B.NINGBO, cancelled)
    assert pair(zj) == (0, 0)
    B.settle(zj, B.NINGBO, nb_child, 5_00)  # booked the new way already
    assert pair(zj) == (-5_00, 5_00)

    url = zj.gj.settings.database_url
    zj.gj.engine.dispose()
    command.downgrade(alembic_config(url), "0020")
    command.upgrade(alembic_config(url), "head")
    # 70.00 + 20.00 − 20.00 moved, the 5.00 not twice
    assert pair(zj) == (-75_00, 75_00)
    assert migrated_txns(zj) == 3
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow).ok)

    zj.gj.engine.dispose()
    command.downgrade(alembic_config(url), "0020")
    assert pair(zj) == (-5_00, 5_00)
    assert migrated_txns(zj) == 0
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow).ok)

    zj.gj.engine.dispose()
    command.upgrade(alembic_config(url), "head")
    assert pair(zj) == (-75_00, 75_00)
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow).ok)
