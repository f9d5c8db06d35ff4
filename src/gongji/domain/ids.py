"""GB 11643 citizen identity numbers (公民身份号码): validation and what the number tells.

An 18-character number is a 6-digit address code (GB/T 2260), an 8-digit birth date, a
3-digit sequence (odd = male) and a check character ``"10X98765432"[Σ(aᵢ·wᵢ) mod 11]``.
The address code is the place of first registration and may have been abolished since, so
it is checked against a table that keeps historical codes, and never against the birth year
(SPEC §2). Other certificate types (passport, HK/Macao/Taiwan permits, ...) are stored as
given and are not parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from gongji.domain.errors import (
    IdBirthDateInvalid,
    IdChecksumMismatch,
    IdRegionUnknown,
    InvalidIdNumber,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = date(1880, 1, 1)
_SHAPE = re.compile(r"^\d{17}[\dX]$")

# psn_cert_type (NHSA code table): 01 resident identity card (mainland). Only 01 is parsed.
CERT_TYPE_RESIDENT_ID = "01"


def check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A valid 18-character identity number and what it encodes."""

    value: str
    address_code: str
    birth_date: date
    sex: str  # "1" male, "2" female (GB/T 2261.1, as the NHSA `gend` code)


def parse_id_number(
    raw: str,
    *,
    today: date,
    region_known: Callable[[str], bool] | None = None,
) -> IdNumber:
    """Validate ``raw`` and return what it encodes; raise an InvalidIdNumber subclass.

    A lower-case ``x`` is accepted and normalised. ``region_known`` checks the address code
    against a GB/T 2260 table with historical codes; without it the code is not checked.
    """
    value = raw.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidIdNumber()
    if check_char(value[:17]) != value[17]:
        raise IdChecksumMismatch()
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdBirthDateInvalid() from None
    if born > today or born < EARLIEST_BIRTH:
        raise IdBirthDateInvalid()
    if region_known is not None and not region_known(value[:6]):
        raise IdRegionUnknown()
    sex = "1" if int(value[16]) % 2 == 1 else "2"
    return IdNumber(value=value, address_code=value[:6], birth_date=born, sex=sex)


def make_id_number(address_code: str, birth: date, sequence: int) -> str:
    """Build a valid number (demo data and tests): ``sequence`` 0..999, odd = male."""
    if not (0 <= sequence <= 999) or not re.fullmatch(r"\d{6}", address_code):
        raise ValueError("address code must be 6 digits and sequence 0..999")
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
