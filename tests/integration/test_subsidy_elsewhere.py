"""参加异地城乡居民基本医保的参保资助对象，按我区医疗救助参保资助标准落实参保资助政策 (seed 002
§四(二)3; issue 16 §5, which cites SPEC §6/"§六5").

Two districts with different fixed standards for benefit year 2027: 甘州区 (620702) 250 元 for 城市
全额低保 and, in this test's profile, 城关区 (620102) 300 元. A subsidized resident registered (户籍)
in one and insured in the other gets the household district's standard, paid from that district's
medical-assistance fund by its staff; the insured district's staff do not pay them. Gansu's profile
says so as data (``[resident.subsidy_elsewhere] standard_of = "household"``); with "insured" the
same person would get the insured district's standard. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongji.bootstrap import Gongji
from gongji.domain.resident import subsidy_region
from gongji.policy.schema import Profile, TermsOverride
from gongji.services import ledger
from gongji.services.auth import Principal
from gongji.services.registry import persons as registry
from gongji.services.resident import channels, refunds, subsidies
from tests import support

YEAR = 2027
PREMIUM = 40_000
GANZHOU, CHENGGUAN = "620702", "620102"


def with_chengguan_standard(profile: Profile, *, standard_of: str | None = None) -> Profile:
    terms = TermsOverride(
        region=CHENGGUAN, benefit_year=YEAR, subsidy_fen={"dibao_full": 30_000}, demo=True, source="test"
    )
    res = profile.resident.model_copy(update={"terms": (*profile.resident.terms, terms)})
    if standard_of is not None:
        assert res.subsidy_elsewhere is not None
        res = res.model_copy(
            update={"subsidy_elsewhere": res.subsidy_elsewhere.model_copy(update={"standard_of": standard_of})}
        )
    return profile.model_copy(update={"resident": res})


def ok(gj: Gongji, call: Any) -> Any:
    def go(uow: Any) -> Any:
        result = call(uow)
        uow.commit()
        return result

    return gj.run(go)


def subsidized(gj: Gongji, profile: Profile, by: Principal, *, household: str, insured: str) -> int:
    """A 城市全额低保 person registered in ``household``, insured (390) in ``insured``, premium paid."""
    c = support.ctx(gj, by)

    def go(uow: Any) -> int:
        p = registry.register_person(
            uow, c, cert_no=support.new_id(household, date(1970, 5, 6)), name="王低保", hukou_region=household
        )
        registry.enroll(
            uow, c, person_id=p.id, insutype="390", region_code=insured, psn_type="1403", start_date=date(2026, 1, 1)
        )
        subsidies.change_category(
            uow, c, profile, person_id=p.id, subsidy_codes=("dibao_full",), benefit_year=YEAR, reason="民政认定"
        )
        channels.record_payment(
            uow,
            c,
            profile,
            cert_no=p.cert_no,
            benefit_year=YEAR,
            amount_fen=PREMIUM,
            channel="bank",
            reference=f"BANK-{p.id}",
        )
        uow.commit()
        return int(p.id)

    return gj.run(go)


def run(gj: Gongji, profile: Profile, by: Principal) -> dict[int, dict[str, Any]]:
    c = support.ctx(gj, by)
    out = ok(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, c, profile, benefit_year=YEAR))
    return {p["person_id"]: p for p in out["persons"]}


def balance(gj: Gongji, code: str) -> int:
    return int(gj.run(lambda uow: ledger.balances_of(uow, [code])).get(code, 0))


@pytest.fixture
def setup(gj: Gongji) -> tuple[Profile, Principal, Principal, Principal]:
    province = support.staff(gj, ["62"])
    return with_chengguan_standard(gj.profile), province, support.staff(gj, [GANZHOU]), support.staff(gj, [CHENGGUAN])


def test_subsidized_resident_insured_elsewhere_gets_household_district_standard(gj: Gongji, setup: Any) -> None:
    """002 §四(二)3: insured in 城关区 (300 元 there), 户籍 甘州区 → 甘州区's 250 元 from 甘州区's
    assistance fund; 城关区's own resident gets 300 元 from 城关区's fund."""
    profile, province, ganzhou, chengguan = setup
    away = subsidized(gj, profile, province, household=GANZHOU, insured=CHENGGUAN)
    local = subsidized(gj, profile, province, household=CHENGGUAN, insured=CHENGGUAN)
    came = subsidized(gj, profile, province, household=CHENGGUAN, insured=GANZHOU)

    by_chengguan = run(gj, profile, chengguan)
    assert away not in by_chengguan  # not 城关区's to pay, though insured there
    assert by_chengguan[local]["outcome"] == "paid" and by_chengguan[local]["amount_fen"] == 30_000
    assert by_chengguan[came]["amount_fen"] == 30_000  # 户籍 城关区, insured in 甘州区: 城关区's standard
    by_ganzhou = run(gj, profile, ganzhou)
    assert came not in by_ganzhou
    assert by_ganzhou[away]["outcome"] == "paid" and by_ganzhou[away]["amount_fen"] == 25_000
    assert by_ganzhou[away]["subsidy_region"] == GANZHOU

    assert balance(gj, f"external:payout:{away}") == 25_000
    assert balance(gj, f"external:payout:{came}") == 30_000
    assert balance(gj, f"external:assistance:{GANZHOU}") == -25_000
    assert balance(gj, f"external:assistance:{CHENGGUAN}") == -60_000
    status = ok(
        gj,
        lambda uow: channels.payment_status(uow, support.ctx(gj, province), profile, person_id=away, benefit_year=YEAR),
    )
    assert status["subsidy"]["amount_fen"] == 25_000  # what the person is told they get (先缴后补)


def test_subsidy_standard_follows_the_profile_when_it_names_the_insured_district(gj: Gongji) -> None:
    """The rule is policy data: a profile saying "insured" pays 城关区's 300 元 to the same person."""
    profile = with_chengguan_standard(gj.profile, standard_of="insured")
    province = support.staff(gj, ["62"])
    away = subsidized(gj, profile, province, household=GANZHOU, insured=CHENGGUAN)
    paid = run(gj, profile, support.staff(gj, [CHENGGUAN]))
    assert paid[away]["amount_fen"] == 30_000 and paid[away]["subsidy_region"] == CHENGGUAN


def test_refund_withholds_the_subsidy_for_the_fund_that_paid_it(gj: Gongji, setup: Any) -> None:
    """002 §七 (受资助对象只退个人缴费部分) with §四(二)3: the 250 元 甘州区 paid to its resident insured
    in 城关区 goes back to 甘州区's fund when the premium is refunded, not to 城关区's."""
    profile, province, ganzhou, _ = setup
    away = subsidized(gj, profile, province, household=GANZHOU, insured=CHENGGUAN)
    run(gj, profile, ganzhou)
    support.died(gj, province, away)
    payment_id = gj.run(lambda uow: _payment_id(uow, away))
    asked = ok(
        gj,
        lambda uow: refunds.request_refund(
            uow, support.ctx(gj, province), profile, payment_id=payment_id, reason="death"
        ),
    )
    checker = support.staff(gj, ["62"])
    done = ok(
        gj,
        lambda uow: refunds.review_refund(
            uow, support.ctx(gj, checker), profile, refund_id=asked["refund_id"], approve=True, note="同意"
        ),
    )
    assert (done["refund_fen"], done["withheld_fen"]) == (PREMIUM - 25_000, 25_000)
    assert balance(gj, f"external:assistance:{GANZHOU}") == 0
    assert balance(gj, f"external:assistance:{CHENGGUAN}") == 0
    assert gj.run(lambda uow: ledger.check_ledger(uow)).ok


def _payment_id(uow: Any, person_id: int) -> int:
    from sqlalchemy import select

    from gongji.adapters.db.models import PremiumPayment, ResidentPremium

    return int(
        uow.session.scalar(
            select(PremiumPayment.id)
            .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
            .where(ResidentPremium.person_id == person_id)
        )
    )


def test_household_district_outside_the_province_falls_back_to_the_insured_one() -> None:
    """No figures for a district of another province: its insured district's standard applies."""
    assert subsidy_region("household", province_code="62", insured_region="620102", household_region="330102") == (
        "620102"
    )
    assert subsidy_region("household", province_code="62", insured_region="620102", household_region="620702") == (
        "620702"
    )
    assert subsidy_region("insured", province_code="62", insured_region="620102", household_region="620702") == (
        "620102"
    )
    assert subsidy_region("household", province_code="62", insured_region="620102", household_region=None) == "620102"
