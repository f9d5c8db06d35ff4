"""The pure rule every premium path applies: a full-subsidy person pays nothing themselves (seed 002
§四(二)1 "全额资助对象…个人不再缴费"); a fixed subsidy still pays the whole premium first (§四(二)2 先缴后补)."""

from __future__ import annotations

import pytest

from gongji.domain.errors import FullSubsidyPaysNothing
from gongji.domain.resident import check_person_may_pay, premium_due
from gongji.policy import load_profiles

GANSU = load_profiles()["gansu"]
TERMS = GANSU.resident_terms(2027, "620702")  # 甘州区


@pytest.mark.parametrize("code", ["extreme_poverty", "orphan"])
def test_a_full_subsidy_person_may_not_pay_their_premium_seed002_s4_2_1(code: str) -> None:
    with pytest.raises(FullSubsidyPaysNothing) as info:
        check_person_may_pay(TERMS.subsidy(code), benefit_year=2027, insutype="390")
    err = info.value
    assert err.code == "E_RESIDENT_FULL_SUBSIDY" and err.http_status == 422
    assert err.detail["category"] == code and "个人不再缴费" in err.message_zh


@pytest.mark.parametrize("code", [None, "dibao_full", "lifted_from_poverty"])
def test_no_subsidy_or_a_fixed_one_pays_the_whole_premium_first_seed002_s4_2_2(code: str | None) -> None:
    subsidy = TERMS.subsidy(code) if code else None
    check_person_may_pay(subsidy, benefit_year=2027, insutype="390")  # no refusal
    standard = GANSU.premium_for(2027, "390")
    assert premium_due(standard, subsidy).person_pays_fen == standard.individual_fen


def test_the_rule_is_about_the_basic_premium_390_seed002_s4_2_1() -> None:
    check_person_may_pay(TERMS.subsidy("extreme_poverty"), benefit_year=2027, insutype="392")
