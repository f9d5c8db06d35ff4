"""GB 11643 identity numbers (SPEC §2; the standard's own example number)."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.adapters.region_data import region_table
from gongji.domain.errors import IdBirthDateInvalid, IdChecksumMismatch, IdRegionUnknown, InvalidIdNumber
from gongji.domain.ids import make_id_number, parse_id_number

TODAY = date(2026, 11, 23)
known = region_table().is_known


def test_standard_example_with_x_check_digit_is_valid_and_female():
    parsed = parse_id_number("11010519491231002X", today=TODAY, region_known=known)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "2"  # 17th digit 2 is even: female
    assert parsed.address_code == "110105"


def test_lower_case_x_is_normalised():
    assert parse_id_number("11010519491231002x", today=TODAY).value == "11010519491231002X"


def test_wrong_check_digit_is_refused():
    with pytest.raises(IdChecksumMismatch) as err:
        parse_id_number("110105194912310021", today=TODAY)
    assert err.value.code == "E_ID_CHECKSUM"


def test_29_february_in_a_non_leap_year_is_refused_even_with_a_valid_check_digit():
    number = make_id_number("620702", date(2000, 2, 28), 11)[:6] + "19990229" + "011"
    from gongji.domain.ids import check_char

    number = number + check_char(number)
    with pytest.raises(IdBirthDateInvalid):
        parse_id_number(number, today=TODAY)


def test_29_february_in_a_leap_year_is_accepted():
    number = "62070220000229011"
    from gongji.domain.ids import check_char

    assert parse_id_number(number + check_char(number), today=TODAY).birth_date == date(2000, 2, 29)


def test_birth_date_after_today_is_refused():
    with pytest.raises(IdBirthDateInvalid):
        parse_id_number(make_id_number("620702", date(2027, 1, 1), 1), today=TODAY)


def test_abolished_but_historical_region_code_is_accepted():
    """Old numbers keep the address code of first registration (SPEC §2): 330103 下城区, abolished 2021."""
    region = region_table().get("330103")
    assert region is not None and not region.current
    parsed = parse_id_number(make_id_number("330103", date(1970, 5, 5), 15), today=TODAY, region_known=known)
    assert parsed.address_code == "330103"


def test_region_code_that_never_existed_is_refused():
    with pytest.raises(IdRegionUnknown):
        parse_id_number(make_id_number("629999", date(1970, 5, 5), 15), today=TODAY, region_known=known)


def test_code_and_birth_year_mismatch_is_not_a_reason_to_refuse():
    """622621 武都县 was abolished in 2004; a person born in 2010 can still carry it (SPEC §2)."""
    parsed = parse_id_number(make_id_number("622621", date(2010, 1, 1), 3), today=TODAY, region_known=known)
    assert parsed.sex == "1"


@pytest.mark.parametrize(
    "raw", ["", "12345", "11010519491231002", "1101051949123100XX", "A1010519491231002X", "11010519491231002X1"]
)
def test_malformed_numbers_are_refused_with_the_format_code(raw):
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(raw, today=TODAY)
    assert err.value.code == "E_ID_FORMAT"
