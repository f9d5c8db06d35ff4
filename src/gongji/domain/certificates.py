"""Certificates (缴费证明) that a third party can check: the facts, the verification code, the amount in words.

A certificate is a PDF the insured person hands to someone else (an employer, a school, a bank).
It carries a short *verification code*: an HMAC-SHA256, under a server-side secret, over a
canonical serialization of every fact printed on it. The site stores the facts by serial number;
``/verify/{serial}?code=…`` looks them up, **recomputes** the code and compares it. A forged PDF
(a changed amount, name, year, …) therefore fails: the forger cannot compute the code for the
changed facts without the secret, and the code printed on the original no longer matches. The
code proves nothing on its own — the check is always against the facts the site stored.

Pure: standard library only (``gongji.domain.money`` for the amount limit).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

from gongji.domain.money import MAX_AMOUNT_FEN

PREMIUM_PAYMENT = "premium_payment"

INSUTYPE_NAMES: dict[str, str] = {
    "390": "城乡居民基本医疗保险",
    "392": "城乡居民大病医疗保险",
}
"""Resident insurance types a premium certificate is issued for (national 险种类型 codes)."""

FAMILY_ACCOUNT = "family_account"
CHANNELS: dict[str, str] = {
    "bank": "银行",
    "tax_app": "税务APP",
    "batch_debit": "批量代扣",
    FAMILY_ACCOUNT: "家庭共济账户代缴",
}
"""Payment channel codes and their Chinese labels (缴费渠道)."""

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols, 5 bits each: A–Z and 2–9 without the ambiguous ``0``/``O`` and ``1``/``I``."""
CODE_LENGTH = 16  # 80 bits of the HMAC
CODE_GROUP = 4
_CODE_DOMAIN = b"gongji-certificate-v1\n"
MIN_SECRET_BYTES = 16


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateFacts:
    """Everything a certificate states; every field enters the verification code.

    ``issued_at`` must be timezone-aware; it is bound to the code at one-second precision.
    ``payer_name`` is the relative whose family mutual-aid account paid (``channel ==
    "family_account"``, 家庭共济账户代缴) and must be ``None`` for every other channel.
    """

    kind: str = PREMIUM_PAYMENT
    serial: str
    person_name: str
    cert_no: str
    benefit_year: int
    insutype: str
    amount_fen: int
    paid_on: date
    channel: str
    payer_name: str | None
    issued_at: datetime

    def __post_init__(self) -> None:
        for name in ("kind", "serial", "person_name", "cert_no", "insutype", "channel"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"certificate {name} must be a non-empty string")
        if isinstance(self.benefit_year, bool) or not isinstance(self.benefit_year, int):
            raise ValueError("certificate benefit_year must be an int")
        if not 1900 <= self.benefit_year <= 9999:
            raise ValueError("certificate benefit_year out of range")
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise ValueError("certificate amount_fen must be an int (fen)")
        if not 0 <= self.amount_fen <= MAX_AMOUNT_FEN:
            raise ValueError("certificate amount_fen out of range")
        if isinstance(self.paid_on, datetime) or not isinstance(self.paid_on, date):
            raise ValueError("certificate paid_on must be a date")
        if not isinstance(self.issued_at, datetime) or self.issued_at.utcoffset() is None:
            raise ValueError("certificate issued_at must be a timezone-aware datetime")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown payment channel {self.channel!r} (one of {sorted(CHANNELS)})")
        if self.channel == FAMILY_ACCOUNT:
            if not isinstance(self.payer_name, str) or not self.payer_name.strip():
                raise ValueError("a family-account payment needs the payer_name")
        elif self.payer_name is not None:
            raise ValueError("payer_name is only stated for a family-account payment")


def canonical_bytes(facts: CertificateFacts) -> bytes:
    """The one serialization the code is computed over: versioned, sorted JSON, NFC strings, UTC time."""

    def text(value: str) -> str:
        return unicodedata.normalize("NFC", value)

    payload = {
        "kind": text(facts.kind),
        "serial": text(facts.serial),
        "person_name": text(facts.person_name),
        "cert_no": text(facts.cert_no),
        "benefit_year": facts.benefit_year,
        "insutype": text(facts.insutype),
        "amount_fen": facts.amount_fen,
        "paid_on": facts.paid_on.isoformat(),
        "channel": text(facts.channel),
        "payer_name": None if facts.payer_name is None else text(facts.payer_name),
        "issued_at": facts.issued_at.astimezone(UTC).replace(microsecond=0).isoformat(),
    }
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _CODE_DOMAIN + body.encode("utf-8")


def _raw_code(facts: CertificateFacts, secret: bytes) -> str:
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the certificate secret must be at least {MIN_SECRET_BYTES} bytes")
    digest = hmac.new(bytes(secret), canonical_bytes(facts), hashlib.sha256).digest()
    bits = int.from_bytes(digest[: CODE_LENGTH * 5 // 8], "big")
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def verification_code(facts: CertificateFacts, secret: bytes) -> str:
    """The code printed on the certificate, e.g. ``K7QM-3XPA-RW9C-HT2E`` (16 symbols, 80 bits).

    HMAC-SHA256 under ``secret`` over :func:`canonical_bytes`; the same facts always give the
    same code, any changed fact gives another. The site keeps the facts by serial and
    recomputes this to verify — see the module docstring.
    """
    raw = _raw_code(facts, secret)
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalize_code(code: str) -> str | None:
    """What a person typed, as the 16 bare symbols: hyphens/spaces dropped, upper case; None if malformed."""
    if not isinstance(code, str) or len(code) > 64 or not code.isascii():
        return None
    bare = "".join(code.split()).replace("-", "").upper()
    if len(bare) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in bare):
        return None
    return bare


def verify(facts: CertificateFacts, code: str, secret: bytes) -> bool:
    """True if ``code`` is the verification code of ``facts`` (constant-time comparison)."""
    expected = _raw_code(facts, secret)
    given = normalize_code(code)
    if given is None:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def verification_url(base_url: str, serial: str, code: str) -> str:
    """``https://example.org/verify/ZJ2026000123?code=K7QM-3XPA-RW9C-HT2E`` (serial and code URL-quoted)."""
    return f"{base_url.rstrip('/')}/verify/{quote(serial, safe='')}?code={quote(code, safe='-')}"


# --- 中文大写金额 -----------------------------------------------------------------------------
#
# Rules: 中国人民银行《支付结算办法》(银发〔1997〕393号) 附件一《正确填写票据和结算凭证的基本规定》:
#  * digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, 元角分; "壹拾" keeps its 壹 in amounts;
#  * an amount ending at 元 ends with 整; after 角 整 may be omitted (omitted here); after 分 never;
#  * (一)(二) zeros between digits are written as one 零: ¥1,409.50 → 壹仟肆佰零玖元伍角,
#    ¥6,007.14 → 陆仟零柒元壹角肆分;
#  * (三) a 0 in the 万 or 元 place followed by a non-zero 千 or 角 place may take one 零 or none:
#    here the bank's first form — 零 before 角 (¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分), none
#    before 千 (¥107,000.53 → 壹拾万柒仟元零伍角叁分);
#  * (四) 角 is 0 and 分 is not: 零 after 元 (¥16,409.02 → 壹万陆仟肆佰零玖元零贰分).

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿")
_MAX_YUAN = 10**12  # up to 9999亿: far beyond MAX_AMOUNT_FEN


def _section(n: int) -> str:
    """0 < n < 10000 in words, zeros inside written as one 零, trailing zeros dropped."""
    out: list[str] = []
    zero = False
    for place in range(3, -1, -1):
        digit = n // 10**place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _PLACES[place])
    return "".join(out)


def _integer_words(n: int) -> str:
    out: list[str] = []
    zero = False
    for index in range(len(_SECTIONS) - 1, -1, -1):
        part = n // 10 ** (4 * index) % 10000
        if part == 0:
            zero = zero or bool(out)
            continue
        if out and (zero or part < 1000):
            out.append("零")
        zero = False
        out.append(_section(part) + _SECTIONS[index])
    return "".join(out)


def chinese_capital_amount(fen: int) -> str:
    """An amount in fen as 中文大写 (without the 人民币 prefix): ``40000`` → ``肆佰元整``.

    ``0`` → ``零元整``; ``100560`` → ``壹仟零伍元陆角``; ``10000005`` → ``壹拾万元零伍分``;
    ``5`` → ``伍分``. Rules and the choices made where they allow two forms: see the comment above.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError("amount must be an int number of fen")
    if fen < 0 or fen >= _MAX_YUAN * 100:
        raise ValueError("amount out of range for 中文大写")
    whole, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    if fen == 0:
        return "零元整"
    out = _integer_words(whole) + "元" if whole else ""
    if jiao == 0 and fen_digit == 0:
        return out + "整"
    if jiao:
        if whole and whole % 10 == 0:
            out += "零"
        out += _DIGITS[jiao] + "角"
    elif whole:
        out += "零"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return out
