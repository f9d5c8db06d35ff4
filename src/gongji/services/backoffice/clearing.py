"""The monthly clearing between pooling regions of one province (seed 003 附件二(二)3, (三)3;
issue 15 §3), on the business clock and the working-day calendar.

For the data month M (clearing done in month M+1):

1. ``run`` — pre-generate the figures by the 5th (provincial staff): the region-pair lines and the
   balance table are aggregated by the database from the detail rows (``clearing_sql``); the run
   checks that the nets sum to zero and that each city's net equals its detail rows;
2. ``confirm`` — each city confirms its local figures by the 25th and its off-site figures by the
   20th, or ``raise_difference`` on one detail row; provincial staff ``resolve`` it item by item:
   ``kept`` (the figure stands) or ``deferred`` (left to next month's run; the figures are
   regenerated and the two cities confirm again);
3. ``make_tables`` — by month end, once every city confirmed and no difference is open: the
   balance table (清算平衡表) and detail tables (明细表) are final; the ledger closes the month's
   pair accounts into one position per city (only the net moves);
4. ``notice`` — the payment notice; each city owing a net remits it within 15 working days
   (``remit``); the province transfers each net due within 7 working days of the last remittance
   (``transfer``). Late steps show as overdue with the working days counted (``steps``).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from gongji.adapters.db.models import ClearingCity, ClearingDifference, ClearingLine, ClearingRun
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import ledger as L
from gongji.domain.calendar import WorkCalendar
from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services import calendar as work_calendar
from gongji.services import ledger
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import clearing_sql as Q
from gongji.services.backoffice.advances import advance_account, held_account
from gongji.services.registry.context import Ctx, audit_event, require_reason

REMIT_WORKING_DAYS = 15  # 市级 上解 after the payment notice [附件二(二)3(4)]
TRANSFER_WORKING_DAYS = 7  # 省级 划转 [附件二(二)3(4), (三)3(3)]
GENERATE_BY_DAY = 5  # 每月5日之前 预生成 [附件二(二)3(1)]
CONFIRM_BY_DAY = {Q.LOCAL: 25, Q.OFFSITE: 20}  # 对账 [附件二(二)3(2), (三)3(1)]
KIND_ZH = {Q.LOCAL: "跨统筹区本地就医", Q.OFFSITE: "跨统筹区异地就医"}
STATE_ZH = {"generated": "已预生成", "tables": "已生成平衡表", "noticed": "已发付款通知", "closed": "已完成"}


def position_account(city: str) -> str:
    """A city's position in the province's clearing: > 0 holds money to remit, < 0 is owed."""
    return f"clearing:family:position:{city}"


def province_account(province: str) -> str:
    return f"clearing:family:province:{province}0000"


# --- who may act -----------------------------------------------------------------------------------


def _require_province(principal: Principal, province: str) -> None:
    principal.require(Role.STAFF)
    if not any(scope_prefix(r) == province for r in principal.regions):
        raise Forbidden("仅省级医保经办人员可办理此清算步骤", "Only province-wide staff may do this clearing step")


def _require_city(principal: Principal, city: str) -> None:
    principal.require(Role.STAFF)
    if not region_in_scope(city, list(principal.regions)):
        raise Forbidden("该市不在您的经办区域内", "This city is outside your regions", city=city)


def _check_month(month: str) -> str:
    try:
        start, _ = Q.month_bounds(month)
    except ValueError:
        start = None
    if start is None or len(month) != 7 or not 2000 <= start.year <= 2100:
        raise InvalidRequest("月份格式应为YYYY-MM", "The month is YYYY-MM", field="month", value=month[:20])
    return month


# --- reading ---------------------------------------------------------------------------------------


def get_run(uow: UnitOfWork, run_id: int) -> ClearingRun:
    run = uow.session.get(ClearingRun, run_id)
    if run is None:
        raise NotFound("清算批次不存在", "Clearing run not found", run_id=run_id)
    return run


def find_run(uow: UnitOfWork, province: str, month: str) -> ClearingRun | None:
    return uow.session.scalar(
        select(ClearingRun).where(ClearingRun.province_code == province, ClearingRun.month == _check_month(month))
    )


def _previous_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def detail(uow: UnitOfWork, run: ClearingRun) -> Any:
    """The detail rows (a Select) of ``run``: the month's, less deferred, plus last month's deferred."""
    previous = find_run(uow, run.province_code, _previous_month(run.month))
    return Q.items(run.province_code, run.month, run_id=run.id, previous_run_id=previous.id if previous else None)


def cities(uow: UnitOfWork, run: ClearingRun) -> list[ClearingCity]:
    return list(
        uow.session.scalars(select(ClearingCity).where(ClearingCity.run_id == run.id).order_by(ClearingCity.city_code))
    )


def lines(uow: UnitOfWork, run: ClearingRun) -> list[ClearingLine]:
    return list(
        uow.session.scalars(
            select(ClearingLine)
            .where(ClearingLine.run_id == run.id)
            .order_by(ClearingLine.kind, ClearingLine.owing_region, ClearingLine.advancing_region)
        )
    )


# --- checks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunCheck:
    nets_sum_fen: int
    mismatched: list[tuple[str, int, int]]  # city, net in the balance table, Σ of its detail rows

    @property
    def ok(self) -> bool:
        return self.nets_sum_fen == 0 and not self.mismatched


def check(uow: UnitOfWork, run: ClearingRun) -> RunCheck:
    """Σ nets = 0, and each city's net = Σ detail rows it advanced − Σ those it owes (recomputed
    from the detail rows, not from the lines the table was built from)."""
    from_detail = {str(city): int(fen) for city, fen, _ in uow.session.execute(Q.nets_from_detail(detail(uow, run)))}
    return _compare(cities(uow, run), from_detail)


def _compare(rows: list[ClearingCity], from_detail: dict[str, int]) -> RunCheck:
    table = {c.city_code: int(c.net_fen) for c in rows}
    wrong = [
        (city, table.get(city, 0), from_detail.get(city, 0))
        for city in sorted(set(table) | set(from_detail))
        if table.get(city, 0) != from_detail.get(city, 0)
    ]
    return RunCheck(sum(table.values()), wrong)


def _regenerate(uow: UnitOfWork, run: ClearingRun) -> RunCheck:
    """Recompute the lines and the balance table by aggregates in the database, keep each city's
    confirmations, and check the result. One scan of the detail rows gives the lines and each
    city's net recomputed from the rows; the balance table is built from the stored lines and must
    agree with those nets (a line that disagrees with its rows fails the run)."""
    kept = {c.city_code: (c.local_confirmed_on, c.offsite_confirmed_on) for c in cities(uow, run)}
    conn = uow.session.connection()
    previous = find_run(uow, run.province_code, _previous_month(run.month))
    rows = Q.items(
        run.province_code, run.month, run_id=run.id, previous_run_id=previous.id if previous else None, narrow=True
    )
    pairs: list[tuple[str, str, str, int, int]] = []
    from_detail: dict[str, int] = {}
    for what, kind, region, other, n, fen in conn.execute(Q.one_pass(rows)):
        if what == Q.LINE_ROW:
            pairs.append((str(kind), str(region), str(other), int(n), int(fen)))
        else:
            from_detail[str(region)] = int(fen)
    Q.insert_lines(conn, run.id, pairs)
    Q.write_cities(conn, run.id)
    uow.session.expire_all()
    for city in cities(uow, run):
        city.local_confirmed_on, city.offsite_confirmed_on = kept.get(city.city_code, (None, None))
    count, total = uow.session.execute(Q.totals(run.id)).one()
    run.items, run.total_fen = int(count), int(total)
    result = _compare(cities(uow, run), from_detail)
    run.checked_ok = result.ok
    if not result.ok:
        raise InvalidStateTransition(
            "清算平衡校验未通过：各市净额之和不为零或净额与明细不符",
            "The clearing does not balance: nets do not sum to zero or differ from the detail",
            nets_sum_fen=result.nets_sum_fen,
            mismatched=result.mismatched[:20],
        )
    return result


# --- the steps -------------------------------------------------------------------------------------


def run_month(uow: UnitOfWork, ctx: Ctx, province: str, month: str) -> ClearingRun:
    """Pre-generate (or regenerate, while no table was made) the clearing of ``month``."""
    _require_province(ctx.principal, province)
    _check_month(month)
    today = ctx.clock.today()
    if today < Q.first_day_after(month):
        raise InvalidStateTransition(
            "该月尚未结束，不能生成清算数据", "The month has not ended yet", month=month, today=today.isoformat()
        )
    run = find_run(uow, province, month)
    now = ctx.clock.now()
    if run is None:
        run = ClearingRun(
            province_code=province,
            month=month,
            state="generated",
            generated_on=today,
            items=0,
            total_fen=0,
            checked_ok=False,
            created_by_user_id=ctx.principal.user_id,
            updated_at=now,
        )
        uow.session.add(run)
        uow.session.flush()
    elif run.state != "generated":
        raise InvalidStateTransition(
            "平衡表已生成，不能重新生成清算数据", "The tables were made; the run cannot be regenerated", run_id=run.id
        )
    _regenerate(uow, run)
    run.updated_at = now
    audit_event(uow, ctx, "clearing.run", "clearing_run", run.id, month=month, items=run.items, total_fen=run.total_fen)
    return run


def _city_row(uow: UnitOfWork, run: ClearingRun, city: str) -> ClearingCity:
    row = uow.session.scalar(select(ClearingCity).where(ClearingCity.run_id == run.id, ClearingCity.city_code == city))
    if row is None:
        raise NotFound("该市不在本次清算中", "This city has no figures in the run", city=city)
    return row


def _open_differences(uow: UnitOfWork, run: ClearingRun, city: str | None = None) -> list[ClearingDifference]:
    q = select(ClearingDifference).where(ClearingDifference.run_id == run.id, ClearingDifference.state == "open")
    if city is not None:
        q = q.where(ClearingDifference.city_code == city)
    return list(uow.session.scalars(q))


def _require_state(run: ClearingRun, *states: str) -> None:
    if run.state not in states:
        raise InvalidStateTransition(
            f"清算批次当前状态为{STATE_ZH.get(run.state, run.state)}，不能办理此步骤",
            "The run is not in a state for this step",
            state=run.state,
        )


def confirm(uow: UnitOfWork, ctx: Ctx, run_id: int, city: str, kind: str) -> ClearingCity:
    """A city confirms its local or off-site figures (对账确认); refused while it has an open difference."""
    if kind not in KIND_ZH:
        raise InvalidRequest("清算类别应为local或offsite", "kind is local or offsite", field="kind")
    run = get_run(uow, run_id)
    _require_city(ctx.principal, city)
    _require_state(run, "generated")
    row = _city_row(uow, run, city)
    if _open_differences(uow, run, city):
        raise InvalidStateTransition("请先处理本市提出的差异", "Open differences of this city must be resolved first")
    today = ctx.clock.today()
    if kind == Q.LOCAL:
        row.local_confirmed_on = today
    else:
        row.offsite_confirmed_on = today
    audit_event(uow, ctx, "clearing.confirm", "clearing_run", run.id, city=city, kind=kind)
    return row


def raise_difference(
    uow: UnitOfWork, ctx: Ctx, run_id: int, *, city: str, settlement_id: int, reason: str
) -> ClearingDifference:
    """A city raises a difference against one detail row it is a party to; its confirmation of that
    kind is withdrawn until the difference is resolved."""
    run = get_run(uow, run_id)
    _require_city(ctx.principal, city)
    _require_state(run, "generated")
    text = require_reason(reason)
    d = detail(uow, run).subquery()
    found = uow.session.execute(
        select(d.c.kind).where(
            d.c.settlement_id == settlement_id,
            (Q.city_of(d.c.advancing_region) == city) | (Q.city_of(d.c.owing_region) == city),
        )
    ).first()
    if found is None:
        raise NotFound(
            "该结算不在本市本次清算明细中",
            "No detail row of this city for that settlement",
            settlement_id=settlement_id,
        )
    row = _city_row(uow, run, city)
    if found.kind == Q.LOCAL:
        row.local_confirmed_on = None
    else:
        row.offsite_confirmed_on = None
    diff = ClearingDifference(
        run_id=run.id,
        settlement_id=settlement_id,
        city_code=city,
        reason=text,
        state="open",
        raised_by_user_id=ctx.principal.user_id,
        raised_on=ctx.clock.today(),
    )
    uow.session.add(diff)
    uow.session.flush()
    audit_event(uow, ctx, "clearing.difference", "clearing_difference", diff.id, city=city, settlement_id=settlement_id)
    return diff


def resolve(uow: UnitOfWork, ctx: Ctx, difference_id: int, *, resolution: str, note: str) -> ClearingDifference:
    """Provincial staff resolve a difference: ``kept`` or ``deferred`` (regenerates the figures;
    the cities whose figures changed confirm again)."""
    diff = uow.session.get(ClearingDifference, difference_id)
    if diff is None:
        raise NotFound("差异不存在", "Difference not found", difference_id=difference_id)
    run = get_run(uow, diff.run_id)
    _require_province(ctx.principal, run.province_code)
    _require_state(run, "generated")
    if diff.state != "open":
        raise InvalidStateTransition("该差异已处理", "This difference was already resolved")
    if resolution not in {"kept", "deferred"}:
        raise InvalidRequest("处理结果应为kept或deferred", "resolution is kept or deferred", field="resolution")
    diff.state, diff.resolution, diff.note = "resolved", resolution, require_reason(note)
    diff.resolved_by_user_id, diff.resolved_on = ctx.principal.user_id, ctx.clock.today()
    uow.session.flush()
    if resolution == "deferred":
        before = {c.city_code: c.net_fen for c in cities(uow, run)}
        _regenerate(uow, run)
        changed = [c.city_code for c in cities(uow, run) if before.get(c.city_code) != c.net_fen]
        if changed:
            uow.session.execute(
                update(ClearingCity)
                .where(ClearingCity.run_id == run.id, ClearingCity.city_code.in_(changed))
                .values(local_confirmed_on=None, offsite_confirmed_on=None)
            )
    audit_event(uow, ctx, "clearing.resolve", "clearing_difference", diff.id, resolution=resolution)
    return diff


def make_tables(uow: UnitOfWork, ctx: Ctx, run_id: int) -> ClearingRun:
    """The balance and detail tables are final (月底前): every city confirmed, no open difference,
    the run balances. The ledger closes the month's pair accounts into each city's position."""
    run = get_run(uow, run_id)
    _require_province(ctx.principal, run.province_code)
    _require_state(run, "generated")
    waiting = [
        c.city_code
        for c in cities(uow, run)
        if (c.has_local and c.local_confirmed_on is None) or (c.has_offsite and c.offsite_confirmed_on is None)
    ]
    if waiting or _open_differences(uow, run):
        raise InvalidStateTransition(
            "尚有城市未确认或差异未处理", "Some cities have not confirmed or differences are open", cities=waiting
        )
    result = check(uow, run)
    if not result.ok:
        raise InvalidStateTransition(
            "清算平衡校验未通过", "The clearing does not balance", mismatched=result.mismatched
        )
    now = ctx.clock.now()
    entries = []
    for line in lines(uow, run):
        if line.amount_fen == 0:
            continue
        amount = int(line.amount_fen)
        r, a = line.advancing_region, line.owing_region
        cr, ca = f"{r[:4]}00", f"{a[:4]}00"
        postings = (
            L.Posting(held_account(a, r), -amount),
            L.Posting(position_account(ca), amount),
            L.Posting(advance_account(r, a), amount),
            L.Posting(position_account(cr), -amount),
        )
        for code, region in ((position_account(ca), ca), (position_account(cr), cr)):
            ledger.ensure_account(uow, code=code, kind=L.AccountKind.CLEARING, now=now, region_code=region)
        key = f"clearing:{run.province_code}:{run.month}:close:{line.kind}:{r}:{a}"
        entries.append(
            ledger.PostEntry(
                L.TransactionDraft(
                    key, "backoffice.clearing.close", f"{run.month}家庭共济清算：{KIND_ZH[line.kind]}", postings
                ),
                {"op": "clearing.close", "run": run.id, "line": line.id, "amount_fen": amount},
            )
        )
    ledger.post_many(uow, entries, now=now, user_id=ctx.principal.user_id)
    run.state, run.tables_on, run.updated_at = "tables", ctx.clock.today(), now
    audit_event(uow, ctx, "clearing.tables", "clearing_run", run.id, month=run.month)
    return run


def notice(uow: UnitOfWork, ctx: Ctx, run_id: int) -> ClearingRun:
    """The payment notice: the cities' 15 working days to remit start now."""
    run = get_run(uow, run_id)
    _require_province(ctx.principal, run.province_code)
    _require_state(run, "tables")
    run.state, run.notice_on, run.updated_at = "noticed", ctx.clock.today(), ctx.clock.now()
    _close_if_done(uow, run)
    audit_event(uow, ctx, "clearing.notice", "clearing_run", run.id)
    return run


def remit(uow: UnitOfWork, ctx: Ctx, run_id: int, city: str) -> ClearingCity:
    """A city owing a net remits it to the province (上解)."""
    run = get_run(uow, run_id)
    _require_city(ctx.principal, city)
    _require_state(run, "noticed")
    row = _city_row(uow, run, city)
    if row.net_fen >= 0 or row.remitted_on is not None:
        raise InvalidStateTransition("该市无应上解金额或已上解", "This city owes nothing or has remitted", city=city)
    _move(uow, ctx, run, f"remit:{city}", position_account(city), province_account(run.province_code), -row.net_fen)
    row.remitted_on = ctx.clock.today()
    audit_event(uow, ctx, "clearing.remit", "clearing_run", run.id, city=city, amount_fen=-row.net_fen)
    return row


def transfer(uow: UnitOfWork, ctx: Ctx, run_id: int, city: str) -> ClearingCity:
    """The province transfers a net due to a city (划转), once every city owing has remitted."""
    run = get_run(uow, run_id)
    _require_province(ctx.principal, run.province_code)
    _require_state(run, "noticed")
    row = _city_row(uow, run, city)
    if row.net_fen <= 0 or row.transferred_on is not None:
        raise InvalidStateTransition(
            "该市无应划转金额或已划转", "Nothing is due to this city or it was transferred", city=city
        )
    if any(c.net_fen < 0 and c.remitted_on is None for c in cities(uow, run)):
        raise InvalidStateTransition("尚有城市未完成上解", "Some cities have not remitted yet")
    _move(uow, ctx, run, f"transfer:{city}", province_account(run.province_code), position_account(city), row.net_fen)
    row.transferred_on = ctx.clock.today()
    _close_if_done(uow, run)
    audit_event(uow, ctx, "clearing.transfer", "clearing_run", run.id, city=city, amount_fen=row.net_fen)
    return row


def _move(uow: UnitOfWork, ctx: Ctx, run: ClearingRun, what: str, source: str, target: str, amount: int) -> None:
    now = ctx.clock.now()
    province = province_account(run.province_code)
    ledger.ensure_account(
        uow, code=province, kind=L.AccountKind.CLEARING, now=now, region_code=f"{run.province_code}0000"
    )
    ledger.post(
        uow,
        L.TransactionDraft(
            f"clearing:{run.province_code}:{run.month}:{what}",
            "backoffice.clearing.pay",
            f"{run.month}家庭共济清算款{'上解' if what.startswith('remit') else '划转'}",
            L.transfer(source, target, amount),
        ),
        request={"op": "clearing.pay", "run": run.id, "what": what, "amount_fen": amount},
        now=now,
        user_id=ctx.principal.user_id,
    )


def _close_if_done(uow: UnitOfWork, run: ClearingRun) -> None:
    rows = cities(uow, run)
    if all((c.net_fen >= 0 or c.remitted_on) and (c.net_fen <= 0 or c.transferred_on) for c in rows):
        run.state = "closed"


# --- deadlines -------------------------------------------------------------------------------------


def _month_after(month: str) -> tuple[int, int]:
    start = Q.first_day_after(month)
    return start.year, start.month


def _step(cal: WorkCalendar, name: str, due: date | None, done: date | None, today: date) -> dict[str, Any]:
    """A step against its deadline: done (on time or late), pending, or overdue with the working
    days past the deadline counted on the calendar."""
    state, late = "pending", 0
    if due is None:
        state = "done" if done else "waiting"
    elif done is not None:
        late = max(0, cal.working_days_between(due, done))
        state = "late" if done > due else "done"
    elif today > due:
        state, late = "overdue", cal.working_days_between(due, today)
    return {
        "step": name,
        "due": due.isoformat() if due else None,
        "done": done.isoformat() if done else None,
        "state": state,
        "late_working_days": late,
    }


def steps(uow: UnitOfWork, run: ClearingRun, today: date) -> dict[str, Any]:
    """The run's steps and each city's, with deadlines and overdue flags."""
    cal = work_calendar.load(uow)
    year, mon = _month_after(run.month)
    last = date(year, mon, _calendar.monthrange(year, mon)[1])
    rows = cities(uow, run)
    owing_done = [c.remitted_on for c in rows if c.net_fen < 0]
    all_remitted = bool(owing_done) and all(owing_done)
    transfer_from = max(d for d in owing_done if d) if all_remitted else None  # type: ignore[type-var]
    remit_due = cal.deadline(run.notice_on, REMIT_WORKING_DAYS).due if run.notice_on else None
    transfer_due = cal.deadline(transfer_from, TRANSFER_WORKING_DAYS).due if transfer_from else None
    names = region_table()
    city_views = []
    for c in rows:
        city_steps = []
        if c.has_offsite:
            city_steps.append(
                _step(cal, "offsite_confirm", date(year, mon, CONFIRM_BY_DAY[Q.OFFSITE]), c.offsite_confirmed_on, today)
            )
        if c.has_local:
            city_steps.append(
                _step(cal, "local_confirm", date(year, mon, CONFIRM_BY_DAY[Q.LOCAL]), c.local_confirmed_on, today)
            )
        if c.net_fen < 0:
            city_steps.append(_step(cal, "remit", remit_due, c.remitted_on, today))
        if c.net_fen > 0:
            city_steps.append(_step(cal, "transfer", transfer_due, c.transferred_on, today))
        city_views.append(
            {
                "city_code": c.city_code,
                "city_name": names.name(c.city_code),
                "owed_to_others_fen": int(c.owed_to_others_fen),
                "owed_by_others_fen": int(c.owed_by_others_fen),
                "net_fen": int(c.net_fen),
                "steps": city_steps,
                "overdue": any(s["state"] == "overdue" for s in city_steps),
            }
        )
    run_steps = [
        _step(cal, "generate", date(year, mon, GENERATE_BY_DAY), run.generated_on, today),
        _step(cal, "tables", last, run.tables_on, today),
    ]
    return {"steps": run_steps, "cities": city_views}


def run_view(uow: UnitOfWork, run: ClearingRun, today: date) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "province_code": run.province_code,
        "month": run.month,
        "state": run.state,
        "state_zh": STATE_ZH.get(run.state, run.state),
        "items": int(run.items),
        "total_fen": int(run.total_fen),
        "checked_ok": bool(run.checked_ok),
        "notice_on": run.notice_on.isoformat() if run.notice_on else None,
        "differences": [
            {
                "id": d.id,
                "settlement_id": d.settlement_id,
                "city_code": d.city_code,
                "reason": d.reason,
                "state": d.state,
                "resolution": d.resolution,
                "note": d.note,
                "raised_on": d.raised_on.isoformat(),
                "resolved_on": d.resolved_on.isoformat() if d.resolved_on else None,
            }
            for d in uow.session.scalars(
                select(ClearingDifference).where(ClearingDifference.run_id == run.id).order_by(ClearingDifference.id)
            )
        ],
        **steps(uow, run, today),
    }


def list_runs(
    uow: UnitOfWork, principal: Principal, *, month: str | None = None, state: str | None = None
) -> list[ClearingRun]:
    """Runs of the provinces the staff member works in (any region of it), newest month first."""
    principal.require(Role.STAFF)
    provinces = sorted({r[:2] for r in principal.regions})
    q = select(ClearingRun).where(ClearingRun.province_code.in_(provinces)).order_by(ClearingRun.month.desc())
    if month:
        q = q.where(ClearingRun.month == _check_month(month))
    if state:
        q = q.where(ClearingRun.state == state)
    return list(uow.session.scalars(q.limit(120)))


def readable(principal: Principal, run: ClearingRun) -> None:
    """Every region of the province may query the run (附件二(二)3(1))."""
    principal.require(Role.STAFF)
    if not any(r.startswith(run.province_code) for r in principal.regions):
        raise Forbidden("该清算批次不在您的经办区域内", "This run is outside your regions")
