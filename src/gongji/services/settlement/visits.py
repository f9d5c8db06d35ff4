"""2201 / 2202 挂号 and its cancellation; 2601 of a 2201 uses :func:`cancel_open_visit`.

2201 opens a visit only with the credential of ``psn_no`` (``credentials.for_new_visit``);
a 医保码 token is used by the visit it opens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Institution,
    Settlement,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    InvalidStateTransition,
    VisitCancelled,
)
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement import credentials
from gongji.services.settlement.lookups import enrollment_of, person_of, psn_no, visit_of

# --- 2201 / 2202 挂号 ------------------------------------------------------------------------------


def register_visit(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    person = person_of(uow, data.get("psn_no"))
    presented = credentials.for_new_visit(uow, ctx, institution, data)  # the credential is psn_no's
    enrollment = enrollment_of(uow, person.id, str(data["insutype"]))
    visit = Visit(
        person_id=person.id,
        fixmedins_code=institution.fixmedins_code,
        insutype=enrollment.insutype,
        med_type=data.get("med_type"),
        psn_type=data.get("psn_type"),
        ipt_otp_no=str(data["ipt_otp_no"]),
        dept_code=data.get("dept_code"),
        begntime=data["begntime"],
        status="open",
        treatment_region=institution.region_code,
        insured_region=enrollment.region_code,
        msgid=msgid,
        created_at=ctx.clock.now(),
        mdtrt_cert_type=presented.cert_type,
    )
    uow.session.add(visit)
    uow.session.flush()
    if presented.token is not None:
        credentials.use_token(uow, ctx, institution, presented.token, visit)
    audit_event(uow, ctx, "nhsa.2201", "visit", visit.id, person_id=person.id, mdtrt_cert_type=presented.cert_type)
    return {
        "data": {"mdtrt_id": str(visit.id), "psn_no": psn_no(person.id), "ipt_otp_no": visit.ipt_otp_no},
    }


def cancel_visit(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    person = person_of(uow, data.get("psn_no"))
    visit = visit_of(uow, institution, person, data.get("mdtrt_id"))
    cancel_open_visit(uow, ctx, visit)
    return {}


def cancel_open_visit(uow: UnitOfWork, ctx: Ctx, visit: Visit) -> None:
    if visit.status == "cancelled":
        raise VisitCancelled("该就诊已撤销", "The visit is already cancelled")
    settled = uow.session.scalar(
        select(Settlement.id).where(Settlement.visit_id == visit.id, Settlement.status == "settled")
    )
    if settled is not None:
        raise InvalidStateTransition(
            "该就诊已结算，请先撤销结算", "The visit has a settlement; cancel it first", setl_id=str(settled)
        )
    visit.status = "cancelled"
    visit.cancelled_at = ctx.clock.now()
    audit_event(uow, ctx, "nhsa.2202", "visit", visit.id)
