"""专项检查 (seed 004: 针对门诊慢性病和特殊病保障、城乡居民门诊“两病”用药机制开方药品，以及其他金额高…的开方
药品开展专项检查): the external prescriptions of a period that fall in those categories, for staff
within their regions, filterable by region and category, exportable to Excel (masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from gongji.adapters.db.models import Institution, Person, Prescription, PrescriptionDoubt, Settlement
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import prescriptions as D
from gongji.domain.errors import Forbidden, InvalidRequest, OutOfRegion
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.prescriptions import common as C
from gongji.services.registry.context import Ctx, audit_event

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366
CATEGORIES = tuple(D.CATEGORY_ZH)


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    region: str | None = None
    categories: tuple[str, ...] = CATEGORIES


def _check(ctx: Ctx, q: Query) -> list[str]:
    if ctx.principal.role is not Role.STAFF:
        raise Forbidden(required=[Role.STAFF.value])
    if q.end < q.start:
        raise InvalidRequest("结束日期不能早于开始日期", "The end is before the start", field="end")
    if (q.end - q.start).days >= MAX_DAYS:
        raise InvalidRequest(f"检查期间最长{MAX_DAYS}天", f"At most {MAX_DAYS} days", field="end")
    unknown = [c for c in q.categories if c not in CATEGORIES]
    if unknown or not q.categories:
        raise InvalidRequest(
            "检查类别须为 chronic（门诊慢特病）、two_diseases（两病）、high_amount（高金额）",
            "Categories: chronic, two_diseases, high_amount",
            field="category",
        )
    regions = list(ctx.principal.regions)
    if q.region is not None:
        if not (q.region.isascii() and q.region.isdigit() and len(q.region) == 6):
            raise InvalidRequest("区划代码须为6位数字", "region must be 6 digits", field="region")
        if not region_in_scope(q.region, regions):
            raise OutOfRegion(region=q.region)
        return [q.region]
    return regions


def rows(uow: UnitOfWork, ctx: Ctx, profile: Profile, q: Query) -> list[dict[str, Any]]:
    """The period's prescriptions (by issue date, Beijing time) of the issuers in scope, in at least
    one of the chosen categories, oldest first; names and ID numbers masked."""
    scopes = _check(ctx, q)
    policy = profile.settlement.prescription
    # issued_at is stored in UTC (SQLite keeps the wall time without its zone): compare in UTC
    start = datetime.combine(q.start, time(), SHANGHAI).astimezone(UTC)
    end = datetime.combine(q.end + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
    prefixes = [scope_prefix(s) for s in scopes]
    query = (
        select(Prescription, Person)
        .join(Person, Person.id == Prescription.person_id)
        .where(Prescription.issued_at >= start, Prescription.issued_at < end)
        .order_by(Prescription.issued_at, Prescription.id)
    )
    names: dict[str, str] = {}

    def name_of(code: str | None) -> str:
        if code and code not in names:
            names[code] = uow.session.scalar(select(Institution.name).where(Institution.fixmedins_code == code)) or ""
        return names.get(code or "", "")

    out: list[dict[str, Any]] = []
    for rx, person in uow.session.execute(query).all():
        if not any(rx.issuer_region.startswith(p) for p in prefixes):
            continue
        cats = D.categories(
            dise_codg=rx.dise_codg,
            insutype=rx.insutype,
            amount_fen=rx.amount_fen,
            chronic_codes=policy.chronic_codes,
            two_diseases_codes=policy.two_diseases_codes,
            high_amount_fen=policy.high_amount_fen,
        )
        if not set(cats) & set(q.categories):
            continue
        settled = uow.session.get(Settlement, rx.dispensed_setl_id) if rx.dispensed_setl_id else None
        doubts = int(
            uow.session.scalar(
                select(func.count()).select_from(PrescriptionDoubt).where(PrescriptionDoubt.prescription_id == rx.id)
            )
            or 0
        )
        st = C.state(rx, ctx.clock.now())
        out.append(
            {
                "hi_rxno": C.number_of(rx),
                "rxno": rx.rxno,
                "source_zh": D.SOURCE_ZH.get(rx.source, rx.source),
                "issued_on": C.aware(rx.issued_at).astimezone(SHANGHAI).date().isoformat(),
                "issuer_code": rx.issuer_code,
                "issuer_name": name_of(rx.issuer_code),
                "issuer_region": rx.issuer_region,
                "physician_code": rx.dr_codg or "",
                "psn_name": mask_name(person.name),
                "certno": mask_id_number(person.cert_no),
                "insutype": rx.insutype or "",
                "disease": " ".join(x for x in (rx.dise_codg, rx.dise_name) if x),
                "categories": list(cats),
                "categories_zh": "、".join(D.CATEGORY_ZH[c] for c in cats),
                "amount_fen": rx.amount_fen,
                "amount": C.yuan(rx.amount_fen),
                "state_zh": C.STATE_ZH.get(st, st),
                "pharmacy_code": rx.dispensed_by or "",
                "pharmacy_name": name_of(rx.dispensed_by),
                "settled_fen": settled.medfee_fen if settled is not None and settled.status == "settled" else None,
                "doubts": doubts,
            }
        )
    audit_event(
        uow,
        ctx,
        "rx.inspection",
        "prescription",
        0,
        start=q.start.isoformat(),
        end=q.end.isoformat(),
        region=q.region,
        rows=len(out),
    )
    return out
