"""存疑外配处方线索 (seed 004: 发现问题的可以拒绝调剂，并及时向当地医保部门反映存疑外配处方线索):
a pharmacy reports a prescription it fetched; staff of the pharmacy's or the issuer's region see
the open reports and close them with what they found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Institution, Prescription, PrescriptionDoubt
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import prescriptions as D
from gongji.domain.errors import Forbidden, InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.registry import region_in_scope
from gongji.services.auth import Role
from gongji.services.prescriptions import common as C
from gongji.services.registry.context import Ctx, audit_event


def report(uow: UnitOfWork, ctx: Ctx, number: str, *, reason: str, note: str) -> dict[str, Any]:
    pharmacy = C.caller_institution(uow, ctx, "pharmacy")
    rx = C.by_number(uow, number)
    C.require_fetched(uow, rx, pharmacy)
    if reason not in D.DOUBT_REASONS:
        raise InvalidRequest(
            f"存疑原因须为：{'、'.join(f'{k}（{v}）' for k, v in D.DOUBT_REASONS.items())}",
            "Unknown doubt reason",
            field="reason",
        )
    doubt = PrescriptionDoubt(
        prescription_id=rx.id,
        fixmedins_code=pharmacy.fixmedins_code,
        region=pharmacy.region_code,
        reason=reason,
        note=note.strip()[:500],
        status="open",
        at=ctx.clock.now(),
    )
    uow.session.add(doubt)
    uow.session.flush()
    audit_event(uow, ctx, "rx.doubt", "prescription", rx.id, doubt_id=doubt.id, reason=reason)
    return _view(uow, doubt, rx)


def _view(uow: UnitOfWork, doubt: PrescriptionDoubt, rx: Prescription) -> dict[str, Any]:
    pharmacy = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == doubt.fixmedins_code))
    issuer = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == rx.issuer_code))
    return {
        "id": doubt.id,
        "hi_rxno": C.number_of(rx),
        "rxno": rx.rxno,
        "reason": doubt.reason,
        "reason_zh": D.DOUBT_REASONS.get(doubt.reason, doubt.reason),
        "note": doubt.note,
        "status": doubt.status,
        "status_zh": "待核查" if doubt.status == "open" else "已核查",
        "at": C.aware(doubt.at).isoformat(timespec="seconds"),
        "pharmacy_code": doubt.fixmedins_code,
        "pharmacy_name": pharmacy.name if pharmacy else "",
        "issuer_code": rx.issuer_code,
        "issuer_name": issuer.name if issuer else "",
        "region": doubt.region,
        "handling_note": doubt.handling_note,
    }


def _staff(ctx: Ctx) -> list[str]:
    if ctx.principal.role is not Role.STAFF:
        raise Forbidden(required=[Role.STAFF.value])
    return list(ctx.principal.regions)


def _in_scope(doubt: PrescriptionDoubt, rx: Prescription, regions: list[str]) -> bool:
    return region_in_scope(doubt.region, regions) or region_in_scope(rx.issuer_region, regions)


def open_list(uow: UnitOfWork, ctx: Ctx, *, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    regions = _staff(ctx)
    rows = uow.session.execute(
        select(PrescriptionDoubt, Prescription)
        .join(Prescription, Prescription.id == PrescriptionDoubt.prescription_id)
        .where(PrescriptionDoubt.status == status)
        .order_by(PrescriptionDoubt.id.desc())
    )
    out = [_view(uow, d, rx) for d, rx in rows if _in_scope(d, rx, regions)]
    return out[:limit]


def close(uow: UnitOfWork, ctx: Ctx, doubt_id: int, *, note: str) -> dict[str, Any]:
    regions = _staff(ctx)
    doubt = uow.session.get(PrescriptionDoubt, doubt_id)
    rx = uow.session.get(Prescription, doubt.prescription_id) if doubt else None
    if doubt is None or rx is None or not _in_scope(doubt, rx, regions):
        raise NotFound(doubt_id=doubt_id)
    if doubt.status != "open":
        raise InvalidStateTransition("该线索已核查", "Already closed")
    if len(note.strip()) < 2:
        raise InvalidRequest("请填写核查情况", "Enter what was found", field="note")
    doubt.status = "closed"
    doubt.handled_by = ctx.principal.user_id
    doubt.handled_at = ctx.clock.now()
    doubt.handling_note = note.strip()[:500]
    uow.session.flush()
    audit_event(uow, ctx, "rx.doubt.close", "prescription_doubt", doubt.id)
    return _view(uow, doubt, rx)
