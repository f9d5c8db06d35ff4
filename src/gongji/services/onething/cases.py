"""A one-thing case as the applicant and staff see it — its three steps, each part's state and
office, its time limits in working days — and what staff record on it later: the one visit
(最多跑一次) and the proofs that follow a commitment (承诺件).

Who sees a case: the applicant (their own cases only; someone else's does not exist to them),
staff of the insured region (a read of the whole case is audited), an auditor.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import OneThingCase, OneThingPart, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain import onething as T
from gongji.domain.calendar import WorkCalendar
from gongji.domain.errors import GongjiError, InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.relations import RELATION_ZH
from gongji.policy.schema import Profile
from gongji.services import calendar
from gongji.services.auth import Role
from gongji.services.offsite import common as C
from gongji.services.onething.apply import rules
from gongji.services.onething.routing import parts_of
from gongji.services.registry.context import Ctx, audit_event, require_reason

MINE_LIMIT = 50


def timing_of(profile: Profile, cal: WorkCalendar, case: OneThingCase, today: date) -> T.Timing:
    r = rules(profile)
    return T.timing(
        cal,
        accepted_on=case.accepted_on,
        committed_days=r.committed_working_days,
        statutory_days=r.statutory_working_days,
        today=today,
        closed_on=case.closed_on,
    )


def part_view(profile: Profile, p: OneThingPart) -> dict[str, Any]:
    request = json.loads(p.request or "{}")
    return {
        "part_id": p.id,
        "kind": p.kind,
        "kind_zh": T.PART_ZH[p.kind],
        "type_zh": T.PART_TYPE_ZH[p.kind],
        "office": p.office,
        "office_zh": T.OFFICE_ZH[p.office],
        "state": p.status,
        "state_zh": T.PART_STATE_ZH[p.status],
        "ended": p.status in T.ENDED,
        "result_zh": p.result_zh,
        "result_code": p.result_code,
        "summary_zh": _summary(profile, p.kind, request),
        "binding_id": p.binding_id,
        "registration_id": p.registration_id,
        "recognition_id": p.recognition_id,
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
    }


def _summary(profile: Profile, kind: str, r: dict[str, Any]) -> str:
    """What was asked, in words (no codes on the page)."""
    if kind == T.FAMILY:
        return f"绑定亲属 {r.get('relative_name', '')}（{RELATION_ZH.get(r.get('relation', ''), '')}）"
    if kind == T.REGISTRATION:
        where = C.destination_name(r["destination_code"]) if r.get("destination_code") else ""
        return f"{O.KIND_ZH.get(r.get('kind', ''), '')} · 就医地 {where}"
    if kind == T.CHRONIC:
        d = profile.offsite.disease(r.get("disease", ""))
        return O.disease_name(d, r.get("organ")) if d else ""
    return "定点医药机构持医保凭证直接结算"


def case_view(
    profile: Profile, cal: WorkCalendar, case: OneThingCase, parts: list[OneThingPart], person: Person, today: date
) -> dict[str, Any]:
    t = timing_of(profile, cal, case, today)
    r = rules(profile)
    materials = [m for m in case.materials.split(",") if m]
    pending = [m for m in case.proofs_pending.split(",") if m]
    received = json.loads(case.proofs_received or "[]")
    return {
        "case_id": case.id,
        "serial": case.serial,
        "person_id": case.person_id,
        "name": mask_name(person.name),
        "cert_no": mask_id_number(person.cert_no),
        "insured_region": case.insured_region,
        "insured_region_name": C.destination_name(case.insured_region),
        "channel": case.channel,
        "channel_zh": T.CHANNEL_ZH[case.channel],
        "agent_name": mask_name(case.agent_name) if case.agent_name else None,
        "agent_relation": case.agent_relation,
        "visits": case.visits,
        "max_visits": r.max_visits,
        "visit_reason": case.visit_reason,
        "materials": materials,
        "materials_zh": [T.MATERIAL_ZH[m] for m in materials],
        "commitments_zh": [c["zh"] for c in json.loads(case.commitments or "[]")],
        "proofs_pending_zh": [T.MATERIAL_ZH.get(m, m) for m in pending],
        "proofs_pending": pending,
        "proofs_received": [r | {"zh": T.MATERIAL_ZH.get(r["material"], r["material"])} for r in received],
        "state": case.status,
        "state_zh": T.CASE_STATE_ZH[case.status],
        "step": T.step_of(case.status),
        "steps": list(r.steps),
        "accepted_at": case.accepted_at.isoformat(),
        "accepted_on": case.accepted_on.isoformat(),
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "committed_due": t.committed_due.isoformat(),
        "statutory_due": t.statutory_due.isoformat(),
        "committed_days": r.committed_working_days,
        "statutory_days": r.statutory_working_days,
        "remaining": t.remaining,
        "timing": t.state,
        "timing_zh": t.state_zh,
        "late": t.late,
        "provisional": t.provisional,
        "parts": [part_view(profile, p) for p in parts],
    }


def load_case(uow: UnitOfWork, ctx: Ctx, case_id: int, *, lock: bool = False) -> OneThingCase:
    query = select(OneThingCase).where(OneThingCase.id == case_id)
    case = uow.session.scalar(query.with_for_update() if lock else query)
    p = ctx.principal
    if case is None or (p.role is Role.CITIZEN and p.person_id != case.person_id):
        raise NotFound("一件事办件不存在", "Case not found", case_id=case_id)
    try:
        C.require_view(uow, ctx, case.person_id, case.insured_region)
    except GongjiError:
        if p.role is Role.CITIZEN:
            raise NotFound("一件事办件不存在", "Case not found", case_id=case_id) from None
        raise
    return case


def get(uow: UnitOfWork, ctx: Ctx, profile: Profile, case_id: int, *, audit_read: bool = True) -> dict[str, Any]:
    case = load_case(uow, ctx, case_id)
    if audit_read and ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "onething.read", "onething_case", case.id)
    person = uow.session.get(Person, case.person_id)
    assert person is not None
    return case_view(profile, calendar.load(uow), case, parts_of(uow, case.id), person, ctx.clock.today())


def mine(uow: UnitOfWork, ctx: Ctx, profile: Profile) -> list[dict[str, Any]]:
    """The citizen's own cases, newest first."""
    ctx.principal.require(Role.CITIZEN)
    pid = ctx.principal.person_id
    rows = list(
        uow.session.scalars(
            select(OneThingCase).where(OneThingCase.person_id == pid).order_by(OneThingCase.id.desc()).limit(MINE_LIMIT)
        )
    )
    if not rows:
        return []
    person = uow.session.get(Person, pid)
    assert person is not None
    cal, today = calendar.load(uow), ctx.clock.today()
    return [case_view(profile, cal, c, parts_of(uow, c.id), person, today) for c in rows]


def record_visit(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, case_id: int, reason: str = "") -> OneThingCase:
    """The applicant came to the window (最多跑一次): at most ``max_visits`` in all."""
    ctx.principal.require(Role.STAFF)
    case = load_case(uow, ctx, case_id, lock=True)
    r = rules(profile)
    T.check_visit(visits=case.visits, max_visits=r.max_visits)
    case.visits += 1
    case.visit_reason = require_reason(reason) if reason.strip() else r.visit_reason
    uow.session.flush()
    audit_event(uow, ctx, "onething.visit", "onething_case", case.id, visits=case.visits, reason=case.visit_reason)
    return case


def receive_proof(uow: UnitOfWork, ctx: Ctx, *, case_id: int, material: str) -> OneThingCase:
    """A proof the commitment stood in for is handed in (承诺件: 证明材料后补)."""
    ctx.principal.require(Role.STAFF)
    case = load_case(uow, ctx, case_id, lock=True)
    pending = [m for m in case.proofs_pending.split(",") if m]
    if material not in T.MATERIAL_ZH:
        raise InvalidRequest("材料代码不存在", "Unknown material code", field="material")
    if material not in pending:
        raise InvalidStateTransition("该材料不在待补交之列", "This proof is not awaited", material=material)
    pending.remove(material)
    received = json.loads(case.proofs_received or "[]")
    received.append({"material": material, "at": ctx.clock.now().isoformat(), "by": ctx.principal.user_id})
    case.proofs_pending, case.proofs_received = ",".join(pending), json.dumps(received, ensure_ascii=False)
    uow.session.flush()
    audit_event(uow, ctx, "onething.proof", "onething_case", case.id, material=material)
    return case
