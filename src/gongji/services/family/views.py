"""Reads: a binding's view (the other party masked), a person's members and history, staff's
view of a person's bindings and credit entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import (
    CreditRecord,
    FamilyBinding,
    FamilyFraudCase,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.clock import local_date
from gongji.domain.errors import (
    FamilyRefusal,
)
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.relations import RELATION_ZH
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.family.agreement import has_accepted_agreement
from gongji.services.family.common import (
    TXN_KIND_ZH,
    act_for,
    check_binding_authorizer,
    draw_states,
    draws_of,
    rule_view,
)
from gongji.services.registry.persons import (
    Ctx,
    audit_event,
    get_person,
    person_regions,
)

# --- reads -------------------------------------------------------------------------------------


def binding_view(uow: UnitOfWork, profile: Profile, b: FamilyBinding, *, side: str) -> dict[str, Any]:
    """One binding, the other party masked. ``side`` is the viewer's: authorizer / relative / staff."""
    other_id = b.relative_id if side != "relative" else b.authorizer_id
    other = get_person(uow, other_id)
    view: dict[str, Any] = {
        "binding_id": b.id,
        "relation": b.relation,
        "relation_name": RELATION_ZH.get(b.relation, b.relation),  # type: ignore[call-overload]
        "status": b.status,
        "status_name": F.BINDING_STATUS_ZH.get(b.status, b.status),
        "created_at": b.created_at.isoformat(),
        "ended_at": b.ended_at.isoformat() if b.ended_at else None,
        "end_reason": b.end_reason,
        "commitment_version": b.commitment_version,
        "commitment_sha256": b.commitment_sha256,
        # the binding rule in force on the day it was made (SPEC §4 item 1)
        "rule": rule_view(rule) if (rule := profile.family.binding_rule_on(local_date(b.created_at))) else None,
        "channel": b.channel,
        "funding_model": profile.family.funding_model,
    }
    who = {"person_id": other.id, "name": mask_name(other.name), "cert_no": mask_id_number(other.cert_no)}
    if side == "relative":
        view["authorizer"] = who
    else:
        view["relative"] = who
    if side == "staff":
        a = get_person(uow, b.authorizer_id)
        view["authorizer"] = {"person_id": a.id, "name": mask_name(a.name), "cert_no": mask_id_number(a.cert_no)}
    if profile.family.funding_model == "allocation" and side != "relative":
        code = L.family_account(b.id)
        view["family_account"] = code
        view["family_balance_fen"] = ledger.balances_of(uow, [code])[code]
    draws = draws_of(uow, b.id)
    states = draw_states(uow, draws)
    view["paid_fen"] = sum(d.amount_fen for d in draws if states[d.id] != "reversed")
    if side == "staff":
        case = uow.session.scalar(select(FamilyFraudCase).where(FamilyFraudCase.binding_id == b.id))
        view["case"] = None
        if case is not None:
            view["case"] = {
                "case_id": case.id,
                "status": case.status,
                "status_name": F.CASE_STATUS_ZH[case.status],
                "amount_fen": case.amount_fen,
                "collected_fen": case.collected_fen,
                "outstanding_fen": case.amount_fen - case.collected_fen - case.written_off_fen,
            }
    return view


def members(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int) -> dict[str, Any]:
    """成员列表: the person's bindings as authorizer (and as relative), newest first."""
    act_for(uow, ctx, person_id)
    as_authorizer = uow.session.scalars(
        select(FamilyBinding).where(FamilyBinding.authorizer_id == person_id).order_by(FamilyBinding.id.desc())
    )
    as_relative = uow.session.scalars(
        select(FamilyBinding)
        .where(FamilyBinding.relative_id == person_id, FamilyBinding.status == F.BINDING_ACTIVE)
        .order_by(FamilyBinding.id.desc())
    )
    rule = profile.family.binding_rule_on(ctx.clock.today())
    eligible: dict[str, Any] = {"ok": True, "rule": rule_view(rule) if rule else None}
    try:
        check_binding_authorizer(uow, profile, person_id, ctx.clock.today())
    except FamilyRefusal as err:
        eligible |= {"ok": False, "code": err.code, "message": err.message_zh, "message_en": err.message_en}
        eligible["rule"] = err.detail.get("rule")
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "family.read", "person", person_id)
    return {
        "person_id": person_id,
        "agreement_accepted": has_accepted_agreement(uow, profile, person_id),
        "funding_model": profile.family.funding_model,
        "can_authorize": eligible,
        "bindings": [binding_view(uow, profile, b, side="authorizer") for b in as_authorizer],
        "bound_by": [binding_view(uow, profile, b, side="relative") for b in as_relative],
    }


def history(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """共济明细: the authorizer's movements caused by family mutual aid, newest first."""
    act_for(uow, ctx, person_id)
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "family.history_read", "person", person_id)
    rows = ledger.movements(
        uow, person_id=person_id, limit=limit, before_id=before_id, kind_prefixes=("family.", "reversal.family.")
    )
    for row in rows:
        row["kind_name"] = TXN_KIND_ZH.get(row["kind"].removeprefix("reversal."), row["kind"])
        row["account_name"] = (
            "共济账户"
            if row["account"].startswith("family:")
            else ("历年账户" if row["account"].endswith(":past") else "当年账户")
        )
    return rows


def staff_bindings(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int) -> dict[str, Any]:
    """Staff: every binding the person is part of (masked), and the person's credit entries."""
    ctx.principal.require(Role.STAFF)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    get_person(uow, person_id)
    rows = uow.session.scalars(
        select(FamilyBinding)
        .where(or_(FamilyBinding.authorizer_id == person_id, FamilyBinding.relative_id == person_id))
        .order_by(FamilyBinding.id.desc())
    )
    credits = uow.session.scalars(
        select(CreditRecord).where(CreditRecord.person_id == person_id).order_by(CreditRecord.id.desc())
    )
    audit_event(uow, ctx, "family.read", "person", person_id)
    return {
        "person_id": person_id,
        "bindings": [binding_view(uow, profile, b, side="staff") for b in rows],
        "credit_records": [credit_view(c) for c in credits],
    }


def credit_view(c: CreditRecord) -> dict[str, Any]:
    return {
        "credit_id": c.id,
        "person_id": c.person_id,
        "kind": c.kind,
        "binding_id": c.binding_id,
        "reason": c.reason,
        "amount_fen": c.amount_fen,
        "case_id": c.case_id,
        "at": c.at.isoformat(),
    }
