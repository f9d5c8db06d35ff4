"""Subsidies owed back to the medical-assistance fund (资助追回应收; seed 002 §七, §四(二)3).

A subsidy paid to a person's card (先缴后补 fixed subsidy, top-up, roster payout) stops being
theirs when the premium it helped pay is no longer the person's to bear:

- **a family-paid premium is refunded** (002 §七 只退回个人缴费部分, 003 附件三(二)4 原渠道返还): the
  family account or past-years balance gets its whole 代缴 back — it is the authorizer's money,
  and keeping the subsidy part back from it would make family money pay for cash on the
  relative's card — and the subsidy the relative was paid becomes owed by the relative;
- **the full-subsidy roster pays a premium a family account had paid** after a fixed subsidy was
  paid out (就高不重复: the fund bears the whole premium once): the family gets its 代缴 back, the
  fund pays the premium, and the fixed subsidy already paid out is owed back (netted).

Nothing is booked at opening (as for the family fraud receivable): the fund paid the subsidy when
it paid it. ``collect`` books what is actually received from the person
(``external:recovery:<region>`` → ``external:assistance:<region>``), never more than is
outstanding; ``request_write_off`` / ``approve_write_off`` close what cannot be collected, by two
clerks. Lifecycle ``open`` → ``part_collected`` → ``collected``, or ``written_off``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import LedgerTxn, SubsidyRecovery
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import FourEyesRequired, InvalidStateTransition, NotFound, RecoveryExceedsOwed
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import region_in_scope
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event, get_person, require_reason
from gongji.services.resident import subsidies
from gongji.services.resident.premiums import who

ORIGIN_REFUND, ORIGIN_FULL_SUBSIDY = "refund", "full_subsidy"
ORIGIN_ZH = {ORIGIN_REFUND: "代缴退费后资助金追回", ORIGIN_FULL_SUBSIDY: "认定全额资助后定额资助金追回（就高不重复）"}
PAID_OUT_KINDS = (subsidies.ROSTER_PAYOUT, subsidies.FIXED, subsidies.TOPUP)
"""Subsidy grants paid to the person's card apart from the premium."""


def paid_out_fen(uow: UnitOfWork, person_id: int, benefit_year: int) -> int:
    """The subsidy of the year paid to the person's card (fixed, top-up, roster payout)."""
    return sum(g.amount_fen for g in subsidies.grants_of(uow, person_id, benefit_year) if g.kind in PAID_OUT_KINDS)


def already_owed_fen(uow: UnitOfWork, person_id: int, benefit_year: int) -> int:
    """What recoveries of the year already claim back from the person."""
    total = uow.session.scalar(
        select(func.coalesce(func.sum(SubsidyRecovery.amount_fen), 0)).where(
            SubsidyRecovery.person_id == person_id, SubsidyRecovery.benefit_year == benefit_year
        )
    )
    return int(total or 0)


def open_recovery(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    key: str,
    person_id: int,
    region_code: str,
    benefit_year: int,
    origin: str,
    amount_fen: int,
    refund_id: int | None = None,
    premium_id: int | None = None,
) -> SubsidyRecovery | None:
    """Open the receivable (nothing booked); the same key again returns the first one."""
    found = uow.session.scalar(select(SubsidyRecovery).where(SubsidyRecovery.idempotency_key == key))
    if found is not None or amount_fen <= 0:
        return found
    row = SubsidyRecovery(
        idempotency_key=key,
        person_id=person_id,
        region_code=region_code,
        benefit_year=benefit_year,
        origin=origin,
        refund_id=refund_id,
        premium_id=premium_id,
        amount_fen=amount_fen,
        collected_fen=0,
        written_off_fen=0,
        status=F.CASE_OPEN,
        opened_at=ctx.clock.now(),
        opened_by_user_id=ctx.principal.user_id,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow, ctx, "subsidy.recovery_open", "subsidy_recovery", row.id, person_id=person_id, amount_fen=amount_fen
    )
    return row


def _recovery(uow: UnitOfWork, ctx: Ctx, recovery_id: int, *, lock: bool = False) -> SubsidyRecovery:
    ctx.principal.require(Role.STAFF)
    query = select(SubsidyRecovery).where(SubsidyRecovery.id == recovery_id)
    row = uow.session.scalar(query.with_for_update() if lock else query)
    if row is None or not region_in_scope(row.region_code, list(ctx.principal.regions)):
        raise NotFound("资助追回记录不存在", "Subsidy recovery not found", recovery_id=recovery_id)
    return row


def _require_open(row: SubsidyRecovery) -> None:
    if row.status not in F.OPEN_CASE_STATUSES:
        raise InvalidStateTransition(
            f"该追回{F.CASE_STATUS_ZH[row.status]}，不能再办理", "This recovery is closed", status=row.status
        )


def collect(uow: UnitOfWork, ctx: Ctx, *, recovery_id: int, amount_fen: int, idempotency_key: str) -> dict[str, Any]:
    """Book an amount received from the person back into the assistance fund; never more than
    is outstanding (E_FAMILY_RECOVERY_EXCEEDS). Idempotent by key."""
    row = _recovery(uow, ctx, recovery_id, lock=True)
    require_positive_fen(amount_fen)
    ledger.require_idempotency_key(idempotency_key)
    key = L.scoped_key(f"subsidy-recovery-collect:{row.id}", idempotency_key)
    source = L.recovery_receivable(row.region_code)
    if uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.idempotency_key == key)) is None:
        _require_open(row)
        outstanding = row.amount_fen - row.collected_fen
        if amount_fen > outstanding:
            raise RecoveryExceedsOwed(outstanding_fen=outstanding, amount_fen=amount_fen)
        for code in (source, subsidies.assistance_account(row.region_code)):
            ledger.ensure_account(
                uow, code=code, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=row.region_code
            )
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=key,
            kind="subsidy.recovery",
            narration=f"资助金追回（{ORIGIN_ZH.get(row.origin, row.origin)}）：退回医疗救助资金",
            postings=L.transfer(source, subsidies.assistance_account(row.region_code), amount_fen),
        ),
        request={"op": "subsidy_recovery_collect", "recovery_id": row.id, "amount_fen": amount_fen},
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
    )
    if not result.replayed:
        row.collected_fen += amount_fen
        row.status = F.case_status(row.amount_fen, row.collected_fen)
        if row.status == F.CASE_COLLECTED:
            row.closed_at = ctx.clock.now()
        uow.session.flush()
        audit_event(uow, ctx, "subsidy.recovery_collect", "subsidy_recovery", row.id, amount_fen=amount_fen)
    return recovery_view(uow, row) | {"txn_id": result.body["txn_id"], "replayed": result.replayed}


def request_write_off(uow: UnitOfWork, ctx: Ctx, *, recovery_id: int, reason: str) -> dict[str, Any]:
    """Ask to write off what is still owed; a second clerk approves (``approve_write_off``)."""
    row = _recovery(uow, ctx, recovery_id, lock=True)
    reason = require_reason(reason)
    _require_open(row)
    if row.write_off_requested_by_user_id is not None:
        raise InvalidStateTransition("已申请核销，等待审核", "A write-off is already waiting for approval")
    row.write_off_reason = reason
    row.write_off_requested_by_user_id = ctx.principal.user_id
    row.write_off_requested_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "subsidy.recovery_write_off_request", "subsidy_recovery", row.id, reason=reason)
    return recovery_view(uow, row)


def approve_write_off(uow: UnitOfWork, ctx: Ctx, *, recovery_id: int) -> dict[str, Any]:
    """Write off the outstanding amount and close; never by the clerk who asked (E_FOUR_EYES).
    No money moves: nothing was booked at opening."""
    row = _recovery(uow, ctx, recovery_id, lock=True)
    _require_open(row)
    if row.write_off_requested_by_user_id is None:
        raise InvalidStateTransition("未申请核销", "No write-off was requested")
    if row.write_off_requested_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(recovery_id=row.id)
    row.written_off_fen = row.amount_fen - row.collected_fen
    row.status = F.CASE_WRITTEN_OFF
    row.write_off_approved_by_user_id = ctx.principal.user_id
    row.closed_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "subsidy.recovery_write_off", "subsidy_recovery", row.id, written_off_fen=row.written_off_fen)
    return recovery_view(uow, row)


def get_recovery(uow: UnitOfWork, ctx: Ctx, *, recovery_id: int) -> dict[str, Any]:
    """Staff: one recovery of their regions, with the write-off request if any (name masked)."""
    row = _recovery(uow, ctx, recovery_id)
    view = recovery_view(uow, row)
    view["write_off"] = (
        None
        if row.write_off_requested_by_user_id is None
        else {
            "reason": row.write_off_reason,
            "requested_by_user_id": row.write_off_requested_by_user_id,
            "requested_at": row.write_off_requested_at.isoformat() if row.write_off_requested_at else None,
        }
    )
    return view


def recovery_view(uow: UnitOfWork, row: SubsidyRecovery) -> dict[str, Any]:
    return {
        "recovery_id": row.id,
        "person": who(get_person(uow, row.person_id)),
        "region_code": row.region_code,
        "benefit_year": row.benefit_year,
        "origin": row.origin,
        "origin_zh": ORIGIN_ZH.get(row.origin, row.origin),
        "refund_id": row.refund_id,
        "amount_fen": row.amount_fen,
        "collected_fen": row.collected_fen,
        "written_off_fen": row.written_off_fen,
        "outstanding_fen": row.amount_fen - row.collected_fen - row.written_off_fen,
        "status": row.status,
        "status_zh": F.CASE_STATUS_ZH[row.status],
        "opened_at": row.opened_at.isoformat(),
        "write_off_requested": row.write_off_requested_by_user_id is not None,
    }


def recoveries(uow: UnitOfWork, ctx: Ctx, *, open_only: bool = True) -> list[dict[str, Any]]:
    """Staff: the recoveries of their regions, oldest first (names masked)."""
    ctx.principal.require(Role.STAFF)
    query = select(SubsidyRecovery).order_by(SubsidyRecovery.id)
    if open_only:
        query = query.where(SubsidyRecovery.status.in_(F.OPEN_CASE_STATUSES))
    scopes = list(ctx.principal.regions)
    return [recovery_view(uow, r) for r in uow.session.scalars(query) if region_in_scope(r.region_code, scopes)]
