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
from typing import Any
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
    return _code_of(canonical_bytes(facts), secret)


def _code_of(payload: bytes, secret: bytes) -> str:
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the certificate secret must be at least {MIN_SECRET_BYTES} bytes")
    digest = hmac.new(bytes(secret), payload, hashlib.sha256).digest()
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


# --- 参保证明 and 个人账户对账单 (issue 17) ----------------------------------------------------------
#
# The same verification as the premium certificate, over other facts: a document states who it is
# about and when it was issued, and a ``body`` of kind-specific facts (JSON: strings, integers,
# lists and objects of them). The code is the HMAC of the canonical JSON under its own domain
# string, so a premium certificate's code can never pass for a document's.

INSURANCE_PROOF = "insurance_proof"
ACCOUNT_STATEMENT = "account_statement"
DOCUMENT_TITLES: dict[str, str] = {INSURANCE_PROOF: "参保证明", ACCOUNT_STATEMENT: "个人账户对账单"}
_DOCUMENT_DOMAIN = b"gongji-document-v1\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentFacts:
    """Everything a 参保证明 or 对账单 states; every field, the whole ``body`` included, enters the code."""

    kind: str
    serial: str
    person_name: str
    cert_no: str
    issuer: str
    issued_at: datetime
    body: dict[str, Any]

    def __post_init__(self) -> None:
        if self.kind not in DOCUMENT_TITLES:
            raise ValueError(f"unknown document kind {self.kind!r} (one of {sorted(DOCUMENT_TITLES)})")
        for name in ("serial", "person_name", "cert_no", "issuer"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"document {name} must be a non-empty string")
        if not isinstance(self.issued_at, datetime) or self.issued_at.utcoffset() is None:
            raise ValueError("document issued_at must be a timezone-aware datetime")
        _check_json(self.body)


def _check_json(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return
    if isinstance(value, list):
        for item in value:
            _check_json(item)
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for item in value.values():
            _check_json(item)
        return
    raise ValueError(f"document body holds only JSON strings, integers, lists and objects, not {type(value)!r}")


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def document_bytes(facts: DocumentFacts) -> bytes:
    """The one serialization a document's code is computed over (sorted JSON, NFC, UTC time)."""
    payload = {
        "kind": facts.kind,
        "serial": facts.serial,
        "person_name": facts.person_name,
        "cert_no": facts.cert_no,
        "issuer": facts.issuer,
        "issued_at": facts.issued_at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "body": facts.body,
    }
    body = json.dumps(_nfc(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _DOCUMENT_DOMAIN + body.encode("utf-8")


def document_code(facts: DocumentFacts, secret: bytes) -> str:
    """The verification code printed on a document (the same form as :func:`verification_code`)."""
    raw = _code_of(document_bytes(facts), secret)
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def verify_document(facts: DocumentFacts, code: str, secret: bytes) -> bool:
    given = normalize_code(code)
    if given is None:
        return False
    expected = _code_of(document_bytes(facts), secret)
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


@dataclass(frozen=True, slots=True)
class StatementTotals:
    opening_fen: int
    credits_fen: int
    debits_fen: int
    closing_fen: int


def statement_totals(openings: dict[str, int], movements: list[tuple[str, int, int]]) -> StatementTotals:
    """对账单 arithmetic over the ledger: ``openings`` each account's balance when the period
    starts, ``movements`` its postings in the period in order as ``(account, amount_fen,
    balance_after_fen)``. Closing = opening + credits − debits, and every posting's balance must
    follow from its account's balance before it — a ledger that disagrees raises, it is never
    printed."""
    running = dict(openings)
    credits = debits = 0
    for account, amount, after in movements:
        if account not in running:
            raise ValueError(f"statement posting on an account without an opening balance: {account}")
        running[account] += amount
        if amount >= 0:
            credits += amount
        else:
            debits -= amount
        if running[account] != after:
            raise ValueError(f"posting balance {after} on {account} does not follow from the lines before")
    opening = sum(openings.values())
    return StatementTotals(opening, credits, debits, opening + credits - debits)


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
