"""External prescriptions (外配处方, seed 004) at the 两定 interface: a hospital's 2204 line marked
外购处方 records one (or, where the 电子处方中心 is live, must quote one it uploaded there); a
pharmacy's prescription-drug line and its settlement need a valid one of its own pooling region.

Sources (``Prescription.source``): ``his`` — recorded by the hospital's 2204, dispensed when a
pharmacy settles it, valid again when that settlement is cancelled; ``center`` / ``paper`` — the
centre flow (services/prescriptions): the pharmacy that fetched it must have reported it
dispensed, and the settlement's drugs must be on it in at most the dispensed quantity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from gongji.adapters.db.models import (
    Institution,
    Person,
    Prescription,
    PrescriptionLine,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    FeeDetailInvalid,
    PrescriptionRequired,
    RxCenterRequired,
    RxOverQuantity,
)
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.policy.schema import Profile

FLOW = ("center", "paper")


def check_prescription(
    uow: UnitOfWork, profile: Profile, institution: Institution, person: Person, rxno: str | None, now: datetime
) -> Prescription:
    """Seed 004: a pharmacy dispenses prescription drugs only on a valid external prescription of
    a designated institution in its own pooling region, for this person. ``rxno`` is the
    hospital's number (2204 records) or the centre's (``hi_rxno``; ``P<id>`` for a paper one)."""
    if not rxno:
        raise PrescriptionRequired(reason="missing")
    number = str(rxno)
    match = [Prescription.rxno == number, Prescription.hi_rxno == number.upper()]
    if number[:1] in "Pp" and number[1:].isascii() and number[1:].isdigit() and len(number) < 19:
        match.append((Prescription.id == int(number[1:])) & (Prescription.source == "paper"))
    candidates = list(uow.session.scalars(select(Prescription).where(or_(*match), Prescription.person_id == person.id)))
    if not candidates:
        raise PrescriptionRequired("外配处方不存在或不属于该参保人", "No such prescription for this person", rxno=rxno)
    local = [
        p
        for p in candidates
        if not profile.settlement.prescription_same_pooling_region
        or p.issuer_region.startswith(scope_prefix(institution.region_code))
    ]
    if not local:
        raise PrescriptionRequired(
            "暂不接受本统筹地区以外医疗机构的外配处方",
            "Prescriptions from outside this pooling region are not accepted",
        )
    flow = [p for p in local if p.source in FLOW]
    if flow:
        mine = [
            p
            for p in flow
            if p.status == "dispensed" and p.dispensed_by == institution.fixmedins_code and p.dispensed_setl_id is None
        ]
        if not mine:
            raise PrescriptionRequired(
                "该处方未由本药店调取并上报调剂，或已结算",
                "This pharmacy has not reported the prescription dispensed, or it was settled",
            )
        return mine[0]
    valid = [p for p in local if p.status == "valid" and _aware(p.valid_until) >= now]
    if not valid:
        raise PrescriptionRequired("外配处方已过有效期或已调剂", "The prescription expired or was already dispensed")
    return valid[0]


def check_line(uow: UnitOfWork, rx: Prescription, item_code: str, count: Decimal) -> None:
    """A centre or paper prescription's drug sold at the pharmacy: on the prescription, at most the
    quantity reported dispensed (超量)."""
    if rx.source not in FLOW:
        return
    line = uow.session.scalar(
        select(PrescriptionLine).where(
            PrescriptionLine.prescription_id == rx.id, PrescriptionLine.med_list_codg == item_code
        )
    )
    if line is None or line.dispensed_cnt is None:
        raise PrescriptionRequired(
            f"药品 {item_code} 不在该外配处方的调剂记录中", f"{item_code} was not dispensed on this prescription"
        )
    if count > Decimal(line.dispensed_cnt):
        raise RxOverQuantity(
            f"处方超量：药品 {item_code} 结算数量{count}超过调剂数量{line.dispensed_cnt}",
            f"Over quantity: {item_code} {count} above the {line.dispensed_cnt} dispensed",
            field="cnt",
        )


def release(rx: Prescription) -> None:
    """A pharmacy settlement of ``rx`` was cancelled (2208/2601): a 2204-recorded prescription is
    valid again; a centre or paper one stays dispensed by that pharmacy and may be settled again."""
    rx.dispensed_setl_id = None
    if rx.source not in FLOW:
        rx.status = "valid"
        rx.dispensed_by = None


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def issue_prescription(
    uow: UnitOfWork,
    profile: Profile,
    institution: Institution,
    person: Person,
    visit: Visit,
    rxno: str,
    now: datetime,
    *,
    dr_codg: str | None = None,
) -> None:
    """A hospital's 2204 line marked 外购处方. Where the centre is live the prescription must have
    been uploaded there by this hospital for this person (seed 004: 应通过电子处方中心提供处方外配服务);
    elsewhere the line records it (留存备查)."""
    existing = uow.session.scalar(
        select(Prescription).where(
            Prescription.issuer_code == institution.fixmedins_code,
            or_(Prescription.rxno == rxno, Prescription.hi_rxno == rxno.upper()),
        )
    )
    if existing is not None:
        if existing.person_id != person.id:
            raise FeeDetailInvalid("处方号已用于其他参保人", "This rxno belongs to another person", field="rxno")
        return
    if region_in_scope(institution.region_code, list(profile.settlement.prescription.center_regions)):
        raise RxCenterRequired(rxno=rxno)
    policy = profile.settlement
    issued = now.astimezone(UTC)  # in UTC: SQLite gives it back naive and _aware reads that as UTC
    from gongji.services.prescriptions.common import keep_until

    uow.session.add(
        Prescription(
            rxno=rxno,
            issuer_code=institution.fixmedins_code,
            issuer_region=institution.region_code,
            person_id=person.id,
            visit_id=visit.id,
            issued_at=issued,
            valid_until=issued + timedelta(days=policy.prescription_valid_days),
            keep_until=keep_until(now, policy.prescription_retention_years),
            status="valid",
            source="his",
            dr_codg=str(dr_codg).strip().upper()[:30] if dr_codg else None,
        )
    )
    uow.session.flush()
