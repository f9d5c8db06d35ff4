"""Gateway-level authentication of 两定 calls (INTERFACE.md §7): ``_api_*`` HmacSHA1 and ``x-tif-*`` SHA-256.

The two signature vectors are the published ones from INTERFACE.md §7.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gongji.adapters.nhsa.gateway_auth import (
    ILLEGAL,
    MISMATCH,
    MISSING,
    TIMEOUT,
    WINDOW,
    GatewayClaim,
    GatewayRejected,
    api_signature,
    parse_headers,
    sign_api_headers,
    sign_tif_headers,
    tif_signature,
    verify,
)

API_VECTOR = "hmUiH76NjCN+Xx991zXbAw/ocoQ="
TIF_VECTOR = "c18bc3346d9adcf77bbcae4ab907b46ab91e9226f2e197e53ab7b1d2c6cf7691"
SIGNED_AT = datetime.fromtimestamp(1_700_000_000, UTC)  # 2023-11-14 22:13:20 UTC

SECRETS = {"TEST_AK": "TEST_SK", "TEST_PAAS": "TEST_TOKEN"}


def api_headers() -> dict[str, str]:
    return {
        "_api_name": "1101",
        "_api_version": "1.0.0",
        "_api_timestamp": "1700000000000",
        "_api_access_key": "TEST_AK",
        "_api_signature": API_VECTOR,
    }


def tif_headers() -> dict[str, str]:
    return {
        "x-tif-paasid": "TEST_PAAS",
        "x-tif-timestamp": "1700000000",
        "x-tif-nonce": "abc123",
        "x-tif-signature": TIF_VECTOR,
    }


def check(headers: dict[str, str], *, now: datetime = SIGNED_AT) -> GatewayClaim:
    claim = parse_headers(headers)
    verify(claim, secret=SECRETS.get(claim.key_id), now=now)
    return claim


def rejection(headers: dict[str, str], *, now: datetime = SIGNED_AT) -> str:
    with pytest.raises(GatewayRejected) as err:
        check(headers, now=now)
    assert err.value.body() == {"code": 401, "message": err.value.message}
    return err.value.message


# --- published vectors -------------------------------------------------------------------------------------


def test_api_signature_matches_the_published_vector():
    assert api_signature("TEST_AK", "TEST_SK", "1101", "1.0.0", "1700000000000") == API_VECTOR


def test_tif_signature_matches_the_published_vector():
    assert tif_signature("1700000000", "TEST_TOKEN", "abc123") == TIF_VECTOR


# --- parsing -----------------------------------------------------------------------------------------------


def test_complete_api_headers_are_parsed_into_a_claim():
    claim = check(api_headers())
    assert claim.scheme == "api"
    assert claim.key_id == "TEST_AK"
    assert claim.api_name == "1101"
    assert claim.api_version == "1.0.0"
    assert claim.timestamp == SIGNED_AT
    assert claim.timestamp.tzinfo is not None
    assert claim.raw_timestamp == "1700000000000"


def test_complete_tif_headers_are_parsed_into_a_claim():
    claim = check(tif_headers())
    assert claim.scheme == "tif"
    assert claim.key_id == "TEST_PAAS"
    assert claim.nonce == "abc123"
    assert claim.timestamp == SIGNED_AT


def test_api_timestamp_is_read_as_milliseconds_and_tif_timestamp_as_seconds():
    headers = api_headers() | {"_api_timestamp": "1700000000123"}
    assert parse_headers(headers).timestamp == SIGNED_AT + timedelta(milliseconds=123)
    assert parse_headers(tif_headers()).timestamp == SIGNED_AT


def test_no_gateway_headers_is_rejected_as_missing():
    assert rejection({"content-type": "application/json"}) == MISSING


def test_partial_api_header_set_is_rejected_as_missing():
    headers = api_headers()
    del headers["_api_signature"]
    assert rejection(headers) == MISSING


def test_partial_tif_header_set_is_rejected_as_missing():
    headers = tif_headers()
    del headers["x-tif-nonce"]
    assert rejection(headers) == MISSING


def test_empty_header_value_counts_as_missing():
    assert rejection(api_headers() | {"_api_access_key": ""}) == MISSING


def test_header_names_are_case_insensitive():
    mixed = {"_API_Name": "1101", "_Api_Version": "1.0.0", "_api_TIMESTAMP": "1700000000000"}
    mixed |= {"_Api_Access_Key": "TEST_AK", "_API_SIGNATURE": API_VECTOR}
    assert check(mixed).key_id == "TEST_AK"
    tif = {"X-Tif-PaasId": "TEST_PAAS", "X-TIF-Timestamp": "1700000000", "x-Tif-Nonce": "abc123"}
    tif |= {"X-Tif-Signature": TIF_VECTOR}
    assert check(tif).nonce == "abc123"


def test_non_digit_timestamp_is_rejected_as_timeout():
    assert rejection(api_headers() | {"_api_timestamp": "2023-11-14 22:13:20"}) == TIMEOUT
    assert rejection(tif_headers() | {"x-tif-timestamp": "-1700000000"}) == TIMEOUT


def test_absurdly_long_timestamp_is_rejected_as_timeout_not_overflow():
    assert rejection(api_headers() | {"_api_timestamp": "9" * 40}) == TIMEOUT


# --- verification ------------------------------------------------------------------------------------------


def test_signature_older_than_30_minutes_is_rejected_as_timeout():
    assert rejection(api_headers(), now=SIGNED_AT + timedelta(minutes=31)) == TIMEOUT
    assert rejection(tif_headers(), now=SIGNED_AT + timedelta(minutes=31)) == TIMEOUT


def test_signature_more_than_30_minutes_in_the_future_is_rejected_as_timeout():
    assert rejection(api_headers(), now=SIGNED_AT - timedelta(minutes=31)) == TIMEOUT
    assert rejection(tif_headers(), now=SIGNED_AT - timedelta(minutes=31)) == TIMEOUT


def test_signature_29_minutes_old_or_early_is_accepted():
    for delta in (timedelta(minutes=29), -timedelta(minutes=29), WINDOW):
        check(api_headers(), now=SIGNED_AT + delta)
        check(tif_headers(), now=SIGNED_AT + delta)


def test_unknown_key_is_rejected_as_illegal_user():
    assert rejection(api_headers() | {"_api_access_key": "OTHER_AK"}) == ILLEGAL
    assert rejection(tif_headers() | {"x-tif-paasid": "OTHER"}) == ILLEGAL


def test_unknown_key_is_reported_before_an_expired_timestamp():
    headers = api_headers() | {"_api_access_key": "OTHER_AK"}
    assert rejection(headers, now=SIGNED_AT + timedelta(hours=5)) == ILLEGAL


def test_one_changed_character_in_the_signature_is_rejected_as_mismatch():
    assert rejection(api_headers() | {"_api_signature": "x" + API_VECTOR[1:]}) == MISMATCH
    assert rejection(tif_headers() | {"x-tif-signature": TIF_VECTOR[:-1] + "0"}) == MISMATCH


def test_signed_fields_cannot_be_changed_without_breaking_the_signature():
    assert rejection(api_headers() | {"_api_name": "2207"}) == MISMATCH
    assert rejection(api_headers() | {"_api_version": "1.0.1"}) == MISMATCH
    assert rejection(tif_headers() | {"x-tif-nonce": "abc124"}) == MISMATCH


def test_wrong_secret_is_rejected_as_mismatch():
    with pytest.raises(GatewayRejected) as err:
        verify(parse_headers(api_headers()), secret="WRONG_SK", now=SIGNED_AT)
    assert err.value.message == MISMATCH


def test_non_ascii_signature_is_a_mismatch_not_a_crash():
    assert rejection(api_headers() | {"_api_signature": "签名"}) == MISMATCH


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        verify(parse_headers(api_headers()), secret="TEST_SK", now=datetime(2023, 11, 14, 22, 13, 20))


# --- client-side signing round-trips -----------------------------------------------------------------------


def test_signed_api_headers_round_trip_through_parse_and_verify():
    now = datetime(2026, 11, 23, 9, 30, 15, 456_000, tzinfo=UTC)
    headers = sign_api_headers("TEST_AK", "TEST_SK", "2207", now=now)
    assert headers["_api_timestamp"] == str(int(now.timestamp()) * 1000 + 456)
    claim = check(headers, now=now + timedelta(minutes=5))
    assert (claim.api_name, claim.api_version) == ("2207", "1.0.0")


def test_signed_api_headers_at_the_vector_time_reproduce_the_vector():
    headers = sign_api_headers("TEST_AK", "TEST_SK", "1101", now=SIGNED_AT)
    assert headers == api_headers()


def test_signed_tif_headers_round_trip_through_parse_and_verify():
    now = datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)
    headers = sign_tif_headers("TEST_PAAS", "TEST_TOKEN", now=now)
    assert len(headers["x-tif-timestamp"]) == 10
    assert len(headers["x-tif-nonce"]) == 16
    check(headers, now=now)
    assert sign_tif_headers("TEST_PAAS", "TEST_TOKEN", now=SIGNED_AT, nonce="abc123") == tif_headers()


def test_random_nonces_differ_between_calls():
    now = datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)
    first = sign_tif_headers("TEST_PAAS", "TEST_TOKEN", now=now)
    second = sign_tif_headers("TEST_PAAS", "TEST_TOKEN", now=now)
    assert first["x-tif-nonce"] != second["x-tif-nonce"]
