"""The monthly payment of institutions (拨付, issue 15 §2; seed 003 附件 二(一), 二(二)2).

The pooling region of care (就医地) settles with its designated institutions in its normal monthly
settlement: the fund share and the account shares, the family part in full ("不预留，不作年终清算").
For a region and month:

1. ``prepare`` (a clerk of the region or province): the amounts per institution are aggregated
   by the database from the settlements of the month, net of reversals; each institution's
   3201/3202 reconciliations of the month are compared with the centre's rows now, and every
   difference is listed per institution (3201 totals, or no 3201 at all) and per settlement
   (3202). Re-preparing, until approved, recomputes and keeps the explanations given.
2. ``accept_difference``: a clerk explains a difference with a reason (it stays listed).
3. ``approve``: a second clerk (four eyes), only once no difference is open.
4. ``order``: the payment order (支付单) and its bank export (``institution_payments_excel``).
5. ``confirm``: the bank's answer per line — paid (with the bank's reference: the ledger moves
   the amount from the institution's account to the region's 支出户, once, idempotent by the
   request key) or rejected (nothing posted, the line stays owed; ``reorder`` sends it again).

Ledger: settlements credit ``external:institution:<code>`` (what is owed, unchanged here); a
confirmed payment posts ``external:institution:<code>`` −x, ``external:bank:expenditure:<region>``
+x (paid out through the region's 支出户存款). docs/backoffice.md §4.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select

from gongji.adapters.db.models import (
    Institution,
    InstitutionPaymentDiff,
    InstitutionPaymentLine,
    InstitutionPaymentRun,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import institution_payments as D
from gongji.domain import ledger as L
from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services import ledger
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import institution_payments_sql as Q
from gongji.services.backoffice.clearing import _check_month
from gongji.services.backoffice.clearing_sql import first_day_after
from gongji.services.backoffice.clearing_tables import region_label
from gongji.services.family.payment import institution_payee
from gongji.services.registry.context import Ctx, audit_event, require_reason


def bank_account(region: str) -> str:
    """The region's 支出户 (expenditure bank account): what it paid out to institutions."""
    return f"external:bank:expenditure:{region}"


# --- who may act -----------------------------------------------------------------------------------


def require_region(principal: Principal, region: str) -> None:
    """Staff of the pooling region, its city or its province; hospitals and citizens never."""
    principal.require(Role.STAFF)
    if not region_in_scope(region, list(principal.regions)):
        raise Forbidden("该统筹区不在您的经办区域内", "This pooling region is outside your regions", region=region)


def _check_region(region: str) -> str:
    # a pooling region is a county or a city (地市级统筹: the demo's cities), never a province
    if len(region) != 6 or not region.isdigit() or region.endswith("0000"):
        raise InvalidRequest(
            "统筹区代码应为6位区县或地市代码",
            "The pooling region is a 6-digit county or city code",
            field="region",
            value=region[:20],
        )
    return region


# --- reading ---------------------------------------------------------------------------------------


def get_run(uow: UnitOfWork, run_id: int) -> InstitutionPaymentRun:
    run = uow.session.get(InstitutionPaymentRun, run_id)
    if run is None:
        raise NotFound("拨付结算单不存在", "Payment statement not found", run_id=run_id)
    return run


def find_run(uow: UnitOfWork, region: str, month: str) -> InstitutionPaymentRun | None:
    return uow.session.scalar(
        select(InstitutionPaymentRun).where(
            InstitutionPaymentRun.region_code == region, InstitutionPaymentRun.month == _check_month(month)
        )
    )


def lines(uow: UnitOfWork, run: InstitutionPaymentRun) -> list[InstitutionPaymentLine]:
    return list(
        uow.session.scalars(
            select(InstitutionPaymentLine)
            .where(InstitutionPaymentLine.run_id == run.id)
            .order_by(InstitutionPaymentLine.fixmedins_code)
        )
    )


def differences(uow: UnitOfWork, run: InstitutionPaymentRun) -> list[InstitutionPaymentDiff]:
    return list(
        uow.session.scalars(
            select(InstitutionPaymentDiff)
            .where(InstitutionPaymentDiff.run_id == run.id)
            .order_by(InstitutionPaymentDiff.fixmedins_code, InstitutionPaymentDiff.id)
        )
    )


def _open_count(uow: UnitOfWork, run: InstitutionPaymentRun) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).where(InstitutionPaymentDiff.run_id == run.id, InstitutionPaymentDiff.state == "open")
        )
        or 0
    )


def _require_state(run: InstitutionPaymentRun, *states: str) -> None:
    if run.state not in states:
        raise InvalidStateTransition(
            f"拨付结算单当前状态为{D.RUN_STATE_ZH.get(run.state, run.state)}，不能办理此步骤",
            "The statement is not in a state for this step",
            state=run.state,
        )


# --- prepare ---------------------------------------------------------------------------------------


def _figures(label: str, mine: int | None, centre: int) -> str | None:
    if mine is None or mine == centre:
        return None
    return f"{label}：机构 {D.yuan_text(mine)}，中心 {D.yuan_text(centre)}"


def _total_differences(uow: UnitOfWork, run: InstitutionPaymentRun) -> None:
    """Each latest 3201 of the month whose declared totals differ from the centre's rows now."""
    for row in uow.session.execute(Q.totals_now(run.id, run.month)):
        parts = [
            _figures("医疗费总额", int(row.declared_medfee_fen), int(row.medfee)),
            _figures("基金支付总额", int(row.declared_fund_fen), int(row.fund)),
            _figures(
                "个人账户支付金额",
                None if row.declared_acct_fen is None else int(row.declared_acct_fen),
                int(row.acct),
            ),
            None
            if int(row.declared_count) == int(row.centre_count)
            else f"结算笔数：机构 {int(row.declared_count)}，中心 {int(row.centre_count)}",
        ]
        found = [p for p in parts if p]
        if not found:
            continue
        begin, stop = row.period_start, row.period_stop
        period = f"{begin:%Y-%m-%d}至{stop - timedelta(days=1):%Y-%m-%d}"
        uow.session.add(
            InstitutionPaymentDiff(
                run_id=run.id,
                fixmedins_code=row.fixmedins_code,
                source="3201",
                setl_id=None,
                description=f"对总账（{period}）不平：" + "；".join(found),
                inst_fen=int(row.declared_fund_fen) + int(row.declared_acct_fen or 0),
                centre_fen=int(row.fund) + int(row.acct),
                state="open",
            )
        )


def prepare(uow: UnitOfWork, ctx: Ctx, region: str, month: str) -> InstitutionPaymentRun:
    """Prepare (or, until approved, re-prepare) the month's statement of ``region``."""
    _check_region(region)
    _check_month(month)
    require_region(ctx.principal, region)
    today = ctx.clock.today()
    if today < first_day_after(month):
        raise InvalidStateTransition(
            "该月尚未结束，不能编制拨付结算单", "The month has not ended yet", month=month, today=today.isoformat()
        )
    now = ctx.clock.now()
    run = find_run(uow, region, month)
    explained: dict[tuple[str, str, str | None, str], tuple[str | None, int | None, Any]] = {}
    if run is None:
        run = InstitutionPaymentRun(
            region_code=region,
            month=month,
            state="prepared",
            institutions=0,
            settlements=0,
            fund_fen=0,
            own_acct_fen=0,
            family_fen=0,
            total_fen=0,
            prepared_by_user_id=ctx.principal.user_id,
            prepared_at=now,
            updated_at=now,
        )
        uow.session.add(run)
        uow.session.flush()
    else:
        _require_state(run, "prepared")
        for d in differences(uow, run):
            if d.state == "accepted":
                explained[(d.fixmedins_code, d.source, d.setl_id, d.description)] = (
                    d.note,
                    d.resolved_by_user_id,
                    d.resolved_at,
                )
            uow.session.delete(d)
        uow.session.flush()
        run.prepared_by_user_id, run.prepared_at = ctx.principal.user_id, now
    conn = uow.session.connection()
    Q.write_lines(conn, run.id, region, month)
    Q.write_unreconciled(conn, run.id, month)
    Q.write_detail_differences(conn, run.id, month)
    uow.session.expire_all()
    _total_differences(uow, run)
    uow.session.flush()
    for d in differences(uow, run):
        kept = explained.get((d.fixmedins_code, d.source, d.setl_id, d.description))
        if kept is not None:
            d.state, (d.note, d.resolved_by_user_id, d.resolved_at) = "accepted", kept
    count, items, fund, own, family, total = uow.session.execute(Q.totals(run.id)).one()
    run.institutions, run.settlements = int(count), int(items)
    run.fund_fen, run.own_acct_fen, run.family_fen, run.total_fen = int(fund), int(own), int(family), int(total)
    run.updated_at = now
    audit_event(
        uow,
        ctx,
        "payments.prepare",
        "institution_payment_run",
        run.id,
        region=region,
        month=month,
        institutions=run.institutions,
        total_fen=run.total_fen,
        open_differences=_open_count(uow, run),
    )
    return run


def accept_difference(uow: UnitOfWork, ctx: Ctx, difference_id: int, *, reason: str) -> InstitutionPaymentDiff:
    """A clerk explains a difference (e.g. the institution's late upload); it stays listed."""
    diff = uow.session.get(InstitutionPaymentDiff, difference_id)
    if diff is None:
        raise NotFound("差异不存在", "Difference not found", difference_id=difference_id)
    run = get_run(uow, diff.run_id)
    require_region(ctx.principal, run.region_code)
    _require_state(run, "prepared")
    if diff.state != "open":
        raise InvalidStateTransition("该差异已说明", "This difference was already explained")
    diff.state, diff.note = "accepted", require_reason(reason)
    diff.resolved_by_user_id, diff.resolved_at = ctx.principal.user_id, ctx.clock.now()
    audit_event(uow, ctx, "payments.difference", "institution_payment_diff", diff.id, run_id=run.id)
    return diff


# --- approve, order, confirm ---------------------------------------------------------------------------


def approve(uow: UnitOfWork, ctx: Ctx, run_id: int) -> InstitutionPaymentRun:
    """A second clerk approves: not the one who prepared it, and no open difference."""
    run = get_run(uow, run_id)
    require_region(ctx.principal, run.region_code)
    _require_state(run, "prepared")
    D.require_second_clerk(run.prepared_by_user_id, ctx.principal.user_id)
    D.require_no_open_differences(_open_count(uow, run))
    now = ctx.clock.now()
    run.state, run.approved_by_user_id, run.approved_at, run.updated_at = "approved", ctx.principal.user_id, now, now
    audit_event(
        uow,
        ctx,
        "payments.approve",
        "institution_payment_run",
        run.id,
        prepared_by=run.prepared_by_user_id,
        total_fen=run.total_fen,
    )
    return run


def order(uow: UnitOfWork, ctx: Ctx, run_id: int) -> InstitutionPaymentRun:
    """The payment order (支付单): each line owing something is ordered, the rest offset."""
    run = get_run(uow, run_id)
    require_region(ctx.principal, run.region_code)
    _require_state(run, "approved")
    for line in lines(uow, run):
        line.state = D.line_state_after_order(int(line.total_fen))
        line.attempt = 1 if line.state == "ordered" else 0
    now = ctx.clock.now()
    run.state, run.order_no, run.ordered_at, run.updated_at = (
        "ordered",
        D.order_number(run.region_code, run.month),
        now,
        now,
    )
    if D.run_closed([line.state for line in lines(uow, run)]):
        run.state = "closed"
    audit_event(uow, ctx, "payments.order", "institution_payment_run", run.id, order_no=run.order_no)
    return run


def _line(uow: UnitOfWork, run: InstitutionPaymentRun, fixmedins_code: str) -> InstitutionPaymentLine:
    row = uow.session.scalar(
        select(InstitutionPaymentLine).where(
            InstitutionPaymentLine.run_id == run.id, InstitutionPaymentLine.fixmedins_code == fixmedins_code
        )
    )
    if row is None:
        raise NotFound(
            "该机构不在本拨付结算单中", "This institution is not on the statement", institution=fixmedins_code
        )
    return row


def _check_key(request_key: str) -> str:
    key = (request_key or "").strip()
    if not 8 <= len(key) <= 100:
        raise InvalidRequest(
            "请求标识（request_key）须为8-100个字符", "request_key is 8-100 characters", field="request_key"
        )
    return key


def confirm(
    uow: UnitOfWork,
    ctx: Ctx,
    run_id: int,
    fixmedins_code: str,
    *,
    bank_ref: str,
    request_key: str,
    paid: bool = True,
    reason: str = "",
) -> InstitutionPaymentLine:
    """The bank's answer for one line. Paid: the ledger entry, once (a replay with the same
    request key returns the line; the ledger key is the line's attempt, so it cannot post twice).
    Rejected: nothing is posted and the line stays owed."""
    run = get_run(uow, run_id)
    require_region(ctx.principal, run.region_code)
    key = _check_key(request_key)
    ref = (bank_ref or "").strip()
    if paid and not 2 <= len(ref) <= 60:
        raise InvalidRequest(
            "请填写银行流水号（2-60字）", "The bank's reference (2-60 characters) is required", field="bank_ref"
        )
    line = _line(uow, run, fixmedins_code)
    if line.request_key == key and line.state in {"paid", "rejected"}:
        if (line.state == "paid") != paid:
            raise InvalidStateTransition("同一请求标识已用于另一结果", "This request key was used for another answer")
        return line  # a replay
    _require_state(run, "ordered")
    if line.state != "ordered":
        raise InvalidStateTransition(
            f"该机构拨付状态为{D.LINE_STATE_ZH.get(line.state, line.state)}，不能登记银行结果",
            "The line is not awaiting the bank",
            state=line.state,
        )
    now = ctx.clock.now()
    line.request_key, line.confirmed_by_user_id, line.confirmed_at = key, ctx.principal.user_id, now
    if not paid:
        line.state, line.reject_reason, line.bank_ref = "rejected", require_reason(reason), ref or None
        audit_event(uow, ctx, "payments.rejected", "institution_payment_line", line.id, institution=fixmedins_code)
        return line
    owed = institution_payee(fixmedins_code)
    bank = bank_account(run.region_code)
    ledger.ensure_account(uow, code=bank, kind=L.AccountKind.EXTERNAL, now=now, region_code=run.region_code)
    ledger.ensure_account(uow, code=owed, kind=L.AccountKind.EXTERNAL, now=now, region_code=run.region_code)
    amount = int(line.total_fen)
    posted = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=f"instpay:{run.region_code}:{run.month}:{fixmedins_code}:{line.attempt}",
            kind="backoffice.institution_payment",
            narration=f"{run.month}定点医药机构费用拨付（支付单 {run.order_no}）",
            postings=L.transfer(owed, bank, amount),
        ),
        request={"op": "institution_payment", "line": line.id, "attempt": line.attempt, "amount_fen": amount},
        now=now,
        user_id=ctx.principal.user_id,
    )
    line.state, line.bank_ref, line.txn_id, line.reject_reason = "paid", ref, int(posted.body["txn_id"]), None
    if D.run_closed([x.state for x in lines(uow, run)]):
        run.state = "closed"
    run.updated_at = now
    audit_event(
        uow,
        ctx,
        "payments.paid",
        "institution_payment_line",
        line.id,
        institution=fixmedins_code,
        amount_fen=amount,
        bank_ref=ref,
    )
    return line


def reorder(uow: UnitOfWork, ctx: Ctx, run_id: int, fixmedins_code: str) -> InstitutionPaymentLine:
    """A line the bank rejected is ordered again (a new attempt in the next export)."""
    run = get_run(uow, run_id)
    require_region(ctx.principal, run.region_code)
    _require_state(run, "ordered")
    line = _line(uow, run, fixmedins_code)
    if line.state != "rejected":
        raise InvalidStateTransition("仅银行退回的拨付可重新支付", "Only a rejected line can be ordered again")
    line.state, line.attempt, line.request_key = "ordered", int(line.attempt) + 1, None
    audit_event(uow, ctx, "payments.reorder", "institution_payment_line", line.id, attempt=line.attempt)
    return line


def bank_export(uow: UnitOfWork, ctx: Ctx, run: InstitutionPaymentRun) -> bytes:
    """The payment order's bank file (CSV, ``institution_payments_excel``); each export audited."""
    from gongji.services.backoffice import institution_payments_excel as X

    require_region(ctx.principal, run.region_code)
    _require_state(run, "ordered", "closed")
    content = X.bank_export_bytes(uow, run)
    audit_event(uow, ctx, "payments.export", "institution_payment_run", run.id, order_no=run.order_no)
    return content


# --- views -----------------------------------------------------------------------------------------


def _names(uow: UnitOfWork, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = uow.session.execute(
        select(Institution.fixmedins_code, Institution.name).where(Institution.fixmedins_code.in_(codes))
    )
    return {str(code): str(name) for code, name in rows}


def run_view(uow: UnitOfWork, run: InstitutionPaymentRun) -> dict[str, Any]:
    rows, diffs = lines(uow, run), differences(uow, run)
    names = _names(uow, sorted({r.fixmedins_code for r in rows} | {d.fixmedins_code for d in diffs}))
    open_by: dict[str, int] = {}
    for d in diffs:
        if d.state == "open":
            open_by[d.fixmedins_code] = open_by.get(d.fixmedins_code, 0) + 1
    return {
        "run_id": run.id,
        "region_code": run.region_code,
        "region_name": region_label(run.region_code),
        "month": run.month,
        "state": run.state,
        "state_zh": D.RUN_STATE_ZH.get(run.state, run.state),
        "institutions": int(run.institutions),
        "settlements": int(run.settlements),
        "fund_fen": int(run.fund_fen),
        "own_acct_fen": int(run.own_acct_fen),
        "family_fen": int(run.family_fen),
        "total_fen": int(run.total_fen),
        "prepared_by_user_id": run.prepared_by_user_id,
        "approved_by_user_id": run.approved_by_user_id,
        "order_no": run.order_no,
        "open_differences": sum(open_by.values()),
        "lines": [
            {
                "fixmedins_code": r.fixmedins_code,
                "institution_name": names.get(r.fixmedins_code, "（未登记机构）"),
                "settlements": int(r.settlements),
                "reversals": int(r.reversals),
                "medfee_fen": int(r.medfee_fen),
                "fund_fen": int(r.fund_fen),
                "own_acct_fen": int(r.own_acct_fen),
                "family_fen": int(r.family_fen),
                "total_fen": int(r.total_fen),
                "state": r.state,
                "state_zh": D.LINE_STATE_ZH.get(r.state, r.state),
                "attempt": int(r.attempt),
                "bank_ref": r.bank_ref,
                "reject_reason": r.reject_reason,
                "open_differences": open_by.get(r.fixmedins_code, 0),
            }
            for r in rows
        ],
        "differences": [
            {
                "id": d.id,
                "fixmedins_code": d.fixmedins_code,
                "institution_name": names.get(d.fixmedins_code, "（未登记机构）"),
                "source": d.source,
                "source_zh": D.DIFF_SOURCE_ZH.get(d.source, d.source),
                "setl_id": d.setl_id,
                "description": d.description,
                "inst_fen": None if d.inst_fen is None else int(d.inst_fen),
                "centre_fen": None if d.centre_fen is None else int(d.centre_fen),
                "state": d.state,
                "state_zh": D.DIFF_STATE_ZH.get(d.state, d.state),
                "note": d.note,
            }
            for d in diffs
        ],
    }


def list_runs(
    uow: UnitOfWork,
    principal: Principal,
    *,
    month: str | None = None,
    region: str | None = None,
    state: str | None = None,
) -> list[InstitutionPaymentRun]:
    """Statements of the regions the clerk works in, newest month first."""
    principal.require(Role.STAFF)
    q = select(InstitutionPaymentRun).order_by(InstitutionPaymentRun.month.desc(), InstitutionPaymentRun.region_code)
    if month:
        q = q.where(InstitutionPaymentRun.month == _check_month(month))
    if region:
        q = q.where(InstitutionPaymentRun.region_code.startswith(scope_prefix(region)))
    if state:
        q = q.where(InstitutionPaymentRun.state == state)
    scopes = [InstitutionPaymentRun.region_code.startswith(scope_prefix(r)) for r in principal.regions]
    if not scopes:
        return []
    return list(uow.session.scalars(q.where(or_(*scopes)).limit(500)))


def readable(principal: Principal, run: InstitutionPaymentRun) -> None:
    require_region(principal, run.region_code)
