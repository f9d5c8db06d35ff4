"""Shared by the prescription use cases: who is calling, finding a prescription the caller may see,
and the view of one prescription (personal data masked)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Institution,
    Person,
    Prescription,
    PrescriptionDoubt,
    PrescriptionFetch,
    PrescriptionLine,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import prescriptions as D
from gongji.domain.errors import Forbidden, RxNotFetched, RxUnknown
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx
from gongji.services.settlement.lookups import institution_of


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def caller_institution(uow: UnitOfWork, ctx: Ctx, kind: str) -> Institution:
    """The calling institution, which must be a ``kind`` (hospital / pharmacy)."""
    principal = ctx.principal
    if principal.role is not Role.INSTITUTION or not principal.fixmedins_code:
        raise Forbidden(required=[Role.INSTITUTION.value])
    institution = institution_of(uow, principal.fixmedins_code)
    if institution.kind != kind:
        zh = "医疗机构" if kind == "hospital" else "零售药店"
        raise Forbidden(f"仅定点{zh}可办理此业务", f"Only a designated {kind} may do this", kind=kind)
    return institution


def center_live(profile: Profile, region: str) -> bool:
    return region_in_scope(region, list(profile.settlement.prescription.center_regions))


def same_pooling_region(profile: Profile, issuer_region: str, pharmacy_region: str) -> bool:
    """Seed 004: 暂不接受本统筹地区以外的医疗机构外配处方 (as the settlement check reads it)."""
    return not profile.settlement.prescription_same_pooling_region or issuer_region.startswith(
        scope_prefix(pharmacy_region)
    )


def by_number(uow: UnitOfWork, number: str, *, lock: bool = False) -> Prescription:
    """A centre prescription by its ``hi_rxno``; a paper one by ``P<id>``."""
    query = select(Prescription)
    text = str(number or "").strip().upper()
    if text.startswith("P") and text[1:].isascii() and text[1:].isdigit() and len(text) < 19:
        query = query.where(Prescription.id == int(text[1:]), Prescription.source == "paper")
    else:
        query = query.where(Prescription.hi_rxno == text)
    if lock:
        query = query.with_for_update()
    rx = uow.session.scalar(query)
    if rx is None:
        raise RxUnknown(number=number)
    return rx


def number_of(rx: Prescription) -> str:
    return rx.hi_rxno or (f"P{rx.id}" if rx.source == "paper" else rx.rxno)


def fetched(uow: UnitOfWork, rx: Prescription, code: str) -> bool:
    return (
        uow.session.scalar(
            select(PrescriptionFetch.id).where(
                PrescriptionFetch.prescription_id == rx.id, PrescriptionFetch.fixmedins_code == code
            )
        )
        is not None
    )


def visible(uow: UnitOfWork, ctx: Ctx, number: str) -> Prescription:
    """A prescription the caller may see: a hospital its own, a pharmacy only what it fetched by
    number (or entered), staff within their regions (the issuer's or a fetching pharmacy's)."""
    rx = by_number(uow, number)
    p = ctx.principal
    if p.role is Role.INSTITUTION:
        if rx.issuer_code == p.fixmedins_code:
            return rx
        if p.fixmedins_code and fetched(uow, rx, p.fixmedins_code):
            return rx
        raise RxUnknown(number=number)
    if p.role is Role.STAFF:
        regions = [rx.issuer_region, *pharmacy_regions(uow, rx)]
        if any(region_in_scope(r, list(p.regions)) for r in regions):
            return rx
        raise RxUnknown(number=number)
    raise Forbidden()


def require_fetched(uow: UnitOfWork, rx: Prescription, pharmacy: Institution) -> None:
    if not fetched(uow, rx, pharmacy.fixmedins_code):
        raise RxNotFetched(number=number_of(rx))


def pharmacy_regions(uow: UnitOfWork, rx: Prescription) -> list[str]:
    return list(
        uow.session.scalars(
            select(Institution.region_code)
            .join(PrescriptionFetch, PrescriptionFetch.fixmedins_code == Institution.fixmedins_code)
            .where(PrescriptionFetch.prescription_id == rx.id)
        )
    )


def lines_of(uow: UnitOfWork, rx: Prescription) -> list[PrescriptionLine]:
    return list(
        uow.session.scalars(
            select(PrescriptionLine).where(PrescriptionLine.prescription_id == rx.id).order_by(PrescriptionLine.line_no)
        )
    )


def yuan(fen: int | None) -> str | None:
    if fen is None:
        return None
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def state(rx: Prescription, now: datetime) -> str:
    """rx_stas_codg-like state: valid, expired (valid but past its date), dispensed, revoked, refused."""
    if rx.status == "valid" and aware(rx.valid_until) < now:
        return "expired"
    return rx.status


STATE_ZH = {**D.STATUS_ZH, "expired": "已失效"}


def view(uow: UnitOfWork, profile: Profile, rx: Prescription, now: datetime) -> dict[str, Any]:
    """One prescription as the caller sees it: drug lines, checks for the pharmacy, masked person.

    Status fields use the national code tables: ``rx_stas_codg`` 1 有效 / 2 已失效 / 3 已撤销,
    ``rx_used_stas_codg`` 1 未使用 / 2 已使用."""
    person = uow.session.get(Person, rx.person_id)
    issuer = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == rx.issuer_code))
    st = state(rx, now)
    policy = profile.settlement.prescription
    lines = lines_of(uow, rx)
    doubts = uow.session.scalar(select(PrescriptionDoubt.id).where(PrescriptionDoubt.prescription_id == rx.id).limit(1))
    long_term = D.is_long_term(rx.dise_codg, policy.chronic_codes, policy.two_diseases_codes)
    limit = policy.max_days_chronic if long_term else policy.max_days
    return {
        "hi_rxno": number_of(rx),
        "rxno": rx.rxno,
        "source": rx.source,
        "source_zh": D.SOURCE_ZH.get(rx.source, rx.source),
        "fixmedins_code": rx.issuer_code,
        "fixmedins_name": issuer.name if issuer else "",
        "issuer_region": rx.issuer_region,
        "psn_no": str(rx.person_id),
        "psn_name": mask_name(person.name if person else ""),
        "certno": mask_id_number(person.cert_no if person else ""),
        "insutype": rx.insutype,
        "dise_codg": rx.dise_codg,
        "dise_name": rx.dise_name,
        "bilg_dr_codg": rx.dr_codg,
        "bilg_dr_name": rx.dr_name,
        "stamp_present": rx.stamp_present,
        "prsc_time": aware(rx.issued_at).isoformat(timespec="seconds"),
        "vali_end_time": aware(rx.valid_until).isoformat(timespec="seconds"),
        "state": st,
        "state_zh": STATE_ZH.get(st, st),
        "rx_stas_codg": {"revoked": "3", "expired": "2"}.get(st, "1"),
        "rx_used_stas_codg": "2" if rx.status == "dispensed" else "1",
        "dispensed_by": rx.dispensed_by,
        "dispensed_at": aware(rx.dispensed_at).isoformat(timespec="seconds") if rx.dispensed_at else None,
        "settled": rx.dispensed_setl_id is not None,
        "closed_reason": rx.closed_reason,
        "amount": yuan(rx.amount_fen),
        "doubt_reported": doubts is not None,
        "days_limit": limit,
        "categories": list(
            D.categories(
                dise_codg=rx.dise_codg,
                insutype=rx.insutype,
                amount_fen=rx.amount_fen,
                chronic_codes=policy.chronic_codes,
                two_diseases_codes=policy.two_diseases_codes,
                high_amount_fen=policy.high_amount_fen,
            )
        ),
        "lines": [
            {
                "med_list_codg": line.med_list_codg,
                "hilist_name": line.hilist_name,
                "cnt": line.cnt,
                "prd_days": line.prd_days,
                "sin_dos_dscr": line.sin_dos_dscr,
                "used_frqu_dscr": line.used_frqu_dscr,
                "medc_way_dscr": line.medc_way_dscr,
                "pric": line.pric,
                "amount": yuan(line.amount_fen),
                "dispensed_cnt": line.dispensed_cnt,
                "over_quantity": line.prd_days > limit,
            }
            for line in lines
        ],
    }


def keep_until(now: datetime, years: int) -> date:
    """The same day ``years`` later (29 February → 1 March): kept at least that long (seed 004: 不少于2年)."""
    day = now.date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)
