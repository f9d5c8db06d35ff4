"""``ledger.post_many``: many transactions in a few statements, as ``post`` would record them one by one.

Used by the tax bureau's set-based batch (``premium_batch``); the batch's equivalence test compares
its rows with the per-request path's. Here the ledger contract alone, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import LedgerAccount, LedgerPosting, LedgerTxn
from gongji.domain import ledger as L
from gongji.domain.errors import IdempotencyConflict, InsufficientBalance
from gongji.services import ledger

SOURCE = "external:test-source"


def _accounts(gj, prefix: str, funded: dict[str, int]) -> None:
    def go(uow: Any) -> None:
        now = gj.clock.now()
        ledger.ensure_account(uow, code=SOURCE, kind=L.AccountKind.EXTERNAL, now=now)
        for name, fen in funded.items():
            code = f"family:{prefix}{name}"
            ledger.ensure_account(uow, code=code, kind=L.AccountKind.FAMILY, now=now)
            if fen:
                draft = L.TransactionDraft(f"fund-{code}", "test.fund", "注资", L.transfer(SOURCE, code, fen))
                ledger.post(uow, draft, request={"fund": code}, now=now)
        ledger.ensure_account(uow, code=f"external:{prefix}income", kind=L.AccountKind.EXTERNAL, now=now)
        uow.commit()

    gj.run(go)


def _entries(prefix: str) -> list[ledger.PostEntry]:
    """Three payments, two of them from one account: the balances follow entry order."""
    income = f"external:{prefix}income"
    out = []
    for n, (name, fen) in enumerate((("a", 300), ("b", 200), ("a", 500))):
        key = f"{prefix}pay-{n}"
        draft = L.TransactionDraft(key, "test.pay", "支付", L.transfer(f"family:{prefix}{name}", income, fen))
        out.append(ledger.PostEntry(draft, {"n": n, "fen": fen}, {"note": n}))
    return out


def _rows(gj, keys: list[str]) -> list[Any]:
    def go(uow: Any) -> list[Any]:
        out = []
        for key in keys:
            txn = uow.session.scalars(select(LedgerTxn).where(LedgerTxn.idempotency_key == key)).one()
            postings = uow.session.execute(
                select(LedgerAccount.code, LedgerPosting.amount_fen, LedgerPosting.balance_after_fen)
                .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
                .where(LedgerPosting.txn_id == txn.id)
                .order_by(LedgerPosting.id)
            ).all()
            out.append((txn.request_hash, txn.kind, txn.narration, txn.result_json, [tuple(p) for p in postings]))
        return out

    return gj.run(go)


def _strip(prefix: str, rows: list[Any]) -> str:
    return repr(rows).replace(prefix, "")


def test_post_many_writes_what_post_writes_one_by_one(gj):
    _accounts(gj, "one-", {"a": 1_000, "b": 200})
    _accounts(gj, "many-", {"a": 1_000, "b": 200})

    def one_by_one(uow: Any) -> list[dict[str, Any]]:
        bodies = [
            ledger.post(uow, e.draft, request=e.request, now=gj.clock.now(), extra=e.extra).body
            for e in _entries("one-")
        ]
        uow.commit()
        return bodies

    def many(uow: Any) -> list[dict[str, Any]]:
        results = ledger.post_many(uow, _entries("many-"), now=gj.clock.now())
        uow.commit()
        assert not any(r.replayed for r in results)
        return [r.body for r in results]

    one, at_once = gj.run(one_by_one), gj.run(many)
    strip = lambda bodies: [{k: v for k, v in b.items() if k != "txn_id"} for b in bodies]  # noqa: E731
    assert _strip("one-", strip(one)) == _strip("many-", strip(at_once))
    assert [b["postings"][0]["balance_fen"] for b in at_once] == [700, 0, 200]  # family:a: 1000 → 700 → 200
    assert _strip("one-", _rows(gj, [f"one-pay-{n}" for n in range(3)])) == _strip(
        "many-", _rows(gj, [f"many-pay-{n}" for n in range(3)])
    )
    balances = gj.run(lambda uow: ledger.balances_of(uow, ["family:many-a", "family:many-b", "external:many-income"]))
    assert balances == {"family:many-a": 200, "family:many-b": 0, "external:many-income": 1_000}
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def test_post_many_replays_known_keys_and_refuses_another_body(gj):
    _accounts(gj, "r-", {"a": 1_000, "b": 200})
    entries = _entries("r-")

    def first(uow: Any) -> None:
        ledger.post_many(uow, entries[:1], now=gj.clock.now())
        uow.commit()

    gj.run(first)

    def again(uow: Any) -> list[ledger.PostResult]:
        results = ledger.post_many(uow, [*entries, entries[1]], now=gj.clock.now())
        uow.commit()
        return results

    results = gj.run(again)
    assert [r.replayed for r in results] == [True, False, False, True]
    assert results[3].body == results[1].body
    assert gj.run(lambda uow: ledger.balances_of(uow, ["family:r-a"]))["family:r-a"] == 200

    other = ledger.PostEntry(entries[0].draft, {"n": 0, "fen": 1})
    with pytest.raises(IdempotencyConflict):
        gj.run(lambda uow: ledger.post_many(uow, [other], now=gj.clock.now()))


def test_post_many_refuses_where_post_would_and_writes_nothing(gj):
    _accounts(gj, "x-", {"a": 700, "b": 200})  # the third entry would take family:x-a below zero

    def go(uow: Any) -> None:
        ledger.post_many(uow, _entries("x-"), now=gj.clock.now())
        uow.commit()

    with pytest.raises(InsufficientBalance) as err:
        gj.run(go)
    assert err.value.detail["account"] == "family:x-a"
    count = gj.run(lambda uow: len(uow.session.scalars(select(LedgerTxn.id).where(LedgerTxn.kind == "test.pay")).all()))
    assert count == 0
    assert gj.run(lambda uow: ledger.balances_of(uow, ["family:x-a"]))["family:x-a"] == 700
