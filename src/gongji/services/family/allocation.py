"""共济账户划拨: moving money from the authorizer's personal account into a relative's family
account (allocation model, SPEC §4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyBinding,
    LedgerTxn,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    FundingModelMismatch,
    InsufficientBalance,
    InvalidStateTransition,
)
from gongji.domain.money import require_positive_fen
from gongji.domain.relations import RELATION_ZH
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.family.common import check_authorizer, own_binding
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
)

# --- 共济账户划拨 (allocation model) -------------------------------------------------------------


def _allocatable(uow: UnitOfWork, ctx: Ctx, profile: Profile, binding_id: int) -> FamilyBinding:
    binding = own_binding(uow, ctx, binding_id)
    if profile.family.funding_model != "allocation" or not profile.family.allocation_draw_order:
        raise FundingModelMismatch(
            "本省家庭共济直接使用共济人历年账户资金，无需划拨",
            "This province draws directly on the authorizer's past-years balance; nothing to allocate",
        )
    return binding


def _draws(uow: UnitOfWork, profile: Profile, binding: FamilyBinding, amount_fen: int, *, lock: bool) -> list[F.Draw]:
    """Where the amount comes from: the authorizer's balances in ``allocation_draw_order``;
    refused when the binding is not active, the authorizer not eligible, or the balance short."""
    if binding.status != F.BINDING_ACTIVE:
        raise InvalidStateTransition("该共济关系已解除，不能划拨", "This binding is no longer active")
    check_authorizer(uow, profile, binding.authorizer_id, need_balance=False)
    aid = binding.authorizer_id
    code_of = {"past_years": L.personal_past(aid), "current_year": L.personal_current(aid)}
    order = [code_of[item] for item in profile.family.allocation_draw_order or ()]
    balances = (ledger.lock_balances if lock else ledger.balances_of)(uow, order)
    draws = F.allocation_draws(amount_fen, [F.Source(code, balances.get(code, 0)) for code in order])
    if draws is None:
        raise InsufficientBalance(
            "共济人个人账户余额不足",
            "The personal account does not hold that much",
            available_fen=sum(balances.values()),
        )
    return list(draws)


def allocation_plan(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, binding_id: int, amount_fen: int) -> dict[str, Any]:
    """What ``allocate`` would move, for the confirmation page (nothing locked or written): the
    amount from each of the authorizer's accounts, into which family account, and its balance after."""
    binding = _allocatable(uow, ctx, profile, binding_id)
    require_positive_fen(amount_fen)
    draws = _draws(uow, profile, binding, amount_fen, lock=False)
    family = L.family_account(binding.id)
    before = ledger.balances_of(uow, [family]).get(family, 0)
    return {
        "binding_id": binding.id,
        "relative_id": binding.relative_id,
        "relation": binding.relation,
        "amount_fen": amount_fen,
        "draws": [{"account": d.account, "amount_fen": d.amount_fen} for d in draws],
        "family_account": family,
        "family_balance_fen": before,
        "family_balance_after_fen": before + amount_fen,
    }


def allocate(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, binding_id: int, amount_fen: int, idempotency_key: str
) -> ledger.PostResult:
    """Move money from the authorizer's personal account into a relative's family account.

    Taken from the authorizer's balances in the profile's ``allocation_draw_order``; never more
    than they hold (InsufficientBalance, nothing written).
    """
    binding = _allocatable(uow, ctx, profile, binding_id)
    request = {"op": "family_allocate", "binding_id": binding_id, "amount_fen": amount_fen}
    require_positive_fen(amount_fen)
    ledger.require_idempotency_key(idempotency_key)
    # the client's key is scoped to the authorizer: another person's key can never collide
    idempotency_key = L.scoped_key(f"family-allocate:{binding.authorizer_id}", idempotency_key)
    replay = uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.idempotency_key == idempotency_key))
    postings: tuple[L.Posting, ...] = ()  # a replay is answered by ledger.post before postings matter
    if replay is None:
        draws = _draws(uow, profile, binding, amount_fen, lock=True)
        postings = tuple(L.Posting(d.account, -d.amount_fen) for d in draws) + (
            L.Posting(L.family_account(binding.id), amount_fen),
        )
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=idempotency_key,
            kind="family.allocate",
            narration=f"共济账户划拨：{RELATION_ZH.get(binding.relation, binding.relation)}",  # type: ignore[call-overload]
            postings=postings,
        ),
        request=request,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
        extra={"binding_id": binding.id, "amount_fen": amount_fen},
    )
    if not result.replayed:
        audit_event(
            uow,
            ctx,
            "family.allocate",
            "family_binding",
            binding.id,
            amount_fen=amount_fen,
            txn_id=result.body["txn_id"],
        )
    return result
