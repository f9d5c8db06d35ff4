"""The pure rules of external prescriptions (seed 004: 超量开药, 医保医师签名, 专项检查 of 门诊慢特病,
城乡居民门诊“两病” and 金额高 prescriptions); limits from the Gansu profile."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest

from gongji.domain import prescriptions as D
from gongji.domain.errors import RxLinesInvalid, RxOverQuantity, RxPhysicianCode
from gongji.domain.masking import mask_text
from gongji.policy.loader import load_profiles

RULES = load_profiles()["gansu"].settlement.prescription
LIMITS = D.Limits(max_days=RULES.max_days, max_days_chronic=RULES.max_days_chronic)
DRUG = "XA10BAA001A001010100001"


def line(days: int, cnt: str = "14", code: str = DRUG, pric: str | None = "0.5") -> D.DrugLine:
    return D.DrugLine(
        code, "二甲双胍片", Decimal(cnt), days, "0.5g", "每日2次", "口服", Decimal(pric) if pric else None
    )


def test_a_line_above_the_profiles_days_is_over_quantity_and_a_chronic_one_may_be_longer_seed004():
    D.check_lines([line(RULES.max_days)], [DRUG], LIMITS, long_term=False)
    with pytest.raises(RxOverQuantity) as over:
        D.check_lines([line(RULES.max_days + 1)], [DRUG], LIMITS, long_term=False)
    assert f"{RULES.max_days}天" in over.value.message_zh
    D.check_lines([line(RULES.max_days_chronic)], [DRUG], LIMITS, long_term=True)
    with pytest.raises(RxOverQuantity):
        D.check_lines([line(RULES.max_days_chronic + 1)], [DRUG], LIMITS, long_term=True)


@pytest.mark.parametrize(
    "lines",
    [[], [line(3, code="NOPE")], [line(3), line(3)], [line(3, cnt="0")], [line(0)]],
    ids=["none", "unknown drug", "repeated", "zero quantity", "zero days"],
)
def test_bad_drug_lines_are_refused_with_E_RX_LINES(lines):
    with pytest.raises(RxLinesInvalid):
        D.check_lines(lines, [DRUG], LIMITS, long_term=False)


def test_a_pharmacy_dispenses_only_prescribed_drugs_up_to_the_prescribed_quantity_seed004():
    prescribed = {DRUG: Decimal(14)}
    D.check_dispensed(prescribed, {DRUG: Decimal(14)})
    with pytest.raises(RxOverQuantity):
        D.check_dispensed(prescribed, {DRUG: Decimal("14.5")})
    with pytest.raises(RxLinesInvalid):
        D.check_dispensed(prescribed, {"OTHER": Decimal(1)})
    with pytest.raises(RxLinesInvalid):
        D.check_dispensed(prescribed, {})


def test_the_physicians_code_must_match_the_profile_and_the_issuers_record_seed004():
    pattern = RULES.physician_code_pattern
    assert D.check_physician_code(" d620102000123 ", pattern) == "D620102000123"
    for bad in ("", "620102000123", "D62010200012", "X620102000123"):
        with pytest.raises(RxPhysicianCode):
            D.check_physician_code(bad, pattern)
    with pytest.raises(RxPhysicianCode):
        D.check_physician_code("D620102000123", pattern, recorded="D620102000999")


def test_inspection_categories_two_diseases_for_residents_chronic_otherwise_and_high_amount_seed004():
    def cats(code: str | None, insutype: str, fen: int | None) -> tuple[str, ...]:
        return D.categories(
            dise_codg=code,
            insutype=insutype,
            amount_fen=fen,
            chronic_codes=RULES.chronic_codes,
            two_diseases_codes=RULES.two_diseases_codes,
            high_amount_fen=RULES.high_amount_fen,
        )

    assert cats("M03900", "390", 100) == ("two_diseases",)  # 居民 高血压: 两病
    assert cats("m01600", "310", 100) == ("chronic",)  # 职工 糖尿病: 门诊慢特病
    assert cats("M01600", "390", RULES.high_amount_fen) == ("two_diseases", "high_amount")
    assert cats(None, "310", RULES.high_amount_fen - 1) == ()
    assert cats("J06900", "310", None) == ()


def test_a_line_amount_rounds_half_up_to_the_fen():
    assert line(3, cnt="3", pric="0.0567").amount_fen == 17  # 0.1701 yuan
    assert line(3, pric=None).amount_fen is None


def test_the_centres_number_is_readable_and_never_masked_as_an_id_number():
    for _ in range(200):
        number = D.new_hi_rxno("620102", datetime(2026, 11, 23, 10, 0))
        assert re.fullmatch(r"RX620102261123[A-HJ-NP-Z][0-9A-HJ-NP-Z]{7}", number)
        assert mask_text(number) == number
