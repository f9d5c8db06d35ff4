"""保险费划扣明细表 and 全额清算 of premiums paid from family accounts (seed 003 附件三(三), issue 15 §4).

Once a month is over, ``generate`` lists every resident premium the family account paid (or gave
back on a refund, as a negative line) in it, with the authorizer's pooling region (where the money
left) and the relative's (whose premium income it is): the same region → 本统筹区保险费划转, two
regions → 跨统筹区保险费清算. Set-based: one INSERT … SELECT for the lines, one GROUP BY each for
the regions and the transfers; no Python loop over rows.

Then, per pooling region: confirm the month's figures by the 5th of the next month (原则上每月5日前
完成上月共济资金清算数据确认), submit the 用款计划 to finance, and the authorizer's region pays the
relative's region's finance the **full amount** between them (全额清算 — no netting) by the end of
that month. A deadline on a day off moves to the next working day (民法典 第二百零三条), on the
platform's working-day calendar; a step not done by its deadline shows as overdue with the working
days late.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from datetime import date, datetime, time
from itertools import islice
from typing import Any

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, select
from sqlalchemy.orm import aliased

from gongji.adapters.db.models import (
    LedgerAccount,
    LedgerPosting,
    Person,
    PremiumClearingLine,
    PremiumClearingMonth,
    PremiumClearingRegion,
    PremiumClearingTransfer,
    PremiumPayment,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.calendar import WorkCalendar
from gongji.domain.clock import SHANGHAI, local_date
from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, NotFound, OutOfRegion
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services import calendar
from gongji.services.auth import Principal, Role
from gongji.services.registry.context import Ctx, audit_event

CHANNEL_FAMILY = "family_account"  # services.resident.premiums.CHANNEL_FAMILY
DEDUCT, REFUND = "deduct", "refund"
MOVEMENT_ZH = {DEDUCT: "划扣", REFUND: "退费返还"}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_BANK_REF = re.compile(r"^[0-9A-Za-z\-_/]{4,60}$")


# --- months and deadlines (pure) ------------------------------------------------------------------


def parse_month(text: str) -> date:
    """``2026-11`` → 2026-11-01; E_VALIDATION otherwise."""
    m = _MONTH.match((text or "").strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise InvalidRequest("月份格式应为YYYY-MM", "Month as YYYY-MM", field="month", value=str(text)[:20])
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def confirm_due(cal: WorkCalendar, first: date) -> date:
    """By the 5th of the next month; the 5th on a day off → the next working day."""
    return cal.next_working_day(next_month(first).replace(day=5))


def transfer_due(cal: WorkCalendar, first: date) -> date:
    """By the end of the next month (月底前完成代缴保险费划转); on a day off → the next working day."""
    nxt = next_month(first)
    return cal.next_working_day(nxt.replace(day=monthrange(nxt.year, nxt.month)[1]))


def step_state(cal: WorkCalendar, *, done_on: date | None, due: date, today: date) -> dict[str, Any]:
    """done / late (done after the deadline) / open / overdue, and the working days late."""
    if done_on is not None:
        late = max(0, cal.working_days_between(due, done_on)) if done_on > due else 0
        return {"state": "late" if late or done_on > due else "done", "working_days_late": late}
    if today > due:
        return {"state": "overdue", "working_days_late": max(1, cal.working_days_between(due, today))}
    return {"state": "open", "working_days_late": 0}


STATE_ZH = {"done": "已完成", "late": "逾期完成", "open": "未到期", "overdue": "已逾期"}


def _local(at: datetime) -> datetime:
    """A stored timestamp in Beijing time (SQLite gives back the naive Beijing time it was given)."""
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI)


def _day_bounds(first: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time(), SHANGHAI), datetime.combine(next_month(first), time(), SHANGHAI)


# --- who -------------------------------------------------------------------------------------------


def require_province(principal: Principal) -> None:
    """Generating the province's table is for province-wide staff (全省统一生成)."""
    principal.require(Role.STAFF)
    if not any(len(scope_prefix(r)) == 2 for r in principal.regions):
        raise Forbidden("仅省级医保经办人员可生成全省明细表", "Only province-wide staff generate the province's table")


def require_pool(principal: Principal, region_code: str) -> None:
    """A pooling region's steps are taken by staff whose scope covers the whole region."""
    principal.require(Role.STAFF)
    if not region_in_scope(region_code, list(principal.regions)):
        raise OutOfRegion(region=region_code)


def sees(principal: Principal, region_code: str) -> bool:
    """Staff see a pooling region they cover or one their county lies in; auditors see all."""
    if principal.role is Role.AUDITOR:
        return True
    if principal.role is not Role.STAFF:
        return False
    return any(region_in_scope(region_code, [r]) or r.startswith(scope_prefix(region_code)) for r in principal.regions)


def _require_reader(principal: Principal) -> None:
    principal.require(Role.STAFF, Role.AUDITOR)


# --- generating the month ---------------------------------------------------------------------------


def generate(uow: UnitOfWork, ctx: Ctx, *, month: str) -> dict[str, Any]:
    """The month's 明细表, its region rows (with the confirmation deadline) and the 全额清算
    transfers. Only after the month ended; again only while no region confirmed."""
    require_province(ctx.principal)
    first = parse_month(month)
    today = ctx.clock.today()
    if today < next_month(first):
        raise InvalidStateTransition(
            "该月尚未结束，不能生成划扣明细表", "The month is not over yet", month=month, today=today.isoformat()
        )
    key = first.strftime("%Y-%m")
    old = uow.session.scalar(select(PremiumClearingMonth).where(PremiumClearingMonth.month == key))
    if old is not None:
        started = uow.session.scalar(
            select(func.count())
            .select_from(PremiumClearingRegion)
            .where(PremiumClearingRegion.month_id == old.id, PremiumClearingRegion.confirmed_at.is_not(None))
        )
        if started:
            raise InvalidStateTransition(
                "已有统筹区确认该月数据，不能重新生成", "A region confirmed this month already", month=key
            )
        for model in (PremiumClearingLine, PremiumClearingRegion, PremiumClearingTransfer):
            uow.session.execute(delete(model).where(model.month_id == old.id))  # type: ignore[attr-defined]
        uow.session.delete(old)
        uow.session.flush()
    now = ctx.clock.now()
    row = PremiumClearingMonth(
        month=key, line_count=0, total_fen=0, within_fen=0, across_fen=0,
        generated_at=now, generated_by_user_id=ctx.principal.user_id,
    )  # fmt: skip
    uow.session.add(row)
    uow.session.flush()
    _insert_lines(uow, row.id, first)
    cal = calendar.load(uow)
    _insert_regions(uow, row.id, confirm_due(cal, first))
    _insert_transfers(uow, row.id, transfer_due(cal, first))
    line = PremiumClearingLine
    count, total, across = uow.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(line.amount_fen), 0),
            func.coalesce(func.sum(case((line.across, line.amount_fen), else_=0)), 0),
        ).where(line.month_id == row.id)
    ).one()
    row.line_count, row.total_fen, row.across_fen = int(count), int(total), int(across)
    row.within_fen = row.total_fen - row.across_fen
    uow.session.flush()
    audit_event(
        uow, ctx, "premium_clearing.generate", "premium_clearing_month", row.id,
        month=key, lines=row.line_count, total_fen=row.total_fen, across_fen=row.across_fen,
    )  # fmt: skip
    return month_view(uow, ctx, month=key)


def _pool(code: Any) -> Any:
    """The pooling region (city, 市级统筹) of a county code, in SQL: its first four digits + 00."""
    return func.substr(code, 1, 4).concat("00")


def _insert_lines(uow: UnitOfWork, month_id: int, first: date) -> None:
    start, end = _day_bounds(first)
    pp, orig, rp = PremiumPayment, aliased(PremiumPayment), ResidentPremium
    source_txn = func.coalesce(orig.ledger_txn_id, pp.ledger_txn_id)
    relative_pool, authorizer_pool = _pool(rp.region_code), _pool(LedgerAccount.region_code)
    rows = (
        select(
            literal(month_id),
            pp.id,
            pp.created_at,
            case((pp.reverses_id.is_(None), literal(DEDUCT)), else_=literal(REFUND)),
            rp.benefit_year,
            rp.insutype,
            rp.person_id,
            pp.payer_person_id,
            relative_pool,
            authorizer_pool,
            pp.amount_fen,
            relative_pool != authorizer_pool,
        )
        .select_from(pp)
        .join(rp, rp.id == pp.premium_id)
        .outerjoin(orig, orig.id == pp.reverses_id)
        .join(LedgerPosting, and_(LedgerPosting.txn_id == source_txn, LedgerPosting.amount_fen < 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(pp.channel == CHANNEL_FAMILY, pp.created_at >= start, pp.created_at < end)
    )
    cols = [
        "month_id", "premium_payment_id", "paid_at", "movement", "benefit_year", "insutype", "relative_id",
        "authorizer_id", "relative_region", "authorizer_region", "amount_fen", "across",
    ]  # fmt: skip
    uow.session.execute(insert(PremiumClearingLine).from_select(cols, rows))


def _insert_regions(uow: UnitOfWork, month_id: int, due: date) -> None:
    """One row per pooling region that pays, receives or transfers within: three GROUP BYs."""
    line = PremiumClearingLine
    mine = line.month_id == month_id
    within = case((line.across, 0), else_=1)
    parts = (
        select(
            line.relative_region.label("region"),
            func.sum(within).label("within_count"),
            func.sum(within * line.amount_fen).label("within_fen"),
            literal(0).label("pay_count"),
            literal(0).label("pay_fen"),
            func.sum(1 - within).label("receive_count"),
            func.sum((1 - within) * line.amount_fen).label("receive_fen"),
        )
        .where(mine)
        .group_by(line.relative_region)
        .union_all(
            select(
                line.authorizer_region,
                literal(0),
                literal(0),
                func.count(),
                func.sum(line.amount_fen),
                literal(0),
                literal(0),
            )
            .where(mine, line.across)
            .group_by(line.authorizer_region)
        )  # fmt: skip
        .subquery()
    )
    rows = select(
        literal(month_id),
        parts.c.region,
        cast(func.sum(parts.c.within_count), Integer),
        func.sum(parts.c.within_fen),
        cast(func.sum(parts.c.pay_count), Integer),
        func.sum(parts.c.pay_fen),
        cast(func.sum(parts.c.receive_count), Integer),
        func.sum(parts.c.receive_fen),
        literal(due),
    ).group_by(parts.c.region)
    cols = [
        "month_id", "region_code", "within_count", "within_fen", "pay_count", "pay_fen",
        "receive_count", "receive_fen", "confirm_due",
    ]  # fmt: skip
    uow.session.execute(insert(PremiumClearingRegion).from_select(cols, rows))


def _insert_transfers(uow: UnitOfWork, month_id: int, due: date) -> None:
    line = PremiumClearingLine
    rows = (
        select(
            literal(month_id),
            line.authorizer_region,
            line.relative_region,
            cast(func.count(), Integer),
            func.sum(line.amount_fen),
            literal(due),
        )
        .where(line.month_id == month_id, line.across)
        .group_by(line.authorizer_region, line.relative_region)
    )
    cols = ["month_id", "payer_region", "payee_region", "line_count", "amount_fen", "due"]
    uow.session.execute(insert(PremiumClearingTransfer).from_select(cols, rows))


# --- the regions' steps ------------------------------------------------------------------------------


def _month(uow: UnitOfWork, month: str) -> PremiumClearingMonth:
    key = parse_month(month).strftime("%Y-%m")
    row = uow.session.scalar(select(PremiumClearingMonth).where(PremiumClearingMonth.month == key))
    if row is None:
        raise NotFound("该月划扣明细表尚未生成", "The month's table has not been generated", month=key)
    return row


def _region(uow: UnitOfWork, month: str, region_code: str) -> tuple[PremiumClearingMonth, PremiumClearingRegion]:
    m = _month(uow, month)
    row = uow.session.scalar(
        select(PremiumClearingRegion).where(
            PremiumClearingRegion.month_id == m.id, PremiumClearingRegion.region_code == region_code
        )
    )
    if row is None:
        raise NotFound("该统筹区本月无共济缴费清算数据", "No data of this region this month", region=region_code)
    return m, row


def confirm(uow: UnitOfWork, ctx: Ctx, *, month: str, region_code: str) -> dict[str, Any]:
    """The region confirms its figures of the month (by the 5th of the next month)."""
    require_pool(ctx.principal, region_code)
    m, row = _region(uow, month, region_code)
    if row.confirmed_at is not None:
        raise InvalidStateTransition("该统筹区已确认", "Already confirmed", region=region_code)
    row.confirmed_at, row.confirmed_by_user_id = ctx.clock.now(), ctx.principal.user_id
    uow.session.flush()
    audit_event(uow, ctx, "premium_clearing.confirm", "premium_clearing_region", row.id, month=m.month)
    return region_view(calendar.load(uow), row, ctx.clock.today())


def submit_plan(uow: UnitOfWork, ctx: Ctx, *, month: str, region_code: str) -> dict[str, Any]:
    """用款计划 to finance: the full amount the region pays across regions this month."""
    require_pool(ctx.principal, region_code)
    m, row = _region(uow, month, region_code)
    if row.confirmed_at is None:
        raise InvalidStateTransition("请先确认本月清算数据", "Confirm the month's figures first", region=region_code)
    if row.plan_submitted_at is not None:
        raise InvalidStateTransition("用款计划已提交", "The plan was submitted already", region=region_code)
    row.plan_fen, row.plan_submitted_at, row.plan_by_user_id = row.pay_fen, ctx.clock.now(), ctx.principal.user_id
    uow.session.flush()
    audit_event(uow, ctx, "premium_clearing.plan", "premium_clearing_region", row.id, month=m.month, fen=row.plan_fen)
    return region_view(calendar.load(uow), row, ctx.clock.today())


def record_transfer(
    uow: UnitOfWork, ctx: Ctx, *, month: str, payer_region: str, payee_region: str, paid_on: date, bank_ref: str
) -> dict[str, Any]:
    """The authorizer's region records that it paid the relative's region's finance the full
    amount (bank reference, value date). After its confirmation and 用款计划."""
    require_pool(ctx.principal, payer_region)
    m, payer = _region(uow, month, payer_region)
    if payer.plan_submitted_at is None:
        raise InvalidStateTransition("请先提交用款计划", "Submit the 用款计划 first", region=payer_region)
    bank_ref = (bank_ref or "").strip()
    if not _BANK_REF.match(bank_ref):
        raise InvalidRequest(
            "银行流水号为4-60位字母、数字或-_/", "Bank reference: 4-60 of A-Z 0-9 - _ /", field="bank_ref"
        )
    today = ctx.clock.today()
    if paid_on > today or paid_on < next_month(parse_month(m.month)):
        raise InvalidRequest("划转日期应在次月1日至今天之间", "Paid on: from the next month to today", field="paid_on")
    t = uow.session.scalar(
        select(PremiumClearingTransfer).where(
            PremiumClearingTransfer.month_id == m.id,
            PremiumClearingTransfer.payer_region == payer_region,
            PremiumClearingTransfer.payee_region == payee_region,
        )
    )
    if t is None:
        raise NotFound("两统筹区之间本月无清算款", "No transfer between these regions", payee=payee_region)
    if t.paid_on is not None:
        raise InvalidStateTransition("该笔清算款已登记划转", "Already recorded", transfer_id=t.id)
    t.paid_on, t.bank_ref = paid_on, bank_ref
    t.recorded_by_user_id, t.recorded_at = ctx.principal.user_id, ctx.clock.now()
    uow.session.flush()
    audit_event(
        uow, ctx, "premium_clearing.transfer", "premium_clearing_transfer", t.id,
        month=m.month, payer=payer_region, payee=payee_region, amount_fen=t.amount_fen,
    )  # fmt: skip
    return transfer_view(calendar.load(uow), t, today)


# --- views --------------------------------------------------------------------------------------------


def _name(code: str) -> str:
    return region_table().name(code) if region_table().is_known(code) else code


def region_view(cal: WorkCalendar, r: PremiumClearingRegion, today: date) -> dict[str, Any]:
    confirmed_on = local_date(r.confirmed_at) if r.confirmed_at else None
    step = step_state(cal, done_on=confirmed_on, due=r.confirm_due, today=today)
    return {
        "region_code": r.region_code, "region_name": _name(r.region_code),
        "within_count": r.within_count, "within_fen": r.within_fen,
        "pay_count": r.pay_count, "pay_fen": r.pay_fen,
        "receive_count": r.receive_count, "receive_fen": r.receive_fen,
        "confirm_due": r.confirm_due.isoformat(),
        "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
        "confirm_state": step["state"], "confirm_state_zh": STATE_ZH[step["state"]],
        "working_days_late": step["working_days_late"],
        "plan_fen": r.plan_fen,
        "plan_submitted_at": r.plan_submitted_at.isoformat() if r.plan_submitted_at else None,
    }  # fmt: skip


def transfer_view(cal: WorkCalendar, t: PremiumClearingTransfer, today: date) -> dict[str, Any]:
    step = step_state(cal, done_on=t.paid_on, due=t.due, today=today)
    return {
        "id": t.id,
        "payer_region": t.payer_region, "payer_name": _name(t.payer_region),
        "payee_region": t.payee_region, "payee_name": _name(t.payee_region),
        "line_count": t.line_count, "amount_fen": t.amount_fen, "due": t.due.isoformat(),
        "paid_on": t.paid_on.isoformat() if t.paid_on else None, "bank_ref": t.bank_ref,
        "state": step["state"], "state_zh": STATE_ZH[step["state"]], "working_days_late": step["working_days_late"],
    }  # fmt: skip


REGION_STATES = ("open", "overdue", "done", "late")


def month_view(
    uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None, state: str | None = None
) -> dict[str, Any]:
    """The month as a principal may see it: totals, the regions (filter: region, confirmation
    state) and the transfers touching them. Totals are of what is shown."""
    _require_reader(ctx.principal)
    if state and state not in REGION_STATES:
        raise InvalidRequest("状态应为open/overdue/done/late", "state: open/overdue/done/late", field="state")
    m = _month(uow, month)
    cal, today = calendar.load(uow), ctx.clock.today()
    regions = [
        region_view(cal, r, today)
        for r in uow.session.scalars(
            select(PremiumClearingRegion)
            .where(PremiumClearingRegion.month_id == m.id)
            .order_by(PremiumClearingRegion.region_code)
        )
        if sees(ctx.principal, r.region_code) and (not region or r.region_code == region)
    ]
    if state:
        regions = [r for r in regions if r["confirm_state"] == state]
    shown = {r["region_code"] for r in regions}
    transfers = [
        transfer_view(cal, t, today)
        for t in uow.session.scalars(
            select(PremiumClearingTransfer)
            .where(PremiumClearingTransfer.month_id == m.id)
            .order_by(PremiumClearingTransfer.payer_region, PremiumClearingTransfer.payee_region)
        )
        if t.payer_region in shown or t.payee_region in shown
    ]
    first = parse_month(m.month)
    return {
        "month": m.month,
        "generated_at": m.generated_at.isoformat(),
        "confirm_due": confirm_due(cal, first).isoformat(),
        "transfer_due": transfer_due(cal, first).isoformat(),
        "province": {"line_count": m.line_count, "total_fen": m.total_fen,
                     "within_fen": m.within_fen, "across_fen": m.across_fen},
        "regions": regions,
        "transfers": transfers,
        "totals": {
            "within_fen": sum(r["within_fen"] for r in regions),
            "pay_fen": sum(r["pay_fen"] for r in regions),
            "receive_fen": sum(r["receive_fen"] for r in regions),
            "transfer_fen": sum(t["amount_fen"] for t in transfers),
        },
    }  # fmt: skip


def month_lines(
    uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The first ``limit`` lines of the 明细表 the principal may see (masked), oldest first."""
    return list(islice(iter_month_lines(uow, ctx, month=month, region=region), limit))


def iter_month_lines(uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None) -> Iterator[dict[str, Any]]:
    """Every line of the 明细表 the principal may see (masked names and ID numbers), streamed
    from the database in batches (the Excel export writes them as they come)."""
    _require_reader(ctx.principal)
    m = _month(uow, month)
    line, rel, auth = PremiumClearingLine, aliased(Person), aliased(Person)
    q = (
        select(line, rel.name, rel.cert_no, auth.name, auth.cert_no)
        .join(rel, rel.id == line.relative_id)
        .outerjoin(auth, auth.id == line.authorizer_id)
        .where(line.month_id == m.id)
        .order_by(line.paid_at, line.id)
        .execution_options(yield_per=1000)
    )
    if region:
        q = q.where((line.relative_region == region) | (line.authorizer_region == region))
    for row, rname, rcert, aname, acert in uow.session.execute(q):
        if not (sees(ctx.principal, row.relative_region) or sees(ctx.principal, row.authorizer_region)):
            continue
        yield {
            "paid_at": _local(row.paid_at).strftime("%Y-%m-%d %H:%M"),
            "movement": row.movement, "movement_zh": MOVEMENT_ZH[row.movement],
            "benefit_year": row.benefit_year, "insutype": row.insutype,
            "relative": mask_name(rname), "relative_cert": mask_id_number(rcert),
            "authorizer": mask_name(aname), "authorizer_cert": mask_id_number(acert),
            "authorizer_region": row.authorizer_region, "authorizer_region_name": _name(row.authorizer_region),
            "relative_region": row.relative_region, "relative_region_name": _name(row.relative_region),
            "across": bool(row.across), "kind_zh": "跨统筹区清算" if row.across else "本统筹区划转",
            "amount_fen": row.amount_fen,
        }  # fmt: skip


def months(uow: UnitOfWork, ctx: Ctx) -> list[str]:
    _require_reader(ctx.principal)
    return list(uow.session.scalars(select(PremiumClearingMonth.month).order_by(PremiumClearingMonth.month.desc())))
