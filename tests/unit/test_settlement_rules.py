"""The pure benefit engine (domain/settlement.py): fee split, fund payment, account scope, identities.

Sources: INTERFACE.md §4 money identities; SPEC §5 benefit engine. Amounts are fen; every
example can be recomputed by hand (100.00 yuan = 10_000 fen, 70% = 700‰).
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain import settlement as S


def _item(code="A", level="01", kind="drug", prop=0, cap=None, rx=False):
    return S.CatalogueItem(code, f"item {code}", kind, level, prop, cap, rx)


def _line(code="A", price=10_000, count="1", sn="1", amount=None):
    n = Decimal(count)
    return S.FeeLine(sn, code, S.round_half_up(n * price) if amount is None else amount, n, price)


def _params(deductible=0, ratio=700, cap=10_000_000, per_admission=False):
    return S.BenefitParams(deductible, ratio, cap, per_admission)


NOTHING_COUNTED = S.Accumulated(deductible_paid_fen=0, fund_paid_fen=0)


def _settle(lines, catalogue, params, acc=NOTHING_COUNTED):
    split = S.split_fees(lines, catalogue)
    return split, S.fund_payment(split, params, acc)


# --- the identity, over random fee mixes ---

items = st.builds(
    S.CatalogueItem,
    code=st.sampled_from(["c0", "c1", "c2", "c3", "c4", "c5"]),
    name=st.just("x"),
    kind=st.sampled_from(sorted(S.KINDS)),
    level=st.sampled_from(sorted(S.LEVELS)),
    selfpay_prop_permille=st.integers(0, 1000),
    price_cap_fen=st.none() | st.integers(0, 200_000),
    prescription=st.booleans(),
)
# count = units / 10**places (≥ 0.001) and price ≥ 500 fen, so every line is at least 1 fen
raw_lines = st.lists(
    st.tuples(
        st.sampled_from(["c0", "c1", "c2", "c3", "c4", "c5", "unknown"]),
        st.integers(1, 9_999),
        st.integers(0, 3),
        st.integers(500, 500_000),
    ),
    min_size=1,
    max_size=12,
)
params = st.builds(
    S.BenefitParams,
    deductible_fen=st.integers(0, 200_000),
    fund_ratio_permille=st.integers(0, 1000),
    annual_cap_fen=st.integers(0, 50_000_000),
    deductible_per_admission=st.booleans(),
)
accumulated = st.builds(
    S.Accumulated, deductible_paid_fen=st.integers(0, 300_000), fund_paid_fen=st.integers(0, 60_000_000)
)


@given(
    catalogue_items=st.lists(items, max_size=6, unique_by=lambda i: i.code),
    raw=raw_lines,
    params=params,
    acc=accumulated,
    own_parts=st.sets(st.sampled_from(S.PAYMENT_PARTS)),
    family_parts=st.sets(st.sampled_from(S.PAYMENT_PARTS)),
    own_balance=st.integers(0, 5_000_000),
    family_balance=st.integers(0, 5_000_000),
)
def test_every_settlement_adds_up_to_the_fen(
    catalogue_items, raw, params, acc, own_parts, family_parts, own_balance, family_balance
):
    catalogue = {i.code: i for i in catalogue_items}
    lines = []
    for sn, (code, units, places, price) in enumerate(raw):
        count = Decimal(units).scaleb(-places)
        # amount = round half up (units × price / 10**places), in integers: independent of the engine
        amount = (2 * units * price + 10**places) // (2 * 10**places)
        lines.append(S.FeeLine(str(sn), code, amount, count, price))

    split = S.split_fees(lines, catalogue)
    fund = S.fund_payment(split, params, acc)
    limits = S.account_limits(split, fund, own_parts=own_parts, family_parts=family_parts)
    payable = limits.payable_fen
    own = min(limits.own_max_fen, own_balance)
    family = min(limits.family_max_fen(own), family_balance)
    amounts = S.compose(split, fund, own_fen=own, family_fen=family)  # runs check()
    shares = limits.shares(own, family)
    assert sum(x.amount_fen for x in shares) == amounts.psn_part_amt_fen
    assert sum(x.own_fen for x in shares) == own and sum(x.family_fen for x in shares) == family
    assert sum(x.cash_fen for x in shares) == amounts.psn_cash_pay_fen
    assert all(x.own_fen == 0 for x in shares if x.part not in own_parts)
    assert all(x.family_fen == 0 for x in shares if x.part not in family_parts)
    assert all(x.cash_fen >= 0 for x in shares)

    assert split.medfee_fen == sum(line.amount_fen for line in lines)
    assert split.adds_up
    outside = [ln for ln in lines if ln.item_code not in catalogue or catalogue[ln.item_code].kind == "vaccine"]
    assert split.fulamt_ownpay_fen >= sum(ln.amount_fen for ln in outside)  # unknown items and vaccines
    cap_left_before = max(0, params.annual_cap_fen - acc.fund_paid_fen)
    assert fund.hifp_pay_fen <= split.inscp_fen - fund.act_pay_dedc_fen
    assert fund.hifp_pay_fen <= cap_left_before
    assert fund.cap_left_fen == cap_left_before - fund.hifp_pay_fen
    due = (2 * (split.inscp_fen - fund.act_pay_dedc_fen) * params.fund_ratio_permille + 1000) // 2000  # half up
    assert fund.hifp_pay_fen == min(due, cap_left_before)
    assert fund.capped == (due > cap_left_before)
    assert 0 <= payable <= fund.psn_part_amt_fen
    assert amounts.medfee_fen == amounts.fund_pay_sumamt_fen + amounts.psn_part_amt_fen + amounts.hosp_part_amt_fen
    assert amounts.psn_part_amt_fen == amounts.acct_pay_fen + amounts.psn_cash_pay_fen
    assert amounts.acct_mulaid_pay_fen == family <= amounts.acct_pay_fen
    assert all(getattr(amounts, f.name) >= 0 for f in fields(amounts))


@given(
    level=st.sampled_from(sorted(S.LEVELS)),
    prop=st.integers(0, 1000),
    cap=st.none() | st.integers(0, 100_000),
    units=st.integers(1, 9_999),
    places=st.integers(0, 4),
    price=st.integers(10_000, 100_000),
)
def test_each_line_splits_into_parts_that_add_up_to_its_amount(level, prop, cap, units, places, price):
    line = _line("A", price, str(Decimal(units).scaleb(-places)))
    split = S.split_line(line, _item(level=level, prop=prop, cap=cap))
    assert split.adds_up and split.medfee_fen == line.amount_fen
    assert min(split.fulamt_ownpay_fen, split.overlmt_selfpay_fen, split.preselfpay_fen, split.inscp_fen) >= 0
    if cap is None or price <= cap:
        assert split.overlmt_selfpay_fen == 0


@given(parts=st.lists(st.integers(0, 10**9), min_size=4, max_size=4), off=st.integers(-1000, 1000))
def test_totals_are_accepted_exactly_when_the_parts_add_up(parts, off):
    kw = dict(zip(("fulamt_ownpay_fen", "overlmt_selfpay_fen", "preselfpay_fen", "inscp_fen"), parts, strict=True))
    medfee = sum(parts) + off
    if off == 0:
        assert S.split_from_totals(medfee_fen=medfee, **kw).adds_up
    elif medfee < 0:  # a negative total is refused as such before the parts are compared
        with pytest.raises(S.FeeLineInvalid):
            S.split_from_totals(medfee_fen=medfee, **kw)
    else:
        with pytest.raises(S.AmountsDoNotAddUp):
            S.split_from_totals(medfee_fen=medfee, **kw)


# --- fee split examples ---


def test_class_a_item_is_fully_in_scope():
    assert S.split_line(_line(price=10_000), _item(level="01")) == S.FeeSplit(10_000, 0, 0, 0, 10_000)


def test_class_b_item_pays_its_self_pay_first_share_then_the_rest_is_in_scope():
    # 100.00 at 10% 先行自付 → 10.00 self-pay-first, 90.00 in scope
    assert S.split_line(_line(price=10_000), _item(level="02", prop=100)) == S.FeeSplit(10_000, 0, 0, 1_000, 9_000)


def test_self_pay_first_share_rounds_half_up():
    # 1.05 at 10% = 0.105 yuan = 10.5 fen → 11 fen
    assert S.split_line(_line(price=105), _item(level="02", prop=100)).preselfpay_fen == 11


def test_class_c_item_is_fully_self_paid():
    assert S.split_line(_line(price=10_000), _item(level="03")) == S.FeeSplit(10_000, 10_000, 0, 0, 0)


def test_price_above_the_cap_is_over_limit_self_pay():
    # 2 × 120.00 with a 100.00 cap: 40.00 超限价, 200.00 in scope (甲类)
    split = S.split_line(_line(price=12_000, count="2"), _item(level="01", cap=10_000))
    assert split == S.FeeSplit(24_000, 0, 4_000, 0, 20_000)


def test_class_b_self_pay_first_applies_to_what_is_left_under_the_cap():
    # 120.00 with a 100.00 cap at 10%: 20.00 超限价, 10.00 先行自付, 90.00 in scope
    split = S.split_line(_line(price=12_000), _item(level="02", prop=100, cap=10_000))
    assert split == S.FeeSplit(12_000, 0, 2_000, 1_000, 9_000)


def test_class_c_over_the_cap_is_still_reported_as_over_limit():
    split = S.split_line(_line(price=12_000), _item(level="03", cap=10_000))
    assert split == S.FeeSplit(12_000, 10_000, 2_000, 0, 0)


def test_item_not_in_the_catalogue_is_fully_self_paid():
    split = S.split_fees([_line("NOPE", price=5_000)], {"A": _item("A")})
    assert split == S.FeeSplit(5_000, 5_000, 0, 0, 0)


def test_vaccines_are_fully_self_paid_whatever_their_level():
    split = S.split_line(_line("V", price=30_000), _item("V", level="01", kind="vaccine", cap=100))
    assert split == S.FeeSplit(30_000, 30_000, 0, 0, 0)


def test_a_settlement_is_the_sum_of_its_lines():
    catalogue = {"A": _item("A", "01"), "B": _item("B", "02", prop=200), "C": _item("C", "03")}
    lines = [_line("A", 3_000, sn="1"), _line("B", 5_000, sn="2"), _line("C", 2_000, sn="3"), _line("X", 700, sn="4")]
    assert S.split_fees(lines, catalogue) == S.FeeSplit(10_700, 2_700, 0, 1_000, 7_000)


def test_line_amount_must_be_count_times_price_rounded_half_up():
    S.split_line(_line(price=5, count="0.5", amount=3), None)  # 2.5 fen → 3 (not banker's 2)
    with pytest.raises(S.FeeLineInvalid, match="明细金额≠数量×单价"):
        S.split_line(_line(price=5, count="0.5", amount=2), None)
    with pytest.raises(S.FeeLineInvalid, match="明细金额≠数量×单价") as err:
        S.split_line(_line(price=333, count="3", amount=1_000, sn="7"), _item())
    assert err.value.sn == "7"


@pytest.mark.parametrize(
    "line",
    [
        S.FeeLine("1", "A", 0, Decimal(0), 100),  # nothing bought
        S.FeeLine("1", "A", -100, Decimal(-1), 100),  # negative count
        S.FeeLine("1", "A", 100, Decimal("NaN"), 100),
        S.FeeLine("1", "A", 100, Decimal(1), -100),  # negative price
        S.FeeLine("1", "A", 100, Decimal("1." + "0" * 80 + "1"), 100),  # more precision than any count
        S.FeeLine("1", "A", 2 * S.MAX_AMOUNT_FEN, Decimal(2), S.MAX_AMOUNT_FEN),  # over the limit
    ],
)
def test_fee_lines_with_impossible_amounts_are_refused(line):
    with pytest.raises(S.FeeLineInvalid):
        S.split_line(line, _item())


def test_fee_lines_need_a_unique_serial_and_at_least_one_line():
    with pytest.raises(S.FeeLineInvalid, match="重复"):
        S.split_fees([_line(sn="1"), _line(sn="1")], {})
    with pytest.raises(S.FeeLineInvalid):
        S.split_fees([], {})


def test_line_checked_against_another_items_catalogue_entry_is_refused():
    with pytest.raises(S.FeeLineInvalid):
        S.split_line(_line("A"), _item("B"))


def test_totals_that_do_not_add_up_are_refused_with_what_was_expected():
    with pytest.raises(S.AmountsDoNotAddUp) as err:
        S.split_from_totals(
            medfee_fen=10_000, fulamt_ownpay_fen=1_000, overlmt_selfpay_fen=0, preselfpay_fen=500, inscp_fen=8_000
        )
    assert (err.value.field, err.value.expected_fen, err.value.got_fen) == ("medfee_sumamt", 9_500, 10_000)
    assert isinstance(err.value, ValueError)


def test_totals_with_a_negative_part_are_refused():
    with pytest.raises(S.FeeLineInvalid):
        S.split_from_totals(
            medfee_fen=0, fulamt_ownpay_fen=100, overlmt_selfpay_fen=-100, preselfpay_fen=0, inscp_fen=0
        )


# --- fund payment examples ---


def test_fund_pays_the_ratio_of_what_is_in_scope_above_the_deductible():
    # 甲类 100.00, deductible 20.00, 70%: the person pays 20.00 + 30% × 80.00 = 44.00
    split, fund = _settle([_line(price=10_000)], {"A": _item()}, _params(deductible=2_000, ratio=700))
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen, fund.psn_part_amt_fen) == (2_000, 5_600, 4_400)
    assert (fund.fund_pay_sumamt_fen, fund.hosp_part_amt_fen, fund.pool_ratio_permille) == (5_600, 0, 700)
    assert not fund.capped


def test_fund_pays_nothing_for_self_paid_and_self_pay_first_parts():
    # 乙类 100.00 at 10% + 丙类 50.00, no deductible, 80%: fund = 80% × 90.00 = 72.00
    catalogue = {"B": _item("B", "02", prop=100), "C": _item("C", "03")}
    _, fund = _settle([_line("B", 10_000, sn="1"), _line("C", 5_000, sn="2")], catalogue, _params(ratio=800))
    assert (fund.hifp_pay_fen, fund.psn_part_amt_fen) == (7_200, 7_800)


def test_fund_ratio_rounds_half_up():
    # a 1 fen bill at 50%: 0.5 fen → 1 fen
    _, fund = _settle([_line(price=1)], {"A": _item()}, _params(ratio=500))
    assert fund.hifp_pay_fen == 1


def test_cap_reached_mid_settlement_cuts_the_fund_payment():
    # cap 1,000.00 of which 980.00 already paid: only 20.00 is left of the 56.00 due
    params = _params(deductible=2_000, ratio=700, cap=100_000)
    _, fund = _settle([_line(price=10_000)], {"A": _item()}, params, S.Accumulated(0, 98_000))
    assert (fund.hifp_pay_fen, fund.psn_part_amt_fen, fund.cap_left_fen, fund.capped) == (2_000, 8_000, 0, True)


def test_cap_already_used_up_means_no_fund_payment():
    _, fund = _settle([_line(price=10_000)], {"A": _item()}, _params(cap=100_000), S.Accumulated(0, 150_000))
    assert (fund.hifp_pay_fen, fund.cap_left_fen, fund.capped) == (0, 0, True)


def test_deductible_already_met_by_an_earlier_settlement_is_not_paid_again():
    params = _params(deductible=2_000, ratio=700)
    _, fund = _settle([_line(price=10_000)], {"A": _item()}, params, S.Accumulated(2_000, 0))
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen, fund.psn_part_amt_fen) == (0, 7_000, 3_000)
    _, fund = _settle([_line(price=10_000)], {"A": _item()}, params, S.Accumulated(1_500, 0))  # 5.00 still due
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen) == (500, 6_650)


def test_deductible_larger_than_the_bill_takes_all_of_it():
    _, fund = _settle([_line(price=1_500)], {"A": _item()}, _params(deductible=2_000))
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen, fund.psn_part_amt_fen) == (1_500, 0, 1_500)


def test_per_admission_deductible_is_paid_again_at_each_admission():
    yearly, per_admission = (
        _params(deductible=50_000, ratio=800),
        _params(deductible=50_000, ratio=800, per_admission=True),
    )
    # the year's deductible is met; this admission has counted nothing yet
    counted = {"year_deductible_paid_fen": 50_000, "admission_deductible_paid_fen": 0, "year_fund_paid_fen": 0}
    assert S.accumulated_for(yearly, **counted) == S.Accumulated(50_000, 0)
    assert S.accumulated_for(per_admission, **counted) == S.Accumulated(0, 0)
    bill = [_line(price=200_000)]
    _, fund = _settle(bill, {"A": _item()}, per_admission, S.accumulated_for(per_admission, **counted))
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen) == (50_000, 120_000)
    _, fund = _settle(bill, {"A": _item()}, yearly, S.accumulated_for(yearly, **counted))
    assert (fund.act_pay_dedc_fen, fund.hifp_pay_fen) == (0, 160_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda: S.BenefitParams(0, 1_001, 0, False),
        lambda: S.BenefitParams(-1, 700, 0, False),
        lambda: S.Accumulated(-1, 0),
        lambda: S.CatalogueItem("A", "a", "food", "01", 0, None, False),
        lambda: S.CatalogueItem("A", "a", "drug", "04", 0, None, False),
        lambda: S.CatalogueItem("A", "a", "drug", "02", 1_001, None, False),
    ],
)
def test_impossible_parameters_and_catalogue_items_are_refused(make):
    with pytest.raises(ValueError):
        make()


# --- what the accounts may pay, and the composed settlement ---


def test_family_funds_at_a_hospital_pay_only_the_in_policy_self_pay_never_fulamt_or_overlmt():
    """Seed 000 一是就医购药: 共济资金支付…定点医疗机构就医(含门诊、住院)发生的政策范围内自付费用;
    seed 001 第十六条: the own account may pay the personal burden at hospitals. Own account first."""
    # 甲类 100.00 (20.00 of it above the cap) + 丙类 30.00; deductible 20.00, 70%
    catalogue = {"A": _item("A", "01", cap=10_000), "C": _item("C", "03")}
    split, fund = _settle([_line("A", 12_000, sn="1"), _line("C", 3_000, sn="2")], catalogue, _params(2_000, 700))
    assert fund.psn_part_amt_fen == 15_000 - 5_600
    everything = set(S.PAYMENT_PARTS)
    limits = S.account_limits(split, fund, own_parts=everything, family_parts={S.PART_IN_SCOPE})
    assert limits.payable_fen == limits.own_max_fen == 9_400
    assert limits.family_max_fen(0) == 9_400 - 3_000 - 2_000  # 20.00 + 30% × 80.00
    assert limits.family_max_fen(1_000) == 4_400 - 1_000  # the own account paid in-policy first
    shares = {x.part: x for x in limits.shares(1_000, 3_400)}
    assert shares[S.PART_IN_SCOPE] == S.PartShare(S.PART_IN_SCOPE, 4_400, 1_000, 3_400)
    assert (shares[S.PART_FULAMT].family_fen, shares[S.PART_FULAMT].cash_fen) == (0, 3_000)
    assert (shares[S.PART_OVERLMT].family_fen, shares[S.PART_OVERLMT].cash_fen) == (0, 2_000)
    with pytest.raises(ValueError):
        limits.shares(1_000, 3_401)  # family funds beyond their scope: never composed
    with pytest.raises(ValueError):
        S.account_limits(split, fund, own_parts={"everything"}, family_parts=())


def test_account_pay_includes_the_family_part_and_cash_pays_the_rest():
    split, fund = _settle([_line(price=10_000)], {"A": _item()}, _params(2_000, 700))
    amounts = S.compose(split, fund, own_fen=1_000, family_fen=2_500)
    assert (amounts.acct_pay_fen, amounts.acct_mulaid_pay_fen, amounts.psn_cash_pay_fen) == (3_500, 2_500, 900)
    assert amounts.medfee_fen == amounts.fund_pay_sumamt_fen + amounts.psn_part_amt_fen + amounts.hosp_part_amt_fen


def test_accounts_cannot_pay_more_than_the_personal_part():
    split, fund = _settle([_line(price=10_000)], {"A": _item()}, _params(2_000, 700))
    with pytest.raises(S.IdentityBroken, match="psn_cash"):
        S.compose(split, fund, own_fen=4_000, family_fen=1_000)


def test_amounts_that_break_an_identity_are_refused():
    split, fund = _settle([_line(price=10_000)], {"A": _item()}, _params(2_000, 700))
    good = S.compose(split, fund, own_fen=0, family_fen=0)
    values = {f.name: getattr(good, f.name) for f in fields(good)}
    for change, identity in [
        ({"hifp_pay_fen": 5_601}, "fund_pay_sumamt = hifp_pay"),
        ({"fund_pay_sumamt_fen": 5_601, "hifp_pay_fen": 5_601}, "medfee = fund_pay_sumamt"),
        ({"inscp_fen": 9_999}, "medfee = fulamt_ownpay"),
        ({"acct_mulaid_pay_fen": 1}, "acct_mulaid_pay <= acct_pay"),
        ({"psn_cash_pay_fen": 4_399}, "psn_part = acct_pay + psn_cash"),
        ({"act_pay_dedc_fen": 4_401}, "act_pay_dedc + hifp_pay <= inscp"),
        ({"preselfpay_fen": -1, "inscp_fen": 10_001}, "preselfpay_fen < 0"),
    ]:
        with pytest.raises(S.IdentityBroken, match=identity.replace("+", r"\+")):
            S.SettlementAmounts(**values | change).check()


# --- what the settlement was for ---


@pytest.mark.parametrize(
    ("med_type", "institution", "kinds", "use"),
    [
        ("11", "hospital", ["drug", "service"], "outpatient"),
        ("14", "hospital", ["drug"], "outpatient"),
        ("2", "hospital", ["service"], "outpatient"),  # "2" alone is not an admission
        ("21", "hospital", ["service"], "inpatient"),
        ("2101", "hospital", ["drug", "service"], "inpatient"),
        ("28", "hospital", ["service"], "inpatient"),  # 日间手术
        ("52", "hospital", ["service"], "inpatient"),  # 生育住院
        ("21303", "hospital", ["service"], "inpatient"),
        ("41", "pharmacy", ["drug", "device"], "pharmacy_drugs"),
        ("41", "pharmacy", ["device", "device"], "pharmacy_devices"),
        ("41", "pharmacy", ["consumable"], "pharmacy_consumables"),
        ("41", "hospital", ["device"], "pharmacy_devices"),  # med_type 41 is a pharmacy purchase
        ("11", "pharmacy", [], "pharmacy_drugs"),
        ("11", "hospital", ["vaccine", "service"], "vaccines"),
        ("41", "pharmacy", ["vaccine"], "vaccines"),
        ("2101", "hospital", ["vaccine"], "vaccines"),
    ],
)
def test_use_kind_names_what_the_settlement_paid_for(med_type, institution, kinds, use):
    assert S.use_kind(med_type=med_type, institution_kind=institution, item_kinds=kinds) == use


def test_local_med_types_map_to_the_profiles_code():
    aliases = {"2101": "21", "1101": "11"}
    assert S.canonical_med_type("2101", aliases) == "21"
    assert S.canonical_med_type("14", aliases) == "14"


def test_prescription_drugs_need_a_prescription():
    catalogue = {"RX": _item("RX", rx=True), "OTC": _item("OTC")}
    assert S.needs_prescription([_line("OTC", sn="1"), _line("RX", sn="2")], catalogue)
    assert not S.needs_prescription([_line("OTC", sn="1"), _line("UNKNOWN", sn="2")], catalogue)
