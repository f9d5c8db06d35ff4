"""催缴: the not-yet-paid of the year's task, per unit, and the township clerk's contacts (issue 16 §3;
seed 002 §八3: "不定期将各乡镇、街道未参保缴费人员信息下发乡镇、街道，以便有针对性地精准进行催缴").

``unpaid``: persons in the task (``collection_task``, status in) of the viewer's lower units with
no paid 390 premium for the year, by unit then name, each with their last contact. A township's
own clerk (``collection_staff_scope``) sees names and phone numbers in full — they are the ones
who call; anyone else (district staff) sees them masked (``张*``, ``139****5678``). Nobody sees a
unit outside their scope. ``unpaid_xlsx`` is the same list as an Excel sheet (audited).

``record_contact``: the clerk records a contact with one of them — called, visited, refused,
moved away, or will pay by a date (not in the past). Append-only; the list shows the latest.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from gongji.adapters.db.models import (
    CollectionContact,
    CollectionTask,
    CollectionUnit,
    Person,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import collection as C
from gongji.domain.errors import InvalidRequest, NotFound
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import RESIDENT_BASIC
from gongji.services.collection import units
from gongji.services.registry.persons import Ctx, audit_event

OUTCOMES = {
    "called": "已电话联系",
    "visited": "已上门走访",
    "refused": "拒绝参保",
    "moved": "已外出/迁出",
    "promised": "承诺缴费",
}
MAX_ROWS = 5_000


def _check_unit(uow: UnitOfWork, scope: units.Scope, unit_id: int | None) -> None:
    if unit_id is not None:
        units.check_unit_scope(uow, scope, units.get_unit(uow, unit_id))


def unpaid(
    uow: UnitOfWork, ctx: Ctx, *, benefit_year: int, unit_id: int | None = None, limit: int = 500, offset: int = 0
) -> dict[str, Any]:
    """The not-yet-paid in the viewer's units (module docstring); ``unit_id`` narrows to one unit
    (a village, or a township: its villages)."""
    scope = units.scope_of(uow, ctx.principal)
    _check_unit(uow, scope, unit_id)
    if not 1 <= limit <= MAX_ROWS or offset < 0:
        raise InvalidRequest(f"每页1-{MAX_ROWS}行", f"limit 1..{MAX_ROWS}, offset ≥ 0", field="limit")
    full = scope.township_id is not None
    t, u, p = CollectionTask, CollectionUnit, Person
    paid = (
        select(ResidentPremium.id)
        .where(
            ResidentPremium.person_id == t.person_id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
            ResidentPremium.status == "paid",
        )
        .exists()
    )
    q = (
        select(t.person_id, p.name, p.cert_no, p.phone, u.id, u.code, u.name)
        .join(u, u.id == t.unit_id)
        .join(p, p.id == t.person_id)
        .where(t.benefit_year == benefit_year, t.status == C.IN, t.unit_id.in_(units.lower_units_query(scope)), ~paid)
    )
    if unit_id is not None:
        q = q.where((u.id == unit_id) | (u.parent_id == unit_id))
    total = uow.session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = uow.session.execute(q.order_by(u.code, p.name, t.person_id).limit(limit).offset(offset)).all()
    last = _last_contacts(uow, benefit_year, [r[0] for r in rows])
    items = []
    for person_id, name, cert, phone, uid, ucode, uname in rows:
        contact = last.get(person_id)
        items.append(
            {
                "person_id": person_id,
                "name": name if full else mask_name(name),
                "id_number": mask_id_number(cert),
                "phone": (phone if full else mask_phone(phone)) or None,
                "unit_id": uid,
                "unit_code": ucode,
                "unit_name": uname,
                "last_contact": _contact_view(contact) if contact else None,
            }
        )
    audit_event(uow, ctx, "collection.unpaid_list", "collection_unit", unit_id, rows=len(items), full=full)
    return {"benefit_year": benefit_year, "total": total, "offset": offset, "full_names": full, "items": items}


def _last_contacts(uow: UnitOfWork, benefit_year: int, person_ids: list[int]) -> dict[int, CollectionContact]:
    if not person_ids:
        return {}
    c = CollectionContact
    latest = (
        select(c.person_id, func.max(c.id).label("id"))
        .where(c.benefit_year == benefit_year, c.person_id.in_(person_ids))
        .group_by(c.person_id)
        .subquery()
    )
    rows = uow.session.scalars(select(c).join(latest, and_(latest.c.id == c.id)))
    return {r.person_id: r for r in rows}


def _contact_view(c: CollectionContact) -> dict[str, Any]:
    return {
        "contact_id": c.id,
        "outcome": c.outcome,
        "outcome_name": OUTCOMES[c.outcome],
        "promised_on": c.promised_on.isoformat() if c.promised_on else None,
        "note": c.note,
        "at": c.at.isoformat(),
    }


def record_contact(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    person_id: int,
    benefit_year: int,
    outcome: str,
    promised_on: date | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record one contact with a person of the viewer's units who is in the year's task."""
    if outcome not in OUTCOMES:
        raise InvalidRequest(
            "联系结果应为已电话联系、已上门走访、拒绝参保、已外出或承诺缴费",
            "outcome: called, visited, refused, moved or promised",
            field="outcome",
        )
    if outcome == "promised":
        if promised_on is None or promised_on < ctx.clock.today():
            raise InvalidRequest("请填写承诺缴费日期（不早于今天）", "promised_on: today or later", field="promised_on")
    elif promised_on is not None:
        raise InvalidRequest("只有承诺缴费需要填写日期", "promised_on only with promised", field="promised_on")
    cleaned = (note or "").strip()
    if len(cleaned) > 200:
        raise InvalidRequest("备注不超过200字", "note: at most 200 characters", field="note")
    scope = units.scope_of(uow, ctx.principal)
    row = uow.session.scalar(
        select(CollectionTask).where(
            CollectionTask.benefit_year == benefit_year,
            CollectionTask.person_id == person_id,
            CollectionTask.status == C.IN,
            CollectionTask.unit_id.in_(units.lower_units_query(scope)),
        )
    )
    if row is None:
        raise NotFound("您的征缴单位的参保任务中没有该人员", "Not in your units' task", person_id=person_id)
    contact = CollectionContact(
        benefit_year=benefit_year,
        person_id=person_id,
        outcome=outcome,
        promised_on=promised_on,
        note=cleaned or None,
        user_id=ctx.principal.user_id,
        at=ctx.clock.now(),
    )
    uow.session.add(contact)
    uow.session.flush()
    audit_event(uow, ctx, "collection.contact", "person", person_id, outcome=outcome)
    return _contact_view(contact)


def unpaid_xlsx(uow: UnitOfWork, ctx: Ctx, *, benefit_year: int, unit_id: int | None = None) -> bytes:
    """The not-yet-paid list as an Excel sheet, masked as on the page (audited)."""
    from openpyxl import Workbook

    data = unpaid(uow, ctx, benefit_year=benefit_year, unit_id=unit_id, limit=MAX_ROWS)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "未缴费人员"
    sheet.append(
        [f"{benefit_year}年度城乡居民医保未缴费人员名单（催缴）", "", "", "", "", "", "", f"共{data['total']}人"]
    )
    sheet.append(["村（社区）", "姓名", "身份证号码", "联系电话", "最近联系", "联系时间", "承诺缴费日期", "备注"])
    for item in data["items"]:
        c = item["last_contact"] or {}
        sheet.append(
            [
                item["unit_name"],
                item["name"],
                item["id_number"],
                item["phone"] or "",
                c.get("outcome_name", "未联系"),
                (c.get("at") or "")[:16].replace("T", " "),
                c.get("promised_on") or "",
                c.get("note") or "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
