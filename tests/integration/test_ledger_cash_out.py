"""Personal-account money never becomes cash (issue 12 Part B rule 1, check-ledger invariant).

Seed 001 第十六条: the personal account pays medical costs (and, under family mutual aid, a
relative's); seed 002 §四(二)1-2: what reaches a person's 一卡通 or bank card is the assistance
fund's subsidy; seed 003 附件 二(四): the one exception, 就医共济零星报销, reimburses invoiced costs.
``ledger.post`` refuses such a posting (E_LEDGER_CASH_OUT) and ``gongji check-ledger`` reports any
that got in behind its back. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select, update
from typer.testing import CliRunner

from gongji.adapters.db.models import LedgerAccount, LedgerPosting, LedgerTxn
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.errors import PersonalMoneyToCash
from gongji.entrypoints.cli import app
from gongji.services import ledger
from gongji.services.demo import province as demo
from tests import support

runner = CliRunner()


@pytest.fixture
def funded(gj: Gongji) -> int:
    """An employee with 1,000.00 in the current-year personal account; the payout account exists."""
    staff = support.staff(gj, ["620700"])
    pid = support.employee(gj, staff, income_fen=100_000)

    def go(uow: Any) -> None:
        ledger.ensure_account(uow, code=L.cash_payout(pid), kind=L.AccountKind.EXTERNAL, now=gj.clock.now())
        uow.commit()

    gj.run(go)
    return pid


def _post(gj: Gongji, pid: int, *, kind: str, extra: dict[str, Any] | None = None, key: str = "k1") -> Any:
    def go(uow: Any) -> Any:
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=key,
                kind=kind,
                narration="测试",
                postings=L.transfer(L.personal_current(pid), L.cash_payout(pid), 5_000),
            ),
            request={"op": kind, "key": key},
            now=gj.clock.now(),
            extra=extra,
        )
        uow.commit()
        return result

    return gj.run(go)


def _txns(gj: Gongji) -> int:
    return len(gj.run(lambda uow: uow.session.scalars(select(LedgerTxn.id)).all()))


def test_posting_personal_money_to_a_cash_payout_is_refused_seed001_s16(gj: Gongji, funded: int) -> None:
    """001 第十六条 / 002 §四(二)1: a transfer personal → card is E_LEDGER_CASH_OUT; nothing written."""
    before = _txns(gj)
    for kind, extra in (
        ("subsidy.roster_payout", None),
        ("reimburse.sporadic", None),  # a reimbursement without its invoices
        ("reimburse.sporadic", {"invoices": []}),
        ("refund.cash", {"invoices": ["INV-1"]}),  # invoices, but not a reimbursement
    ):
        with pytest.raises(PersonalMoneyToCash) as info:
            _post(gj, funded, kind=kind, extra=extra)
        assert info.value.code == "E_LEDGER_CASH_OUT"
    assert _txns(gj) == before
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_the_set_based_post_many_refuses_it_too_seed001_s16(gj: Gongji, funded: int) -> None:
    """``post_many`` (the tax batch's path) applies the same rule; nothing of the batch is written."""
    before = _txns(gj)
    fine = L.TransactionDraft(
        "ok-1", "test.move", "测试", L.transfer(L.personal_current(funded), "external:opening", 1)
    )
    bad = L.TransactionDraft(
        "bad-1", "test.cash", "测试", L.transfer(L.personal_current(funded), L.cash_payout(funded), 1)
    )

    def go(uow: Any) -> None:
        ledger.post_many(uow, [ledger.PostEntry(fine, {"k": 1}), ledger.PostEntry(bad, {"k": 2})], now=gj.clock.now())
        uow.commit()

    with pytest.raises(PersonalMoneyToCash):
        gj.run(go)
    assert _txns(gj) == before


def test_an_invoiced_reimbursement_may_pay_to_a_card_seed003_s2_4(gj: Gongji, funded: int) -> None:
    """003 附件 二(四) 就医共济零星报销: the explicit exception — kind ``reimburse.*`` naming invoices."""
    _post(gj, funded, kind="reimburse.sporadic", extra={"invoices": ["FP-2026-0001", "FP-2026-0002"]})
    check = gj.run(lambda uow: ledger.check_ledger(uow))
    assert check.ok and check.cash_out_txns == []


def test_check_ledger_reports_a_forged_cash_out_posting_seed001_s16(
    gj: Gongji, funded: int, db_url, monkeypatch, tmp_path
) -> None:
    """A transaction written behind ``ledger.post``'s back (personal → card, balanced, balances
    kept consistent) is reported by ``check_ledger`` and makes ``gongji check-ledger`` fail."""
    now = gj.clock.now()
    with gj.engine.begin() as c:
        ids = dict(c.execute(select(LedgerAccount.code, LedgerAccount.id)).all())
        src, dst = ids[L.personal_current(funded)], ids[L.cash_payout(funded)]
        txn = c.execute(
            insert(LedgerTxn)
            .values(
                idempotency_key="forged-1",
                request_hash="0" * 64,
                kind="subsidy.roster_payout",
                narration="伪造",
                created_at=now,
                result_json="{}",
            )
            .returning(LedgerTxn.id)
        ).scalar_one()
        for account, amount in ((src, -5_000), (dst, 5_000)):
            balance = c.execute(select(LedgerAccount.balance_fen).where(LedgerAccount.id == account)).scalar_one()
            c.execute(
                insert(LedgerPosting).values(
                    txn_id=txn, account_id=account, amount_fen=amount, balance_after_fen=balance + amount
                )
            )
            c.execute(update(LedgerAccount).where(LedgerAccount.id == account).values(balance_fen=balance + amount))
    check = gj.run(lambda uow: ledger.check_ledger(uow))
    assert not check.ok and check.cash_out_txns == [(txn, "subsidy.roster_payout")]
    assert not check.drifted_accounts and not check.unbalanced_txns  # only the new invariant catches it

    monkeypatch.setenv("GONGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("GONGJI_VAR_DIR", str(tmp_path))
    result = runner.invoke(app, ["check-ledger"])
    assert result.exit_code == 1 and "paid out as cash" in result.output


@pytest.mark.parametrize("province", ["gansu", "zhejiang"])
def test_check_ledger_passes_on_the_demo_data(gj: Gongji, province: str) -> None:
    """The demo (family mutual aid, settlement, premiums) moves no personal money to a card."""
    demo.generate(gj, province=province, persons=400, seed=5, batch_size=200)
    check = gj.run(lambda uow: ledger.check_ledger(uow))
    assert check.ok and check.cash_out_txns == []
