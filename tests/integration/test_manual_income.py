"""Manual personal-account income under the staff console's controls (issue 12 Part C: "the amount
is bounded by the profile, the month is not in the future, one entry per person, month and kind;
above a threshold it waits for a second staff member's approval (maker–checker). Today any clerk
can credit any amount for any month, twice."), on SQLite and PostgreSQL.

The demo profile (gansu): at most 1,000元 a month of employee contribution; above 500元 a second
clerk approves. Every refusal leaves the ledger and the entries as they were."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from gongji.adapters.db.migrate import alembic_config
from gongji.adapters.db.models import AccountIncome, AuditLog, LedgerPosting, LedgerTxn
from gongji.domain import ledger as L
from gongji.domain.errors import GongjiError
from gongji.services import ledger
from gongji.services.registry import accounts, income
from tests import support as S

MONEY = (LedgerTxn, LedgerPosting, AccountIncome)
REGION = "620702"


@pytest.fixture
def clerks(gj: Any) -> tuple[Any, Any, int]:
    maker = S.staff(gj, [REGION])
    return maker, S.staff(gj, ["620000"]), S.employee(gj, maker)


def enter(gj: Any, by: Any, pid: int, amount: int, *, month: str = "2026-10", key: str = "k1", **kw: Any) -> Any:
    return lambda uow: income.post_account_income(
        uow,
        S.ctx(gj, by),
        gj.profile,
        person_id=pid,
        month=month,
        kind=kw.get("kind", "employee_contribution"),
        amount_fen=amount,
        idempotency_key=key,
    )


def balance(gj: Any, pid: int) -> int:
    return gj.run(lambda uow: ledger.balances_of(uow, [L.personal_current(pid)])[L.personal_current(pid)])


def test_manual_income_up_to_the_threshold_is_posted_at_once(gj, clerks):
    maker, _, pid = clerks
    answer = S.committed(gj, enter(gj, maker, pid, 50_000)).body
    assert answer["status"] == "posted" and answer["txn_id"] and balance(gj, pid) == 50_000


def test_manual_income_above_the_profile_maximum_is_refused_and_nothing_is_written(gj, clerks):
    maker, _, pid = clerks
    err = S.refused_unchanged(gj, enter(gj, maker, pid, 100_001), MONEY)
    assert err.code == "E_AMOUNT" and err.detail["max_fen"] == 100_000


def test_manual_income_for_a_future_month_is_refused_and_nothing_is_written(gj, clerks):
    maker, _, pid = clerks  # the business clock is 2026-11-23
    err = S.refused_unchanged(gj, enter(gj, maker, pid, 1_000, month="2026-12"), MONEY)
    assert err.code == "E_VALIDATION" and err.detail["field"] == "month"


def test_one_manual_income_per_person_month_and_kind_even_with_another_key(gj, clerks):
    maker, checker, pid = clerks
    first = S.committed(gj, enter(gj, maker, pid, 1_000, key="a")).body
    again = S.committed(gj, enter(gj, maker, pid, 1_000, key="a"))
    assert again.replayed and again.body == first
    for who in (maker, checker):  # whoever enters it, whatever the key
        err = S.refused_unchanged(gj, enter(gj, who, pid, 1_000, key=f"b-{who.username}"), MONEY)
        assert err.code == "E_DUPLICATE" and err.detail["income_id"] == first["income_id"]
    S.committed(gj, enter(gj, maker, pid, 1_000, month="2026-09", key="c"))  # another month is fine
    assert balance(gj, pid) == 2_000


def test_two_clerks_racing_for_one_month_credit_it_once(gj, clerks):
    """Both pass the one-entry check at the same time; the partial unique index stops the second
    insert and the unit of work reruns it into a clean E_DUPLICATE (not a 500)."""
    maker, checker, pid = clerks
    start, outcomes = threading.Barrier(2), []

    def race(who: Any, key: str) -> None:
        start.wait()
        try:
            S.committed(gj, enter(gj, who, pid, 1_000, key=key))
            outcomes.append("posted")
        except GongjiError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=race, args=(who, f"race-{n}")) for n, who in enumerate((maker, checker))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["E_DUPLICATE", "posted"] and balance(gj, pid) == 1_000


def test_the_same_key_with_another_amount_is_an_idempotency_conflict(gj, clerks):
    maker, _, pid = clerks
    S.committed(gj, enter(gj, maker, pid, 1_000, key="a"))
    err = S.refused_unchanged(gj, enter(gj, maker, pid, 2_000, key="a"), MONEY)
    assert err.code == "E_IDEMPOTENCY_MISMATCH"


def test_manual_income_above_the_threshold_moves_no_money_until_a_second_clerk_approves(gj, clerks):
    maker, checker, pid = clerks
    pending = S.committed(gj, enter(gj, maker, pid, 80_000)).body
    assert pending["status"] == "pending" and pending["txn_id"] is None and balance(gj, pid) == 0
    listed = gj.run(lambda uow: income.pending_incomes(uow, S.ctx(gj, checker)))
    assert [r["income_id"] for r in listed] == [pending["income_id"]] and "*" in listed[0]["name"]
    review = gj.run(lambda uow: income.income_for_review(uow, S.ctx(gj, checker), income_id=pending["income_id"]))
    assert (review["balance_before_fen"], review["balance_after_fen"]) == (0, 80_000)
    posted = S.committed(
        gj, lambda uow: income.approve_income(uow, S.ctx(gj, checker), income_id=pending["income_id"])
    ).body
    assert posted["status"] == "posted" and posted["decided_by_user_id"] == checker.user_id
    assert balance(gj, pid) == 80_000
    assert gj.run(lambda uow: income.pending_incomes(uow, S.ctx(gj, checker))) == []
    actions = gj.run(lambda uow: list(uow.session.scalars(select(AuditLog.action).order_by(AuditLog.id))))
    assert actions[-2:] == ["account.income.enter", "account.income.approve"]


def test_the_clerk_who_entered_an_income_cannot_approve_it(gj, clerks):
    """E_FOUR_EYES; the entry stays pending and no money moves."""
    maker, _, pid = clerks
    pending = S.committed(gj, enter(gj, maker, pid, 80_000)).body
    err = S.refused_unchanged(
        gj, lambda uow: income.approve_income(uow, S.ctx(gj, maker), income_id=pending["income_id"]), MONEY
    )
    assert err.code == "E_FOUR_EYES" and balance(gj, pid) == 0
    assert gj.run(lambda uow: uow.session.get(AccountIncome, pending["income_id"]).status) == "pending"


def test_a_clerk_of_another_region_cannot_approve_or_see_a_waiting_income(gj, clerks):
    maker, _, pid = clerks
    outsider = S.staff(gj, ["330100"])
    pending = S.committed(gj, enter(gj, maker, pid, 80_000)).body
    err = S.refused_unchanged(
        gj, lambda uow: income.approve_income(uow, S.ctx(gj, outsider), income_id=pending["income_id"]), MONEY
    )
    assert err.code == "E_OUT_OF_REGION"
    assert gj.run(lambda uow: income.pending_incomes(uow, S.ctx(gj, outsider))) == []


def test_a_rejected_income_moves_nothing_needs_a_reason_and_frees_its_month(gj, clerks):
    maker, checker, pid = clerks
    pending = S.committed(gj, enter(gj, maker, pid, 80_000)).body
    iid = pending["income_id"]
    err = S.refused_unchanged(
        gj, lambda uow: income.reject_income(uow, S.ctx(gj, checker), income_id=iid, reason=""), MONEY
    )
    assert err.code == "E_VALIDATION"
    view = S.committed(gj, lambda uow: income.reject_income(uow, S.ctx(gj, checker), income_id=iid, reason="金额有误"))
    assert view["status"] == "rejected" and balance(gj, pid) == 0
    err = S.refused_unchanged(gj, lambda uow: income.approve_income(uow, S.ctx(gj, checker), income_id=iid), MONEY)
    assert err.code == "E_STATE"
    S.committed(gj, enter(gj, maker, pid, 8_000, key="again"))
    assert balance(gj, pid) == 8_000


def test_an_approved_income_is_not_approved_twice(gj, clerks):
    maker, checker, pid = clerks
    iid = S.committed(gj, enter(gj, maker, pid, 80_000)).body["income_id"]
    S.committed(gj, lambda uow: income.approve_income(uow, S.ctx(gj, checker), income_id=iid))
    err = S.refused_unchanged(gj, lambda uow: income.approve_income(uow, S.ctx(gj, checker), income_id=iid), MONEY)
    assert err.code == "E_STATE" and balance(gj, pid) == 80_000


def test_a_reversed_income_frees_its_month_for_the_right_amount(gj, clerks):
    maker, _, pid = clerks
    wrong = S.committed(gj, enter(gj, maker, pid, 9_000, key="typo")).body
    S.committed(
        gj,
        lambda uow: accounts.reverse_transaction(
            uow, S.ctx(gj, maker), txn_id=wrong["txn_id"], reason="金额录入错误", idempotency_key="undo"
        ),
    )
    assert gj.run(lambda uow: uow.session.get(AccountIncome, wrong["income_id"]).status) == "reversed"
    S.committed(gj, enter(gj, maker, pid, 900, key="right"))
    assert balance(gj, pid) == 900


def test_the_migration_fills_entries_from_the_ledger_and_keeps_a_former_duplicate_for_review(gj, clerks):
    """Income credited before the rule counts: each month's income in the ledger becomes an entry
    (revision 0013); a second credit of one month, possible before, is kept as ``duplicate``.
    Downgrade and upgrade again give the same entries (reversible)."""
    maker, _, pid = clerks
    posted = S.committed(gj, enter(gj, maker, pid, 1_000, key="m10")).body

    def twice(uow: Any) -> None:  # what the old code allowed: the same month credited again
        ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key="old-twice",
                kind="income.employee_contribution",
                narration="2026-10 在职职工个人缴费划入",
                postings=L.transfer(f"external:employee_contribution:{REGION}", L.personal_current(pid), 1_000),
            ),
            request={"op": "old"},
            now=gj.clock.now(),
            extra={"person_id": pid, "month": "2026-10"},
        )

    S.committed(gj, twice)
    gj.engine.dispose()
    command.downgrade(alembic_config(gj.settings.database_url), "0012")
    command.upgrade(alembic_config(gj.settings.database_url), "head")
    rows = gj.run(
        lambda uow: [
            (r.idempotency_key, r.month, r.amount_fen, r.status, r.txn_id)
            for r in uow.session.scalars(select(AccountIncome).order_by(AccountIncome.id))
        ]
    )
    assert rows[0] == ("m10", "2026-10", 1_000, "posted", posted["txn_id"])
    assert rows[1][:4] == ("old-twice", "2026-10", 1_000, "duplicate")
    err = S.refused_unchanged(gj, enter(gj, maker, pid, 1_000, key="third"), MONEY)
    assert err.code == "E_DUPLICATE"
