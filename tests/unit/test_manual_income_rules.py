"""Manual personal-account income: the pure checks (issue 12 Part C: "the amount is bounded by the
profile, the month is not in the future ... above a threshold it waits for a second staff
member's approval"). No seed sets these figures: the profiles mark them demo."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from gongji.domain.errors import InvalidAmount, InvalidRequest, UnknownCode
from gongji.domain.registry import INCOME_KINDS, check_income_entry, income_needs_checker
from gongji.policy.loader import load_profiles
from gongji.policy.schema import ManualIncome

TODAY = date(2026, 11, 23)


def check(**changes: object) -> None:
    args: dict[str, object] = {
        "kind": "employee_contribution",
        "month": "2026-11",
        "amount_fen": 10_000,
        "today": TODAY,
        "max_fen": 100_000,
    }
    check_income_entry(**(args | changes))  # type: ignore[arg-type]


def test_income_up_to_the_profile_maximum_for_this_or_an_earlier_month_passes() -> None:
    check(amount_fen=100_000)
    check(month="2025-12")


def test_income_above_the_profile_maximum_is_refused_with_the_maximum() -> None:
    with pytest.raises(InvalidAmount) as caught:
        check(amount_fen=100_001)
    assert caught.value.detail["field"] == "amount_fen" and "1,000.00元" in caught.value.message_zh


def test_income_for_a_future_month_is_refused_on_the_business_clock() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check(month="2026-12")
    assert caught.value.detail["field"] == "month" and "未来月份" in caught.value.message_zh


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "", "2026-00"])
def test_income_month_must_be_a_real_yyyy_mm(month: str) -> None:
    with pytest.raises(InvalidRequest):
        check(month=month)


def test_income_of_an_unknown_kind_or_a_non_positive_amount_is_refused() -> None:
    with pytest.raises(UnknownCode):
        check(kind="bonus")
    with pytest.raises(InvalidAmount):
        check(amount_fen=0)


def test_income_needs_a_checker_only_above_the_threshold() -> None:
    assert not income_needs_checker(50_000, 50_000)
    assert income_needs_checker(50_001, 50_000)


def test_every_profile_bounds_every_income_kind_and_marks_the_bounds_demo() -> None:
    for profile in load_profiles().values():
        rules = profile.accounts.manual_income
        assert set(rules.max_fen) == set(INCOME_KINDS)
        assert "accounts.manual_income" in profile.demo_fields()


def test_a_profile_missing_an_income_kind_maximum_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ManualIncome(source="demo", demo=True, max_fen={"employee_contribution": 1}, approval_above_fen=0)
