"""Cross-region family payments booked as seed 003 does (issue 15 §1; 附件二(二)2, 附件四(一)2),
on SQLite and PostgreSQL: the authorizer's account is debited at once, the relative's region
advances the family part to the institution in full, and the amount is carried between the two
regions under 暂付款/暂收款 – 家庭共济医药费用 until the monthly clearing; within one region
nothing is booked between regions; a cancellation takes it back; the ledger checks hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerAccount
from gongji.domain import ledger as L
from gongji.services import ledger
from gongji.services.backoffice.advances import advance_account, held_account
from gongji.services.family import payment as family_payment
from tests import backoffice_support as B
from tests.nhsa_support import fen


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def bal(p: B.Province, code: str) -> int:
    return p.gj.run(lambda uow: ledger.balances_of(uow, [code])[code])


def ledger_ok(p: B.Province) -> bool:
    return p.gj.run(lambda uow: ledger.check_ledger(uow).ok)


def test_relatives_region_advances_and_the_pair_carries_it_until_clearing_seed003_2_2(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    info = B.settle(zj, B.NINGBO, nb_child, 80_00)
    assert fen(info["acct_mulaid_pay"]) == 80_00 and fen(info["psn_cash_pay"]) == 0
    # the authorizer sees the debit at once
    assert bal(zj, L.personal_past(hz)) == 420_00
    # the hospital is owed the family part in full (nothing held back)
    assert bal(zj, family_payment.institution_payee(B.HOSPITALS[B.NINGBO])) == 80_00
    # 宁波 advanced 80.00 for 杭州; 杭州 holds 80.00 of its insured's money for 宁波
    assert bal(zj, advance_account(B.NINGBO, B.HANGZHOU)) == -80_00
    assert bal(zj, held_account(B.HANGZHOU, B.NINGBO)) == 80_00
    assert ledger_ok(zj)


def test_a_draw_within_one_pooling_region_books_nothing_between_regions_seed003_2_1(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    hz_child = B.relative_of(zj, hz, B.HANGZHOU, "钱一")
    B.settle(zj, B.HANGZHOU, hz_child, 50_00)
    assert bal(zj, L.personal_past(hz)) == 450_00

    def pairs(uow: Any) -> int:
        q = select(func.count()).select_from(LedgerAccount).where(LedgerAccount.code.like("clearing:family:%"))
        return int(uow.session.scalar(q))

    assert zj.gj.run(pairs) == 0
    assert ledger_ok(zj)


def test_an_off_site_draw_is_carried_between_the_relatives_and_the_authorizers_regions_seed003_2_3(zj):
    """附件二(三)2: a 宁波 relative treated in 温州 on a 杭州 authorizer — the second clearing is
    between 宁波 (insured place, advancing) and 杭州, not the treatment place."""
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    B.settle(zj, B.WENZHOU, nb_child, 30_00)
    assert bal(zj, advance_account(B.NINGBO, B.HANGZHOU)) == -30_00
    assert bal(zj, held_account(B.HANGZHOU, B.NINGBO)) == 30_00
    assert bal(zj, family_payment.institution_payee(B.HOSPITALS[B.WENZHOU])) == 30_00
    assert ledger_ok(zj)


def test_cancelling_the_settlement_takes_the_pair_back_and_refunds_the_authorizer(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    info = B.settle(zj, B.NINGBO, nb_child, 80_00)
    B.cancel(zj, B.NINGBO, info)
    assert bal(zj, L.personal_past(hz)) == 500_00
    assert bal(zj, advance_account(B.NINGBO, B.HANGZHOU)) == 0
    assert bal(zj, held_account(B.HANGZHOU, B.NINGBO)) == 0
    assert ledger_ok(zj)
