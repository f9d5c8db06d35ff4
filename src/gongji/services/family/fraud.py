"""Staff handling of fraud (虚构家庭成员关系, seed 003 四(四)): revoke a binding, recover what was
paid through it by reversing entries, record a credit entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    CreditRecord,
    FamilyBinding,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    DuplicateRecord,
    InvalidStateTransition,
    NotFound,
)
from gongji.services import ledger
from gongji.services.family.common import draw_states, draws_of, recovery_key, return_family_balance, staff_binding
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    require_reason,
)

CREDIT_KIND_FRAUD = "family_fraud"

# --- staff: fraud (虚构家庭成员关系, seed 003 四(四)) ----------------------------------------------


def revoke(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str) -> FamilyBinding:
    """Stop a binding for fraud (停止家庭共济待遇). Also for one already unbound: what was paid
    through it may still be recovered. The pair cannot be bound again."""
    binding = staff_binding(uow, ctx, binding_id)
    reason = require_reason(reason)
    if binding.status == F.BINDING_REVOKED:
        raise InvalidStateTransition("该共济关系已被终止", "This binding is already revoked")
    was = binding.status
    binding.status = F.BINDING_REVOKED
    if binding.ended_at is None:
        binding.ended_at = ctx.clock.now()
    binding.end_reason = f"违规终止：{reason}"[:200]
    binding.ended_by_user_id = ctx.principal.user_id
    uow.session.flush()
    returned = return_family_balance(uow, ctx, binding, after="revoke")
    audit_event(uow, ctx, "family.revoke", "family_binding", binding.id, reason=reason, was=was, returned_fen=returned)
    return binding


def recover(uow: UnitOfWork, ctx: Ctx, *, binding_id: int) -> dict[str, Any]:
    """追回: undo each payment drawn through a revoked binding by a reversing entry of its family
    postings — the money goes back where it came from, and the amount is booked as owed by
    the parties (``external:recovery:<region>``). Never an edit; running it again recovers
    nothing twice."""
    binding = staff_binding(uow, ctx, binding_id)
    if binding.status != F.BINDING_REVOKED:
        raise InvalidStateTransition(
            "请先以违规为由终止该共济关系，再追回资金", "Revoke the binding for fraud before recovering"
        )
    draws = draws_of(uow, binding.id)
    states = draw_states(uow, draws)
    # owed to the authorizer's current pooling region (their accounts move with a transfer)
    region = ledger.region_of(uow, L.personal_past(binding.authorizer_id))
    if region is None:
        raise NotFound("共济人没有个人账户", "The authorizer has no personal account")
    receivable = L.recovery_receivable(region)
    ledger.ensure_account(uow, code=receivable, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=region)
    recovered_fen, txn_ids = 0, []
    for d in draws:
        if states[d.id] != "open":
            continue
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=recovery_key(d),
                kind="family.recovery",
                narration=f"违规家庭共济追回（原交易{d.txn_id}）",
                postings=(L.Posting(d.account_code, d.amount_fen), L.Posting(receivable, -d.amount_fen)),
                reverses_txn_id=d.txn_id,
            ),
            request={"op": "family_recovery", "draw_id": d.id},
            now=ctx.clock.now(),
            user_id=ctx.principal.user_id,
            extra={"binding_id": binding.id, "draw_id": d.id},
        )
        recovered_fen += d.amount_fen
        txn_ids.append(result.body["txn_id"])
    if txn_ids:
        return_family_balance(uow, ctx, binding, after=f"recovery:{txn_ids[-1]}")
    audit_event(uow, ctx, "family.recover", "family_binding", binding.id, recovered_fen=recovered_fen, txn_ids=txn_ids)
    return {"binding_id": binding.id, "recovered_fen": recovered_fen, "txn_ids": txn_ids}


def record_credit(uow: UnitOfWork, ctx: Ctx, *, binding_id: int, reason: str) -> CreditRecord:
    """纳入医保信用管理: a credit entry against the authorizer of a revoked binding."""
    binding = staff_binding(uow, ctx, binding_id)
    reason = require_reason(reason)
    if binding.status != F.BINDING_REVOKED:
        raise InvalidStateTransition("请先终止该共济关系", "Revoke the binding before recording a credit entry")
    exists = uow.session.scalar(
        select(CreditRecord.id).where(CreditRecord.binding_id == binding.id, CreditRecord.kind == CREDIT_KIND_FRAUD)
    )
    if exists is not None:
        raise DuplicateRecord("该共济关系已记录信用信息", "A credit entry already exists for this binding")
    draws = draws_of(uow, binding.id)
    states = draw_states(uow, draws)
    amount = sum(d.amount_fen for d in draws if states[d.id] != "reversed")
    row = CreditRecord(
        person_id=binding.authorizer_id,
        kind=CREDIT_KIND_FRAUD,
        binding_id=binding.id,
        reason=reason,
        amount_fen=amount,
        user_id=ctx.principal.user_id,
        at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "family.credit", "person", binding.authorizer_id, binding_id=binding.id, amount_fen=amount)
    return row
