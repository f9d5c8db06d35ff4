"""处方流转 (seed 004): the hospital uploads an electronic prescription to the centre (or revokes it),
the pharmacy fetches it by number, checks it and reports it dispensed or refused; a pharmacy
enters a signed and stamped paper prescription where no centre is live. Each use case runs in one
transaction: a refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from gongji.adapters.db.models import (
    Institution,
    Prescription,
    PrescriptionFetch,
    PrescriptionLine,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import prescriptions as D
from gongji.domain.errors import (
    InvalidRequest,
    RxCenterNotLive,
    RxCenterRequired,
    RxDuplicate,
    RxNotConfirmed,
    RxNotUsable,
    RxOtherRegion,
    RxStampMissing,
    RxUnknown,
    UnknownCode,
)
from gongji.policy.schema import Profile
from gongji.services.prescriptions import common as C
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.settlement.lookups import catalogue, person_of, visit_of

INSUTYPES = ("310", "390")


@dataclass(frozen=True)
class Issue:
    """What a prescription says, whoever enters it (national 2204 names)."""

    rxno: str
    psn_no: str
    dise_codg: str
    dise_name: str
    bilg_dr_codg: str
    bilg_dr_name: str
    lines: Sequence[D.DrugLine]


def _limits(profile: Profile) -> D.Limits:
    p = profile.settlement.prescription
    return D.Limits(max_days=p.max_days, max_days_chronic=p.max_days_chronic)


def _check(profile: Profile, issue: Issue) -> None:
    p = profile.settlement.prescription
    long_term = D.is_long_term(issue.dise_codg, p.chronic_codes, p.two_diseases_codes)
    D.check_lines(issue.lines, catalogue().keys(), _limits(profile), long_term=long_term)


def _amount(lines: Sequence[D.DrugLine]) -> int | None:
    amounts = [line.amount_fen for line in lines]
    return None if any(a is None for a in amounts) else sum(a for a in amounts if a is not None)


def _add_lines(uow: UnitOfWork, rx: Prescription, lines: Sequence[D.DrugLine]) -> None:
    items = catalogue()
    for n, line in enumerate(lines, 1):
        uow.session.add(
            PrescriptionLine(
                prescription_id=rx.id,
                line_no=n,
                med_list_codg=line.med_list_codg,
                hilist_name=(line.hilist_name or items[line.med_list_codg].name)[:100],
                cnt=str(line.cnt),
                prd_days=line.prd_days,
                sin_dos_dscr=line.sin_dos_dscr,
                used_frqu_dscr=line.used_frqu_dscr,
                medc_way_dscr=line.medc_way_dscr,
                pric=str(line.pric) if line.pric is not None else None,
                amount_fen=line.amount_fen,
            )
        )


def _fetch(uow: UnitOfWork, rx: Prescription, pharmacy: Institution, now: datetime) -> None:
    if not C.fetched(uow, rx, pharmacy.fixmedins_code):
        uow.session.add(PrescriptionFetch(prescription_id=rx.id, fixmedins_code=pharmacy.fixmedins_code, at=now))


# --- the hospital -----------------------------------------------------------------------------------


def upload(uow: UnitOfWork, ctx: Ctx, profile: Profile, issue: Issue, *, mdtrt_id: str) -> dict[str, Any]:
    """电子处方上传: a hospital where the centre is live sends a prescription of one of its visits;
    the answer carries the centre's number (``hi_rxno``) the patient takes to a pharmacy."""
    hospital = C.caller_institution(uow, ctx, "hospital")
    if not C.center_live(profile, hospital.region_code):
        raise RxCenterNotLive(region=hospital.region_code)
    person = person_of(uow, issue.psn_no)
    visit = visit_of(uow, hospital, person, mdtrt_id)
    existing = uow.session.scalar(
        select(Prescription).where(Prescription.issuer_code == hospital.fixmedins_code, Prescription.rxno == issue.rxno)
    )
    if existing is not None:
        known = existing.person_id == person.id and existing.hi_rxno
        raise RxDuplicate(**({"hi_rxno": existing.hi_rxno} if known else {}))
    D.check_physician_code(issue.bilg_dr_codg, profile.settlement.prescription.physician_code_pattern)
    _check(profile, issue)
    now = ctx.clock.now().astimezone(UTC)
    rx = Prescription(
        rxno=issue.rxno,
        issuer_code=hospital.fixmedins_code,
        issuer_region=hospital.region_code,
        person_id=person.id,
        visit_id=visit.id,
        issued_at=now,
        valid_until=now + timedelta(days=profile.settlement.prescription_valid_days),
        keep_until=C.keep_until(now, profile.settlement.prescription_retention_years),
        status="valid",
        source="center",
        hi_rxno=D.new_hi_rxno(hospital.region_code, ctx.clock.now()),
        insutype=visit.insutype,
        dise_codg=issue.dise_codg.upper() or None,
        dise_name=issue.dise_name or None,
        dr_codg=issue.bilg_dr_codg.strip().upper(),
        dr_name=issue.bilg_dr_name,
        amount_fen=_amount(issue.lines),
    )
    uow.session.add(rx)
    uow.session.flush()
    _add_lines(uow, rx, issue.lines)
    uow.session.flush()
    audit_event(uow, ctx, "rx.upload", "prescription", rx.id, hi_rxno=rx.hi_rxno, lines=len(issue.lines))
    return C.view(uow, profile, rx, now)


def revoke(uow: UnitOfWork, ctx: Ctx, profile: Profile, number: str, reason: str) -> dict[str, Any]:
    """电子处方撤销: the issuing hospital withdraws a prescription not yet dispensed."""
    hospital = C.caller_institution(uow, ctx, "hospital")
    rx = C.by_number(uow, number, lock=True)
    if rx.issuer_code != hospital.fixmedins_code:
        raise RxUnknown(number=number)
    now = ctx.clock.now()
    done = uow.session.execute(
        update(Prescription)
        .where(Prescription.id == rx.id, Prescription.status == "valid")
        .values(status="revoked", closed_at=now, closed_reason=reason[:200])
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RxNotUsable("处方已调剂、已撤销或已拒绝调剂，不能撤销", "Already dispensed, revoked or refused")
    uow.session.refresh(rx)
    audit_event(uow, ctx, "rx.revoke", "prescription", rx.id, reason=reason[:200])
    return C.view(uow, profile, rx, now)


def own_list(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, limit: int = 100) -> list[dict[str, Any]]:
    """An institution's prescriptions, newest first: a hospital's own, a pharmacy's fetched ones."""
    code = ctx.principal.fixmedins_code
    if ctx.principal.role.value != "institution" or not code:
        from gongji.domain.errors import Forbidden

        raise Forbidden(required=["institution"])
    fetched = select(PrescriptionFetch.prescription_id).where(PrescriptionFetch.fixmedins_code == code)
    query = (
        select(Prescription)
        .where((Prescription.issuer_code == code) | Prescription.id.in_(fetched))
        .order_by(Prescription.id.desc())
        .limit(limit)
    )
    now = ctx.clock.now()
    return [C.view(uow, profile, rx, now) for rx in uow.session.scalars(query)]


# --- the pharmacy -----------------------------------------------------------------------------------


def _usable(rx: Prescription, now: datetime) -> None:
    st = C.state(rx, now)
    if st == "expired":
        raise RxNotUsable("外配处方已过有效期", "The prescription expired", number=C.number_of(rx))
    if st != "valid":
        raise RxNotUsable(
            f"外配处方{C.STATE_ZH.get(st, st)}，不能调剂", f"The prescription is {st}", number=C.number_of(rx)
        )


def fetch(uow: UnitOfWork, ctx: Ctx, profile: Profile, number: str) -> dict[str, Any]:
    """处方调取: a pharmacy of the issuer's pooling region fetches a valid prescription by its
    number; from then on it may see it, dispense it and report doubts about it."""
    pharmacy = C.caller_institution(uow, ctx, "pharmacy")
    rx = C.by_number(uow, number)
    if rx.source != "center":
        raise RxUnknown(number=number)
    if not C.same_pooling_region(profile, rx.issuer_region, pharmacy.region_code):
        raise RxOtherRegion(number=number)
    now = ctx.clock.now()
    _usable(rx, now)
    _fetch(uow, rx, pharmacy, now)
    uow.session.flush()
    audit_event(uow, ctx, "rx.fetch", "prescription", rx.id, pharmacy=pharmacy.fixmedins_code)
    return C.view(uow, profile, rx, now)


def enter_paper(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    issue: Issue,
    *,
    issuer_code: str,
    insutype: str,
    issued_on: datetime,
    stamp_present: bool,
) -> dict[str, Any]:
    """纸质外配处方录入: only from an institution of the pharmacy's pooling region where no centre is
    live, signed by a 医保医师 (code of the profile's format, the issuer's record's when it has one)
    and stamped with the 外配处方专用章 (seed 004)."""
    pharmacy = C.caller_institution(uow, ctx, "pharmacy")
    issuer = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == issuer_code))
    if issuer is None or issuer.kind != "hospital":
        raise UnknownCode("开方机构不是定点医疗机构", "The issuer is not a designated hospital", field="issuer_code")
    if C.center_live(profile, issuer.region_code):
        raise RxCenterRequired(issuer_code=issuer_code)
    if not C.same_pooling_region(profile, issuer.region_code, pharmacy.region_code):
        raise RxOtherRegion(issuer_code=issuer_code)
    if not stamp_present:
        raise RxStampMissing()
    if insutype not in INSUTYPES:
        raise InvalidRequest("险种类型须为 310 或 390", "insutype must be 310 or 390", field="insutype")
    person = person_of(uow, issue.psn_no)
    record = uow.session.scalar(
        select(Prescription).where(Prescription.issuer_code == issuer_code, Prescription.rxno == issue.rxno)
    )
    if record is not None and record.person_id != person.id:
        raise RxUnknown("外配处方不存在或不属于该参保人", "No such prescription for this person", rxno=issue.rxno)
    if record is not None and record.source != "his":
        raise RxDuplicate("该纸质处方已录入", "This paper prescription was entered already")
    code = D.check_physician_code(
        issue.bilg_dr_codg,
        profile.settlement.prescription.physician_code_pattern,
        recorded=record.dr_codg if record is not None else None,
    )
    now = ctx.clock.now()
    issued = issued_on if issued_on.tzinfo else issued_on.replace(tzinfo=now.tzinfo)
    if issued > now:
        raise InvalidRequest("开方日期不能晚于今天", "The issue date is in the future", field="issued_on")
    valid_until = issued + timedelta(days=profile.settlement.prescription_valid_days)
    if valid_until < now:
        raise RxNotUsable("外配处方已过有效期", "The prescription expired")
    _check(profile, issue)
    rx = record or Prescription(
        rxno=issue.rxno,
        issuer_code=issuer_code,
        issuer_region=issuer.region_code,
        person_id=person.id,
        visit_id=None,
        keep_until=C.keep_until(now, profile.settlement.prescription_retention_years),
        status="valid",
    )
    if rx.status != "valid":
        raise RxNotUsable(number=issue.rxno)
    rx.source = "paper"
    rx.issued_at = issued.astimezone(UTC)
    rx.valid_until = valid_until.astimezone(UTC)
    rx.insutype = insutype
    rx.dise_codg = issue.dise_codg.upper() or None
    rx.dise_name = issue.dise_name or None
    rx.dr_codg = code
    rx.dr_name = issue.bilg_dr_name
    rx.stamp_present = True
    rx.amount_fen = _amount(issue.lines)
    rx.entered_by = pharmacy.fixmedins_code
    if record is None:
        uow.session.add(rx)
    uow.session.flush()
    _add_lines(uow, rx, issue.lines)
    _fetch(uow, rx, pharmacy, now)
    uow.session.flush()
    audit_event(uow, ctx, "rx.paper", "prescription", rx.id, issuer=issuer_code, physician=code)
    return C.view(uow, profile, rx, now)


def dispense(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    number: str,
    *,
    passed: bool,
    dispensed: dict[str, Decimal],
    reason: str = "",
    physician_confirmed: bool = False,
    stamp_confirmed: bool = False,
) -> dict[str, Any]:
    """调剂结果上报: the pharmacy that fetched it reports the prescription dispensed (the drugs and
    quantities, at most as prescribed) or refused (拒绝调剂, with the reason). A paper prescription
    is dispensed only once the pharmacy confirms the physician's code and the stamp. Two pharmacies
    racing on one prescription: one wins (conditional update), the other is refused."""
    pharmacy = C.caller_institution(uow, ctx, "pharmacy")
    rx = C.by_number(uow, number)
    C.require_fetched(uow, rx, pharmacy)
    now = ctx.clock.now()
    _usable(rx, now)
    values: dict[str, Any]
    if passed:
        if rx.source == "paper" and not (physician_confirmed and stamp_confirmed):
            raise RxNotConfirmed()
        lines = C.lines_of(uow, rx)
        D.check_dispensed({line.med_list_codg: Decimal(line.cnt) for line in lines}, dispensed)
        values = {"status": "dispensed", "dispensed_by": pharmacy.fixmedins_code, "dispensed_at": now}
    else:
        if len(reason.strip()) < 2:
            raise InvalidRequest("拒绝调剂须填写原因", "A refusal needs its reason", field="reason")
        values = {"status": "refused", "closed_at": now, "closed_reason": reason.strip()[:200]}
    done = uow.session.execute(
        update(Prescription)
        .where(Prescription.id == rx.id, Prescription.status == "valid")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RxNotUsable(number=number)
    if passed:
        for line in C.lines_of(uow, rx):
            if line.med_list_codg in dispensed:
                line.dispensed_cnt = str(dispensed[line.med_list_codg])
    uow.session.flush()
    uow.session.refresh(rx)
    audit_event(uow, ctx, "rx.dispense" if passed else "rx.refuse", "prescription", rx.id, reason=reason[:200])
    return C.view(uow, profile, rx, now)
