"""Pure resident-insurance rules (domain/resident.py): window and benefit year, premium due,
subsidies (就高不重复, top-up, no claw-back), the full-subsidy roster, refunds, waiting periods,
newborns and students.

Seeds: 002 (甘州区医保发〔2022〕69号: §一 缴费期限, §三 缴费标准, §四 参保资助, §五 参保登记, §七 退费),
003 附件三(二)4 (共济代缴退费按原渠道), notes §1.2 (国办发〔2024〕38号 waiting periods).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain import resident as R
from gongji.domain.errors import (
    BuybackNotAllowed,
    EnrollmentFormRefusal,
    FullSubsidyPaysNothing,
    NoPremiumStandard,
    OutsideCollectionWindow,
    PremiumAlreadyPaid,
    PremiumAmountMismatch,
    PremiumInsufficientFunds,
    PremiumInsutypeNotAllowed,
    PremiumNoBinding,
    PremiumNotPaid,
    PremiumPersonUnknown,
    PremiumRelativeNotEnrolled,
    RefundAfterBenefitStart,
    RefundDeadlinePassed,
    RefundReasonNotAllowed,
    RefundReasonUnproven,
    ResidentRefusal,
    SubsidyUnknown,
    TaxAcceptanceTimeOutOfTolerance,
)
from gongji.domain.ids import make_id_number
from gongji.policy import PremiumStandard, Profile, SubsidyCategory, WaitingPeriod, load_profiles
from gongji.services.resident import forms as ef

PROFILES: dict[str, Profile] = load_profiles()
GANSU = PROFILES["gansu"]
HENAN = PROFILES["henan"]
TERMS_2023 = GANSU.resident_terms(2023, "620702")  # seed 002: 张掖市甘州区, benefit year 2023
SUBSIDIES = TERMS_2023.subsidies
PREMIUMS = GANSU.resident.premium
WAITING = GANSU.resident.waiting_period
REFUND = TERMS_2023.refund
STD_2023 = GANSU.premium_for(2023)  # 002 §三: 350 元, collected until 2022-12-31


def sub(code: str) -> SubsidyCategory:
    return TERMS_2023.subsidy(code)


def category(code: str, kind: str, amount_fen: int | None = None) -> SubsidyCategory:
    return SubsidyCategory(code=code, name=code, kind=kind, amount_fen=amount_fen, source="test", demo=True)


def standard(benefit_year: int, end: date, start: date | None = None, individual_fen: int = 35_000) -> PremiumStandard:
    return PremiumStandard(
        benefit_year=benefit_year,
        individual_fen=individual_fen,
        fiscal_fen=61_000,
        collection_start=start,
        collection_end=end,
        source="test",
        demo=True,
    )


# --------------------------------------------------------------------------------------------
# The 张掖市甘州区 (Zhangye) figures (002 §三, §四(一))


def test_zhangye_620702_subsidy_table_is_the_one_in_seed002_section4():
    table = {s.code: (s.kind, s.amount_fen) for s in SUBSIDIES}
    assert table == {
        "extreme_poverty": ("full", None),  # 特困人员 全额资助
        "orphan": ("full", None),  # 孤儿（含事实无人抚养儿童） 全额资助
        "dibao_full": ("fixed", 25_000),  # 农村一、二类低保和城市全额低保 250 元
        "dibao_partial": ("fixed", 19_000),  # 农村三、四类低保和城市差额低保 190 元
        "relapsed_poverty": ("fixed", 19_000),  # 返贫致贫人口 190 元
        "at_risk_of_poverty": ("fixed", 15_000),  # 易返贫致贫人口 150 元
        "lifted_from_poverty": ("fixed", 10_000),  # 已脱贫人口 2022年 100 元
    }
    assert (STD_2023.individual_fen, STD_2023.fiscal_fen) == (35_000, 61_000)  # 002 §三 350 / 610


# --------------------------------------------------------------------------------------------
# 1. Window and benefit year (002 §一: 当年缴费次年享受)


@pytest.mark.parametrize("day", [date(2022, 1, 1), date(2022, 9, 1), date(2022, 12, 31)])
def test_paying_in_2022_buys_the_2023_benefit_year_seed002_s1(day):
    chosen = R.benefit_year_for_payment(PREMIUMS, day)
    assert chosen.benefit_year == 2023
    assert (chosen.benefit_start, chosen.benefit_end) == (date(2023, 1, 1), date(2023, 12, 31))


def test_paying_after_the_deadline_is_outside_every_window_seed002_s1():
    with pytest.raises(OutsideCollectionWindow) as caught:
        R.benefit_year_for_payment(PREMIUMS, date(2023, 1, 1))  # 截止2022-12-31; no 2024 standard
    assert caught.value.detail["day"] == "2023-01-01"


def test_window_with_a_start_date_is_closed_before_it_henan_seed004():
    assert R.benefit_year_for_payment(HENAN.resident.premium, date(2024, 10, 10)).benefit_year == 2025
    with pytest.raises(OutsideCollectionWindow):
        R.benefit_year_for_payment(HENAN.resident.premium, date(2024, 10, 9))
    assert R.benefit_year_for_payment(PREMIUMS, date(2025, 9, 1)).benefit_year == 2026  # gansu demo window
    with pytest.raises(OutsideCollectionWindow):
        R.benefit_year_for_payment(PREMIUMS, date(2025, 8, 31))


def test_when_open_start_windows_overlap_the_one_closing_first_is_meant():
    premiums = (standard(2024, date(2023, 12, 31)), standard(2023, date(2022, 12, 31)))
    assert R.benefit_year_for_payment(premiums, date(2022, 6, 1)).benefit_year == 2023
    assert R.benefit_year_for_payment(premiums, date(2023, 6, 1)).benefit_year == 2024


def test_check_window_refuses_a_payment_for_a_year_whose_window_has_closed():
    R.check_window(STD_2023, date(2022, 12, 31))
    with pytest.raises(OutsideCollectionWindow) as caught:
        R.check_window(STD_2023, date(2023, 1, 1))
    assert caught.value.detail["benefit_year"] == 2023
    assert caught.value.detail["collection_end"] == "2022-12-31"


def test_a_benefit_year_without_a_standard_is_refused():
    assert R.standard_for_year(PREMIUMS, 2023) is STD_2023
    with pytest.raises(NoPremiumStandard):
        R.standard_for_year(PREMIUMS, 2024)


# --------------------------------------------------------------------------------------------
# 2. Premium due (002 §四(二))


def test_a_person_without_subsidy_pays_the_whole_individual_premium_seed002_s3():
    due = R.premium_due(STD_2023, None)
    assert due == R.Due(35_000, 0, 35_000, 0, None)
    assert due.own_share_fen == 35_000


def test_full_subsidy_person_pays_nothing_seed002_s4_2_1():
    due = R.premium_due(STD_2023, sub("extreme_poverty"))
    assert (due.subsidy_fen, due.person_pays_fen, due.payout_later_fen, due.own_share_fen) == (35_000, 0, 0, 0)
    assert due.subsidy_kind == "full"


def test_fixed_subsidy_is_paid_first_and_subsidized_later_seed002_s4_2_2():
    due = R.premium_due(STD_2023, sub("dibao_full"))  # 先缴后补: pay 350, get 250 on the card
    assert (due.person_pays_fen, due.payout_later_fen, due.own_share_fen) == (35_000, 25_000, 10_000)
    assert due.subsidy_kind == "fixed"


def test_a_fixed_subsidy_never_exceeds_the_premium():
    due = R.premium_due(standard(2030, date(2029, 12, 31), individual_fen=20_000), sub("dibao_full"))
    assert (due.subsidy_fen, due.payout_later_fen, due.own_share_fen) == (20_000, 20_000, 0)


def test_a_payment_must_be_exactly_what_is_due():
    R.check_amount(R.premium_due(STD_2023, None), 35_000)
    R.check_amount(R.premium_due(STD_2023, sub("orphan")), 0)
    for due, paid in (
        (R.premium_due(STD_2023, None), 34_999),
        (R.premium_due(STD_2023, sub("dibao_full")), 10_000),  # not the net: 先缴后补 pays the whole
        (R.premium_due(STD_2023, sub("orphan")), 35_000),
        (R.premium_due(STD_2023, None), True),
    ):
        with pytest.raises(PremiumAmountMismatch) as caught:
            R.check_amount(due, paid)
        assert caught.value.detail["due_fen"] == due.person_pays_fen


def test_a_year_already_paid_cannot_be_paid_again_seed002_s8_2():
    R.check_not_yet_paid(0)
    with pytest.raises(PremiumAlreadyPaid) as caught:
        R.check_not_yet_paid(35_000)
    assert caught.value.http_status == 409


# --------------------------------------------------------------------------------------------
# 3. Subsidies: 就高不重复, top-up, no claw-back (002 §四(二)3–4)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ({"dibao_full", "lifted_from_poverty"}, "dibao_full"),  # 250 over 100
        ({"at_risk_of_poverty", "lifted_from_poverty"}, "at_risk_of_poverty"),  # 150 over 100
        ({"dibao_full", "extreme_poverty"}, "extreme_poverty"),  # full beats any fixed
        (["relapsed_poverty", "dibao_partial"], "dibao_partial"),  # 190 = 190: first in the profile
        (["orphan", "extreme_poverty"], "extreme_poverty"),  # full = full: first in the profile
        ({"lifted_from_poverty"}, "lifted_from_poverty"),
    ],
)
def test_several_categories_give_the_highest_only_seed002_jiugao_buchongfu(codes, expected):
    picked = R.pick_subsidy(codes, SUBSIDIES)
    assert picked is not None and picked.code == expected


def test_no_category_means_no_subsidy():
    assert R.pick_subsidy(set(), SUBSIDIES) is None


def test_an_unknown_category_code_is_refused_not_ignored():
    with pytest.raises(SubsidyUnknown) as caught:
        R.pick_subsidy({"dibao_full", "dibao_typo"}, SUBSIDIES)
    assert caught.value.detail["codes"] == ["dibao_typo"]


kinds = st.sampled_from(["full", "fixed"])
profile_categories = st.lists(st.tuples(kinds, st.integers(min_value=0, max_value=60_000)), min_size=1, max_size=6).map(
    lambda rows: tuple(category(f"c{i}", k, None if k == "full" else a) for i, (k, a) in enumerate(rows))
)


@given(cats=profile_categories, data=st.data(), premium=st.integers(min_value=0, max_value=100_000))
def test_the_pick_is_never_lower_than_any_single_category_seed002(cats, data, premium):
    codes = data.draw(st.lists(st.sampled_from([c.code for c in cats]), min_size=1, unique=True))
    picked = R.pick_subsidy(codes, cats)
    assert picked is not None and picked.code in codes  # one of the person's own, never two
    for code in codes:
        single = next(c for c in cats if c.code == code)
        assert R.subsidy_value_fen(picked, premium) >= R.subsidy_value_fen(single, premium)
    assert R.pick_subsidy(list(reversed(codes)), cats) == picked  # the person's order does not matter


@pytest.mark.parametrize(
    ("old", "new", "top_up_fen"),
    [
        ("lifted_from_poverty", "dibao_full", 15_000),  # 100 → 250: 补差 150
        ("at_risk_of_poverty", "relapsed_poverty", 4_000),  # 150 → 190
        ("dibao_full", "extreme_poverty", 10_000),  # fixed → full: the rest of the 350
        (None, "dibao_partial", 19_000),  # 新增认定为资助对象: the whole subsidy
        (None, "orphan", 35_000),
        ("dibao_full", "lifted_from_poverty", 0),  # lowered: nothing taken back
        ("extreme_poverty", "dibao_full", 0),
        ("dibao_full", None, 0),  # 不再具备资助参保条件: nothing taken back
        ("dibao_partial", "relapsed_poverty", 0),  # equal
        ("orphan", "extreme_poverty", 0),
    ],
)
def test_a_raised_category_is_topped_up_and_a_lowered_one_is_not_clawed_back_seed002_s4_2_4(old, new, top_up_fen):
    old_cat = sub(old) if old else None
    new_cat = sub(new) if new else None
    assert R.subsidy_change(old_cat, new_cat, individual_fen=35_000) == top_up_fen


@given(cats=profile_categories, data=st.data(), premium=st.integers(min_value=0, max_value=100_000))
def test_after_a_change_the_person_has_at_least_the_new_subsidy_and_never_pays_back(cats, data, premium):
    old = data.draw(st.none() | st.sampled_from(cats))
    new = data.draw(st.none() | st.sampled_from(cats))
    change = R.subsidy_change(old, new, individual_fen=premium)
    assert change >= 0
    granted = R.subsidy_value_fen(old, premium) + change
    assert granted >= R.subsidy_value_fen(new, premium)
    assert granted <= premium  # never more than the premium itself


def test_fixed_then_full_ends_with_the_premium_fully_covered_seed002_s4_2_4():
    first = R.premium_due(STD_2023, sub("dibao_partial"))
    top_up = R.subsidy_change(sub("dibao_partial"), sub("orphan"), individual_fen=STD_2023.individual_fen)
    assert first.payout_later_fen + top_up == first.person_pays_fen


@pytest.mark.parametrize(
    ("enrolled_on", "month"),
    [(date(2022, 10, 15), (2022, 11)), (date(2022, 10, 31), (2022, 11)), (date(2022, 12, 1), (2023, 1))],
)
def test_enrolled_this_month_subsidized_next_month_seed002_dangyue_canbao_ciyue_zizhu(enrolled_on, month):
    assert R.subsidy_start_month(enrolled_on) == month


# --------------------------------------------------------------------------------------------
# 4. The full-subsidy roster (002 §四(二)1)

TODAY = date(2022, 11, 1)
GOOD_ID = make_id_number("620702", date(1960, 5, 4), 13)
FULL_DUE = R.premium_due(STD_2023, sub("extreme_poverty"))


def roster(id_number: str = GOOD_ID, **facts: object) -> R.RosterDecision:
    kwargs: dict[str, object] = {"alive": True, "insured": True, "already_paid_fen": 0, "due": FULL_DUE}
    kwargs.update(facts)
    return R.check_roster_row(R.RosterRow(id_number, "张三"), today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_roster_pays_the_whole_premium_for_a_person_who_has_not_paid_seed002():
    decision = roster()
    assert (decision.outcome, decision.amount_fen, decision.accepted) == ("pay_full", 35_000, True)


def test_roster_pays_the_subsidy_out_to_a_person_who_already_paid_seed002():
    decision = roster(already_paid_fen=35_000)  # 资助金通过"一卡通"或银行卡发放参保人员
    assert (decision.outcome, decision.amount_fen, decision.accepted) == ("refund_paid", 35_000, True)
    assert "银行卡" in decision.outcome_zh


def test_roster_drops_the_dead_seed002_tichu_yi_siwang():
    decision = roster(alive=False)
    assert (decision.outcome, decision.amount_fen, decision.accepted) == ("dead", 0, False)


def test_roster_refuses_a_person_not_insured_seed002_canbao_zhuangtai():
    assert roster(insured=False).outcome == "not_insured"


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        (GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"), "E_ID_CHECKSUM"),
        ("62070219600504", "E_ID_FORMAT"),
        (make_id_number("620702", date(2030, 1, 1), 13), "E_ID_BIRTHDATE"),
    ],
)
def test_roster_refuses_a_bad_identity_number_first_gb11643(id_number, code):
    decision = roster(id_number, alive=False)  # a row that cannot be matched says so first
    assert (decision.outcome, decision.reason_code, decision.amount_fen) == ("bad_id", code, 0)


def test_roster_checks_the_region_code_when_given_a_table():
    decision = R.check_roster_row(
        R.RosterRow(GOOD_ID, "张三"),
        alive=True,
        insured=True,
        already_paid_fen=0,
        due=FULL_DUE,
        today=TODAY,
        region_known=lambda code: False,
    )
    assert (decision.outcome, decision.reason_code) == ("bad_id", "E_ID_REGION")


def test_the_roster_is_only_for_full_subsidy_persons():
    with pytest.raises(ValueError):
        roster(due=R.premium_due(STD_2023, sub("dibao_full")))


# --------------------------------------------------------------------------------------------
# 5. Refunds (002 §七; 003 附件三(二)4)

PAID_ON = date(2022, 10, 10)


def refund(policy=REFUND, **facts: object) -> R.RefundDecision:
    kwargs: dict[str, object] = {
        "reason": "death",
        "today": date(2022, 11, 20),
        "payment_day": PAID_ON,
        "benefit_year": 2023,
        "paid_individual_fen": 35_000,
        "subsidy_fen": 0,
        "paid_from_family": False,
    }
    kwargs.update(facts)
    return R.check_refund(policy, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", list(REFUND.reasons))
def test_each_reason_of_seed002_s7_gets_the_premium_back_by_the_original_route(reason):
    assert refund(reason=reason) == R.RefundDecision(35_000, "original", notify_tax=False)


def test_gansu_refund_reasons_are_the_six_of_seed002_s7():
    assert set(REFUND.reasons) == {
        "cross_province_duplicate",
        "death",
        "missing",
        "emigration",
        "joined_employee_insurance",
        "joined_other_region_resident",
    }


def test_a_reason_outside_the_policy_is_refused_seed002_s7():
    with pytest.raises(RefundReasonNotAllowed) as caught:
        refund(reason="changed_mind")
    assert "death" in caught.value.detail["allowed"]
    narrow = REFUND.model_copy(update={"reasons": ("death",)})
    with pytest.raises(RefundReasonNotAllowed):
        refund(narrow, reason="emigration")


def test_a_subsidized_person_gets_only_their_own_share_back_seed002_s7():
    assert refund(subsidy_fen=25_000).amount_fen == 10_000  # 低保 250: paid 350, got 250 back
    assert refund(paid_individual_fen=35_000, subsidy_fen=35_000).amount_fen == 0  # 特困: nothing of theirs
    whole = REFUND.model_copy(update={"subsidized_refund_own_share_only": False})
    assert refund(whole, subsidy_fen=25_000).amount_fen == 35_000


def test_no_refund_once_the_benefit_period_has_started_seed002_s7():
    with pytest.raises(RefundAfterBenefitStart) as caught:
        refund(today=date(2023, 1, 1))
    assert caught.value.detail["benefit_year"] == 2023


def test_a_profile_may_refund_after_the_benefit_start_within_the_deadline():
    late_ok = REFUND.model_copy(update={"refund_after_benefit_start": True})
    # a late payer in the benefit year itself: the deadline is in the year of payment
    decision = refund(late_ok, payment_day=date(2023, 3, 1), today=date(2023, 4, 1))
    assert decision.amount_fen == 35_000
    with pytest.raises(RefundDeadlinePassed):
        refund(late_ok, today=date(2023, 1, 2))  # paid in 2022: 2022-12-30 has passed


def test_no_refund_after_the_yearly_deadline_seed002_s7_2022_12_30():
    assert refund(today=date(2022, 12, 30)).amount_fen == 35_000
    with pytest.raises(RefundDeadlinePassed) as caught:
        refund(today=date(2022, 12, 31))
    assert caught.value.detail["deadline"] == "2022-12-30"


def test_nothing_paid_nothing_to_refund():
    with pytest.raises(PremiumNotPaid):
        refund(paid_individual_fen=0)


def test_a_premium_paid_from_the_family_account_goes_back_there_and_tax_is_told_seed003():
    decision = refund(paid_from_family=True)
    assert decision == R.RefundDecision(35_000, "family_account", notify_tax=True)
    assert refund(paid_from_family=True, subsidy_fen=19_000).amount_fen == 16_000  # own share only
    elsewhere = REFUND.model_copy(update={"family_paid_refund_to_family_account": False})
    assert refund(elsewhere, paid_from_family=True).route == "original"


def test_refund_facts_must_be_sane():
    with pytest.raises(ValueError):
        refund(payment_day=date(2022, 12, 1), today=date(2022, 11, 1))
    with pytest.raises(ValueError):
        refund(subsidy_fen=-1)


# --------------------------------------------------------------------------------------------
# 6. Waiting periods (notes §1.2: 国办发〔2024〕38号)


def wait(years_broken: int = 0, **facts: object) -> int:
    kwargs: dict[str, object] = {"newborn": False, "benefit_year": 2026, "outside_window": False}
    kwargs.update(facts)
    return R.waiting_months(WAITING, years_broken=years_broken, **kwargs)  # type: ignore[arg-type]


def test_continuous_enrollment_in_the_window_has_no_waiting_period():
    assert wait(0) == 0


def test_enrolling_outside_the_window_waits_the_fixed_three_months_notes_1_2():
    assert wait(0, outside_window=True) == 3


@pytest.mark.parametrize(("years", "months"), [(1, 3), (2, 4), (3, 5), (4, 6), (5, 7), (10, 12)])
def test_each_further_break_year_adds_a_month_notes_1_2_meiduo_duanbao_yinian(years, months):
    assert wait(years) == months
    assert wait(years, outside_window=True) == months  # late and broken: not counted twice


def test_newborns_wait_nothing_seed002_s5_4():
    assert wait(0, newborn=True, outside_window=True) == 0
    not_exempt = WAITING.model_copy(update={"newborns_exempt": False})
    assert R.waiting_months(not_exempt, years_broken=0, newborn=True, benefit_year=2026, outside_window=True) == 3


def test_no_waiting_period_before_the_rule_takes_effect_notes_1_2_from_2025():
    assert wait(5, benefit_year=2024) == 0
    assert wait(5, benefit_year=2025) == 7


def test_a_long_break_waits_at_least_the_minimum():
    strict = WaitingPeriod.model_validate(
        {**WAITING.model_dump(), "long_break_min_months": 9, "demo": True, "demo_keys": ()}
    )
    assert R.waiting_months(strict, years_broken=4, newborn=False, benefit_year=2026) == 9
    assert R.waiting_months(strict, years_broken=3, newborn=False, benefit_year=2026) == 5


@pytest.mark.parametrize(
    ("years", "most", "left"),
    [(1, 0, 3), (2, 1, 3), (3, 2, 3), (4, 0, 6), (5, 1, 6), (8, 4, 6)],
)
def test_only_the_variable_months_may_be_bought_off_and_a_long_break_keeps_six_notes_1_2(years, most, left):
    assert R.buyback_months(WAITING, years_broken=years, newborn=False, benefit_year=2026) == most
    bought = R.buy_back(
        WAITING, months=most, individual_fen=40_000, years_broken=years, newborn=False, benefit_year=2026
    )
    assert (bought.months, bought.cost_fen, bought.waiting_months) == (most, most * 40_000, left)


def test_buying_off_more_than_allowed_is_refused():
    with pytest.raises(BuybackNotAllowed) as caught:
        R.buy_back(WAITING, months=3, individual_fen=40_000, years_broken=3, newborn=False, benefit_year=2026)
    assert caught.value.detail["at_most"] == 2


def test_a_profile_without_buy_back_offers_none():
    none = WAITING.model_copy(update={"buyback_premium_years_per_month": 0})
    assert R.buyback_months(none, years_broken=8, newborn=False, benefit_year=2026) == 0


@given(years=st.integers(min_value=0, max_value=40), late=st.booleans())
def test_waiting_grows_with_the_break_and_buy_back_never_goes_below_the_floor(years, late):
    months = R.waiting_months(WAITING, years_broken=years, newborn=False, benefit_year=2026, outside_window=late)
    assert months <= R.waiting_months(
        WAITING, years_broken=years + 1, newborn=False, benefit_year=2026, outside_window=late
    )
    most = R.buyback_months(WAITING, years_broken=years, newborn=False, benefit_year=2026, outside_window=late)
    left = months - most
    if years or late:
        assert left >= WAITING.fixed_months
    if years >= WAITING.long_break_years:
        assert left >= WAITING.long_break_min_months


# --------------------------------------------------------------------------------------------
# 7. Newborns and students (002 §五)


def test_a_newborn_pays_the_standard_of_the_birth_year_outside_its_window_seed002_s5_4():
    born = date(2023, 3, 5)
    assert R.is_newborn_for(born, 2023)
    assert not R.is_newborn_for(date(2022, 12, 28), 2023)
    std = R.newborn_standard(PREMIUMS, born)
    assert (std.benefit_year, std.individual_fen) == (2023, 35_000)
    with pytest.raises(OutsideCollectionWindow):  # the ordinary window is long closed …
        R.check_window(std, date(2023, 3, 20))
    assert R.newborn_benefits_from(date(2023, 3, 20)) == date(2023, 3, 20)  # … yet no waiting period
    assert wait(0, newborn=True, outside_window=True, benefit_year=2026) == 0
    with pytest.raises(NoPremiumStandard):
        R.newborn_standard(PREMIUMS, date(2024, 2, 1))


def test_a_college_student_is_insured_at_the_school_seed002_s5_2():
    assert R.student_enrollment_region(school_region="620102", household_region="620702", categories=()) == "620102"


@pytest.mark.parametrize(
    "code",
    ["extreme_poverty", "dibao_full", "dibao_partial", "relapsed_poverty", "lifted_from_poverty", "at_risk_of_poverty"],
)
def test_only_the_five_hardship_student_groups_are_insured_at_home_seed002_s5_2(code):
    """002 §五2: 大中专学生中的特困人员、低保对象、返贫致贫人口、脱贫人口和易返贫致贫人口，参加户籍地居民医疗保险."""
    region = R.student_enrollment_region(school_region="620102", household_region="620702", categories=[sub(code)])
    assert region == "620702"


def test_an_orphan_college_student_is_insured_at_the_school_seed002_s5_2():
    """002 §五2 names 特困、低保、返贫致贫、脱贫、易返贫致贫 students only: an orphan (孤儿, fully
    subsidized under §四(一)1) studies and is insured at the school — unless also in one of the five."""
    orphan = sub("orphan")
    assert R.student_enrollment_region(school_region="620102", household_region="620702", categories=[orphan]) == (
        "620102"
    )
    both = [orphan, sub("dibao_partial")]
    assert R.student_enrollment_region(school_region="620102", household_region="620702", categories=both) == "620702"


def test_a_graduate_keeps_benefits_to_31_december_seed002_s5_2():
    graduated = date(2023, 6, 30)
    assert R.graduate_benefits_until(graduated) == date(2023, 12, 31)
    assert R.graduate_covered_on(date(2023, 12, 31), graduated_on=graduated)
    assert not R.graduate_covered_on(date(2024, 1, 1), graduated_on=graduated)


# --------------------------------------------------------------------------------------------
# The refusals


def test_every_resident_refusal_has_its_own_code_and_is_tested_here():
    tested = {
        SubsidyUnknown,
        OutsideCollectionWindow,
        NoPremiumStandard,
        PremiumAmountMismatch,
        PremiumAlreadyPaid,
        PremiumNotPaid,
        RefundReasonNotAllowed,
        RefundAfterBenefitStart,
        RefundDeadlinePassed,
        BuybackNotAllowed,
    }
    # the 代缴 refusals (seed 003 附件三(二)2) are tested by tests/integration/test_premium_family_tax.py
    premium_checks = {
        PremiumPersonUnknown,
        PremiumInsutypeNotAllowed,
        PremiumRelativeNotEnrolled,
        PremiumNoBinding,
        PremiumInsufficientFunds,
        FullSubsidyPaysNothing,  # also tests/unit/test_full_subsidy_rule.py (seed 002 §四(二)1)
    }
    # the tax bureau's acceptance time against the business clock (issue 14 §1, seed 004 window)
    # is tested by tests/integration/test_tax_acceptance_time.py
    premium_checks.add(TaxAcceptanceTimeOutOfTolerance)
    # refund reasons the records do not bear out (issue 12 Part C) are tested by
    # tests/integration/test_premium_refunds.py::test_refund_reasons_are_checked_against_the_records_seed002_s7
    assert set(ResidentRefusal.__subclasses__()) == tested | premium_checks | {
        EnrollmentFormRefusal,
        RefundReasonUnproven,
    }
    assert {c.code for c in RefundReasonUnproven.__subclasses__()} == {
        "E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT",
        "E_RESIDENT_REFUND_NO_DEATH_RECORD",
        "E_RESIDENT_REFUND_EVIDENCE",
    }
    forms = set(EnrollmentFormRefusal.__subclasses__())
    assert {cls.code for cls in forms} | {"E_RESIDENT_PERSON_UNKNOWN", "E_RESIDENT_NOT_ENROLLED"} == set(ef.CODES)
    codes = {cls.code for cls in tested}
    assert len(codes) == len(tested) and all(code.startswith("E_RESIDENT_") for code in codes)
    for cls in tested:
        assert cls.http_status == (409 if cls is PremiumAlreadyPaid else 422)
        assert cls.message_zh and cls.message_en
