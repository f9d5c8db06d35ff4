"""What staff and the claimant see of 零星报销 claims (seed 003 附件二(四)): lists filtered by month,
region and state, a claim with its invoices, fee list and the engine's split. Staff see only claims
of their regions, names and ID numbers masked in lists; every read of a claim is audited."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import Person, ReimbursementClaim, ReimbursementDraw
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import reimbursement as R
from gongji.domain import settlement as S
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import Forbidden, InvalidRequest
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import yuan
from gongji.domain.registry import scope_prefix
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import reimbursement as U
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.settlement.lookups import catalogue

LIST_LIMIT = 300


def month_range(month: str) -> tuple[datetime, datetime]:
    """``2026-11`` → the month's bounds in Beijing time; anything else is refused."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidRequest("月份格式应为YYYY-MM", "The month is YYYY-MM", field="month") from None
    if len(month) != 7 or not 2000 <= year <= 2100:
        raise InvalidRequest("月份格式应为YYYY-MM", "The month is YYYY-MM", field="month")
    return start, datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=SHANGHAI)


def region_name(code: str) -> str:
    table = region_table()
    return table.full_name(code).removeprefix(table.name(f"{code[:2]}0000")) or code


def list_claims(
    uow: UnitOfWork, principal: Principal, *, month: str = "", region: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """Staff: claims of their regions (受理月份 ``month``, a region prefix, a state), newest first,
    masked. A citizen: their own claims."""
    q = select(ReimbursementClaim, Person).join(Person, Person.id == ReimbursementClaim.person_id)
    if principal.role is Role.CITIZEN:
        q = q.where(ReimbursementClaim.person_id == principal.person_id)
    else:
        principal.require(Role.STAFF)
        scopes = [scope_prefix(r) for r in principal.regions]
        q = q.where(or_(*(ReimbursementClaim.region_code.startswith(p) for p in scopes)))
    if month:
        start, end = month_range(month)
        q = q.where(ReimbursementClaim.registered_at >= start, ReimbursementClaim.registered_at < end)
    if region:
        q = q.where(ReimbursementClaim.region_code.startswith(scope_prefix(region[:6])))
    if state:
        if state not in R.STATE_ZH:
            raise InvalidRequest("状态代码不存在", "Unknown state", field="state")
        q = q.where(ReimbursementClaim.state == state)
    rows = uow.session.execute(q.order_by(ReimbursementClaim.id.desc()).limit(LIST_LIMIT)).all()
    return [summary(c, p) for c, p in rows]


def summary(c: ReimbursementClaim, p: Person) -> dict[str, Any]:
    return {
        "claim_id": c.id,
        "person_name": mask_name(p.name),
        "cert_no": mask_id_number(p.cert_no),
        "region_code": c.region_code,
        "region_name": region_name(c.region_code),
        "reason_zh": R.REASON_ZH.get(c.reason, c.reason),
        "begin_date": c.begin_date.isoformat(),
        "registered_at": c.registered_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "state": c.state,
        "state_zh": R.STATE_ZH.get(c.state, c.state),
        "total_fen": int(c.total_fen),
        "total_yuan": yuan(int(c.total_fen)),
        "payout_fen": None if c.hifp_pay_fen is None else int(c.hifp_pay_fen + (c.own_fen or 0) + (c.family_fen or 0)),
    }


def read_claim(uow: UnitOfWork, ctx: Ctx, claim_id: int) -> dict[str, Any]:
    """One claim for staff of its region (audited) or for the claimant."""
    claim = U.get_claim(uow, claim_id)
    principal = ctx.principal
    if principal.role is Role.CITIZEN:
        if principal.person_id != claim.person_id:
            raise Forbidden()
    else:
        principal.require(Role.STAFF)
        principal.require_region(claim.region_code)
        audit_event(uow, ctx, "reimburse.read", "reimbursement_claim", claim.id, person_id=claim.person_id)
    return detail(uow, claim)


def detail(uow: UnitOfWork, claim: ReimbursementClaim) -> dict[str, Any]:
    person = uow.session.get(Person, claim.person_id)
    assert person is not None
    cat = catalogue()
    figures = json.loads(claim.figures_json) if claim.figures_json else None
    if figures is not None:
        a = figures["amounts"]
        figures["payout_fen"] = a["fund_pay_sumamt_fen"] + a["acct_pay_fen"]
        figures["parts"] = [
            {"part": p, "part_zh": S.PART_ZH[p], "amount_fen": amt, "own_fen": own, "family_fen": fam, "cash_fen": cash}
            for p, amt, own, fam, cash in figures["parts"]
        ]
    draws = uow.session.execute(
        select(ReimbursementDraw, Person)
        .join(Person, Person.id == ReimbursementDraw.authorizer_id)
        .where(ReimbursementDraw.claim_id == claim.id)
        .order_by(ReimbursementDraw.id)
    ).all()
    return summary(claim, person) | {
        "person_id": claim.person_id,
        "insutype": claim.insutype,
        "med_type": claim.med_type,
        "institution_kind": claim.institution_kind,
        "institution_kind_zh": R.INSTITUTION_KINDS.get(claim.institution_kind, claim.institution_kind),
        "institution_level": claim.institution_level,
        "treatment_region": claim.treatment_region,
        "treatment_name": region_name(claim.treatment_region),
        "acct_used_flag": claim.acct_used_flag,
        "acct_used_zh": R.ACCT_FLAGS.get(claim.acct_used_flag, claim.acct_used_flag),
        "registered_by": claim.registered_by_user_id,
        "computed_by": claim.computed_by_user_id,
        "approved_by": claim.approved_by_user_id,
        "paid_time": claim.paid_time.strftime("%Y-%m-%d %H:%M:%S") if claim.paid_time else None,
        "reject_reason": claim.reject_reason,
        "fund_txn_id": claim.fund_txn_id,
        "account_txn_id": claim.account_txn_id,
        "figures": figures,
        "invoices": [
            {
                "invoice_no": i.invoice_no,
                "institution_name": i.institution_name,
                "institution_code": i.institution_code,
                "invoice_date": i.invoice_date.isoformat(),
                "amount_fen": int(i.amount_fen),
                "amount_yuan": yuan(int(i.amount_fen)),
            }
            for i in U.invoices_of(uow, claim.id)
        ],
        "fees": [
            {
                "sn": f.sn,
                "item_code": f.item_code,
                "item_name": cat[f.item_code].name if f.item_code in cat else "（目录外项目）",
                "count": f.count,
                "price": f.price,
                "amount_fen": int(f.amount_fen),
                "amount_yuan": yuan(int(f.amount_fen)),
            }
            for f in U.fees_of(uow, claim.id)
        ],
        "draws": [
            {
                "authorizer_name": mask_name(p.name),
                "region_code": d.region_code,
                "region_name": region_name(d.region_code),
                "amount_fen": int(d.amount_fen),
                "cross_region": R.crosses_regions(claim.region_code, d.region_code),
            }
            for d, p in draws
        ],
    }
