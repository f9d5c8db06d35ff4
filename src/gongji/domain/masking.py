"""The one masking helper for personal data (PIPL 个人信息保护法, SPEC §9).

Lists, logs and exports show ``6207**********1234`` and ``张*``; whole values are shown only
where the job needs them, and such reads are audited. ``mask_text`` scrubs free text (log
lines) of anything that looks like an identity number.
"""

from __future__ import annotations

import re
from datetime import date

# A run of digits long enough to hold an identity number, wherever it stands: next to letters
# (``?q=x620…``), inside a longer number, in full-width digits (``\d`` is Unicode-aware).
_DIGIT_RUN = re.compile(r"\d{17,}[Xx]?")
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def mask_id_number(value: str | None) -> str:
    """Keep the first 4 and last 4 characters: ``620702199001011234`` → ``6207**********1234``."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the surname character: ``张三丰`` → ``张**``; a one-character name → ``*``."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str | None) -> str:
    """``13912345678`` → ``139****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every 18-character identity number inside free text (log messages, narrations).

    A run of exactly 18 (17 digits and a digit or X) is masked whatever surrounds it; inside a
    longer run of digits each 18-character window that is a plausible identity number (check
    character and birth date right) is masked, so long reference numbers stay readable.
    """
    return _DIGIT_RUN.sub(_mask_run, text)


def _mask_run(m: re.Match[str]) -> str:
    run = m.group(0)
    if len(run) == 17:
        return run
    if len(run) == 18:
        return mask_id_number(run)
    hidden = [False] * len(run)
    for i in range(len(run) - 17):
        if looks_like_id_number(run[i : i + 18]):
            for j in range(i + 4, i + 14):
                hidden[j] = True
    return "".join("*" if h else c for c, h in zip(run, hidden, strict=True))


def looks_like_id_number(window: str) -> bool:
    """Is this 18-character string a plausible identity number (birth date and check character)?"""
    if len(window) != 18 or not window[:17].isdigit():
        return False
    try:
        digits = [int(c) for c in window[:17]]
        year, month, day = int(window[6:10]), int(window[10:12]), int(window[12:14])
        date(year, month, day)
    except ValueError:
        return False
    if not 1880 <= year <= 2100 or "".join(str(d) for d in digits[:2]) not in _PROVINCES:
        return False
    check = "10X98765432"[sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11]
    last = window[17].upper()
    return last == check or (last.isdigit() and str(int(last)) == check)
