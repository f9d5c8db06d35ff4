"""Reads of settlements for people (views, no writes except the audit row of a staff read).

A citizen sees their own 就医结算记录 on /me; staff see a person's on the person page, within
their regions. Amounts are fen; the relative's family share (共济支付) is shown beside the own
account share, and a cancelled settlement is marked, with its cancellation row beside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Institution, Settlement, SettlementParty
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import settlement as S
from gongji.domain.masking import mask_name
from gongji.domain.money import yuan
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions
from gongji.services.settlement.views import shares_of

STATUS_ZH = {"settled": "已结算", "cancelled": "已撤销", "reversal": "撤销冲减"}
MED_TYPE_ZH = {
    "11": "普通门诊",
    "12": "门诊挂号",
    "13": "急诊",
    "14": "门诊慢特病",
    "21": "普通住院",
    "41": "定点药店购药",
}


def records(uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The person's latest settlements, newest first (an audited read for staff)."""
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    get_person(uow, person_id)
    rows = list(
        uow.session.execute(
            select(Settlement, Institution.name)
            .join(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
            .where(Settlement.person_id == person_id)
            .order_by(Settlement.id.desc())
            .limit(limit)
        )
    )
    ids = [s.id for s, _ in rows]
    payers: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for party in uow.session.scalars(
            select(SettlementParty).where(SettlementParty.settlement_id.in_(ids), SettlementParty.role == "authorizer")
        ):
            who = get_person(uow, party.person_id)
            payers.setdefault(party.settlement_id, []).append(
                {"name": mask_name(who.name), "region": party.region_code, "amount_fen": party.amount_fen}
            )
    if ctx.principal.role is not Role.CITIZEN:
        audit_event(uow, ctx, "settlement.read", "person", person_id, rows=len(rows))
    return [
        {
            "setl_id": s.id,
            "at": s.setl_time.strftime("%Y-%m-%d %H:%M"),
            "institution": name,
            "med_type": MED_TYPE_ZH.get(s.med_type, s.med_type),
            "status": s.status,
            "status_zh": STATUS_ZH.get(s.status, s.status),
            "medfee_fen": s.medfee_fen,
            "fund_fen": s.fund_pay_sumamt_fen,
            "own_fen": s.acct_pay_fen - s.acct_mulaid_pay_fen,
            "family_fen": s.acct_mulaid_pay_fen,
            "cash_fen": s.psn_cash_pay_fen,
            "reverses_id": s.reverses_id,
            "family_payers": payers.get(s.id, []),
            "parts": _parts(s),
        }
        for s, name in rows
    ]


def _parts(row: Settlement) -> list[dict[str, Any]]:
    """个人负担 by part with who paid it (seed 000: family funds pay at hospitals only the in-policy
    self-pay); empty for a settlement made before the split was kept."""
    return [
        {
            "name": S.PART_ZH[x.part],
            "amount_fen": x.amount_fen,
            "own_fen": x.own_fen,
            "family_fen": x.family_fen,
            "cash_fen": x.cash_fen,
            "paid_by": "、".join(
                f"{name} {yuan(fen)}"
                for name, fen in (("个人账户", x.own_fen), ("家庭共济", x.family_fen), ("现金", x.cash_fen))
                if fen
            ),
        }
        for x in shares_of(row) or ()
        if x.amount_fen
    ]
