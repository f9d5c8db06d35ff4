"""The demo's books (issue 15 §5 "the trial balance balances"; seed 003 附件四), on SQLite and
PostgreSQL: every ledger account the demo creates maps to an accounting subject (an account added
later without a mapping row fails here), every month of demo activity balances in every region and
in the province, each month opens where the last closed, and the vouchers the database sums are
the ones ``domain.accounting`` computes posting by posting."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import LedgerAccount, LedgerPosting, LedgerTxn
from gongji.domain.accounting import voucher_lines
from gongji.domain.clock import SHANGHAI
from gongji.services.backoffice import accounting as A
from gongji.services.backoffice import accounting_sql as Q
from gongji.services.demo import province as demo
from tests import support as S


def _local(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI)


def test_the_demo_months_are_mapped_balanced_and_continuous_and_the_sql_matches_the_rules(gj):
    demo.generate(gj, province="zhejiang", persons=300, seed=3)
    c = A.chart()
    assert gj.run(lambda uow: Q.unmapped(uow.session.connection(), c, end=datetime(2100, 1, 1, tzinfo=SHANGHAI))) == []

    def postings(uow: Any) -> list[Any]:
        q = (
            select(
                LedgerAccount.region_code,
                LedgerTxn.created_at,
                LedgerTxn.kind,
                LedgerAccount.code,
                LedgerPosting.amount_fen,
            )
            .join(LedgerTxn, LedgerTxn.id == LedgerPosting.txn_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        )
        return list(uow.session.execute(q))

    events: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for region, at, kind, code, amount in gj.run(postings):
        day = _local(at).date().isoformat()
        events[(day[:7], region or "", day, kind)].append((code, int(amount)))  # type: ignore[index]
    months = sorted({key[0] for key in events})
    assert len(months) >= 2  # premiums of earlier months, openings and payments of this one

    office = S.staff(gj, ["330000"])
    ctx = S.ctx(gj, office)
    previous: dict[str, int] = {}
    kinds_seen: set[str] = set()
    for month in months:
        t = gj.run(lambda uow, m=month: A.trial_balance(uow, ctx, month=m, region="330000"))
        assert t["balanced"], month
        assert t["totals"]["debit_fen"] > 0, month
        for r in t["rows"]:
            assert r["opening_debit_fen"] - r["opening_credit_fen"] == previous.get(r["code"], 0), (month, r["code"])
        previous = {r["code"]: r["closing_debit_fen"] - r["closing_credit_fen"] for r in t["rows"]}

        v = gj.run(lambda uow, m=month: A.vouchers(uow, ctx, month=m, region="330000"))
        got = {
            (x["region"], x["date"], x["kind"]): [
                (ln["subject"], ln["debit_fen"], ln["credit_fen"]) for ln in x["lines"]
            ]
            for x in v["vouchers"]
        }
        expected = {}
        for (m, region, day, kind), items in events.items():
            lines = voucher_lines(c, kind, items) if m == month and region else []
            if lines:
                expected[(region, day, kind)] = [(ln.subject, ln.debit_fen, ln.credit_fen) for ln in lines]
        assert got == expected, month
        kinds_seen |= {x["kind"] for x in v["vouchers"]}
        for region in {x["region"] for x in v["vouchers"]}:
            assert gj.run(lambda uow, m=month, r=region: A.trial_balance(uow, ctx, month=m, region=r))["balanced"]
    # the seed's family cases are in the demo's books
    assert {"family.pay.premium", "demo.opening"} <= kinds_seen
