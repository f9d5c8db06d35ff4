"""Family money never pays for a subsidy paid to a card (issue 12 Part B rule 1, the open items).

Seed 002 §七: 已通过医疗救助渠道享受参保缴费补贴的救助对象，只退回个人缴费部分; 002 §四(二)2 先缴后补: the
fixed subsidy is paid to the person's 一卡通 or bank card; 002 §四(二)3 就高不重复; seed 003 附件三(二)4:
a premium paid from the family account is refunded 按原渠道做共济账户返还; seeds 000 / 003: family money
pays medical costs and premiums, never cash.

Reading (docs/premiums.md "Refunds of any premium"): a family-paid premium is refunded whole to the
family account; the subsidy the relative was paid in cash becomes a receivable against the relative
(资助追回), collected into the assistance fund or written off by a second clerk. The same receivable
nets a fixed subsidy when the full-subsidy roster later pays the premium. SQLite and PostgreSQL;
clock 2026-11-23, Gansu 2027: premium 400.00, 低保一类 fixed 250.00.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from gongji.adapters.db.models import LedgerAccount, LedgerPosting, LedgerTxn, SubsidyRecovery
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.errors import PersonalMoneyToCash
from gongji.services import auth, ledger
from gongji.services.auth import Principal, Role
from gongji.services.resident import recoveries, subsidies
from gongji.services.resident import refunds as premium_refunds
from tests import support
from tests.integration import test_premium_family_tax as T
from tests.integration.test_subsidies import ASSIST, INCOME, PREMIUM, YEAR, balances, ok

FIXED = 25_000  # dibao_full, 002 §四(一)


@pytest.fixture
def office(gj: Gongji) -> Principal:
    return support.staff(gj, ["620000"])


@pytest.fixture
def checker(gj: Gongji) -> Principal:
    return support.staff(gj, ["620000"])


def _tax(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username=f"tax_r{next(support._seq)}", password=support.PASSWORD, role=Role.TAX, display_name="税务"
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def _family_paid_fixed_subsidy_relative(gj: Gongji, office: Principal) -> dict[str, Any]:
    """A Gansu authorizer pays (代缴, from the family account) the 2027 premium of a 低保 child,
    who is then paid the fixed subsidy 250.00 on their card (先缴后补)."""
    tax = _tax(gj)
    a, child, binding_id = T._gansu_pair(gj, office)
    c = support.ctx(gj, office)
    ok(
        gj,
        lambda uow: subsidies.change_category(
            uow, c, gj.profile, person_id=child, subsidy_codes=["dibao_full"], benefit_year=YEAR, reason="民政认定"
        ),
    )
    paid = T._ask(gj, tax, T._req(gj, a.person_id, child))
    assert paid["status"] == "paid"
    fixed = ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))
    assert fixed["paid_fen"] == FIXED
    return {
        "authorizer": a,
        "child": child,
        "family": L.family_account(binding_id),
        "payment_id": paid["premium"]["payment"]["payment_id"],
    }


def _refund(gj: Gongji, asker: Principal, reviewer: Principal, payment_id: int) -> dict[str, Any]:
    ca, cr = support.ctx(gj, asker), support.ctx(gj, reviewer)
    asked = ok(
        gj,
        lambda uow: premium_refunds.request_refund(uow, ca, gj.profile, payment_id=payment_id, reason="emigration"),
    )
    return ok(  # type: ignore[no-any-return]
        gj,
        lambda uow: premium_refunds.review_refund(
            uow, cr, gj.profile, refund_id=asked["refund_id"], approve=True, note="材料齐全，同意退费"
        ),
    )


def _recoveries(gj: Gongji, person_id: int) -> list[SimpleNamespace]:
    """The person's recoveries, read out of the session."""

    def go(uow: Any) -> list[SimpleNamespace]:
        rows = uow.session.scalars(select(SubsidyRecovery).where(SubsidyRecovery.person_id == person_id))
        cols = SubsidyRecovery.__table__.columns.keys()
        return [SimpleNamespace(**{c: getattr(r, c) for c in cols}) for r in rows]

    return gj.run(go)  # type: ignore[no-any-return]


def test_family_paid_premium_refund_returns_all_it_paid_and_the_relative_owes_the_subsidy_seed002_s7_003(
    gj: Gongji, office: Principal
) -> None:
    """002 §七 + 003 附件三(二)4: the authorizer paid 400 for a 低保 relative who was paid 250 on their
    card. The refund gives the family account its whole 400 back — no family money stands in for the
    relative's cash — and opens a receivable of 250 against the relative, owed to the assistance
    fund. Before: 150 to the family account and 250 taken from it for the fund."""
    s = _family_paid_fixed_subsidy_relative(gj, office)
    fund_before = balances(gj, ASSIST)[ASSIST]
    quote = ok(
        gj,
        lambda uow: premium_refunds.quote_refund(
            uow, support.ctx(gj, s["authorizer"]), gj.profile, payment_id=s["payment_id"], reason="emigration"
        ),
    )
    assert (quote["refund_fen"], quote["withheld_fen"], quote["recover_fen"]) == (PREMIUM, 0, FIXED)
    done = _refund(gj, s["authorizer"], office, s["payment_id"])
    assert (done["refund_fen"], done["withheld_fen"]) == (PREMIUM, 0)
    assert balances(gj, s["family"], ASSIST, INCOME) == {s["family"]: PREMIUM, ASSIST: fund_before, INCOME: 0}
    [owed] = _recoveries(gj, s["child"])
    assert (owed.amount_fen, owed.status, owed.origin, owed.region_code) == (FIXED, "open", "refund", "620702")
    check = gj.run(lambda uow: ledger.check_ledger(uow))
    assert check.ok and check.cash_out_txns == []


def test_a_self_paid_premium_refund_still_keeps_the_subsidy_back_seed002_s7(gj: Gongji, office: Principal) -> None:
    """002 §七 只退回个人缴费部分 where the person paid themselves: 150 back to the bank, 250 to the fund,
    no receivable (the person's own refund nets it)."""
    from tests.integration.test_subsidies import pay, person

    pid = person(gj, office, ("dibao_full",))
    payment_id = ok(gj, pay(gj, office, pid))["payment_id"]
    c = support.ctx(gj, office)
    ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, gj.profile, benefit_year=YEAR))
    done = _refund(gj, office, support.staff(gj, ["620000"]), payment_id)
    assert (done["refund_fen"], done["withheld_fen"]) == (PREMIUM - FIXED, FIXED)
    assert _recoveries(gj, pid) == []


def test_the_receivable_is_collected_into_the_assistance_fund_or_written_off_by_two_clerks_seed002_s7(
    gj: Gongji, office: Principal, checker: Principal
) -> None:
    """What the relative pays back reaches the assistance fund; never more than is owed; what cannot
    be collected is written off only by a second clerk (E_FOUR_EYES)."""
    s = _family_paid_fixed_subsidy_relative(gj, office)
    _refund(gj, s["authorizer"], office, s["payment_id"])
    [owed] = _recoveries(gj, s["child"])
    fund = balances(gj, ASSIST)[ASSIST]
    c, k = support.ctx(gj, office), support.ctx(gj, checker)
    got = ok(gj, lambda uow: recoveries.collect(uow, c, recovery_id=owed.id, amount_fen=10_000, idempotency_key="r1"))
    assert (got["status"], got["outstanding_fen"]) == ("part_collected", FIXED - 10_000)
    again = ok(gj, lambda uow: recoveries.collect(uow, c, recovery_id=owed.id, amount_fen=10_000, idempotency_key="r1"))
    assert again["replayed"] and again["collected_fen"] == 10_000
    assert balances(gj, ASSIST)[ASSIST] == fund + 10_000
    err = support.refused_unchanged(
        gj,
        lambda uow: recoveries.collect(uow, c, recovery_id=owed.id, amount_fen=FIXED, idempotency_key="r2"),
        (LedgerTxn, SubsidyRecovery),
    )
    assert err.code == "E_FAMILY_RECOVERY_EXCEEDS"
    ok(gj, lambda uow: recoveries.request_write_off(uow, c, recovery_id=owed.id, reason="本人已出国定居，无法追回"))
    err = support.refused_unchanged(
        gj, lambda uow: recoveries.approve_write_off(uow, c, recovery_id=owed.id), (SubsidyRecovery,)
    )
    assert err.code == "E_FOUR_EYES"
    closed = ok(gj, lambda uow: recoveries.approve_write_off(uow, k, recovery_id=owed.id))
    assert (closed["status"], closed["written_off_fen"], closed["outstanding_fen"]) == ("written_off", 15_000, 0)
    outside = support.staff(gj, ["330100"])
    err = support.refused_unchanged(
        gj,
        lambda uow: recoveries.collect(
            uow, support.ctx(gj, outside), recovery_id=owed.id, amount_fen=1, idempotency_key="x"
        ),
        (LedgerTxn,),
    )
    assert err.code == "E_NOT_FOUND"


def test_family_money_to_the_assistance_fund_is_refused_and_reported_by_check_ledger_seed000_003(
    gj: Gongji, office: Principal
) -> None:
    """The old refund flow took the subsidy from the family account for the fund that had paid it to
    the relative's card: family money standing in for cash. ``ledger.post`` refuses such a posting
    (E_LEDGER_CASH_OUT) and ``check_ledger`` reports one written behind its back."""
    s = _family_paid_fixed_subsidy_relative(gj, office)
    _refund(gj, s["authorizer"], office, s["payment_id"])  # 400 back in the family account

    def old_withhold(uow: Any) -> None:
        ledger.post(
            uow,
            L.TransactionDraft(
                "old-withhold", "family.refund.withhold", "资助部分不予退回", L.transfer(s["family"], ASSIST, FIXED)
            ),
            request={"op": "family.refund.withhold"},
            now=gj.clock.now(),
        )
        uow.commit()

    with pytest.raises(PersonalMoneyToCash):
        gj.run(old_withhold)
    with gj.engine.begin() as conn:
        ids = dict(conn.execute(select(LedgerAccount.code, LedgerAccount.id)).all())
        txn = conn.execute(
            insert(LedgerTxn)
            .values(
                idempotency_key="forged-withhold",
                request_hash="0" * 64,
                kind="family.refund.withhold",
                narration="旧退费流程",
                created_at=gj.clock.now(),
                result_json="{}",
            )
            .returning(LedgerTxn.id)
        ).scalar_one()
        for code, amount in ((s["family"], -FIXED), (ASSIST, FIXED)):
            balance = conn.execute(select(LedgerAccount.balance_fen).where(LedgerAccount.id == ids[code])).scalar_one()
            conn.execute(
                insert(LedgerPosting).values(
                    txn_id=txn, account_id=ids[code], amount_fen=amount, balance_after_fen=balance + amount
                )
            )
            conn.execute(
                update(LedgerAccount).where(LedgerAccount.id == ids[code]).values(balance_fen=balance + amount)
            )
    check = gj.run(lambda uow: ledger.check_ledger(uow))
    assert not check.ok and check.cash_out_txns == [(txn, "family.refund.withhold")]
    assert not check.drifted_accounts and not check.unbalanced_txns


def test_a_fixed_subsidy_then_full_recognition_pays_the_premium_once_seed002_s4_2_3(
    gj: Gongji, office: Principal
) -> None:
    """002 §四(二)3 就高不重复: a 低保 relative whose premium the family paid got 250 (先缴后补), then is
    recognised 特困 (full) for the same year. The roster returns the 代缴 to the family account and the
    fund pays the premium; the 250 already on the relative's card is netted — owed back — so the
    fund bears 400 for the year, not 650."""
    s = _family_paid_fixed_subsidy_relative(gj, office)
    fund_before = balances(gj, ASSIST)[ASSIST]
    row = {"id_number": support.person_cert(gj, s["child"]), "name": gj.run(lambda uow: _name(uow, s["child"]))}
    support.full_subsidy_roster(gj, office, benefit_year=YEAR, category="extreme_poverty", rows=[row])
    assert balances(gj, s["family"])[s["family"]] == PREMIUM  # the whole 代缴 back
    [owed] = _recoveries(gj, s["child"])
    assert (owed.amount_fen, owed.origin, owed.status) == (FIXED, "full_subsidy", "open")
    c = support.ctx(gj, office)
    ok(gj, lambda uow: recoveries.collect(uow, c, recovery_id=owed.id, amount_fen=FIXED, idempotency_key="all"))
    # the fund's whole outlay for the year: 250 fixed earlier + 400 premium now − 250 collected = 400
    assert fund_before - balances(gj, ASSIST)[ASSIST] + FIXED == PREMIUM
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def _name(uow: Any, person_id: int) -> str:
    from gongji.services.registry.persons import get_person

    return get_person(uow, person_id).name
