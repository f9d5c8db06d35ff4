"""Reads and printouts of the three forms: lists (masked), the whole form (audited) and the PDF."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    ResidentChange,
    ResidentRegistration,
    ResidentStop,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.pdf import forms as pdf
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    UnknownCode,
)
from gongji.policy.schema import Profile
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident.forms.change import change_view
from gongji.services.resident.forms.common import IDENTITIES, STATUS_NAMES, _get, _in_scope, _staff
from gongji.services.resident.forms.registration import DECLARATION_TEXT, registration_view
from gongji.services.resident.forms.stop import STOP_REASONS, stop_view

# --- reads and printouts ---------------------------------------------------------------------------

MODELS: dict[str, type[ResidentRegistration] | type[ResidentChange] | type[ResidentStop]] = {
    "registration": ResidentRegistration,
    "change": ResidentChange,
    "stop": ResidentStop,
}
KIND_NAMES = {
    "registration": "参保登记表（附件1）",
    "change": "参保信息变更登记表（附件2）",
    "stop": "停保或流出登记表（附件3）",
}


def _kind(kind: str) -> type[ResidentRegistration] | type[ResidentChange] | type[ResidentStop]:
    if kind not in MODELS:
        raise UnknownCode("登记表类型不存在", "Unknown form kind", field="kind", value=kind)
    return MODELS[kind]


def view(
    uow: UnitOfWork, ctx: Ctx, kind: str, row: Any, *, profile: Profile | None = None, masked: bool = True
) -> dict[str, Any]:
    if kind == "registration":
        return registration_view(uow, ctx, row, profile=profile, masked=masked)
    if kind == "change":
        return change_view(uow, ctx, row, masked=masked)
    return stop_view(uow, ctx, row, masked=masked)


def list_forms(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    kind: str,
    status: str | None = "pending",
    limit: int = 50,
    profile: Profile | None = None,
) -> list[dict[str, Any]]:
    """Forms of one kind in the staff member's regions, newest first, masked."""
    _staff(ctx)
    model = _kind(kind)
    if status is not None and status not in STATUS_NAMES:
        raise UnknownCode("状态不存在", "Unknown status", field="status", value=status)
    query = select(model).where(_in_scope(ctx, model.region_code))
    if status is not None:
        query = query.where(model.status == status)
    rows = uow.session.scalars(query.order_by(model.id.desc()).limit(max(1, min(limit, 200))))
    return [view(uow, ctx, kind, r, profile=profile) for r in rows]


def get_form(uow: UnitOfWork, ctx: Ctx, *, kind: str, form_id: int, profile: Profile | None = None) -> dict[str, Any]:
    """The whole form (names and numbers in full), for staff in its region; the read is audited."""
    model: Any = _kind(kind)
    row = _get(uow, ctx, model, form_id)
    audit_event(uow, ctx, f"resident.{kind}.read", f"resident_{kind}", form_id)
    return view(uow, ctx, kind, row, profile=profile, masked=False)


def form_pdf(
    uow: UnitOfWork, ctx: Ctx, *, kind: str, form_id: int, profile: Profile | None = None
) -> tuple[str, bytes]:
    """The printable form (A4, Chinese, the seed's layout, filled in; nothing masked: it is the
    staff's own printout of a form they hold on paper). The print is audited; the ID number is
    never logged. Returns (file name, PDF bytes)."""
    data = get_form(uow, ctx, kind=kind, form_id=form_id, profile=profile)
    audit_event(uow, ctx, f"resident.{kind}.print", f"resident_{kind}", form_id)
    county = region_table().name(data["region_code"])
    if kind == "registration":
        return f"resident-registration-{form_id}.pdf", pdf.render_registration(
            _registration_sheet(data, county, profile)
        )
    if kind == "change":
        return f"resident-change-{form_id}.pdf", pdf.render_change(_change_sheet(data, county))
    return f"resident-stop-{form_id}.pdf", pdf.render_stop(_stop_sheet(data, county))


def _review(data: dict[str, Any], opinion_key: str) -> pdf.Review:
    status = data["status"]
    reviewed = date.fromisoformat(data["reviewed_at"][:10]) if data["reviewed_at"] else None
    return pdf.Review(
        decided=None if status == "pending" else status in ("approved", "applied"),
        reviewer=data["reviewer_name"] or "",
        unit=data["review_unit"] or "",
        on=reviewed,
        note=data.get(opinion_key) or "",
    )


def _region_parts(code: str) -> tuple[str, str, str]:
    table = region_table()
    county = table.get(code)
    city = table.get(county.parent_code) if county and county.parent_code else None
    province = table.get(city.parent_code) if city and city.parent_code else None
    return (province.name if province else "", city.name if city else "", county.name if county else code)


def _registration_sheet(d: dict[str, Any], county: str, profile: Profile | None) -> pdf.RegistrationSheet:
    province, city, hukou_county = _region_parts(d["hukou_region"])
    return pdf.RegistrationSheet(
        title=f"{county}城乡居民基本医疗保险参保登记表",
        serial=f"登记编号 R{d['form_id']:08d}",
        name=d["name"],
        cert_type_name=d["cert_type_name"],
        cert_no=d["cert_no"],
        sex=d["sex"],
        birth_date=date.fromisoformat(d["birth_date"]),
        phone=d["phone"] or "",
        household_label="居住证登记地" if d["household_kind"] == "permit" else "户籍所在地",
        province=province,
        city=city,
        county=hukou_county,
        village=d["hukou_village"] or "",
        township=d["township"],
        address=d["address"] or "",
        identities=[(zh, key == d["applicant_identity"]) for key, (_psn, zh) in IDENTITIES.items()],
        subsidies=_subsidy_boxes(d, profile),
        enrollment=f"{d['enroll_region_name']} · {d['psn_type_name']}"
        + (f" · 学校：{d['school_name'] or ''}（学籍地 {d['school_region_name']}）" if d["school_region"] else "")
        + (" · 新生儿不设待遇等待期" if d["no_waiting_period"] else ""),
        declaration=DECLARATION_TEXT,
        signer=f"{d['signer_name']}（{d['signer_role_name']}）",
        signed_on=date.fromisoformat(d["signed_on"]),
        review=_review(d, "review_reason"),
    )


def _subsidy_boxes(d: dict[str, Any], profile: Profile | None) -> list[tuple[str, bool]]:
    """财政补助对象 as boxes: the profile's categories, ticked where the form has them (and any code
    on the form that the profile no longer has, ticked)."""
    chosen = set(d["subsidy_codes"])
    known = list(profile.resident.subsidy) if profile is not None else []
    boxes = [(s.name, s.code in chosen) for s in known]
    codes = {s.code for s in known}
    return boxes + [
        (name, True) for code, name in zip(d["subsidy_codes"], d["subsidy_names"], strict=True) if code not in codes
    ]


def _change_sheet(d: dict[str, Any], county: str) -> pdf.ChangeSheet:
    return pdf.ChangeSheet(
        title=f"{county}城乡居民基本医疗保险参保信息变更登记表",
        serial=f"变更编号 C{d['form_id']:08d}",
        filler=d["filler_name"],
        phone=d["filler_phone"],
        is_key=d["is_key"],
        filled_on=date.fromisoformat(d["filled_on"]),
        rows=[
            pdf.ChangeLine(
                seq=r["seq"],
                cert_no=r["cert_no"],
                name=r["name"],
                item=r["item_name"],
                before=r["before"] or "",
                after=r["after"],
                signed_by=r["signed_by"],
                remark=r["remark"] or "",
            )
            for r in d["rows"]
        ],
        review=_review(d, "opinion"),
    )


def _stop_sheet(d: dict[str, Any], county: str) -> pdf.StopSheet:
    return pdf.StopSheet(
        title=f"{county}城乡居民基本医疗保险停保或流出登记表",
        serial=f"停保编号 S{d['form_id']:08d}",
        name=d["name"],
        cert_no=d["cert_no"],
        sex=d["sex_name"],
        birth_date=d["birth_date"] or "",
        insured_region=d["region_name"],
        psn_type=d["psn_type_name"],
        enrollment_start=d["enrollment_start"],
        reasons=[(zh, key == d["reason"]) for key, zh in STOP_REASONS.items()],
        reason_note=d["reason_note"] or "",
        effective_date=date.fromisoformat(d["effective_date"]),
        destination=d["destination_region_name"] or "",
        handling="转移参保关系至流入地" if d["transfer"] else "终止参保",
        graduated_on=d["graduated_on"] or "",
        applicant=f"{d['applicant_name']}（{d['applicant_role_name']}）",
        applicant_phone=d["applicant_phone"] or "",
        signed_on=date.fromisoformat(d["signed_on"]),
        review=_review(d, "opinion"),
    )
