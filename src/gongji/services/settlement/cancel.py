"""2208 撤销 and 2601 冲正: reverse both ledger transactions, restore the accumulators, write the
negative settlement row reconciliation pairs with the original (refd_setl_flag 1)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from gongji.adapters.db.models import (
    FeeDetail,
    Institution,
    Prescription,
    Settlement,
    SettlementParty,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain.errors import (
    AlreadyCancelled,
    ReversalTargetUnknown,
    VisitUnknown,
    WrongInstitution,
)
from gongji.services import ledger
from gongji.services.family import fraud as family_fraud
from gongji.services.family import payment as family_payment
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement import prescriptions
from gongji.services.settlement.benefit import accumulate
from gongji.services.settlement.lookups import int_id, now_local, own_balance, person_of
from gongji.services.settlement.settle import AMOUNT_FIELDS
from gongji.services.settlement.views import SHARE_COLUMNS, settlement_view
from gongji.services.settlement.visits import cancel_open_visit

T = TypeVar("T", Settlement, SettlementParty)


NEGATED = frozenset(
    (*AMOUNT_FIELDS, *(c for pair in SHARE_COLUMNS.values() for c in pair), "year_deductible_fen", "amount_fen")
)


def _negated(row: T, **overrides: Any) -> T:
    """A copy of a settlement (or settlement party) row with its amounts negated: the
    cancellation row that reconciliation pairs with the original (refd_setl_flag 1)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    values.update({k: -v for k, v in values.items() if k in NEGATED and v is not None})
    return type(row)(**(values | overrides))


# --- 2208 / 2601 撤销与冲正 ------------------------------------------------------------------------


def cancel(uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]) -> dict[str, Any]:
    """2208: cancel a settlement of this institution; refused the second time."""
    person = person_of(uow, data.get("psn_no"))
    row = uow.session.get(Settlement, int_id(data.get("setl_id"), VisitUnknown, "setl_id"))
    if row is None or row.person_id != person.id or str(row.visit_id) != str(data.get("mdtrt_id")):
        raise VisitUnknown("结算信息不存在", "No such settlement for this person and visit", field="setl_id")
    if row.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="setl_id")
    return _cancel(uow, ctx, institution, row, msgid)


def _cancel(uow: UnitOfWork, ctx: Ctx, institution: Institution, row: Settlement, msgid: str) -> dict[str, Any]:
    # The institution's receivable first (the order 2207 takes), then the row re-read under a lock:
    # of concurrent cancellations one wins and the others see it cancelled (not a 500 from
    # uq_settlement_cancel), and a cancellation racing a settlement cannot deadlock with it.
    ledger.lock_balances(uow, [family_payment.institution_payee(institution.fixmedins_code)])
    uow.session.refresh(row, with_for_update=True)
    if row.status != "settled":
        raise AlreadyCancelled(setl_id=str(row.id))
    now = ctx.clock.now()
    key = L.scoped_key(f"nhsa:{institution.fixmedins_code}", f"{msgid}:cancel")
    for which, txn_id in (("fund", row.fund_txn_id), ("account", row.account_txn_id)):
        if txn_id is not None:
            ledger.reverse(
                uow,
                txn_id=int(txn_id),
                idempotency_key=f"{key}:{which}"[:255],
                reason=f"结算撤销 {row.id}",
                now=now,
                user_id=ctx.principal.user_id,
            )
    if row.account_txn_id is not None:  # family draws through a binding closed since (fraud): issue 12
        family_fraud.draws_reversed(uow, ctx, txn_id=int(row.account_txn_id), after=f"settlement-cancel:{row.id}")
    row.status = "cancelled"
    reversal = _negated(
        row,
        msgid=msgid,
        setl_time=now_local(ctx),
        status="reversal",
        refd_setl_flag="1",
        reverses_id=row.id,
        balc_fen=own_balance(uow, row.person_id),
        fund_txn_id=None,
        account_txn_id=None,
        created_at=now,
    )
    uow.session.add(reversal)
    uow.session.flush()
    for party in uow.session.scalars(select(SettlementParty).where(SettlementParty.settlement_id == row.id)):
        uow.session.add(_negated(party, settlement_id=reversal.id))
    accumulate(uow, row, sign=-1, now=now)
    for line in uow.session.scalars(
        select(FeeDetail).where(FeeDetail.visit_id == row.visit_id, FeeDetail.status == "settled")
    ):
        line.status = "active"  # the lines may be settled again or withdrawn (2205)
    for rx in uow.session.scalars(select(Prescription).where(Prescription.dispensed_setl_id == row.id)):
        prescriptions.release(rx)
    audit_event(uow, ctx, "nhsa.2208", "settlement", row.id, reversal_id=reversal.id)
    return {"setlinfo": settlement_view(uow, reversal, cancel=True)}


def reverse_message(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2601 冲正: undo the transaction an earlier msgid made (2207 settle, 2201 registration)."""
    omsgid, oinfno = str(data["omsgid"]), str(data["oinfno"])
    person = person_of(uow, data.get("psn_no"))
    code = institution.fixmedins_code
    if oinfno in {"2207", "2207A"}:
        row = uow.session.scalar(
            select(Settlement).where(
                Settlement.fixmedins_code == code, Settlement.msgid == omsgid, Settlement.refd_setl_flag == "0"
            )
        )
        if row is None or row.person_id != person.id:
            raise ReversalTargetUnknown(omsgid=omsgid, oinfno=oinfno)
        out = _cancel(uow, ctx, institution, row, msgid)
        return {"data": {"omsgid": omsgid, "oinfno": oinfno, "setl_id": out["setlinfo"]["setl_id"]}}
    if oinfno == "2201":
        visit = uow.session.scalar(select(Visit).where(Visit.fixmedins_code == code, Visit.msgid == omsgid))
        if visit is None or visit.person_id != person.id:
            raise ReversalTargetUnknown(omsgid=omsgid, oinfno=oinfno)
        cancel_open_visit(uow, ctx, visit)
        return {"data": {"omsgid": omsgid, "oinfno": oinfno, "mdtrt_id": str(visit.id)}}
    raise ReversalTargetUnknown(
        "该交易不支持冲正（支持2207、2201）", "Only 2207 and 2201 can be reversed", oinfno=oinfno
    )
