"""A settlement cancelled after a fraud case stopped its family binding (issue 12 Part B rule 3).

Seed 003 四(四) 立即停止相关当事人家庭共济待遇，追回医保基金: the case owes what was paid through the
pair's bindings. When the hospital then cancels (2208) a settlement that drew on the family account,
the money goes back where it came from — the closed binding's family account, emptied on to the
authorizer's past-years account as at revoke (原渠道返还) — the binding stays revoked, and the case owes
that much less. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from gongji.adapters.db.models import FamilyBinding, FamilyFraudCase
from gongji.domain import ledger as L
from gongji.services import ledger
from gongji.services.family import fraud as family_fraud
from tests import support as S
from tests.e2e.test_settlement_scope import authorizer_gansu, family, settle  # noqa: F401  (fixtures)
from tests.nhsa_support import fen

PARTS = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 50_00}


def _balance(gj: Any, code: str) -> int:
    return int(gj.run(lambda uow: ledger.balances_of(uow, [code])[code]))


def _revoke(gj: Any, office: Any, binding_id: int) -> int:
    def go(uow: Any) -> int:
        case = family_fraud.revoke(uow, S.ctx(gj, office), binding_id=binding_id, reason="虚构家庭成员关系")
        uow.commit()
        return int(case.id)

    return int(gj.run(go))


def _case(gj: Any, case_id: int) -> tuple[int, int, str]:
    def go(uow: Any) -> tuple[int, int, str]:
        c = uow.session.get(FamilyFraudCase, case_id)
        return c.amount_fen, c.collected_fen, c.status

    return gj.run(go)  # type: ignore[no-any-return]


def test_cancelling_a_family_paid_settlement_after_fraud_returns_the_money_and_lowers_the_receivable_seed003_4_4(
    gj,
    hospital,
    office,
    patient,
    authorizer_gansu,  # noqa: F811
    family,  # noqa: F811
) -> None:
    """Two settlements draw 20.00 and 50.00 on the family account; the binding is revoked for fraud
    (case owes 70.00). Cancelling the first: its 20.00 reaches the authorizer's past years, not the
    revoked binding's account, the binding stays revoked, and the case owes 50.00; cancelling the
    second closes the case with nothing owed."""
    binding_id = int(family.split(":")[1])
    first = settle(hospital, gj, patient, PARTS, "2")["setlinfo"]  # own 30.00, family 20.00
    second = settle(hospital, gj, patient, PARTS, "2")["setlinfo"]  # family 50.00
    assert (fen(first["acct_mulaid_pay"]), fen(second["acct_mulaid_pay"])) == (20_00, 50_00)
    case_id = _revoke(gj, office, binding_id)
    assert _case(gj, case_id) == (70_00, 0, "open")
    past = L.personal_past(authorizer_gansu)
    past_before = _balance(gj, past)

    cancel = hospital.call("2208", {"data": {k: first[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert cancel["infcode"] == 0, cancel
    assert _balance(gj, family) == 0
    assert _balance(gj, past) == past_before + 20_00
    assert _case(gj, case_id) == (50_00, 0, "open")
    status = gj.run(lambda uow: uow.session.get(FamilyBinding, binding_id).status)
    assert status == "revoked"

    cancel = hospital.call("2208", {"data": {k: second[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert cancel["infcode"] == 0, cancel
    assert _balance(gj, family) == 0 and _balance(gj, past) == past_before + 70_00
    assert _case(gj, case_id) == (0, 0, "collected")
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok
