"""Pure rules of off-site registration and chronic recognition (domain.offsite; seed 001 二、三;
notes §6), with the figures of every shipped profile."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.domain import offsite as O
from gongji.domain.errors import (
    OffsiteChangeTooEarly,
    OffsiteDatesInvalid,
    OffsiteLateNotAllowed,
    OffsiteMaterialsMissing,
)
from gongji.policy import load_profiles

PROFILES = load_profiles()
GANSU = PROFILES["gansu"].offsite
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_every_shipped_profile_keeps_the_national_validity_rules(code: str) -> None:
    """notes §6: long-term indefinite, change/cancel restricted at most 6 months; temporary ≥ 6 months."""
    rules = PROFILES[code].offsite
    assert {k.code for k in rules.kind} == set(O.KIND_ZH)
    for kind in rules.kind:
        if kind.category == "long_term":
            assert kind.valid_months is None and 0 <= (kind.min_months_before_change or 0) <= 6
        else:
            assert kind.valid_months is not None and kind.valid_months >= 6
    assert rules.late_registration_before_discharge


def test_months_are_added_to_the_last_day_of_shorter_months() -> None:
    assert O.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert O.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert O.add_months(date(2026, 11, 23), 14) == date(2028, 1, 23)


def test_the_commitment_replaces_the_proof_only_where_the_profile_lets_it_and_only_when_signed() -> None:
    long_term = GANSU.kind_of("long_term_resident")
    kept = O.check_materials(long_term, {"id_card", "registration_form", "commitment"}, commitment_signed=True)
    assert kept == ("id_card", "registration_form", "commitment")
    with pytest.raises(OffsiteMaterialsMissing):
        O.check_materials(long_term, {"id_card", "registration_form", "commitment"}, commitment_signed=False)
    with pytest.raises(OffsiteMaterialsMissing) as err:
        O.check_materials(GANSU.kind_of("referral"), {"id_card", "commitment"}, commitment_signed=True)
    assert err.value.detail["missing"] == ["异地就医登记备案表", "转诊证明"]


def test_a_temporary_registration_runs_six_months_by_default_and_may_ask_for_up_to_the_maximum() -> None:
    kind = GANSU.kind_of("other_temporary")
    assert O.period(GANSU, kind, today=TODAY, start=None, end=None, late=None) == (TODAY, date(2027, 5, 22))
    assert O.period(GANSU, kind, today=TODAY, start=None, end=date(2027, 11, 22), late=None)[1] == date(2027, 11, 22)
    with pytest.raises(OffsiteDatesInvalid):
        O.period(GANSU, kind, today=TODAY, start=None, end=date(2027, 11, 23), late=None)


def test_late_registration_starts_at_admission_only_before_discharge() -> None:
    kind = GANSU.kind_of("emergency")
    start, _ = O.period(GANSU, kind, today=TODAY, start=None, end=None, late=O.Late(date(2026, 11, 1)))
    assert start == date(2026, 11, 1)
    with pytest.raises(OffsiteLateNotAllowed):
        O.period(GANSU, kind, today=TODAY, start=None, end=None, late=O.Late(date(2026, 11, 1), TODAY))
    no_late = GANSU.model_copy(update={"late_registration_before_discharge": False})
    with pytest.raises(OffsiteLateNotAllowed):
        O.period(no_late, kind, today=TODAY, start=None, end=None, late=O.Late(date(2026, 11, 20)))


def test_a_long_term_registration_may_end_after_its_minimum_period_or_before_it_starts() -> None:
    kind = GANSU.kind_of("posted_worker")
    with pytest.raises(OffsiteChangeTooEarly):
        O.check_may_end(kind, start=date(2026, 6, 1), today=date(2026, 11, 30))
    O.check_may_end(kind, start=date(2026, 6, 1), today=date(2026, 12, 1))
    O.check_may_end(kind, start=date(2026, 12, 1), today=TODAY)  # not started yet
    O.check_may_end(GANSU.kind_of("referral"), start=TODAY, today=TODAY)


def test_an_ended_registration_holds_until_yesterday_and_one_not_started_never() -> None:
    assert O.ended_on(start=date(2026, 1, 1), end=None, today=TODAY) == date(2026, 11, 22)
    assert O.ended_on(start=date(2026, 12, 1), end=None, today=TODAY) == date(2026, 11, 30)
    assert O.state_on("active", date(2026, 12, 1), None, TODAY) == "pending_start"
    assert O.state_on("active", date(2026, 1, 1), date(2026, 6, 30), TODAY) == "expired"


def test_a_destination_covers_its_counties_and_off_site_means_outside_the_pooling_region() -> None:
    assert O.covers("440300", "440305") and O.covers("440000", "440305") and not O.covers("440305", "440300")
    assert O.outside("440300", "620700") and not O.outside("620722", "620700") and not O.outside("620000", "620700")
