"""The tax bureau's acceptance time (受理时间) and the collection window (issue 14 §1; seed 002 §一
缴费期 to 12-31, seed 004 Henan window 2024-10-10…12-31).

A premium the tax bureau accepted at 23:55 on 31 December and forwarded after midnight is judged
on its acceptance time, if that lies within the profile's tolerance (demo: 30 minutes) of the
business clock; otherwise it is refused E_RESIDENT_TAX_ACCEPTED_AT. Without an acceptance time the
clock's day decides, as before. The single and batch paths answer alike.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services import auth
from gongji.services.auth import Role
from gongji.services.resident import batch as premium_batch
from gongji.services.resident import premiums
from tests import support as S

GANSU = "620702"
YEAR, DUE = 2027, 40_000  # Gansu's benefit year 2027 collects 2026-09-01…12-31 (individual 400.00)
NEW_YEAR = datetime(2027, 1, 1, 0, 10, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 31, 22, 0, tzinfo=SHANGHAI))


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


@pytest.fixture
def tax(gj):
    def go(uow: Any) -> Any:
        user = auth.create_user(uow, username="tax_test", password=S.PASSWORD, role=Role.TAX, display_name="税务")
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


@pytest.fixture
def pair(gj, office):
    """A Gansu authorizer with a bound child and 400.00 in the family account (set up on 12-31)."""
    a = S.employee_citizen(gj, office, region=GANSU, income=100_000)
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    b = S.bind(gj, a, child, "child")
    S.allocate(gj, a, b["binding_id"], DUE)
    return a.person_id, child


def _req(gj, pair, accepted_at: datetime | None) -> premiums.TaxPremiumRequest:
    payer, relative = pair
    return premiums.TaxPremiumRequest(
        request_id=f"TAX-{uuid.uuid4().hex[:20]}",
        payer_cert_no=S.person_cert(gj, payer),
        relative_cert_no=S.person_cert(gj, relative),
        benefit_year=YEAR,
        amount_fen=DUE,
        accepted_at=accepted_at,
    )


def _ask(gj, tax, req) -> dict:
    def go(uow):
        answer = premiums.tax_family_payment(uow, S.ctx(gj, tax), gj.profile, req)
        uow.commit()
        return answer

    return gj.run(go)


def test_accepted_before_midnight_and_forwarded_after_it_is_paid_in_the_window(gj, clock, tax, pair):
    clock.at = NEW_YEAR
    answer = _ask(gj, tax, _req(gj, pair, datetime(2026, 12, 31, 23, 55)))  # naive = Beijing time
    assert answer["status"] == "paid", answer
    assert answer["premium"]["benefit_year"] == YEAR


def test_without_an_acceptance_time_the_clock_decides_and_new_year_is_outside_the_window(gj, clock, tax, pair):
    clock.at = NEW_YEAR
    answer = _ask(gj, tax, _req(gj, pair, None))
    assert (answer["status"], answer["reason_code"]) == ("refused", "E_RESIDENT_OUTSIDE_WINDOW")


@pytest.mark.parametrize(
    "accepted_at",
    [NEW_YEAR - timedelta(minutes=31), NEW_YEAR + timedelta(minutes=6)],
    ids=["older-than-the-tolerance", "in-the-future"],
)
def test_an_acceptance_time_outside_the_tolerance_is_refused_with_its_own_code(gj, clock, tax, pair, accepted_at):
    clock.at = NEW_YEAR
    answer = _ask(gj, tax, _req(gj, pair, accepted_at))
    assert (answer["status"], answer["reason_code"]) == ("refused", "E_RESIDENT_TAX_ACCEPTED_AT")
    assert "受理时间" in answer["reason"]
    assert answer["detail"]["tolerance_minutes"] == gj.profile.family.tax_acceptance_tolerance_minutes == 30


def test_the_batch_judges_the_acceptance_time_as_the_single_request_does(gj, clock, tax, pair):
    clock.at = NEW_YEAR
    late = _req(gj, pair, NEW_YEAR - timedelta(hours=2))
    on_time = _req(gj, pair, datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI))
    answers: list[dict] = []
    premium_batch.tax_family_payments_batch(
        gj.uow, S.ctx(gj, tax), gj.profile, [late, on_time], on_answer=lambda r, a: answers.append(a)
    )
    assert [(a["status"], a["reason_code"]) for a in answers] == [
        ("refused", "E_RESIDENT_TAX_ACCEPTED_AT"),
        ("paid", None),
    ]


def test_a_request_replayed_with_its_acceptance_time_gets_the_first_answer(gj, clock, tax, pair):
    clock.at = NEW_YEAR
    req = _req(gj, pair, datetime(2026, 12, 31, 23, 55))
    first = _ask(gj, tax, req)
    clock.at = NEW_YEAR + timedelta(hours=3)  # far beyond the tolerance now: the stored answer stands
    assert _ask(gj, tax, req) == first
