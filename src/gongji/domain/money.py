"""Money is an integer number of fen (分) everywhere; never a float.

Parsing accepts only whole, positive fen below a hard limit ("put a limit on everything");
display turns fen into ``1,234.56`` yuan for pages and PDFs.
"""

from __future__ import annotations

from gongji.domain.errors import InvalidAmount

# 100 million yuan: far above any single personal-account movement; stops typos and overflow.
MAX_AMOUNT_FEN = 10_000_000_000


def require_positive_fen(value: object, *, field: str = "amount_fen") -> int:
    """Return ``value`` as fen if it is a positive whole number within the limit."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(field=field)
    if value <= 0 or value > MAX_AMOUNT_FEN:
        raise InvalidAmount(field=field)
    return value


def yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56"`` (sign kept)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{part:02d}"
