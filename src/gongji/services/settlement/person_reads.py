"""Who read whom (issue 13 §1): the 1101 reads of a person and the refused uses of their
credential, by institution and time — for staff (region-scoped, audited) and the citizen
(their own; without the institution's operator code)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gongji.adapters.db.models import Institution, PersonRead
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.credentials import CERT_TYPES
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, get_person, person_regions

SHANGHAI = ZoneInfo("Asia/Shanghai")
OUTCOME_ZH = {"read": "已查询", "refused": "已拒绝（凭证与人员不符）"}
MAX_SHOWN = 200


def _at(value: datetime) -> str:
    """Beijing time; SQLite gives back the stored local time without its zone."""
    local = value.astimezone(SHANGHAI) if value.tzinfo else value
    return local.strftime("%Y-%m-%d %H:%M:%S")


def reads_of(uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Newest first. Citizens see their own; staff the persons of their regions (audited)."""
    get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    rows = uow.session.execute(
        select(PersonRead, Institution.name)
        .outerjoin(Institution, Institution.fixmedins_code == PersonRead.fixmedins_code)
        .where(PersonRead.person_id == person_id)
        .order_by(PersonRead.at.desc(), PersonRead.id.desc())
        .limit(max(1, min(limit, MAX_SHOWN)))
    ).all()
    citizen = ctx.principal.role is Role.CITIZEN
    if not citizen:
        audit_event(uow, ctx, "person.reads", "person", person_id)
    out = []
    for read, name in rows:
        item: dict[str, Any] = {
            "at": _at(read.at),
            "fixmedins_code": read.fixmedins_code,
            "institution_name": name or read.fixmedins_code,
            "infno": read.infno,
            "mdtrt_cert_type": read.mdtrt_cert_type,
            "cert_type_zh": CERT_TYPES.get(read.mdtrt_cert_type or "", "未知凭证"),
            "outcome": read.outcome,
            "outcome_zh": OUTCOME_ZH.get(read.outcome, read.outcome),
        }
        if not citizen:
            item |= {"opter": read.opter, "msgid": read.msgid}
        out.append(item)
    return out
