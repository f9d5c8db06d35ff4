"""Weekly reconciliation with the tax bureau (协同对账, seed 003 附件三(二)5, issue 15 §4).

Each week medical insurance publishes the week's 共济账户代缴划扣城乡居民保费明细 to the
intermediate tables (``adapters.db.tax_exchange``: a schema / an attached database the tax side
reads and writes); the tax side compares them with its own records and writes back each
difference — missing (医保有、税务无), amount, status, extra (税务有、医保无). Staff here fetch the
differences, see them in their regions and settle each with a reason:

- ``accept_ours`` (以医保记录为准): the published row stands; the tax side aligns its record to it
  (or removes its extra row);
- ``reverse_ours`` (医保冲正): the deduction should not stand; it is reversed through the ledger
  (``services.family.premiums.refund_premium``: a reversing entry back to the family account it
  came from), the premium becomes unpaid, and the reversal is published with the next week. The
  week's row itself stays as it happened, so the tax side still aligns its record of the week.

Four-eyes: a settlement takes two clerks. The first one's ``settle`` proposes the resolution and
reason (state ``proposed``; nothing moves, nothing is written back); a second clerk's ``settle``
with the same resolution carries it out. The proposer cannot confirm their own proposal
(``E_FOUR_EYES``); a second clerk choosing another resolution replaces the proposal, which then
waits for a clerk other than them.

The resolution is written back to the intermediate table; once the tax side applied every one,
it marks the batch balanced with its totals, which then equal ours (账账相符).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from gongji.adapters.db import tax_exchange as X
from gongji.adapters.db.models import (
    Person,
    PremiumPayment,
    ResidentPremium,
    TaxReconDifference,
    TaxReconWeek,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import FourEyesRequired, InvalidRequest, InvalidStateTransition, NotFound, OutOfRegion
from gongji.domain.masking import mask_id_number
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services.auth import Role
from gongji.services.backoffice.premium_clearing import CHANNEL_FAMILY, DEDUCT, REFUND, require_province, sees
from gongji.services.family import premiums as family_premiums
from gongji.services.registry.context import Ctx, audit_event, require_reason

_WEEK = re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$")
KINDS = ("missing", "amount", "status", "extra")
KIND_ZH = {"missing": "税务缺少记录", "amount": "金额不一致", "status": "缴费状态不一致", "extra": "税务多出记录"}
ACCEPT_OURS, REVERSE_OURS = "accept_ours", "reverse_ours"
RESOLUTION_ZH = {ACCEPT_OURS: "以医保记录为准（税务更正）", REVERSE_OURS: "医保冲正（原渠道退回共济账户）"}
OPEN, PROPOSED, SETTLED = "open", "proposed", "settled"
DIFF_STATE_ZH = {OPEN: "待处理", PROPOSED: "待复核", SETTLED: "已处理"}
TAX_PAID, TAX_UNPAID = "paid", "unpaid"
BATCH_STATE_ZH = {"published": "已推送，待税务比对", "compared": "税务已比对", "balanced": "账账相符"}
Progress = Callable[[str], None]


def parse_week(text: str) -> tuple[str, date, date]:
    """``2026-W47`` → (key, Monday, Sunday); E_VALIDATION otherwise (ISO weeks)."""
    m = _WEEK.match((text or "").strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise InvalidRequest(
            "周次格式应为YYYY-Www（如2026-W47）", "Week as YYYY-Www", field="week", value=str(text)[:20]
        )
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InvalidRequest("该年没有这一周", "No such ISO week in that year", field="week") from None
    return f"{m.group(1)}-W{m.group(2)}", monday, monday + timedelta(days=6)


def week_of(day: date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def _exchange(uow: UnitOfWork) -> None:
    X.ensure(uow.session.connection())


def _step(progress: Progress | None, what: str) -> None:
    if progress is not None:
        progress(what)


PUBLISH_STEPS = 4


def publish(uow: UnitOfWork, ctx: Ctx, *, week: str, progress: Progress | None = None) -> dict[str, Any]:
    """Publish a finished week's family-account premium movements to the intermediate table
    (one INSERT … SELECT), with its totals. Once per week."""
    require_province(ctx.principal)
    key, monday, sunday = parse_week(week)
    today = ctx.clock.today()
    if today <= sunday:
        raise InvalidStateTransition("该周尚未结束，不能推送对账数据", "The week is not over yet", week=key)
    if uow.session.scalar(select(TaxReconWeek.id).where(TaxReconWeek.week == key)) is not None:
        raise InvalidStateTransition("该周对账数据已推送", "This week was published already", week=key)
    _exchange(uow)
    _step(progress, "检查中间库")
    start = datetime.combine(monday, time(), SHANGHAI)
    end = start + timedelta(days=7)
    pp, rp, payer, rel = PremiumPayment, ResidentPremium, aliased(Person), aliased(Person)
    movement = case((pp.reverses_id.is_(None), literal(DEDUCT)), else_=literal(REFUND))
    rows = (
        select(
            literal(key),
            func.row_number().over(order_by=pp.id),
            func.coalesce(pp.tax_request_id, literal("MI-").concat(pp.id)),
            movement,
            pp.id,
            payer.cert_no,
            rel.cert_no,
            rp.region_code,
            rp.benefit_year,
            rp.insutype,
            pp.amount_fen,
            case((pp.reverses_id.is_(None), literal(TAX_PAID)), else_=literal(TAX_UNPAID)),
            pp.created_at,
        )
        .select_from(pp)
        .join(rp, rp.id == pp.premium_id)
        .join(rel, rel.id == rp.person_id)
        .join(payer, payer.id == pp.payer_person_id)
        .where(pp.channel == CHANNEL_FAMILY, pp.created_at >= start, pp.created_at < end)
    )
    cols = [
        "batch_no", "line_no", "request_id", "movement", "mi_payment_id", "payer_cert_no", "relative_cert_no",
        "relative_region", "benefit_year", "insutype", "amount_fen", "status", "event_at",
    ]  # fmt: skip
    uow.session.execute(insert(X.recon_detail).from_select(cols, rows))
    _step(progress, "写入明细")
    d = X.recon_detail.c
    count, total, paid = uow.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(d.amount_fen), 0),
            func.coalesce(func.sum(case((d.status == TAX_PAID, d.amount_fen), else_=0)), 0),
        ).where(d.batch_no == key)
    ).one()
    _step(progress, "汇总合计")
    now = ctx.clock.now()
    uow.session.execute(
        insert(X.recon_batch).values(
            batch_no=key, week_start=monday, week_end=sunday, row_count=count, total_fen=total,
            paid_fen=paid, published_at=now, state="published",
        )
    )  # fmt: skip
    row = TaxReconWeek(
        week=key, week_start=monday, week_end=sunday, row_count=int(count), total_fen=int(total),
        paid_fen=int(paid), published_at=now, published_by_user_id=ctx.principal.user_id,
    )  # fmt: skip
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow, ctx, "tax_recon.publish", "tax_recon_week", row.id, week=key, rows=row.row_count, fen=row.total_fen
    )
    _step(progress, "登记推送")
    return {"week": key, "row_count": row.row_count, "total_fen": row.total_fen, "paid_fen": row.paid_fen}


def _week(uow: UnitOfWork, week: str) -> TaxReconWeek:
    key = parse_week(week)[0]
    row = uow.session.scalar(select(TaxReconWeek).where(TaxReconWeek.week == key))
    if row is None:
        raise NotFound("该周对账数据尚未推送", "This week was not published", week=key)
    return row


def fetch_differences(uow: UnitOfWork, ctx: Ctx, *, week: str) -> dict[str, Any]:
    """Read the differences the tax side wrote back that are not here yet (one INSERT … SELECT)."""
    ctx.principal.require(Role.STAFF)
    w = _week(uow, week)
    _exchange(uow)
    diff, det = X.recon_diff.c, X.recon_detail.c
    already = exists().where(TaxReconDifference.week_id == w.id, TaxReconDifference.diff_no == diff.diff_no)
    rows = (
        select(
            literal(w.id),
            diff.diff_no,
            diff.kind,
            diff.request_id,
            diff.movement,
            det.mi_payment_id,
            func.coalesce(det.relative_region, diff.relative_region),
            func.coalesce(det.relative_cert_no, diff.relative_cert_no),
            diff.mi_amount_fen,
            diff.tax_amount_fen,
            diff.mi_status,
            diff.tax_status,
            func.substr(diff.note, 1, 200),
            literal(OPEN),
            literal(ctx.clock.now()),
        )  # fmt: skip
        .select_from(
            X.recon_diff.outerjoin(
                X.recon_detail,
                and_(det.batch_no == diff.batch_no, det.request_id == diff.request_id, det.movement == diff.movement),
            )
        )
        .where(diff.batch_no == w.week, diff.kind.in_(KINDS), ~already)
    )
    cols = [
        "week_id", "diff_no", "kind", "request_id", "movement", "premium_payment_id", "region_code",
        "relative_cert_no", "mi_amount_fen", "tax_amount_fen", "mi_status", "tax_status", "tax_note",
        "state", "imported_at",
    ]  # fmt: skip
    count = select(func.count()).select_from(TaxReconDifference).where(TaxReconDifference.week_id == w.id)
    before = int(uow.session.scalar(count) or 0)
    uow.session.execute(insert(TaxReconDifference).from_select(cols, rows))
    fetched = int(uow.session.scalar(count) or 0) - before  # rowcount of INSERT … SELECT is not portable
    audit_event(uow, ctx, "tax_recon.fetch", "tax_recon_week", w.id, week=w.week, fetched=fetched)
    return {"week": w.week, "fetched": fetched}


def _require_diff_scope(ctx: Ctx, d: TaxReconDifference) -> None:
    if d.region_code is None:
        require_province(ctx.principal)
        return
    ctx.principal.require(Role.STAFF)
    if not region_in_scope(d.region_code, list(ctx.principal.regions)):
        raise OutOfRegion(region=d.region_code)


def settle(uow: UnitOfWork, ctx: Ctx, *, difference_id: int, resolution: str, reason: str) -> dict[str, Any]:
    """Settle one difference with a reason; ``reverse_ours`` reverses the deduction through the
    ledger. The resolution goes back to the intermediate table for the tax side."""
    if resolution not in RESOLUTION_ZH:
        raise InvalidRequest(
            "处理方式应为accept_ours或reverse_ours", "resolution: accept_ours/reverse_ours", field="resolution"
        )
    d = uow.session.get(TaxReconDifference, difference_id)
    if d is None:
        raise NotFound("对账差异不存在", "Difference not found", difference_id=difference_id)
    _require_diff_scope(ctx, d)
    reason = require_reason(reason)
    if d.state == SETTLED:
        raise InvalidStateTransition("该差异已处理", "This difference is settled already", difference_id=d.id)
    if resolution == REVERSE_OURS:
        _check_reversible(uow, d)
    w = uow.session.get(TaxReconWeek, d.week_id)
    assert w is not None
    now = ctx.clock.now()
    user = ctx.principal.user_id
    if d.state != PROPOSED or d.proposed_resolution != resolution:  # a (new) proposal: four-eyes
        d.state, d.proposed_resolution, d.proposed_reason = PROPOSED, resolution, reason
        d.proposed_by_user_id, d.proposed_at = user, now
        uow.session.flush()
        audit_event(
            uow, ctx, "tax_recon.propose", "tax_recon_difference", d.id,
            week=w.week, kind=d.kind, resolution=resolution,
        )  # fmt: skip
        return difference_view(d)
    if d.proposed_by_user_id == user:
        raise FourEyesRequired(difference_id=d.id)
    if resolution == REVERSE_OURS:
        d.reversal_txn_id = _reverse(uow, ctx, d, reason)
    proposed = d.proposed_reason or reason
    checked = proposed if reason == proposed else f"{proposed}；复核：{reason}"
    d.state, d.resolution, d.reason = SETTLED, resolution, checked[:200]
    d.settled_by_user_id, d.settled_at = ctx.principal.user_id, now
    _exchange(uow)
    diff = X.recon_diff.c
    uow.session.execute(
        update(X.recon_diff)
        .where(diff.batch_no == w.week, diff.diff_no == d.diff_no)
        .values(
            resolution=resolution, final_amount_fen=d.mi_amount_fen, final_status=d.mi_status,
            resolution_note=d.reason, resolved_at=now,
        )
    )  # fmt: skip
    uow.session.flush()
    audit_event(
        uow, ctx, "tax_recon.settle", "tax_recon_difference", d.id,
        week=w.week, kind=d.kind, resolution=resolution, reversal_txn_id=d.reversal_txn_id,
    )  # fmt: skip
    return difference_view(d)


def _check_reversible(uow: UnitOfWork, d: TaxReconDifference) -> PremiumPayment:
    """Only a family-account deduction medical insurance made, still paid, can be reversed."""
    from gongji.services.resident.premiums import PAID

    if d.kind == "extra" or d.movement != DEDUCT or d.premium_payment_id is None:
        raise InvalidStateTransition(
            "只有医保已划扣的记录可以冲正", "Only a deduction medical insurance made can be reversed", kind=d.kind
        )
    payment = uow.session.get(PremiumPayment, d.premium_payment_id)
    assert payment is not None
    if payment.status != PAID or payment.family_payment_id is None:
        raise InvalidStateTransition(
            "该笔代缴已退回，无需冲正", "This payment was refunded already", status=payment.status
        )
    return payment


def _reverse(uow: UnitOfWork, ctx: Ctx, d: TaxReconDifference, reason: str) -> int:
    """医保冲正: the deduction back to its family account by a reversing entry, the premium
    unpaid, a refund movement recorded (published with the week it happens in)."""
    from gongji.services.resident.premiums import REFUNDED

    payment = _check_reversible(uow, d)
    premium = uow.session.scalars(
        select(ResidentPremium).where(ResidentPremium.id == payment.premium_id).with_for_update()
    ).one()
    assert payment.family_payment_id is not None
    result = family_premiums.refund_premium(
        uow, ctx, family_payment_id=payment.family_payment_id,
        reason=f"税务对账差异冲正：{reason}"[:200], idempotency_key=f"tax-recon:{d.id}",
    )  # fmt: skip
    txn_id = int(result.body["txn_id"])
    now = ctx.clock.now()
    uow.session.add(
        PremiumPayment(
            premium_id=premium.id, channel=payment.channel, amount_fen=-payment.amount_fen,
            payer_person_id=payment.payer_person_id, binding_id=payment.binding_id,
            commitment_id=payment.commitment_id, family_payment_id=payment.family_payment_id,
            ledger_txn_id=txn_id, tax_request_id=payment.tax_request_id, reverses_id=payment.id,
            status="refund", created_at=now,
        )
    )  # fmt: skip
    payment.status = REFUNDED
    premium.status, premium.channel, premium.refunded_at = REFUNDED, None, now
    premium.paid_fen -= payment.amount_fen
    uow.session.flush()
    return txn_id


# --- views ---------------------------------------------------------------------------------------------


def difference_view(d: TaxReconDifference) -> dict[str, Any]:
    return {
        "id": d.id, "diff_no": d.diff_no, "kind": d.kind, "kind_zh": KIND_ZH.get(d.kind, d.kind),
        "request_id": d.request_id, "movement": d.movement, "region_code": d.region_code,
        "relative_cert": mask_id_number(d.relative_cert_no),
        "mi_amount_fen": d.mi_amount_fen, "tax_amount_fen": d.tax_amount_fen,
        "mi_status": d.mi_status, "tax_status": d.tax_status, "tax_note": d.tax_note,
        "state": d.state, "state_zh": DIFF_STATE_ZH.get(d.state, d.state),
        "resolution": d.resolution, "resolution_zh": RESOLUTION_ZH.get(d.resolution or "", ""),
        "reason": d.reason, "reversal_txn_id": d.reversal_txn_id,
        "settled_at": d.settled_at.isoformat() if d.settled_at else None,
        "proposed_resolution": d.proposed_resolution,
        "proposed_resolution_zh": RESOLUTION_ZH.get(d.proposed_resolution or "", ""),
        "proposed_reason": d.proposed_reason, "proposed_by_user_id": d.proposed_by_user_id,
        "proposed_at": d.proposed_at.isoformat() if d.proposed_at else None,
    }  # fmt: skip


def week_view(
    uow: UnitOfWork, ctx: Ctx, *, week: str, region: str | None = None, state: str | None = None
) -> dict[str, Any]:
    """Our totals, the tax side's (from the intermediate table) and the differences the principal
    may see (filters: region, state open/settled)."""
    ctx.principal.require(Role.STAFF, Role.AUDITOR)
    if state and state not in DIFF_STATE_ZH:
        raise InvalidRequest("状态应为open、proposed或settled", "state: open/proposed/settled", field="state")
    w = _week(uow, week)
    _exchange(uow)
    batch = uow.session.execute(select(X.recon_batch).where(X.recon_batch.c.batch_no == w.week)).mappings().first()
    q = select(TaxReconDifference).where(TaxReconDifference.week_id == w.id).order_by(TaxReconDifference.diff_no)
    all_diffs = list(uow.session.scalars(q))
    open_count = sum(1 for d in all_diffs if d.state != SETTLED)  # open or awaiting the second clerk
    diffs = [
        difference_view(d)
        for d in all_diffs
        if (d.region_code is None or sees(ctx.principal, d.region_code) or ctx.principal.role is Role.AUDITOR)
        and (not region or (d.region_code or "").startswith(scope_prefix(region)))
        and (not state or d.state == state)
    ]
    ours = {"row_count": w.row_count, "total_fen": w.total_fen, "paid_fen": w.paid_fen}
    theirs = None
    tax_state = "published"
    if batch is not None:
        tax_state = batch["state"]
        if batch["tax_row_count"] is not None:
            theirs = {
                "row_count": batch["tax_row_count"],
                "total_fen": batch["tax_total_fen"],
                "paid_fen": batch["tax_paid_fen"],
            }
    balanced = tax_state == "balanced" and open_count == 0 and theirs == ours
    return {
        "week": w.week, "week_start": w.week_start.isoformat(), "week_end": w.week_end.isoformat(),
        "published_at": w.published_at.isoformat(), "ours": ours, "theirs": theirs,
        "tax_state": tax_state, "tax_state_zh": BATCH_STATE_ZH.get(tax_state, tax_state),
        "difference_count": len(all_diffs), "open_count": open_count, "balanced": balanced,
        "differences": diffs,
    }  # fmt: skip


def weeks(uow: UnitOfWork, ctx: Ctx) -> list[dict[str, Any]]:
    ctx.principal.require(Role.STAFF, Role.AUDITOR)
    return [
        {"week": w.week, "row_count": w.row_count, "total_fen": w.total_fen}
        for w in uow.session.scalars(select(TaxReconWeek).order_by(TaxReconWeek.week.desc()))
    ]
