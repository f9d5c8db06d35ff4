"""代缴: a relative's resident premium from one authorizer's family funds (seeds 000, 003, 004), and
its refund by the original route (原渠道返还, seed 003 附件三(二)4)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyBinding,
    FamilyDraw,
    FamilyPayment,
    LedgerTxn,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import (
    FraudCaseOpen,
    InvalidStateTransition,
    NotFound,
    PremiumInsufficientFunds,
    PremiumNoBinding,
)
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import INSUTYPES
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.family.common import USE_ZH, check_authorizer, get_binding, return_family_balance
from gongji.services.family.fraud import open_case_of
from gongji.services.family.payment import check_use, stored_payment
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    get_person,
)

# --- 代缴: a relative's resident premium from one authorizer's family funds (seeds 000, 003, 004) ---


# The pure parts of ``pay_premium``: the rules and the rows it writes, shared with the tax
# bureau's set-based batch (``services.resident.batch``), which decides a whole chunk at once.


def premium_pay_request(
    *,
    authorizer_id: int,
    relative_id: int,
    amount_fen: int,
    insutype: str,
    payee_account: str,
    reference: str | None,
) -> dict[str, Any]:
    """What a 代缴 is, as hashed for its idempotency key (family_payment and ledger_txn alike)."""
    return {
        "op": "family_pay_premium",
        "authorizer_id": authorizer_id,
        "relative_id": relative_id,
        "amount_fen": amount_fen,
        "insutype": insutype,
        "payee": payee_account,
        "reference": reference,
    }


def premium_funds_account(profile: Profile, *, authorizer_id: int, binding_id: int | None) -> str:
    """The account a 代缴 draws on: the binding's family account (allocation) or the
    authorizer's past years (direct). PremiumNoBinding without an active binding of the pair
    when the profile ``requires_binding``, and always under 'allocation'."""
    if binding_id is None:
        if profile.family.premium_payment_requires_binding or profile.family.funding_model == "allocation":
            raise PremiumNoBinding()
        return L.personal_past(authorizer_id)
    if profile.family.funding_model == "allocation":
        return L.family_account(binding_id)
    return L.personal_past(authorizer_id)


def check_no_open_case(case_id: int | None) -> None:
    """Seed 003 四(四) 立即停止相关当事人家庭共济待遇: while a fraud case of the payer or the relative is
    open, no family money pays a premium — also where no binding is needed (Henan, seed 004)."""
    if case_id is not None:
        raise FraudCaseOpen(
            "当事人有尚未办结的违规家庭共济案件，案件办结前不能使用家庭共济资金代缴",
            "A party has an open family mutual-aid fraud case; no family-funded premium until it is closed",
            use=F.PREMIUM_USE,
        )


def check_premium_funds(balance_fen: int, amount_fen: int) -> None:
    """All or nothing: the source must hold the whole premium."""
    if balance_fen < amount_fen:
        raise PremiumInsufficientFunds()


def premium_draft(
    *, idempotency_key: str, insutype: str, source: str, payee_account: str, amount_fen: int
) -> L.TransactionDraft:
    return L.TransactionDraft(
        idempotency_key=L.scoped_key("family-premium", idempotency_key),
        kind=f"family.pay.{F.PREMIUM_USE}",
        narration=f"{USE_ZH[F.PREMIUM_USE]}（{INSUTYPES.get(insutype, '其他险种')}）：家庭共济资金划扣",
        postings=L.transfer(source, payee_account, amount_fen),
    )


def premium_txn_extra(*, relative_id: int, authorizer_id: int) -> dict[str, Any]:
    return {"relative_id": relative_id, "authorizer_id": authorizer_id}


def premium_payment_body(
    *,
    idempotency_key: str,
    relative_id: int,
    authorizer_id: int,
    insutype: str,
    amount_fen: int,
    binding_id: int | None,
    source: str,
    txn_id: int,
    now: datetime,
) -> dict[str, Any]:
    """The answer of a 代缴 (stored in family_payment without ``payment_id``)."""
    return {
        "idempotency_key": idempotency_key,
        "relative_id": relative_id,
        "authorizer_id": authorizer_id,
        "use": F.PREMIUM_USE,
        "insutype": insutype,
        "amount_fen": amount_fen,
        "own_fen": 0,
        "family_fen": amount_fen,
        "cash_fen": 0,
        "own": [],
        "family": [{"binding_id": binding_id, "account": source, "amount_fen": amount_fen}],
        "txn_id": txn_id,
        "created_at": now.isoformat(),
    }


def premium_payment_row(body: Mapping[str, Any], *, request_hash: str, now: datetime) -> dict[str, Any]:
    """The family_payment row of a 代缴 answered by ``body`` (``premium_payment_body``)."""
    return {
        "idempotency_key": body["idempotency_key"],
        "request_hash": request_hash,
        "relative_id": body["relative_id"],
        "use_kind": F.PREMIUM_USE,
        "amount_fen": body["amount_fen"],
        "own_fen": 0,
        "family_fen": body["amount_fen"],
        "cash_fen": 0,
        "txn_id": body["txn_id"],
        "created_at": now,
        # the stored answer leaves out payment_id (not known before the insert); replays add it
        "result_json": json.dumps(body, ensure_ascii=False, sort_keys=True),
    }


def premium_draw_row(body: Mapping[str, Any], *, payment_id: int, now: datetime) -> dict[str, Any]:
    """The family_draw row of a 代缴 drawn on a binding (the basis of recovery after fraud)."""
    draw = body["family"][0]
    return {
        "payment_id": payment_id,
        "binding_id": draw["binding_id"],
        "txn_id": body["txn_id"],
        "account_code": draw["account"],
        "amount_fen": draw["amount_fen"],
        "created_at": now,
    }


def premium_audit_detail(body: Mapping[str, Any]) -> dict[str, Any]:
    """The detail of the ``family.pay`` audit row of a 代缴."""
    return {
        "relative_id": body["relative_id"],
        "authorizer_id": body["authorizer_id"],
        "use": F.PREMIUM_USE,
        "insutype": body["insutype"],
        "amount_fen": body["amount_fen"],
        "family_fen": body["family_fen"],
    }


def pay_premium(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    authorizer_id: int,
    relative_id: int,
    amount_fen: int,
    insutype: str,
    payee_account: str,
    idempotency_key: str,
    reference: str | None = None,
) -> ledger.PostResult:
    """代缴: pay a relative's resident premium from ONE authorizer's family funds, all or nothing.

    Unlike ``pay``, neither the relative's own account nor cash takes part, and no other
    authorizer is drawn on: the authorizer asked to pay (seed 003 附件三(二)1-3). The funds are
    the binding's family account (allocation) or the authorizer's past-years balance (direct,
    seed 003 二). An active binding of the pair is needed when the profile says
    ``requires_binding``, and always under 'allocation' (the family account is the binding's);
    under ``commitment_at_payment`` (Henan, seed 004) the caller records the commitment.

    Refused before anything is written: UseNotAllowed (insurance type), the authorizer's
    refusals (not employee, suspended, interrupted, frozen), FraudCaseOpen (a party's fraud case
    is open, seed 003 四(四), with or without a binding), PremiumNoBinding,
    PremiumInsufficientFunds. One ledger transaction ``family.pay.premium``; a
    ``family_payment`` row answers replays of the key, a ``family_draw`` row records what the
    binding paid (the basis of recovery after fraud). ``payee_account`` must exist.
    """
    require_positive_fen(amount_fen)
    request = premium_pay_request(
        authorizer_id=authorizer_id,
        relative_id=relative_id,
        amount_fen=amount_fen,
        insutype=insutype,
        payee_account=payee_account,
        reference=reference,
    )
    digest, replay = stored_payment(uow, idempotency_key, request)
    if replay is not None:
        return replay
    check_use(profile, F.PREMIUM_USE, premium_insutype=insutype)
    relative = get_person(uow, relative_id)
    get_person(uow, authorizer_id)
    check_authorizer(uow, profile, authorizer_id, need_balance=False)
    check_no_open_case(open_case_of(uow, authorizer_id, relative.id))
    binding = uow.session.scalar(
        select(FamilyBinding).where(
            FamilyBinding.authorizer_id == authorizer_id,
            FamilyBinding.relative_id == relative.id,
            FamilyBinding.status == F.BINDING_ACTIVE,
        )
    )
    binding_id = binding.id if binding is not None else None
    source = premium_funds_account(profile, authorizer_id=authorizer_id, binding_id=binding_id)
    check_premium_funds(ledger.lock_balances(uow, [source])[source], amount_fen)

    now = ctx.clock.now()
    result = ledger.post(
        uow,
        premium_draft(
            idempotency_key=idempotency_key,
            insutype=insutype,
            source=source,
            payee_account=payee_account,
            amount_fen=amount_fen,
        ),
        request=request,
        now=now,
        user_id=ctx.principal.user_id,
        extra=premium_txn_extra(relative_id=relative.id, authorizer_id=authorizer_id),
    )
    txn_id = int(result.body["txn_id"])
    body = premium_payment_body(
        idempotency_key=idempotency_key,
        relative_id=relative.id,
        authorizer_id=authorizer_id,
        insutype=insutype,
        amount_fen=amount_fen,
        binding_id=binding_id,
        source=source,
        txn_id=txn_id,
        now=now,
    )
    payment = FamilyPayment(**premium_payment_row(body, request_hash=digest, now=now))
    uow.session.add(payment)
    uow.session.flush()
    body["payment_id"] = payment.id
    if binding_id is not None:
        uow.session.add(FamilyDraw(**premium_draw_row(body, payment_id=payment.id, now=now)))
        uow.session.flush()
    audit_event(uow, ctx, "family.pay", "family_payment", payment.id, **premium_audit_detail(body))
    return ledger.PostResult(body, replayed=False)


def _premium_payment(uow: UnitOfWork, family_payment_id: int) -> FamilyPayment:
    payment = uow.session.get(FamilyPayment, family_payment_id)
    if payment is None or payment.use_kind != F.PREMIUM_USE or payment.txn_id is None:
        raise NotFound("代缴记录不存在", "Premium payment not found", family_payment_id=family_payment_id)
    return payment


def premium_source(uow: UnitOfWork, *, family_payment_id: int) -> str:
    """The account a premium paid by ``pay_premium`` was drawn from: the binding's family account
    or the authorizer's past-years balance (a refund goes back there)."""
    payment = _premium_payment(uow, family_payment_id)
    draw = uow.session.scalar(select(FamilyDraw.account_code).where(FamilyDraw.payment_id == payment.id))
    if draw is not None:
        return str(draw)
    body = json.loads(payment.result_json)
    return str(body["family"][0]["account"])


def refund_premium(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    family_payment_id: int,
    reason: str,
    idempotency_key: str,
) -> ledger.PostResult:
    """退费: undo a premium paid by ``pay_premium`` with a reversing entry — the money goes back
    to the family account or past-years balance it came from (原渠道返还, seed 003 附件三(二)4),
    all of it: nothing of family money is kept back for a subsidy the relative was paid in cash
    (that is owed by the relative, ``services.resident.recoveries``). A family account whose
    binding has ended meanwhile is emptied back to the authorizer, as an unbind does. A payment
    drawn through a binding revoked for fraud is not refunded (E_STATE): it is part of the fraud
    case's receivable, and money goes back only as the case collects it (seed 003 四(四)). Callers
    check who may refund and when."""
    payment = _premium_payment(uow, family_payment_id)
    key = L.scoped_key("family-premium-refund", idempotency_key)
    if uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.idempotency_key == key)) is None:
        revoked = uow.session.scalar(
            select(FamilyBinding.id)
            .join(FamilyDraw, FamilyDraw.binding_id == FamilyBinding.id)
            .where(FamilyDraw.payment_id == payment.id, FamilyBinding.status == F.BINDING_REVOKED)
        )
        if revoked is not None:
            raise InvalidStateTransition(
                "该笔代缴经因违规终止的共济关系支付，已纳入违规追回，不能退费",
                "Paid through a binding revoked for fraud: part of the fraud case, not refunded",
                binding_id=revoked,
            )
    now = ctx.clock.now()
    result = ledger.reverse(
        uow,
        txn_id=payment.txn_id,  # type: ignore[arg-type]  # checked by _premium_payment
        idempotency_key=key,
        reason=reason,
        now=now,
        user_id=ctx.principal.user_id,
    )
    if not result.replayed:
        for draw in uow.session.scalars(select(FamilyDraw).where(FamilyDraw.payment_id == payment.id)):
            binding = get_binding(uow, draw.binding_id)
            if binding.status != F.BINDING_ACTIVE:
                return_family_balance(uow, ctx, binding, after=f"premium-refund:{result.body['txn_id']}")
        audit_event(
            uow,
            ctx,
            "family.premium_refund",
            "family_payment",
            payment.id,
            amount_fen=payment.family_fen,
            txn_id=result.body["txn_id"],
        )
    return result
