"""Settlements for staff (issue 17 "Settlement pages"): per institution and day, with that day's
3201/3202 reconciliation results, and one settlement's full split with its reversal.

Scope: settlements treated in the clerk's regions (``treatment_region``, the institution's
place). The day list groups on ``ix_settlement_institution_time``; the reconciliation results
are the ``nhsa.3201`` / ``nhsa.3202`` audit rows of the institution (indexed by action).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import AuditLog, Institution, Person, Settlement
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import NotFound, OutOfRegion
from gongji.domain.masking import mask_id_number, mask_name
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.settlement.records import MED_TYPE_ZH, STATUS_ZH, _parts

DAY = func.date(Settlement.setl_time)
COUNT = func.count(Settlement.id)
MEDFEE = func.sum(Settlement.medfee_fen)
SPEC = listing.ListSpec(
    sorts={
        "day": ("结算日期", DAY),
        "institution": ("机构编码", Settlement.fixmedins_code),
        "medfee": ("医疗费总额", MEDFEE),
    },
    default_sort="day",
    default_desc=True,
    states=STATUS_ZH,
    date_label="结算日期",
    state_label="结算状态",
)
RECON_ZH = {"nhsa.3201": "对总账（3201）", "nhsa.3202": "对明细账（3202）"}
RESULT_ZH = {"0": "平", "1": "不平"}


def _day_select(ctx: Ctx, lq: listing.ListQuery, institution: str) -> Any:
    ctx.principal.require(Role.STAFF)
    stmt = select(
        Settlement.fixmedins_code,
        Institution.name,
        DAY.label("day"),
        COUNT.label("n"),
        MEDFEE.label("medfee"),
        func.sum(Settlement.fund_pay_sumamt_fen).label("fund"),
        func.sum(Settlement.acct_pay_fen - Settlement.acct_mulaid_pay_fen).label("own"),
        func.sum(Settlement.acct_mulaid_pay_fen).label("family"),
        func.sum(Settlement.psn_cash_pay_fen).label("cash"),
    ).join(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
    stmt = listing.filtered(
        stmt,
        lq,
        date_col=Settlement.setl_time,
        region_col=Settlement.treatment_region,
        state_col=Settlement.status,
        scope=ctx.principal.regions,
    )
    if institution:
        stmt = stmt.where(Settlement.fixmedins_code == institution)
    stmt = stmt.group_by(Settlement.fixmedins_code, Institution.name, DAY)
    return listing.ordered(stmt, lq, SPEC, Settlement.fixmedins_code)


def _day_row(r: Any) -> dict[str, Any]:
    return {
        "code": r.fixmedins_code,
        "institution": r.name,
        "day": str(r.day)[:10],
        "count": int(r.n),
        "medfee_fen": int(r.medfee or 0),
        "fund_fen": int(r.fund or 0),
        "own_fen": int(r.own or 0),
        "family_fen": int(r.family or 0),
        "cash_fen": int(r.cash or 0),
    }


def days(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, institution: str = "") -> listing.Page:
    """One page of (institution, day) totals, with the total number of such pairs."""
    page = listing.page_of(uow.session, _day_select(ctx, lq, institution), lq)
    return listing.Page(total=page.total, rows=[_day_row(r) for r in page.rows], page=page.page, size=page.size)


def every_day(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, institution: str = "") -> Iterator[dict[str, Any]]:
    for r in uow.session.execute(_day_select(ctx, lq, institution).limit(100_000)):
        yield _day_row(r)


def _in_scope(ctx: Ctx, region: str) -> None:
    if not listing.within(region, ctx.principal.regions):
        raise OutOfRegion("该结算不在您的经办区域内", "This settlement is outside your regions")


def day_detail(uow: UnitOfWork, ctx: Ctx, *, institution: str, day: date) -> dict[str, Any]:
    """One institution's settlements of one day (masked) and the reconciliations covering it."""
    ctx.principal.require(Role.STAFF)
    inst = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == institution))
    if inst is None:
        raise NotFound("定点机构不存在", "Unknown institution", field="institution")
    _in_scope(ctx, inst.region_code)
    rows = uow.session.execute(
        select(Settlement, Person.name, Person.cert_no)
        .join(Person, Person.id == Settlement.person_id)
        .where(
            Settlement.fixmedins_code == institution,
            Settlement.setl_time >= datetime.combine(day, time()),
            Settlement.setl_time < datetime.combine(day + timedelta(days=1), time()),
        )
        .order_by(Settlement.setl_time, Settlement.id)
        .limit(2000)
    ).all()
    return {
        "code": institution,
        "institution": inst.name,
        "day": day.isoformat(),
        "settlements": [_summary(s) | {"name": mask_name(n), "cert_no": mask_id_number(c)} for s, n, c in rows],
        "reconciliations": reconciliations(uow, institution=institution, day=day),
    }


def reconciliations(uow: UnitOfWork, *, institution: str, day: date) -> list[dict[str, Any]]:
    """The 3201/3202 runs of ``institution`` whose period covers ``day``, newest first."""
    found = uow.session.scalars(
        select(AuditLog)
        .where(AuditLog.action.in_(tuple(RECON_ZH)), AuditLog.entity_id == institution)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(500)
    )
    out = []
    for row in found:
        d = json.loads(row.detail_json or "{}")
        if not (str(d.get("begin", "")) <= day.isoformat() <= str(d.get("end", ""))):
            continue
        out.append(
            {
                "kind": RECON_ZH[row.action],
                "at": row.at,
                "period": f"{d.get('begin')} 至 {d.get('end')}",
                "result": RESULT_ZH.get(str(d.get("stmt_rslt")), "未知"),
                "balanced": str(d.get("stmt_rslt")) == "0",
                "count": d.get("centre_count", d.get("lines")),
                "medfee_fen": d.get("centre_medfee_fen"),
                "diff_cnt": d.get("diff_cnt"),
            }
        )
    return out


def _summary(s: Settlement) -> dict[str, Any]:
    return {
        "setl_id": s.id,
        "at": s.setl_time.strftime("%Y-%m-%d %H:%M:%S"),
        "med_type": MED_TYPE_ZH.get(s.med_type, "其他"),
        "status": s.status,
        "status_zh": STATUS_ZH.get(s.status, "其他"),
        "medfee_fen": s.medfee_fen,
        "fund_fen": s.fund_pay_sumamt_fen,
        "own_fen": s.acct_pay_fen - s.acct_mulaid_pay_fen,
        "family_fen": s.acct_mulaid_pay_fen,
        "cash_fen": s.psn_cash_pay_fen,
        "reverses_id": s.reverses_id,
    }


def one(uow: UnitOfWork, ctx: Ctx, *, setl_id: int) -> dict[str, Any]:
    """One settlement's whole split (fund, own account, family, cash; the self-pay parts and who
    paid them) with its reversal row or the original it reverses; an audited read."""
    ctx.principal.require(Role.STAFF)
    s = uow.session.get(Settlement, setl_id)
    if s is None:
        raise NotFound("结算记录不存在", "Unknown settlement", field="setl_id")
    _in_scope(ctx, s.treatment_region)
    inst = uow.session.scalar(select(Institution.name).where(Institution.fixmedins_code == s.fixmedins_code))
    person = uow.session.get(Person, s.person_id)
    other = uow.session.scalar(select(Settlement).where(Settlement.reverses_id == s.id)) or (
        uow.session.get(Settlement, s.reverses_id) if s.reverses_id else None
    )
    audit_event(uow, ctx, "settlement.read", "settlement", s.id)
    return _summary(s) | {
        "code": s.fixmedins_code,
        "institution": inst or "",
        "day": s.setl_time.date().isoformat(),
        "name": mask_name(person.name if person else ""),
        "cert_no": mask_id_number(person.cert_no if person else ""),
        "person_id": s.person_id,
        "inscp_fen": s.inscp_fen,
        "fulamt_ownpay_fen": s.fulamt_ownpay_fen,
        "overlmt_selfpay_fen": s.overlmt_selfpay_fen,
        "preselfpay_fen": s.preselfpay_fen,
        "psn_part_fen": s.psn_part_amt_fen,
        "balance_fen": s.balc_fen,
        "parts": _parts(s),
        "other": None if other is None else _summary(other),
    }
