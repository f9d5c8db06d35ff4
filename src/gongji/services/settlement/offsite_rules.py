"""The off-site rules of 2206/2207 (issue 14 §4): the facts from the registry, the ruling from
``domain.offsite_settlement`` under the profile's ``[offsite.settlement]``.

The visit is judged on its first day (``begntime``, the admission day of a stay) at its place
(``treatment_region``, the institution's) against the insured region the 2201 recorded. A late
registration (补办, start = admission day) therefore covers the stay it was made for.
"""

from __future__ import annotations

from typing import Any

from gongji.adapters.db.models import Visit
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain import offsite_settlement as OS
from gongji.domain.errors import OffsiteChronicRefused
from gongji.policy.schema import Profile
from gongji.services.offsite import queries, students


def ruling(
    uow: UnitOfWork, profile: Profile, *, visit: Visit, med_type: str, ratio_permille: int, data: dict[str, Any]
) -> OS.Ruling:
    """Which rule applies to this settlement; a cross-province 门诊慢特病 claim that may not
    settle raises :class:`OffsiteChronicRefused` with the reason."""
    rules = profile.offsite.settlement
    place, insured, day = visit.treatment_region, visit.insured_region, visit.begntime.date()
    chronic_note = ""
    if med_type in rules.chronic_med_types and OS.is_offsite(
        rules.chronic_scope, treatment_region=place, insured_region=insured
    ):
        chronic_note = _chronic_check(uow, profile, person_id=visit.person_id, place=place, day=day, data=data)
    if not OS.is_offsite(rules.scope, treatment_region=place, insured_region=insured):
        return OS.Ruling(OS.LOCAL, 0, chronic_note)
    found = OS.rule_for(
        rules,
        offsite=True,
        ratio_permille=ratio_permille,
        registrations=queries.registrations_seen(uow, person_id=visit.person_id, place=place, day=day),
        student_school=students.first_year_school(uow, person_id=visit.person_id, place=place, day=day),
        emergency_visit=med_type in rules.emergency_med_types,
    )
    if chronic_note:
        return OS.Ruling(found.rule, found.points, f"{chronic_note}；{found.text_zh}")
    return found


def _chronic_check(
    uow: UnitOfWork, profile: Profile, *, person_id: int, place: str, day: Any, data: dict[str, Any]
) -> str:
    """001 三: a 门诊慢特病 claim across provinces settles only for a person with a valid off-site
    registration covering the place and a valid recognition of the claim's disease."""
    code = str(data.get("dise_codg") or "").strip() or None
    disease = profile.offsite.disease_of_opsp(code) if code else None
    registration = queries.valid_registration(uow, person_id=person_id, place=place, day=day)
    recognition = (
        queries.valid_recognition(uow, person_id=person_id, disease=disease.code, day=day) if disease else None
    )
    reason = OS.chronic_refusal(
        disease_name=disease.name if disease else None,
        dise_codg=code,
        registered=registration is not None,
        recognized=recognition is not None,
        listed="、".join(d.name for d in profile.offsite.chronic),
    )
    if reason is not None:
        detail: dict[str, Any] = {"field": "dise_codg"} if disease is None else {}
        raise OffsiteChronicRefused(
            reason,
            "Cross-province chronic-disease claim refused: " + _missing_en(code, disease, registration, recognition),
            registered=registration is not None,
            recognized=recognition is not None,
            **detail,
        )
    assert disease is not None and recognition is not None
    name = O.disease_name(disease, recognition.organ)
    until = f"，有效期至{recognition.valid_until.isoformat()}" if recognition.valid_until else ""
    return f"跨省门诊慢特病（{name}，认定自{recognition.start_date.isoformat()}{until}）"


def _missing_en(code: str | None, disease: Any, registration: Any, recognition: Any) -> str:
    if not code:
        return "dise_codg (opsp_dise_code) missing"
    if disease is None:
        return f"{code} is not one of the listed diseases"
    missing = [n for n, v in (("off-site registration", registration), ("recognition", recognition)) if v is None]
    return "no valid " + " and no valid ".join(missing)
