"""1101 人员信息获取: a person and their insurances, by ID number (SPEC §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Employer,
    Enrollment,
    Person,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain.errors import (
    PersonUnknown,
)
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import waiting
from gongji.services.settlement.lookups import age_on, money, now_local, own_balance, psn_no

INSU_STAS = {"normal": "1", "suspended": "2", "interrupted": "2", "terminated": "4"}


# --- 1101 人员信息获取 -----------------------------------------------------------------------------


def person_info(uow: UnitOfWork, ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Find the person by the 就诊凭证 (02 ID card) or the 证件号码; a name, if sent, must match.
    An unknown number and a wrong name get the same answer (no enumeration)."""
    cert_type = data.get("mdtrt_cert_type")
    number = data.get("mdtrt_cert_no") if cert_type == "02" else None
    number = number or data.get("certno")
    if not number:
        raise PersonUnknown("请提供身份证号码（就诊凭证类型02或证件号码）", "Send an ID number", field="certno")
    person = uow.session.scalar(select(Person).where(Person.cert_no == str(number).upper()))
    if person is None or (data.get("psn_name") and not F.names_match(str(data["psn_name"]), person.name)):
        raise PersonUnknown()
    today = now_local(ctx).date()
    enrollments = list(uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id)))
    balance = own_balance(uow, person.id)
    insuinfo = []
    for e in sorted(enrollments, key=lambda e: (e.status == "terminated", e.insutype)):
        employer = uow.session.get(Employer, e.employer_id) if e.employer_id else None
        insuinfo.append(
            {
                "balc": money(balance if e.insutype == "310" else 0),
                "insutype": e.insutype,
                "psn_type": e.psn_type,
                "psn_insu_stas": INSU_STAS.get(e.status, "0"),
                "psn_insu_date": e.start_date.isoformat(),
                "paus_insu_date": e.end_date.isoformat() if e.end_date else None,
                "cvlserv_flag": "0",
                "insuplc_admdvs": e.region_code,
                "emp_name": employer.name if employer else None,
            }
        )
    audit_event(uow, ctx, "nhsa.1101", "person", person.id)
    return {
        "baseinfo": {
            "psn_no": psn_no(person.id),
            "psn_cert_type": person.cert_type,
            "certno": person.cert_no,
            "psn_name": person.name,
            "gend": person.sex,
            "naty": None,
            "brdy": person.birth_date.isoformat() if person.birth_date else None,
            "age": age_on(person.birth_date, today),
            "exp_content": waiting.person_info_note(uow, person.id, today),  # 待遇等待期, notes §1.2
        },
        "insuinfo": insuinfo,
        "idetinfo": [],
    }
