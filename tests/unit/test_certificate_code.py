"""Certificate verification codes (HMAC over the stored facts) and 中文大写 amounts.

The amount rules are 中国人民银行《支付结算办法》(银发〔1997〕393号) 附件一《正确填写票据和结算凭证的
基本规定》; the cases marked "PBoC" below are its own examples.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain.certificates import (
    CODE_ALPHABET,
    CertificateFacts,
    canonical_bytes,
    chinese_capital_amount,
    normalize_code,
    verification_code,
    verification_url,
    verify,
)
from gongji.domain.clock import SHANGHAI

SECRET = b"test-secret-0123456789abcdef"
FACTS = CertificateFacts(
    serial="GJ2026-000123",
    person_name="张三",
    cert_no="620702199001011234",
    benefit_year=2027,
    insutype="390",
    amount_fen=40000,
    paid_on=date(2026, 11, 20),
    channel="family_account",
    payer_name="李四光",
    issued_at=datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI),
)


def test_the_code_is_stable_and_shaped_for_typing():
    code = verification_code(FACTS, SECRET)
    assert code == verification_code(dataclasses.replace(FACTS), SECRET)
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(ch in CODE_ALPHABET for ch in "".join(groups))
    assert FACTS.kind == "premium_payment"


def test_the_alphabet_has_32_unambiguous_symbols():
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 32
    assert not set(CODE_ALPHABET) & set("01OI")


@given(st.binary(min_size=16, max_size=40), st.integers(0, 10**8))
def test_no_code_holds_an_ambiguous_character(secret, fen):
    code = verification_code(dataclasses.replace(FACTS, amount_fen=fen), secret)
    assert not set(code) & set("01OIo")


@pytest.mark.parametrize(
    "change",
    [
        {"amount_fen": 40001},
        {"amount_fen": 4000},
        {"person_name": "张山"},
        {"cert_no": "620702199001011242"},
        {"benefit_year": 2026},
        {"serial": "GJ2026-000124"},
        {"insutype": "392"},
        {"paid_on": date(2026, 11, 21)},
        {"channel": "bank", "payer_name": None},
        {"payer_name": "李四"},
        {"issued_at": datetime(2026, 11, 23, 10, 0, 1, tzinfo=SHANGHAI)},
        {"kind": "other_certificate"},
    ],
    ids=lambda change: ",".join(change),
)
def test_any_changed_fact_changes_the_code(change):
    forged = dataclasses.replace(FACTS, **change)
    code = verification_code(FACTS, SECRET)
    assert verification_code(forged, SECRET) != code
    assert not verify(forged, code, SECRET)


def test_another_secret_gives_another_code():
    assert verification_code(FACTS, SECRET) != verification_code(FACTS, SECRET + b"x")


def test_the_same_instant_in_another_timezone_is_the_same_fact():
    utc = dataclasses.replace(FACTS, issued_at=FACTS.issued_at.astimezone(UTC))
    new_york = dataclasses.replace(FACTS, issued_at=FACTS.issued_at.astimezone(timezone(timedelta(hours=-5))))
    assert verification_code(utc, SECRET) == verification_code(new_york, SECRET) == verification_code(FACTS, SECRET)


def test_issue_time_is_bound_at_one_second_precision():
    within = dataclasses.replace(FACTS, issued_at=FACTS.issued_at + timedelta(microseconds=999_999))
    assert verification_code(within, SECRET) == verification_code(FACTS, SECRET)


def test_verify_accepts_the_code_as_typed_and_rejects_a_changed_one():
    code = verification_code(FACTS, SECRET)
    assert verify(FACTS, code, SECRET)
    assert verify(FACTS, code.lower(), SECRET)
    assert verify(FACTS, f" {code.replace('-', ' ')} ", SECRET)
    changed = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert not verify(FACTS, changed, SECRET)
    assert not verify(FACTS, code[:-1], SECRET)
    assert not verify(FACTS, "", SECRET)
    assert not verify(FACTS, code + "A", SECRET)
    assert not verify(FACTS, "ß" * 8, SECRET)
    assert not verify(FACTS, code, SECRET[::-1])


def test_normalize_code_drops_separators_and_refuses_foreign_symbols():
    assert normalize_code("abcd-efgh jklm-npqr") == "ABCDEFGHJKLMNPQR"
    assert normalize_code("ABCD-EFGH-JKLM-NPQ0") is None
    assert normalize_code("x" * 100) is None


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        verification_code(FACTS, b"short")


def test_the_canonical_form_is_versioned_json_with_utc_time():
    raw = canonical_bytes(FACTS)
    assert raw.startswith(b"gongji-certificate-v1\n")
    assert b'"issued_at":"2026-11-23T02:00:00+00:00"' in raw
    assert "张三".encode() in raw


def test_verification_url_quotes_the_serial_and_code():
    assert (
        verification_url("https://gongji.example.org/", "GJ2026-000123", "ABCD-EFGH-JKLM-NPQR")
        == "https://gongji.example.org/verify/GJ2026-000123?code=ABCD-EFGH-JKLM-NPQR"
    )
    assert verification_url("https://x.org", "A/B C", "ABCD") == "https://x.org/verify/A%2FB%20C?code=ABCD"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"issued_at": datetime(2026, 11, 23, 10, 0)}, "timezone-aware"),
        ({"amount_fen": -1}, "amount_fen"),
        ({"amount_fen": 400.0}, "amount_fen"),
        ({"amount_fen": True}, "amount_fen"),
        ({"channel": "cash"}, "channel"),
        ({"channel": "family_account", "payer_name": None}, "payer_name"),
        ({"channel": "bank"}, "payer_name"),
        ({"serial": " "}, "serial"),
        ({"benefit_year": 26}, "benefit_year"),
        ({"paid_on": datetime(2026, 11, 20, tzinfo=SHANGHAI)}, "paid_on"),
    ],
)
def test_facts_refuse_what_a_certificate_cannot_state(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(FACTS, **change)


# --- 中文大写金额 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fen, words",
    [
        (0, "零元整"),
        (40000, "肆佰元整"),
        (100560, "壹仟零伍元陆角"),  # 角 without 整 (整 after 角 is optional)
        (10000005, "壹拾万元零伍分"),  # rule (四): 角 is 0, 分 is not → 零 after 元
        (140950, "壹仟肆佰零玖元伍角"),  # PBoC (一)
        (600714, "陆仟零柒元壹角肆分"),  # PBoC (二): consecutive zeros → one 零
        (168032, "壹仟陆佰捌拾元零叁角贰分"),  # PBoC (三), first form
        (10700053, "壹拾万柒仟元零伍角叁分"),  # PBoC (三), first form
        (1640902, "壹万陆仟肆佰零玖元零贰分"),  # PBoC (四)
        (32504, "叁佰贰拾伍元零肆分"),  # PBoC (四)
        (1000, "壹拾元整"),  # amounts keep the 壹 of 壹拾
        (5, "伍分"),
        (50, "伍角"),
        (105, "壹元零伍分"),
        (1000700, "壹万零柒元整"),
        (1007000, "壹万零柒拾元整"),
        (10010000, "壹拾万零壹佰元整"),
        (1001000000, "壹仟零壹万元整"),
        (10001000000, "壹亿零壹万元整"),
        (10000000100, "壹亿零壹元整"),
        (12345678900, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
    ],
)
def test_chinese_capital_amount(fen, words):
    assert chinese_capital_amount(fen) == words


@pytest.mark.parametrize("bad", [-1, 10**14, 1.5, True])
def test_chinese_capital_amount_refuses_what_it_cannot_write(bad):
    with pytest.raises(ValueError):
        chinese_capital_amount(bad)


_DIGIT = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _read_back(words: str) -> int:
    """An independent reader of 中文大写 amounts, back to fen (for the property test)."""
    total = section = digit = 0
    yuan_part = jiao = fen = 0
    for ch in words:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _PLACE:
            section += digit * _PLACE[ch]
            digit = 0
        elif ch == "亿":
            total = (total + section + digit) * 10**8
            section = digit = 0
        elif ch == "万":
            total += (section + digit) * 10**4
            section = digit = 0
        elif ch == "元":
            yuan_part = total + section + digit
            total = section = digit = 0
        elif ch == "角":
            jiao, digit = digit, 0
        elif ch == "分":
            fen, digit = digit, 0
        elif ch != "整":
            raise AssertionError(f"unexpected {ch!r} in {words}")
    return yuan_part * 100 + jiao * 10 + fen


@given(st.integers(0, 10**12 - 1))
def test_chinese_capital_amount_reads_back_and_writes_one_zero_at_a_time(fen):
    words = chinese_capital_amount(fen)
    assert _read_back(words) == fen
    assert "零零" not in words
    assert words.endswith(("整", "角", "分"))
    assert words.endswith("整") == (fen % 100 == 0)
    assert not words.startswith("零") or fen == 0
