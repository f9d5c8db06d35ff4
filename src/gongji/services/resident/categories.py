"""Whose subsidy category (参保资助类别, seed 002 §四) — read by every premium path.

A person's categories are staff's last change (``person_subsidy``) or else those of their
approved 附件1 registration; ``domain.resident.pick_subsidy`` picks the one that applies
(就高不重复, 002 §四(二)3). ``categories_for`` is the one place that says which categories and
amounts a benefit year and pooling region have: every premium path (tax 代缴 one by one and in
a batch, the family account, the bank / tax app / batch channels, the roster) asks through it,
so that ``domain.resident.check_person_may_pay`` refuses the same persons everywhere.

``subsidy_region``: a subsidized resident insured in another district than their 户籍 gets the
standard (and is paid from the medical-assistance fund) of the district the profile's
``[resident.subsidy_elsewhere]`` names — for Gansu the household district (002 §四(二)3).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from gongji.adapters.db.models import Person, PersonSubsidy, ResidentRegistration
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import resident as R
from gongji.domain.resident import pick_subsidy
from gongji.policy.schema import Profile, SubsidyCategory


def categories_for(profile: Profile, benefit_year: int, region_code: str) -> tuple[SubsidyCategory, ...]:
    """The subsidy categories with the amounts of ``benefit_year`` in ``region_code``
    (``Profile.resident_terms``: the most specific entry wins)."""
    return tuple(profile.resident_terms(benefit_year, region_code).subsidies)


def subsidy_region(uow: UnitOfWork, profile: Profile, person_id: int, *, insured_region: str) -> str:
    """The district whose subsidy standard and assistance fund apply to the person insured in
    ``insured_region`` (002 §四(二)3, ``domain.resident.subsidy_region``)."""
    rule = profile.resident.subsidy_elsewhere
    if rule is None:
        return insured_region
    household = uow.session.scalar(select(Person.hukou_region).where(Person.id == person_id))
    return R.subsidy_region(
        rule.standard_of,
        province_code=profile.profile.province_code,
        insured_region=insured_region,
        household_region=household,
    )


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c for c in (text or "").split(",") if c)


def person_subsidy_codes(uow: UnitOfWork, person_id: int) -> tuple[str, ...]:
    """The categories a person is recognized in: staff's last change, else the approved registration."""
    return subsidy_codes_of(uow, [person_id]).get(person_id, ())


def subsidy_codes_of(uow: UnitOfWork, person_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """``person_subsidy_codes`` for many persons in two statements (the tax batch reads a chunk)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    out: dict[int, tuple[str, ...]] = {}
    for person_id, codes in uow.session.execute(
        select(ResidentRegistration.person_id, ResidentRegistration.subsidy_codes)
        .where(ResidentRegistration.person_id.in_(ids), ResidentRegistration.status == "approved")
        .order_by(ResidentRegistration.id)  # the newest approved registration last, so it wins
    ):
        if person_id is not None:
            out[person_id] = _codes(codes)
    for person_id, codes in uow.session.execute(
        select(PersonSubsidy.person_id, PersonSubsidy.subsidy_codes).where(PersonSubsidy.person_id.in_(ids))
    ):
        out[person_id] = _codes(codes)  # staff's last change beats the registration
    return out


def pick(profile: Profile, codes: tuple[str, ...], *, benefit_year: int, region_code: str) -> SubsidyCategory | None:
    """The one subsidy of ``codes`` that applies in that year and region (就高不重复), or None."""
    return pick_subsidy(codes, categories_for(profile, benefit_year, region_code))


def person_category(
    uow: UnitOfWork, profile: Profile, person_id: int, *, benefit_year: int, region_code: str
) -> SubsidyCategory | None:
    """The one subsidy the person insured in ``region_code`` gets for a benefit year (就高不重复,
    002 §四(二)3), with that year's amount of their ``subsidy_region``, or None."""
    region = subsidy_region(uow, profile, person_id, insured_region=region_code)
    return pick(profile, person_subsidy_codes(uow, person_id), benefit_year=benefit_year, region_code=region)
