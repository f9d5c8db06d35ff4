"""Policy profiles: the shipped profiles load, carry the sourced figures, flag demo figures, and
a broken profile fails with an error naming the file and the field (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from gongji.policy import (
    PolicyLookupError,
    Profile,
    ProfileError,
    default_profiles_dir,
    load_profile,
    load_profiles,
)

SHIPPED = ("gansu", "henan", "zhejiang")


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


def shipped_text(code: str) -> str:
    return default_profiles_dir().joinpath(f"{code}.toml").read_text(encoding="utf-8")


def write_variant(tmp_path: Path, code: str, old: str, new: str) -> Path:
    text = shipped_text(code)
    assert old in text, f"fixture text {old!r} not in {code}.toml"
    path = tmp_path / f"{code}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# --- the shipped profiles ------------------------------------------------------------------


def test_every_shipped_profile_loads_under_its_own_code(profiles: dict[str, Profile]) -> None:
    assert sorted(profiles) == list(SHIPPED)
    for code, profile in profiles.items():
        assert profile.code == code
        assert profile.name.endswith("省")


def test_province_codes_are_the_admdvs_prefixes(profiles: dict[str, Profile]) -> None:
    assert {c: p.profile.province_code for c, p in profiles.items()} == {
        "gansu": "62",
        "henan": "41",
        "zhejiang": "33",
    }


def test_gansu_benefit_year_2023_premium_is_350_individual_610_fiscal(
    profiles: dict[str, Profile],
) -> None:
    """002 §一, §三: paid by 2022-12-31 for benefits 2023-01-01…12-31; 350 + 610 yuan."""
    premium = profiles["gansu"].premium_for(2023)
    assert premium.individual_fen == 350_00
    assert premium.fiscal_fen == 610_00
    assert premium.collection_end == dt.date(2022, 12, 31)
    assert (premium.benefit_start, premium.benefit_end) == (
        dt.date(2023, 1, 1),
        dt.date(2023, 12, 31),
    )
    assert not premium.demo and premium.source.startswith("002")


def test_zhangye_620702_subsidies_for_2023_follow_the_2022_notice(profiles: dict[str, Profile]) -> None:
    """002 §四(一): 特困/孤儿 full; 低保 250 or 190; 返贫致贫 190; 易返贫致贫 150; 已脱贫 100 — in
    张掖市甘州区 (620702) for benefit year 2023, sourced."""
    terms = profiles["gansu"].resident_terms(2023, "620702")
    assert terms.subsidy("extreme_poverty").kind == "full"
    assert terms.subsidy("orphan").kind == "full"
    fixed = {s.code: s.amount_fen for s in terms.subsidies if s.kind == "fixed"}
    assert fixed == {
        "dibao_full": 250_00,
        "dibao_partial": 190_00,
        "relapsed_poverty": 190_00,
        "at_risk_of_poverty": 150_00,
        "lifted_from_poverty": 100_00,
    }
    assert not any(s.demo or s.demo_keys for s in terms.subsidies)


def test_zhangye_620702_collection_targets_and_remittance_rule(profiles: dict[str, Profile]) -> None:
    """002 §八3: 35 % by 09-30, 50 % by 10-31, 80 % by 11-30, 100 % by 12-25;
    002 §六3 双限报解: remit at 10,000 yuan or after 5 working days (甘州区, 2023, sourced)."""
    terms = profiles["gansu"].resident_terms(2023, "620702")
    assert [(t.by_month_day, t.share_permille) for t in terms.targets] == [
        ("09-30", 350),
        ("10-31", 500),
        ("11-30", 800),
        ("12-25", 1000),
    ]
    assert terms.targets[0].due_date(2022) == dt.date(2022, 9, 30)
    assert terms.remittance.threshold_fen == 10_000_00
    assert terms.remittance.max_working_days == 5
    assert not any(t.demo for t in terms.targets) and not terms.remittance.demo


def test_zhangye_620702_refund_deadline_is_december_30_of_the_collection_year(
    profiles: dict[str, Profile],
) -> None:
    """002 §七: 退费截止时间为2022年12月30日; subsidized persons get only their own share."""
    refund = profiles["gansu"].resident_terms(2023, "620702").refund
    assert refund.deadline_for(2022) == dt.date(2022, 12, 30)
    assert "deadline_month_day" not in refund.demo_keys
    assert refund.subsidized_refund_own_share_only
    assert not refund.refund_after_benefit_start


@pytest.mark.parametrize(
    ("benefit_year", "region"),
    [(2023, "620102"), (2023, "620700"), (2026, "620702"), (2027, "620102")],
)
def test_zhangye_figures_are_demo_outside_620702_and_2023_seed002(
    profiles: dict[str, Profile], benefit_year: int, region: str
) -> None:
    """Seed 002 is 张掖市甘州区 (620702), 区医保发〔2022〕69号, collection 2022 for benefit year 2023:
    its subsidy amounts, collection targets, refund deadline and 双限报解 are sourced for that
    district and year only; elsewhere and in other years the same figures are demo."""
    terms = profiles["gansu"].resident_terms(benefit_year, region)
    demo = set(terms.demo_fields())
    for s in terms.subsidies:
        if s.kind == "fixed":
            assert f"resident.subsidy[{s.code}].amount_fen" in demo or f"resident.subsidy[{s.code}]" in demo
    assert "resident.refund.deadline_month_day" in demo
    assert all(f"collection.target[{t.key}]" in demo for t in terms.targets)
    assert "collection.remittance" in demo


def test_lifted_from_poverty_subsidy_tapers_after_2023_seed002_s4_1_5(profiles: dict[str, Profile]) -> None:
    """002 §四(一)5: 已脱贫人口 … 在过渡期内逐步下调，2022年资助标准为100元 — later years pay less
    (the later amounts are demo), in 甘州区 as elsewhere in the province."""
    gansu = profiles["gansu"]
    amounts = [gansu.resident_terms(y, "620702").subsidy("lifted_from_poverty") for y in (2023, 2026, 2027)]
    assert [a.amount_fen for a in amounts] == [100_00, 50_00, 30_00]
    assert [a.demo for a in amounts] == [False, True, True]


def test_resident_terms_most_specific_entry_wins(profiles: dict[str, Profile]) -> None:
    """A district entry beats a province entry of the same year; fields an entry leaves out fall
    through to the next one (2026 in 甘州区: the taper from the province entry, the rest default)."""
    gansu = profiles["gansu"]
    terms = gansu.resident_terms(2026, "620702")
    assert terms.subsidy("lifted_from_poverty").source.startswith("demo")
    assert terms.subsidy("dibao_full").amount_fen == 250_00 and "amount_fen" in terms.subsidy("dibao_full").demo_keys
    outside = gansu.resident_terms(2023, "330102")  # no entry of the Gansu profile is in Zhejiang
    assert outside.subsidies == gansu.resident.subsidy and outside.remittance == gansu.collection.remittance


def test_henan_collects_benefit_year_2025_from_2024_10_10_to_2024_12_31(
    profiles: dict[str, Profile],
) -> None:
    """004: 代缴2025年度城乡居民医保费的时间为2024年10月10日至2024年12月31日."""
    henan = profiles["henan"]
    premium = henan.premium_for(2025)
    assert (premium.collection_start, premium.collection_end) == (
        dt.date(2024, 10, 10),
        dt.date(2024, 12, 31),
    )
    assert henan.premiums_collecting(dt.date(2024, 10, 10)) == (premium,)
    assert henan.premiums_collecting(dt.date(2024, 10, 9)) == ()
    assert henan.premiums_collecting(dt.date(2025, 1, 1)) == ()


def test_henan_takes_the_commitment_at_payment_time(profiles: dict[str, Profile]) -> None:
    """004: the 河南税务 flow confirms the commitment and signs 承诺书 while paying;
    000 (Gansu) and 003 (Zhejiang) pay only for an existing binding."""
    assert profiles["henan"].family.premium_payment_mode == "commitment_at_payment"
    assert not profiles["henan"].family.premium_payment_requires_binding
    assert profiles["gansu"].family.premium_payment_requires_binding
    assert profiles["zhejiang"].family.premium_payment_requires_binding


def test_zhejiang_family_fund_draws_directly_on_past_years_balance(
    profiles: dict[str, Profile],
) -> None:
    """003 二: 授权人个人账户历年结余资金可用于支付 — no allocation step."""
    family = profiles["zhejiang"].family
    assert family.funding_model == "direct"
    assert family.draw_from == "past_years"
    assert family.allocation_draw_order is None


def test_zhejiang_family_fund_pays_vaccines_and_critical_illness_premiums(
    profiles: dict[str, Profile],
) -> None:
    """003 二: 大病保险 premiums and vaccines outside 国家扩大免疫规划; only Zhejiang [003]."""
    zhejiang = profiles["zhejiang"]
    assert zhejiang.allows_family_use("vaccines")
    assert zhejiang.allows_family_premium("390") and zhejiang.allows_family_premium("392")
    for code in ("gansu", "henan"):
        assert not profiles[code].allows_family_use("vaccines")
        assert not profiles[code].allows_family_premium("392")
        assert profiles[code].allows_family_premium("390")


def test_gansu_family_fund_is_an_allocated_account_used_in_province_only(
    profiles: dict[str, Profile],
) -> None:
    """000 第四步 共济账户划拨; 000 在甘肃省内定点医疗机构; 001 常见问题 仅支持省内办理."""
    family = profiles["gansu"].family
    assert family.funding_model == "allocation"
    assert family.draw_from == "family_account"
    assert family.allocation_draw_order
    assert family.relatives_in_province_only
    assert family.uses.in_province_institutions_only


def test_zhejiang_family_fund_settles_off_site_care_across_provinces(
    profiles: dict[str, Profile],
) -> None:
    """003 附件二(三): 近亲属在省内异地就医或跨省异地就医进行个人账户家庭共济直接结算."""
    assert not profiles["zhejiang"].family.uses.in_province_institutions_only
    assert profiles["zhejiang"].family.relatives_in_province_only


@pytest.mark.parametrize("code", SHIPPED)
def test_all_eight_close_relative_kinds_may_be_bound(profiles: dict[str, Profile], code: str) -> None:
    """000, 003, 004: 配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女."""
    family = profiles[code].family
    assert len(family.relation_kinds) == 8
    assert profiles[code].allows_relation("maternal_grandchild")
    assert family.authorizer_insutypes == ("310",)


@pytest.mark.parametrize("code", SHIPPED)
def test_medical_uses_cover_outpatient_inpatient_and_pharmacy(profiles: dict[str, Profile], code: str) -> None:
    """000 一是就医购药; 003 二 (药品、医疗器械、医用耗材)."""
    profile = profiles[code]
    for kind in (
        "outpatient",
        "inpatient",
        "pharmacy_drugs",
        "pharmacy_devices",
        "pharmacy_consumables",
    ):
        assert profile.allows_family_use(kind)


def test_an_unknown_family_use_kind_is_an_error_not_a_refusal(
    profiles: dict[str, Profile],
) -> None:
    with pytest.raises(ValueError, match="unknown family use kind"):
        profiles["gansu"].allows_family_use("vaccine")


@pytest.mark.parametrize("code", SHIPPED)
def test_waiting_period_is_three_months_plus_one_per_extra_break_year(profiles: dict[str, Profile], code: str) -> None:
    """notes §1.2 (国办发〔2024〕38号): 3 months fixed, +1 per extra break year, ≥ 6 months
    after a break of 4+ years; newborns exempt (also 002 §五4)."""
    wp = profiles[code].resident.waiting_period
    assert (wp.fixed_months, wp.extra_months_per_break_year, wp.free_break_years) == (3, 1, 1)
    assert (wp.long_break_years, wp.long_break_min_months) == (4, 6)
    assert wp.newborns_exempt and not wp.demo


@pytest.mark.parametrize("code", SHIPPED)
def test_current_benefit_years_2026_and_2027_exist_as_demo(profiles: dict[str, Profile], code: str) -> None:
    profile = profiles[code]
    for year in (2026, 2027):
        premium = profile.premium_for(year)
        assert premium.demo
        assert f"resident.premium[{year}:390]" in profile.demo_fields()
        assert premium.collection_end.year == year - 1


def test_premium_for_an_unknown_benefit_year_raises(profiles: dict[str, Profile]) -> None:
    with pytest.raises(PolicyLookupError, match="benefit year 2031"):
        profiles["gansu"].premium_for(2031)


# --- benefit rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_benefit_rules_exist_for_every_insutype_med_type_and_level(profiles: dict[str, Profile], code: str) -> None:
    profile = profiles[code]
    for insutype in ("310", "390"):
        for med_type in ("11", "14", "21"):
            for level in (1, 2, 3):
                rule = profile.benefit_rule(insutype, med_type, level)
                assert 0 <= rule.fund_ratio_permille <= 1000
        assert profile.benefit_rule(insutype, "41", 0).level == 0


def test_pharmacy_rule_applies_to_any_level_through_level_zero(
    profiles: dict[str, Profile],
) -> None:
    rule = profiles["gansu"].benefit_rule("390", "41", 2)
    assert (rule.med_type, rule.level) == ("41", 0)
    with pytest.raises(PolicyLookupError, match="med_type 99"):
        profiles["gansu"].benefit_rule("390", "99", 1)


def test_inpatient_deductible_counts_per_admission(profiles: dict[str, Profile]) -> None:
    rule = profiles["gansu"].benefit_rule("310", "21", 3)
    assert rule.deductible_basis == "per_admission"
    assert profiles["gansu"].benefit_rule("310", "11", 3).deductible_basis == "per_year"


# --- demo flags ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_benefit_parameters_are_all_flagged_demo(profiles: dict[str, Profile], code: str) -> None:
    """No seed gives deductibles, ratios or caps (SPEC §5: demo values marked)."""
    profile = profiles[code]
    assert all(rule.demo for rule in profile.benefit.rule)
    assert "benefit.rule[310:21:3]" in profile.demo_fields()


def test_sourced_figures_are_not_listed_as_demo(profiles: dict[str, Profile]) -> None:
    demo = profiles["gansu"].demo_fields()
    assert "resident.premium[2023:390]" not in demo
    assert "resident.subsidy[dibao_full]" not in demo  # the category is sourced (002 §四(一)2) …
    assert "resident.subsidy[dibao_full].amount_fen" in demo  # … its amount only for 甘州区 2023
    assert "resident.terms[620702:2023]" not in demo
    assert "collection.target[09-30]" in demo  # 甘州区's target as the provincial default
    assert "family.max_active_relatives" in demo
    assert "accounts.retiree_monthly_credit_fen" in demo


def test_henan_2025_window_is_sourced_but_its_amounts_are_demo(
    profiles: dict[str, Profile],
) -> None:
    """004 gives the 2025 window, not the amounts."""
    demo = profiles["henan"].demo_fields()
    assert "resident.premium[2025:390]" not in demo
    assert "resident.premium[2025:390].individual_fen" in demo
    assert "resident.premium[2025:390].fiscal_fen" in demo


@pytest.mark.parametrize("code", SHIPPED)
def test_a_group_citing_only_demo_is_flagged_demo(profiles: dict[str, Profile], code: str) -> None:
    profile = profiles[code]
    groups = [
        profile.family,
        profile.family.uses,
        *profile.resident.premium,
        *profile.resident.subsidy,
        profile.resident.waiting_period,
        profile.resident.refund,
        *profile.collection.target,
        profile.collection.remittance,
        *profile.benefit.rule,
        profile.accounts,
    ]
    for group in groups:
        if group.source.startswith("demo"):
            assert group.demo, group
        if not group.demo:
            assert any(ch.isdigit() or ch == "§" for ch in group.source), group


def test_profiles_are_immutable(profiles: dict[str, Profile]) -> None:
    with pytest.raises(ValidationError):
        profiles["gansu"].family.funding_model = "direct"  # type: ignore[misc]


# --- broken profiles -------------------------------------------------------------------------


def test_wrong_enum_names_file_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "zhejiang", 'funding_model = "direct"', 'funding_model = "pooled"')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    err = caught.value
    assert (err.file, err.field) == ("zhejiang.toml", "family.funding_model")
    assert str(err).startswith("zhejiang.toml: family.funding_model: Input should be 'direct' or 'allocation'")


def test_negative_amount_names_the_list_item(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", "individual_fen = 35000", "individual_fen = -35000")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "resident.premium[0].individual_fen"
    assert "greater than or equal to 0" in caught.value.reason
    assert str(caught.value).startswith("gansu.toml: resident.premium[0].individual_fen: ")


def test_money_as_a_float_is_rejected(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", "individual_fen = 35000", "individual_fen = 350.0")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "resident.premium[0].individual_fen"


def test_missing_field_is_reported(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", "fiscal_fen = 61000", "")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "resident.premium[0].fiscal_fen"
    assert caught.value.reason == "Field required"


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        "henan",
        "vaccines_outside_nip = false",
        "vaccines_outside_nip = false\nvacines = true",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "family.uses.vacines"


def test_toml_syntax_error_becomes_profile_error(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "henan", "[family]", "[family")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert (caught.value.file, caught.value.field) == ("henan.toml", "<toml>")
    assert str(caught.value).startswith("henan.toml: <toml>: ")


def test_direct_funding_needs_past_years(tmp_path: Path) -> None:
    """003: the direct model draws on 历年结余; allocation draws on the family account (000)."""
    path = write_variant(tmp_path, "zhejiang", 'draw_from = "past_years"', 'draw_from = "family_account"')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "family.draw_from"
    assert caught.value.reason == "funding_model 'direct' needs draw_from = 'past_years'"


def test_allocation_funding_needs_a_draw_order(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        "gansu",
        'allocation_draw_order = ["past_years", "current_year"]',
        "allocation_draw_order = []",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "family.allocation_draw_order"


def test_duplicate_subsidy_codes_are_rejected(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", 'code = "orphan"', 'code = "extreme_poverty"')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "resident.subsidy"
    assert "duplicate subsidy code 'extreme_poverty'" in caught.value.reason


def test_benefit_ratio_above_1000_permille_is_rejected(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", "fund_ratio_permille = 700", "fund_ratio_permille = 1700")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "benefit.rule[0].fund_ratio_permille"


def test_collection_window_must_be_ordered(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "henan", "collection_start = 2024-10-10", "collection_start = 2025-01-10")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "resident.premium[0].collection_end"
    assert "before collection_start" in caught.value.reason


def test_collection_targets_must_ascend(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "gansu", 'by_month_day = "10-31"', 'by_month_day = "09-01"')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "collection.target"


def test_demo_keys_must_name_fields_of_the_group(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        "gansu",
        'demo_keys = ["retiree_monthly_credit_fen"]',
        'demo_keys = ["retiree_credit"]',
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.field == "accounts"
    assert "retiree_credit" in caught.value.reason


def test_file_name_must_match_profile_code(tmp_path: Path) -> None:
    path = tmp_path / "gansu2.toml"
    path.write_text(shipped_text("gansu"), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert (caught.value.file, caught.value.field) == ("gansu2.toml", "profile.code")


def test_load_profiles_reports_the_broken_file(tmp_path: Path) -> None:
    (tmp_path / "gansu.toml").write_text(shipped_text("gansu"), encoding="utf-8")
    write_variant(tmp_path, "zhejiang", "vaccines_outside_nip = true", "vaccines_outside_nip = 1")
    with pytest.raises(ProfileError) as caught:
        load_profiles(tmp_path)
    assert caught.value.file == "zhejiang.toml"
    assert caught.value.field == "family.uses.vaccines_outside_nip"


def test_missing_file_becomes_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "nowhere.toml")
    assert (caught.value.file, caught.value.field) == ("nowhere.toml", "<file>")
