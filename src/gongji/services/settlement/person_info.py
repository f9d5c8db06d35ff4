"""1101 人员信息获取: the person of the 就诊凭证 and their insurances (SPEC §5; issue 13 §1).

The person is found from the credential only (``credentials.for_reading``); a ``psn_no``,
``certno`` or name of anyone else is refused. Every read is recorded (``person_read``: which
institution, whom, when, with which kind of credential) and audited. ``psn_type`` is given as
the 3-character code 2201/2206 take back (``domain.credentials.interface_psn_type``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Employer,
    Enrollment,
    Institution,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain.credentials import interface_psn_type
from gongji.domain.errors import (
    PersonUnknown,
)
from gongji.policy.schema import Profile
from gongji.services.offsite import queries as offsite_queries
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import waiting
from gongji.services.settlement import credentials
from gongji.services.settlement.lookups import age_on, money, now_local, own_balance, psn_no

INSU_STAS = {"normal": "1", "suspended": "2", "interrupted": "2", "terminated": "4"}


# --- 1101 人员信息获取 -----------------------------------------------------------------------------


def person_info(
    uow: UnitOfWork,
    ctx: Ctx,
    institution: Institution,
    data: dict[str, Any],
    *,
    msgid: str,
    opter: object = None,
    profile: Profile,
) -> dict[str, Any]:
    """The credential's person; a name, if sent, must match (an unknown credential and a wrong
    name get the same answer: no enumeration). Besides the spec's nodes, ``outreginfo`` lists the
    person's off-site registrations in force or to come and ``opspinfo`` their recognized
    outpatient chronic diseases (issue 14; docs/settlement.md)."""
    presented = credentials.for_reading(uow, ctx, institution, data)
    person = presented.person
    if data.get("psn_name") and not F.names_match(str(data["psn_name"]), person.name):
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
                "psn_type": interface_psn_type(e.psn_type),
                "psn_insu_stas": INSU_STAS.get(e.status, "0"),
                "psn_insu_date": e.start_date.isoformat(),
                "paus_insu_date": e.end_date.isoformat() if e.end_date else None,
                "cvlserv_flag": "0",
                "insuplc_admdvs": e.region_code,
                "emp_name": employer.name if employer else None,
            }
        )
    credentials.record(
        uow,
        person_id=person.id,
        institution_code=institution.fixmedins_code,
        infno="1101",
        cert_type=presented.cert_type,
        outcome=credentials.READ,
        opter=opter,
        msgid=msgid,
        at=ctx.clock.now(),
    )
    audit_event(uow, ctx, "nhsa.1101", "person", person.id, mdtrt_cert_type=presented.cert_type)
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
        "outreginfo": offsite_queries.registrations_shown(uow, person_id=person.id, today=today),
        "opspinfo": offsite_queries.recognitions_shown(uow, profile, person_id=person.id, today=today),
    }
