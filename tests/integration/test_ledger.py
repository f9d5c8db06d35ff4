"""Ledger rules (SPEC §2, issue: Ledger): balanced, append-only, idempotent, never negative."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerPosting, LedgerTxn
from gongji.domain import ledger as L
from gongji.domain.errors import IdempotencyConflict, InsufficientBalance, UnbalancedTransaction
from gongji.services import ledger

_runs = itertools.count()
ACCOUNTS = ["personal:1:current", "personal:2:current", "family:3", "external:world"]


def _open_accounts(gj, opening_fen: int = 10_000) -> None:
    def go(uow):
        now = gj.clock.now()
        for code in ACCOUNTS:
            kind = L.AccountKind.EXTERNAL if code.startswith("external") else L.AccountKind.PERSONAL
            ledger.ensure_account(uow, code=code, kind=kind, now=now)
        for code in ACCOUNTS[:3]:
            ledger.post(
                uow,
                L.TransactionDraft(
                    f"open-{code}", "opening", "opening", L.transfer("external:world", code, opening_fen)
                ),
                request={"open": code},
                now=now,
            )
        uow.commit()

    gj.run(go)


def _transfer(gj, key: str, source: str, target: str, amount: int) -> ledger.PostResult:
    def go(uow):
        r = ledger.post(
            uow,
            L.TransactionDraft(key, "test", "test transfer", L.transfer(source, target, amount)),
            request={"source": source, "target": target, "amount": amount},
            now=gj.clock.now(),
        )
        uow.commit()
        return r

    return gj.run(go)


def _check(gj) -> ledger.LedgerCheck:
    with gj.uow() as uow:
        return ledger.check_ledger(uow)


moves = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.integers(1, 15_000)).filter(
        lambda m: m[0] != m[1]
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=moves)
def test_random_transfers_keep_the_ledger_balanced_and_never_negative(gj, sequence):
    """Σ postings = 0, balance = opening + Σ postings, no non-negative account below zero."""
    run = next(_runs)
    with gj.uow() as uow:
        fresh = uow.session.scalar(select(func.count()).select_from(LedgerTxn)) == 0
    if fresh:
        _open_accounts(gj)
    expected = {}
    with gj.uow() as uow:
        expected = ledger.balances_of(uow, ACCOUNTS)
    for i, (source, target, amount) in enumerate(sequence):
        try:
            _transfer(gj, f"{run}-{i}", source, target, amount)
        except InsufficientBalance:
            assert not source.startswith("external") and expected[source] < amount
            continue
        expected[source] -= amount
        expected[target] += amount
    with gj.uow() as uow:
        assert ledger.balances_of(uow, ACCOUNTS) == expected
    check = _check(gj)
    assert check.ok, check
    assert all(v >= 0 for k, v in expected.items() if not k.startswith("external"))


def test_replay_with_the_same_key_returns_the_same_body_and_moves_nothing(gj):
    _open_accounts(gj)
    first = _transfer(gj, "pay-1", "personal:1:current", "personal:2:current", 700)
    again = _transfer(gj, "pay-1", "personal:1:current", "personal:2:current", 700)
    assert again.replayed and not first.replayed
    assert again.body == first.body
    with gj.uow() as uow:
        assert ledger.balances_of(uow, ["personal:1:current"])["personal:1:current"] == 10_000 - 700
        assert (
            uow.session.scalar(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.idempotency_key == "pay-1"))
            == 1
        )


def test_same_key_with_a_different_body_is_a_conflict_and_writes_nothing(gj):
    _open_accounts(gj)
    _transfer(gj, "pay-2", "personal:1:current", "personal:2:current", 700)
    with pytest.raises(IdempotencyConflict) as err:
        _transfer(gj, "pay-2", "personal:1:current", "personal:2:current", 701)
    assert err.value.code == "E_IDEMPOTENCY_MISMATCH"
    assert _check(gj).ok
    with gj.uow() as uow:
        assert ledger.balances_of(uow, ["personal:2:current"])["personal:2:current"] == 10_700


def test_a_debit_beyond_the_balance_is_refused_and_nothing_is_written(gj):
    _open_accounts(gj)
    with pytest.raises(InsufficientBalance):
        _transfer(gj, "too-much", "personal:1:current", "personal:2:current", 10_001)
    with gj.uow() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(LedgerTxn).where(LedgerTxn.idempotency_key == "too-much")
            )
            == 0
        )
        assert ledger.balances_of(uow, ["personal:1:current"])["personal:1:current"] == 10_000


def test_unbalanced_postings_are_refused():
    with pytest.raises(UnbalancedTransaction):
        L.validate_postings([L.Posting("a", -5), L.Posting("b", 4)])
    with pytest.raises(UnbalancedTransaction):
        L.validate_postings([L.Posting("a", 0), L.Posting("b", 0)])


def test_a_reversal_restores_balances_and_history_keeps_both(gj):
    _open_accounts(gj)
    first = _transfer(gj, "pay-3", "personal:1:current", "personal:2:current", 2_500)

    def reverse(uow):
        postings = [L.Posting(p["account"], p["amount_fen"]) for p in first.body["postings"]]
        ledger.post(
            uow,
            L.TransactionDraft(
                "rev-3", "reversal", "冲正", L.reversal_of(postings), reverses_txn_id=first.body["txn_id"]
            ),
            request={"reverse": "pay-3"},
            now=gj.clock.now(),
        )
        uow.commit()

    gj.run(reverse)
    with gj.uow() as uow:
        assert ledger.balances_of(uow, ["personal:1:current", "personal:2:current"]) == {
            "personal:1:current": 10_000,
            "personal:2:current": 10_000,
        }
        assert uow.session.scalar(select(func.count()).select_from(LedgerPosting)) == 3 * 2 + 2 + 2
    assert _check(gj).ok


@pytest.mark.parametrize("threads", [16])
def test_concurrent_debits_of_one_account_never_overdraw_it(gj, threads):
    """16 threads debit one account; exactly ⌊balance/amount⌋ succeed and the balance is exact."""
    _open_accounts(gj, opening_fen=10_000)
    amount = 700
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(n: int) -> None:
        barrier.wait()
        try:
            _transfer(gj, f"race-{n}", "personal:1:current", "personal:2:current", amount)
            outcome = "ok"
        except InsufficientBalance:
            outcome = "refused"
        with lock:
            results.append(outcome)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert results.count("ok") == 10_000 // amount
    assert results.count("refused") == threads - 10_000 // amount
    with gj.uow() as uow:
        assert ledger.balances_of(uow, ["personal:1:current"])["personal:1:current"] == 10_000 % amount
    assert _check(gj).ok
