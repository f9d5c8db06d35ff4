"""Staff handling of fraud (虚构家庭成员关系, seed 003 四(四) "立即停止相关当事人家庭共济待遇，追回医保基金
…并纳入医保信用管理").

- ``revoke``: the pair's bindings are revoked (never bound again), every other active binding of
  either party is stopped, family-account balances go back to their authorizers; a fraud case
  opens a receivable (应收) for what was paid through the pair's bindings, owed by the parties
  staff hold liable; both parties get a credit entry. Nothing is booked at opening.
- ``collect``: an amount actually collected is returned to the authorizer's past-years account,
  one balanced ledger transaction per collection (its own idempotency key).
- ``request_write_off`` / ``approve_write_off``: what is still owed is written off only when a
  second staff member approves (E_FOUR_EYES).
- ``draws_reversed``: a settlement cancelled after the case opened (2208/2601) returns its family
  part to the authorizer and lowers the case's amount.
While a case is open (``F.OPEN_CASE_STATUSES``) neither party may be bound (``binding.bind``) nor
pay a premium from family funds (``premiums.check_no_open_case``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import (
    CreditRecord,
    FamilyBinding,
    FamilyDraw,
    FamilyFraudCase,
    FamilyFraudCollection,
    LedgerTxn,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.clock import local_date
from gongji.domain.errors import (
    FourEyesRequired,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    RecoveryExceedsOwed,
)
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import scope_prefix
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.family.common import (
    draw_states,
    draws_of,
    get_binding,
    lock_persons,
    return_family_balance,
    staff_binding,
)
from gongji.services.registry.persons import Ctx, audit_event, person_regions, require_reason

CREDIT_KIND_FRAUD = "family_fraud"


def _pair(uow: UnitOfWork, binding: FamilyBinding) -> list[FamilyBinding]:
    """Every binding of the binding's pair (an unbind and a new bind make several)."""
    return list(
        uow.session.scalars(
            select(FamilyBinding)
            .where(
                FamilyBinding.authorizer_id == binding.authorizer_id, FamilyBinding.relative_id == binding.relative_id
            )
            .order_by(FamilyBinding.id)
        )
    )


def _others(uow: UnitOfWork, binding: FamilyBinding) -> list[FamilyBinding]:
    """The other active bindings where either party is authorizer or relative."""
    parties = (binding.authorizer_id, binding.relative_id)
    return [
        b
        for b in uow.session.scalars(
            select(FamilyBinding)
            .where(
                FamilyBinding.status == F.BINDING_ACTIVE,
                or_(FamilyBinding.authorizer_id.in_(parties), FamilyBinding.relative_id.in_(parties)),
            )
            .order_by(FamilyBinding.id)
        )
        if (b.authorizer_id, b.relative_id) != parties
    ]


def _owed(uow: UnitOfWork, pair: list[FamilyBinding]) -> int:
    """What was paid through the pair's bindings and is still out: neither reversed (a cancelled
    sale, a refunded premium) nor already recovered."""
    total = 0
    for b in pair:
        draws = draws_of(uow, b.id)
        states = draw_states(uow, draws)
        total += sum(d.amount_fen for d in draws if states[d.id] == "open")
    return total


def _family_balance(uow: UnitOfWork, binding: FamilyBinding) -> int:
    code = L.family_account(binding.id)
    return ledger.balances_of(uow, [code]).get(code, 0)


def revoke_plan(uow: UnitOfWork, ctx: Ctx, *, binding_id: int) -> dict[str, Any]:
    """What ``revoke`` would do, for the confirmation page: the bindings it revokes and stops,
    the family-account balances that go back to which authorizer, and the amount owed."""
    binding = staff_binding(uow, ctx, binding_id)
    if binding.status == F.BINDING_REVOKED:
        raise InvalidStateTransition("该共济关系已被终止", "This binding is already revoked")
    pair = _pair(uow, binding)

    def row(b: FamilyBinding, action: str) -> dict[str, Any]:
        return {
            "binding_id": b.id,
            "authorizer_id": b.authorizer_id,
            "relative_id": b.relative_id,
            "status": b.status,
            "action": action,
            "returned_fen": _family_balance(uow, b) if b.status == F.BINDING_ACTIVE or action == "revoke" else 0,
            "returned_to": L.personal_past(b.authorizer_id),
        }

    return {
        "binding_id": binding.id,
        "authorizer_id": binding.authorizer_id,
        "relative_id": binding.relative_id,
        "revoked": [row(b, "revoke") for b in pair],
        "stopped": [row(b, "stop") for b in _others(uow, binding)],
        "owed_fen": _owed(uow, pair),
    }


def revoke(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str, liable: str = "both") -> FamilyFraudCase:
    """立即停止相关当事人家庭共济待遇 and open the case (see the module docstring). Also for a
    binding already unbound: what was paid through it is still owed."""
    binding = staff_binding(uow, ctx, binding_id)
    reason = require_reason(reason)
    if liable not in F.LIABLE_ZH:
        raise InvalidRequest("请选择责任人", "Choose who is liable: authorizer, relative or both", field="liable")
    if binding.status == F.BINDING_REVOKED:
        raise InvalidStateTransition("该共济关系已被终止", "This binding is already revoked")
    aid, rid = binding.authorizer_id, binding.relative_id
    lock_persons(uow, aid, rid)
    region = ledger.region_of(uow, L.personal_past(aid))
    if region is None:
        raise NotFound("共济人没有个人账户", "The authorizer has no personal account")
    now = ctx.clock.now()
    pair = _pair(uow, binding)
    owed = _owed(uow, pair)
    status = F.case_status(owed, 0)
    case = FamilyFraudCase(
        binding_id=binding.id,
        authorizer_id=aid,
        relative_id=rid,
        region_code=region,  # owed to the authorizer's current pooling region
        liable=liable,
        reason=reason,
        amount_fen=owed,
        collected_fen=0,
        written_off_fen=0,
        status=status,
        opened_at=now,
        opened_by_user_id=ctx.principal.user_id,
        closed_at=None if status in F.OPEN_CASE_STATUSES else now,
    )
    uow.session.add(case)
    uow.session.flush()
    returned = 0
    for b, new_status, why in [
        *[(b, F.BINDING_REVOKED, f"违规终止：{reason}") for b in pair],
        *[(b, F.BINDING_STOPPED, f"当事人违规案件{case.id}：停止家庭共济待遇") for b in _others(uow, binding)],
    ]:
        was = b.status
        b.status = new_status
        if b.ended_at is None:
            b.ended_at = now
            b.end_reason = why[:200]
            b.ended_by_user_id = ctx.principal.user_id
        elif new_status == F.BINDING_REVOKED:
            b.end_reason = why[:200]
        uow.session.flush()
        if was == F.BINDING_ACTIVE:
            returned += return_family_balance(uow, ctx, b, after=f"fraud-case:{case.id}")
    for person_id in (aid, rid):  # 纳入医保信用管理: both parties
        uow.session.add(
            CreditRecord(
                person_id=person_id,
                kind=CREDIT_KIND_FRAUD,
                binding_id=binding.id,
                case_id=case.id,
                reason=reason,
                amount_fen=owed,
                user_id=ctx.principal.user_id,
                at=now,
            )
        )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "family.revoke",
        "family_fraud_case",
        case.id,
        binding_id=binding.id,
        bindings_revoked=[b.id for b in pair],
        amount_fen=owed,
        liable=liable,
        returned_fen=returned,
    )
    return case


# --- the receivable ------------------------------------------------------------------------------


def _case(uow: UnitOfWork, ctx: Ctx, case_id: int, *, lock: bool = False) -> FamilyFraudCase:
    """A case staff in scope may act on (the parties' or the case's region); locked for a write."""
    ctx.principal.require(Role.STAFF)
    query = select(FamilyFraudCase).where(FamilyFraudCase.id == case_id)
    case = uow.session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise NotFound("违规共济案件不存在", "Fraud case not found", case_id=case_id)
    regions = [case.region_code, *person_regions(uow, case.authorizer_id), *person_regions(uow, case.relative_id)]
    ctx.principal.require_person_access(person_id=case.authorizer_id, regions=regions)
    return case


def _require_open(case: FamilyFraudCase) -> None:
    if case.status not in F.OPEN_CASE_STATUSES:
        raise InvalidStateTransition(
            f"该案件{F.CASE_STATUS_ZH[case.status]}，不能再办理", "This case is closed", status=case.status
        )


def collect(
    uow: UnitOfWork, ctx: Ctx, *, case_id: int, amount_fen: int, idempotency_key: str, note: str | None = None
) -> dict[str, Any]:
    """Record an amount collected from the liable parties: it goes back to the authorizer's
    past-years account (where family funds come from, 原渠道) in one ledger transaction; never
    more than is still owed (E_FAMILY_RECOVERY_EXCEEDS). Idempotent by key."""
    case = _case(uow, ctx, case_id, lock=True)
    require_positive_fen(amount_fen)
    ledger.require_idempotency_key(idempotency_key)
    note = (note or "").strip()[:200] or None
    key = L.scoped_key(f"family-fraud-collect:{case.id}", idempotency_key)
    request = {"op": "family_fraud_collect", "case_id": case.id, "amount_fen": amount_fen, "note": note}
    source = L.recovery_receivable(case.region_code)
    if uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.idempotency_key == key)) is None:
        _require_open(case)
        outstanding = case.amount_fen - case.collected_fen
        if amount_fen > outstanding:
            raise RecoveryExceedsOwed(outstanding_fen=outstanding, amount_fen=amount_fen)
        ledger.ensure_account(
            uow, code=source, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=case.region_code
        )
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=key,
            kind="family.recovery",
            narration=f"违规家庭共济追回（案件{case.id}）：追回资金退回共济人历年账户",
            postings=L.transfer(source, L.personal_past(case.authorizer_id), amount_fen),
        ),
        request=request,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
        extra={"case_id": case.id},
    )
    if not result.replayed:
        now = ctx.clock.now()
        uow.session.add(
            FamilyFraudCollection(
                case_id=case.id,
                txn_id=int(result.body["txn_id"]),
                amount_fen=amount_fen,
                note=note,
                user_id=ctx.principal.user_id,
                at=now,
            )
        )
        case.collected_fen += amount_fen
        case.status = F.case_status(case.amount_fen, case.collected_fen)
        if case.status == F.CASE_COLLECTED:
            case.closed_at = now
        uow.session.flush()
        audit_event(
            uow,
            ctx,
            "family.recovery_collect",
            "family_fraud_case",
            case.id,
            amount_fen=amount_fen,
            txn_id=result.body["txn_id"],
        )
    return {
        "case_id": case.id,
        "txn_id": result.body["txn_id"],
        "amount_fen": amount_fen,
        "replayed": result.replayed,
        "collected_fen": case.collected_fen,
        "outstanding_fen": case.amount_fen - case.collected_fen - case.written_off_fen,
        "status": case.status,
    }


def request_write_off(uow: UnitOfWork, ctx: Ctx, *, case_id: int, reason: str) -> FamilyFraudCase:
    """Ask to write off what is still owed (核销); a second staff member must approve it."""
    case = _case(uow, ctx, case_id, lock=True)
    reason = require_reason(reason)
    _require_open(case)
    if case.write_off_requested_by_user_id is not None:
        raise InvalidStateTransition("该案件已申请核销，等待审核", "A write-off is already waiting for approval")
    case.write_off_reason = reason
    case.write_off_requested_by_user_id = ctx.principal.user_id
    case.write_off_requested_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "family.recovery_write_off_request", "family_fraud_case", case.id, reason=reason)
    return case


def approve_write_off(uow: UnitOfWork, ctx: Ctx, *, case_id: int) -> FamilyFraudCase:
    """Approve a requested write-off: the outstanding amount is written off and the case closes.
    Never by the clerk who asked (E_FOUR_EYES). No money moves: nothing was booked at opening."""
    case = _case(uow, ctx, case_id, lock=True)
    _require_open(case)
    if case.write_off_requested_by_user_id is None:
        raise InvalidStateTransition("该案件未申请核销", "No write-off was requested for this case")
    if case.write_off_requested_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(case_id=case.id)
    now = ctx.clock.now()
    case.written_off_fen = case.amount_fen - case.collected_fen
    case.status = F.CASE_WRITTEN_OFF
    case.write_off_approved_by_user_id = ctx.principal.user_id
    case.closed_at = now
    uow.session.flush()
    audit_event(
        uow, ctx, "family.recovery_write_off", "family_fraud_case", case.id, written_off_fen=case.written_off_fen
    )
    return case


# --- a payment reversed after the case opened ------------------------------------------------------


def draws_reversed(uow: UnitOfWork, ctx: Ctx, *, txn_id: int, after: str) -> None:
    """A family payment (ledger transaction ``txn_id``) was reversed — a settlement cancelled by
    2208/2601 — after the binding it drew on was revoked or stopped. The money went back where it
    came from: for a family account (allocation) that is the closed binding's account, so it goes
    on to the authorizer's past-years account as at revoke (原渠道返还; the binding stays closed).
    A fraud case of the pair counted the draw as owed: it is owed no more, so the case's amount
    drops by it (never below what was collected), and a case with nothing left outstanding is
    collected (closed); a written-off case has that much less written off. Idempotent per ``after``."""
    draws = uow.session.scalars(select(FamilyDraw).where(FamilyDraw.txn_id == txn_id).order_by(FamilyDraw.id))
    for draw in list(draws):
        binding = get_binding(uow, draw.binding_id)
        if binding.status == F.BINDING_ACTIVE:
            continue
        if draw.account_code == L.family_account(binding.id):
            return_family_balance(uow, ctx, binding, after=after)
        case = uow.session.scalar(
            select(FamilyFraudCase)
            .where(
                FamilyFraudCase.authorizer_id == binding.authorizer_id,
                FamilyFraudCase.relative_id == binding.relative_id,
            )
            .with_for_update()
        )
        if case is None:
            continue
        less = min(draw.amount_fen, case.amount_fen - case.collected_fen)
        if less <= 0:
            continue
        case.amount_fen -= less
        if case.status == F.CASE_WRITTEN_OFF:
            case.written_off_fen = case.amount_fen - case.collected_fen
        else:
            case.status = F.case_status(case.amount_fen, case.collected_fen)
            if case.status == F.CASE_COLLECTED:
                case.closed_at = ctx.clock.now()
        uow.session.flush()
        audit_event(
            uow,
            ctx,
            "family.recovery_reduced",
            "family_fraud_case",
            case.id,
            txn_id=txn_id,
            amount_fen=less,
            already_collected_fen=draw.amount_fen - less,
        )


# --- reads ---------------------------------------------------------------------------------------


def case_view(uow: UnitOfWork, ctx: Ctx, case: FamilyFraudCase) -> dict[str, Any]:
    """One case: amounts, status, age in days (from opening to today, or to closing)."""
    end = local_date(case.closed_at) if case.closed_at else ctx.clock.today()
    collections = uow.session.scalars(
        select(FamilyFraudCollection).where(FamilyFraudCollection.case_id == case.id).order_by(FamilyFraudCollection.id)
    )
    return {
        "case_id": case.id,
        "binding_id": case.binding_id,
        "authorizer_id": case.authorizer_id,
        "relative_id": case.relative_id,
        "region_code": case.region_code,
        "liable": case.liable,
        "liable_name": F.LIABLE_ZH[case.liable],
        "reason": case.reason,
        "status": case.status,
        "status_name": F.CASE_STATUS_ZH[case.status],
        "amount_fen": case.amount_fen,
        "collected_fen": case.collected_fen,
        "written_off_fen": case.written_off_fen,
        "outstanding_fen": case.amount_fen - case.collected_fen - case.written_off_fen,
        "opened_at": case.opened_at.isoformat(),
        "age_days": (end - local_date(case.opened_at)).days,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "write_off": None
        if case.write_off_requested_by_user_id is None
        else {
            "reason": case.write_off_reason,
            "requested_by_user_id": case.write_off_requested_by_user_id,
            "requested_at": case.write_off_requested_at.isoformat() if case.write_off_requested_at else None,
            "approved_by_user_id": case.write_off_approved_by_user_id,
        },
        "collections": [
            {
                "txn_id": c.txn_id,
                "amount_fen": c.amount_fen,
                "note": c.note,
                "user_id": c.user_id,
                "at": c.at.isoformat(),
            }
            for c in collections
        ],
    }


def get_case(uow: UnitOfWork, ctx: Ctx, *, case_id: int) -> dict[str, Any]:
    return case_view(uow, ctx, _case(uow, ctx, case_id))


def recoveries(uow: UnitOfWork, ctx: Ctx, *, open_only: bool = True) -> dict[str, Any]:
    """Staff: the cases owed to their regions (open ones by default), oldest first, and per
    region the number of open cases and the sums owed, collected and outstanding."""
    ctx.principal.require(Role.STAFF)
    in_scope = or_(*[FamilyFraudCase.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions])
    query = select(FamilyFraudCase).where(in_scope).order_by(FamilyFraudCase.opened_at, FamilyFraudCase.id)
    if open_only:
        query = query.where(FamilyFraudCase.status.in_(F.OPEN_CASE_STATUSES))
    cases = [case_view(uow, ctx, c) for c in uow.session.scalars(query)]
    regions: dict[str, dict[str, Any]] = {}
    for c in cases:
        if c["status"] not in F.OPEN_CASE_STATUSES:
            continue
        r = regions.setdefault(
            c["region_code"],
            {
                "region_code": c["region_code"],
                "open_cases": 0,
                "amount_fen": 0,
                "collected_fen": 0,
                "outstanding_fen": 0,
            },
        )
        r["open_cases"] += 1
        for k in ("amount_fen", "collected_fen", "outstanding_fen"):
            r[k] += c[k]
    return {"cases": cases, "regions": sorted(regions.values(), key=lambda r: r["region_code"])}


def open_case_of(uow: UnitOfWork, *person_ids: int) -> int | None:
    """The id of an open case where one of these persons is a party, if any."""
    return uow.session.scalar(
        select(FamilyFraudCase.id)
        .where(
            FamilyFraudCase.status.in_(F.OPEN_CASE_STATUSES),
            or_(FamilyFraudCase.authorizer_id.in_(person_ids), FamilyFraudCase.relative_id.in_(person_ids)),
        )
        .limit(1)
    )
