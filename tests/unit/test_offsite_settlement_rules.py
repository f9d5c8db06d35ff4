"""The off-site ruling of a settlement, pure (domain.offsite_settlement; issue 14 §4; notes §6;
seed 001 三1; seed 002 §五2), with every shipped profile's ``[offsite.settlement]``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gongji.domain import offsite_settlement as OS
from gongji.policy import load_profiles
from gongji.policy.schema import OffsiteSettlement

PROFILES = load_profiles()
GANSU = PROFILES["gansu"].offsite.settlement


def seen(kind: str, covers: bool, late: bool = False) -> OS.RegistrationSeen:
    return OS.RegistrationSeen(kind, kind, "YD1", late, covers)


def rule(*, registrations=(), student=None, emergency=False, offsite=True, rules=GANSU) -> OS.Ruling:
    return OS.rule_for(
        rules,
        offsite=offsite,
        ratio_permille=600,
        registrations=tuple(registrations),
        student_school=student,
        emergency_visit=emergency,
    )


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_every_profile_keeps_the_reductions_within_the_national_caps_notes6(code: str) -> None:
    """notes §6: 转诊/急诊未按规定备案 不超过10个百分点; 未备案 不超过20个百分点."""
    rules = PROFILES[code].offsite.settlement
    assert 0 <= rules.referral_emergency_points <= 10
    assert rules.referral_emergency_points <= rules.unregistered_points <= 20
    assert "14" in rules.chronic_med_types and rules.chronic_scope == "cross_province"  # 001 三: 跨省


def test_a_profile_above_the_caps_is_refused() -> None:
    base = GANSU.model_dump()
    with pytest.raises(ValidationError):
        OffsiteSettlement.model_validate(base | {"referral_emergency_points": 11})
    with pytest.raises(ValidationError):
        OffsiteSettlement.model_validate(base | {"unregistered_points": 21})
    with pytest.raises(ValidationError):
        OffsiteSettlement.model_validate(base | {"referral_emergency_points": 10, "unregistered_points": 5})


def test_the_three_ratio_cases_notes6() -> None:
    registered = rule(registrations=[seen("other_temporary", True)])
    assert (registered.rule, registered.ratio(600)) == (OS.REGISTERED, 600)
    referral = rule(registrations=[seen("referral", False)])
    assert (referral.rule, referral.ratio(600)) == (OS.REFERRAL_EMERGENCY, 600 - GANSU.referral_emergency_points * 10)
    emergency = rule(emergency=True)
    assert emergency.rule == OS.REFERRAL_EMERGENCY and "（急诊）" in emergency.text_zh
    neither = rule(registrations=[seen("long_term_resident", False)])
    assert (neither.rule, neither.ratio(600)) == (OS.UNREGISTERED, 600 - GANSU.unregistered_points * 10)


def test_a_cut_never_takes_the_ratio_below_zero() -> None:
    assert OS.Ruling(OS.UNREGISTERED, 20, "").ratio(150) == 0


def test_a_covering_registration_wins_over_any_other_fact() -> None:
    ruling = rule(registrations=[seen("referral", False), seen("emergency", True, late=True)], emergency=True)
    assert ruling.rule == OS.REGISTERED and "（补办）" in ruling.text_zh


def test_first_year_students_are_exempt_only_where_the_profile_says_so_seed002_5_2() -> None:
    assert rule(student="深圳大学").rule == OS.STUDENT
    not_exempt = GANSU.model_copy(update={"first_year_students_exempt": False})
    assert rule(student="深圳大学", rules=not_exempt).rule == OS.UNREGISTERED


@pytest.mark.parametrize(
    ("scope", "treatment", "offsite"),
    [
        ("cross_province", "440305", True),
        ("cross_province", "620102", False),  # Lanzhou for a 甘州区 patient: in-province
        ("outside_pooling_region", "620102", True),
        ("outside_pooling_region", "620722", False),  # another county of 张掖市: same pooling region
    ],
)
def test_the_profile_decides_which_visits_are_offsite(scope: str, treatment: str, offsite: bool) -> None:
    assert OS.is_offsite(scope, treatment_region=treatment, insured_region="620702") is offsite  # type: ignore[arg-type]


def test_a_chronic_claim_names_what_is_missing_seed001_3_1() -> None:
    kw = dict(listed="高血压、糖尿病")
    assert "dise_codg" in (
        OS.chronic_refusal(disease_name=None, dise_codg=None, registered=True, recognized=True, **kw) or ""
    )
    assert "不在" in (
        OS.chronic_refusal(disease_name=None, dise_codg="M02300", registered=True, recognized=True, **kw) or ""
    )
    both = OS.chronic_refusal(disease_name="高血压", dise_codg="M03900", registered=False, recognized=False, **kw)
    assert both is not None and both.endswith("无有效的异地就医备案和高血压门诊慢特病认定，不予结算")
    assert OS.chronic_refusal(disease_name="高血压", dise_codg="M03900", registered=True, recognized=True, **kw) is None


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_each_listed_disease_has_its_national_codes(code: str) -> None:
    offsite = PROFILES[code].offsite
    assert offsite.disease_of_opsp("M03900").code == "hypertension"  # type: ignore[union-attr]
    assert offsite.disease_of_opsp("M02300") is None  # 帕金森病: not one of the five
    assert all(d.opsp_codes for d in offsite.chronic)
