"""The uses of an authorizer's money by their relatives, as notices and reports (issue 17).

Every use of family money leaves a ``family_draw`` row (append-only, one per binding drawn on).
The authorizer's message centre lists them — where (the institution, or 城乡居民医保代缴), how
much, when, for whom — with an unread count (``family_notice_seen`` keeps the newest draw read).
The relative sees the same uses from the other side: who paid for them, what and when.

A use the authorizer does not recognise can be reported (``family_use_report``). The report
reaches staff of the authorizer's region beside the family fraud cases (seed 003 四(四)): they
open a case through the existing revocation (``services.family.fraud.revoke``) or close the
report with a note. A report never moves money.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from gongji.adapters.db.models import (
    FamilyBinding,
    FamilyDraw,
    FamilyFraudCase,
    FamilyNoticeSeen,
    FamilyPayment,
    FamilyUseReport,
    Institution,
    Settlement,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.masking import mask_name
from gongji.domain.registry import scope_prefix
from gongji.domain.relations import RELATION_ZH
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.family.common import USE_ZH, act_for, draw_states
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions

REPORT_OPEN, REPORT_CLOSED = "open", "closed"
REPORT_STATUS_ZH = {REPORT_OPEN: "待经办核查", REPORT_CLOSED: "已核查"}
DRAW_STATE_ZH = {"open": "已支付", "reversed": "已撤销（退回）", "recovered": "已追回"}
PREMIUM_PLACE = "城乡居民医保代缴（税务）"
NOTICES_SHOWN = 100


def _draw_rows(uow: UnitOfWork, where: Any, limit: int) -> list[dict[str, Any]]:
    """The draws matching ``where``, newest first, with the payment, binding and institution."""
    rows = uow.session.execute(
        select(FamilyDraw, FamilyPayment, FamilyBinding, Settlement.fixmedins_code, Institution.name)
        .join(FamilyPayment, FamilyPayment.id == FamilyDraw.payment_id)
        .join(FamilyBinding, FamilyBinding.id == FamilyDraw.binding_id)
        .outerjoin(Settlement, (Settlement.family_payment_id == FamilyPayment.id) & Settlement.reverses_id.is_(None))
        .outerjoin(Institution, Institution.fixmedins_code == Settlement.fixmedins_code)
        .where(where)
        .order_by(FamilyDraw.id.desc())
        .limit(limit)
    ).all()
    draws = [r[0] for r in rows]
    states = draw_states(uow, draws)
    reports = {
        r.draw_id: r
        for r in uow.session.scalars(select(FamilyUseReport).where(FamilyUseReport.draw_id.in_([d.id for d in draws])))
    }
    out = []
    for draw, payment, binding, code, institution in rows:
        premium = payment.use_kind == F.PREMIUM_USE
        report = reports.get(draw.id)
        out.append(
            {
                "draw_id": draw.id,
                "binding_id": binding.id,
                "at": draw.created_at,
                "amount_fen": draw.amount_fen,
                "use_name": USE_ZH.get(payment.use_kind, "共济支付"),
                "place": PREMIUM_PLACE if premium else (institution or code or "定点医药机构"),
                "relative_id": binding.relative_id,
                "authorizer_id": binding.authorizer_id,
                "relation_name": RELATION_ZH.get(binding.relation, "亲属"),  # type: ignore[call-overload]
                "state": states.get(draw.id, "open"),
                "state_name": DRAW_STATE_ZH.get(states.get(draw.id, "open"), "已支付"),
                "report": None if report is None else _report_view(report),
            }
        )
    return out


def _report_view(r: FamilyUseReport) -> dict[str, Any]:
    return {
        "report_id": r.id,
        "status": r.status,
        "status_name": REPORT_STATUS_ZH[r.status],
        "note": r.note,
        "created_at": r.created_at,
        "closed_note": r.closed_note,
    }


def _with_names(uow: UnitOfWork, rows: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
    names: dict[int, str] = {}
    for row in rows:
        pid = row[f"{who}_id"]
        if pid not in names:
            names[pid] = mask_name(get_person(uow, pid).name)
        row[f"{who}_name"] = names[pid]
    return rows


def _seen(uow: UnitOfWork, person_id: int) -> int:
    return uow.session.scalar(select(FamilyNoticeSeen.last_draw_id).where(FamilyNoticeSeen.person_id == person_id)) or 0


def unread_count(uow: UnitOfWork, person_id: int) -> int:
    """How many uses of the person's money they have not seen in the message centre."""
    return int(
        uow.session.scalar(
            select(func.count(FamilyDraw.id))
            .join(FamilyBinding, FamilyBinding.id == FamilyDraw.binding_id)
            .where(FamilyBinding.authorizer_id == person_id, FamilyDraw.id > _seen(uow, person_id))
        )
        or 0
    )


def message_centre(uow: UnitOfWork, ctx: Ctx, *, person_id: int, mark_read: bool = True) -> dict[str, Any]:
    """消息中心: each use of the person's money by a relative (newest first), which of them were
    unread before this visit, and the unread count; opening it marks them read."""
    act_for(uow, ctx, person_id)
    seen = _seen(uow, person_id)
    rows = _with_names(uow, _draw_rows(uow, FamilyBinding.authorizer_id == person_id, NOTICES_SHOWN), "relative")
    for row in rows:
        row["unread"] = row["draw_id"] > seen
    unread = sum(1 for r in rows if r["unread"])
    if mark_read and ctx.principal.role is Role.CITIZEN and rows and rows[0]["draw_id"] > seen:
        mark = uow.session.get(FamilyNoticeSeen, person_id)
        if mark is None:
            uow.session.add(
                FamilyNoticeSeen(person_id=person_id, last_draw_id=rows[0]["draw_id"], updated_at=ctx.clock.now())
            )
        else:
            mark.last_draw_id, mark.updated_at = rows[0]["draw_id"], ctx.clock.now()
        uow.session.flush()
    return {"notices": rows, "unread": unread}


def paid_for_me(uow: UnitOfWork, ctx: Ctx, *, person_id: int) -> list[dict[str, Any]]:
    """The relative's side: who paid for them from family money, what, where and when."""
    act_for(uow, ctx, person_id)
    rows = _draw_rows(uow, FamilyBinding.relative_id == person_id, NOTICES_SHOWN)
    return _with_names(uow, rows, "authorizer")


def report_use(uow: UnitOfWork, ctx: Ctx, *, draw_id: int, note: str) -> dict[str, Any]:
    """The authorizer reports a use they do not recognise; staff of their region see it. A second
    report of the same use is refused (the first one stands)."""
    ctx.principal.require(Role.CITIZEN)
    found = uow.session.execute(
        select(FamilyDraw, FamilyBinding)
        .join(FamilyBinding, FamilyBinding.id == FamilyDraw.binding_id)
        .where(FamilyDraw.id == draw_id)
    ).first()
    if found is None or found[1].authorizer_id != ctx.principal.person_id:
        raise NotFound("共济支付记录不存在", "Family payment use not found", draw_id=draw_id)
    draw, binding = found
    if uow.session.scalar(select(FamilyUseReport.id).where(FamilyUseReport.draw_id == draw.id)) is not None:
        raise InvalidStateTransition("该笔支付已举报，经办人员正在核查", "This use was already reported")
    note = " ".join(note.split())
    if len(note) > 200:
        raise InvalidRequest("说明不能超过200字", "Note: at most 200 characters", field="note")
    region = (
        ledger.region_of(uow, L.personal_past(binding.authorizer_id)) or person_regions(uow, binding.authorizer_id)[0]
    )
    report = FamilyUseReport(
        draw_id=draw.id,
        binding_id=binding.id,
        authorizer_id=binding.authorizer_id,
        region_code=region,
        note=note or None,
        status=REPORT_OPEN,
        created_at=ctx.clock.now(),
    )
    uow.session.add(report)
    uow.session.flush()
    audit_event(uow, ctx, "family.use_report", "family_use_report", report.id, draw_id=draw.id)
    return _report_view(report)


def _in_scope(ctx: Ctx) -> Any:
    return or_(*[FamilyUseReport.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions])


def staff_reports(uow: UnitOfWork, ctx: Ctx, *, open_only: bool = True) -> list[dict[str, Any]]:
    """Staff: reports from authorizers of their regions, oldest open first, each with the use,
    the parties (masked) and the fraud case opened on the binding, if any."""
    ctx.principal.require(Role.STAFF)
    query = select(FamilyUseReport).where(_in_scope(ctx)).order_by(FamilyUseReport.id)
    if open_only:
        query = query.where(FamilyUseReport.status == REPORT_OPEN)
    out = []
    for report in uow.session.scalars(query.limit(200)):
        (use,) = _draw_rows(uow, FamilyDraw.id == report.draw_id, 1)
        case_id = uow.session.scalar(select(FamilyFraudCase.id).where(FamilyFraudCase.binding_id == report.binding_id))
        out.append(_with_names(uow, _with_names(uow, [use], "relative"), "authorizer")[0] | {"case_id": case_id})
    return out


def close_report(uow: UnitOfWork, ctx: Ctx, *, report_id: int, note: str) -> None:
    """Staff close a report after checking it (核查): the note says what they found."""
    ctx.principal.require(Role.STAFF)
    report = uow.session.get(FamilyUseReport, report_id)
    if report is None:
        raise NotFound("举报记录不存在", "Report not found", report_id=report_id)
    ctx.principal.require_person_access(person_id=report.authorizer_id, regions=[report.region_code])
    if report.status != REPORT_OPEN:
        raise InvalidStateTransition("该举报已核查", "This report is already closed")
    note = " ".join(note.split())
    if not 2 <= len(note) <= 200:
        raise InvalidRequest("请填写核查结果（2-200字）", "Note: 2-200 characters", field="note")
    report.status, report.closed_note = REPORT_CLOSED, note
    report.closed_by_user_id, report.closed_at = ctx.principal.user_id, ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "family.use_report_close", "family_use_report", report.id)
