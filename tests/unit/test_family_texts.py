"""Each province's own family texts (issue 12 B6; SPEC §4): the agreement (承诺协议), commitment
(承诺书) and Q&A say what that province allows — Gansu [seed 000, 001], Zhejiang [seed 003],
Henan [seed 004] — and agree with the profile they ship with."""

from __future__ import annotations

import pytest

from gongji.adapters.family_texts import family_texts
from gongji.policy.loader import load_profiles

PROVINCES = ("gansu", "zhejiang", "henan")


def _all(code: str) -> str:
    t = family_texts(code)
    return "\n".join([t.agreement, t.commitment, *(f"{q}\n{a}" for q, a in t.qa)])


def test_each_province_has_its_own_versioned_texts_seed000_seed003_seed004():
    texts = {code: family_texts(code) for code in PROVINCES}
    assert len({t.version for t in texts.values()}) == 3
    assert len({t.commitment_sha256 for t in texts.values()}) == 3
    for code, t in texts.items():
        assert t.version.startswith(code) and t.agreement and t.commitment and t.qa


def test_gansu_texts_say_commitment_binding_with_a_balance_allocation_and_in_province_only_seed000_seed001():
    text = _all("gansu")
    for phrase in (
        "2026年2月1日",
        "有结余资金",
        "共济账户划拨",
        "仅支持在甘肃省内",
        "政策范围内自付费用",
        "先个人后共济",
    ):
        assert phrase in text, phrase
    assert "疫苗" not in text and "大病保险" not in text and "历年结余资金" not in text


def test_zhejiang_texts_say_past_years_only_vaccines_critical_illness_and_cross_region_in_province_seed003():
    text = _all("zhejiang")
    for phrase in ("历年结余资金", "除国家扩大免疫规划以外的预防性免疫疫苗", "大病保险", "省内不同统筹区", "持续有效"):
        assert phrase in text, phrase
    assert "2024年10月10日" in text
    assert "有结余资金" not in text and "共济账户划拨" not in text  # no balance condition, no allocation


def test_henan_texts_describe_the_tax_app_commitment_at_payment_seed004():
    text = _all("henan")
    for phrase in ("河南税务", "职工个人账户代缴居民医保费", "签署承诺书", "2024年10月10日至2024年12月31日"):
        assert phrase in text, phrase
    assert "共济账户划拨" not in text


@pytest.mark.parametrize("code", PROVINCES)
def test_texts_agree_with_the_profile_they_ship_with(code):
    """What the texts promise is what the profile allows: vaccines, critical-illness premiums,
    the balance condition at binding and the allocation model."""
    profile = load_profiles()[code]
    text = _all(code)
    fam = profile.family
    assert ("疫苗" in text) == fam.uses.vaccines_outside_nip
    assert ("大病保险" in text) == ("392" in fam.uses.premium_insutypes)
    assert ("有结余资金" in text) == any(r.authorizer_needs_balance for r in fam.binding_rules)
    assert ("共济账户划拨" in text) == (fam.funding_model == "allocation")
