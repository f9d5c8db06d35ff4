"""docs/his-signing.md's worked example is what the server computes (issue 13 §2: a hospital
programmer can follow it): the string to sign and the signature are recomputed from the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gongji.adapters.nhsa import gateway_auth as G
from gongji.domain.errors import GatewayHeadersMissing, GatewaySignature, GatewayTimestamp

DOC = Path(__file__).parents[2] / "docs" / "his-signing.md"


def example(name: str) -> str:
    match = re.search(rf"<!-- example:{name} -->\n```\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, name
    return match.group(1)


def test_the_documented_example_recomputes_exactly():
    body = example("body").encode("utf-8")
    text = G.string_to_sign(
        method="POST",
        path="/fsi/api/rsfComIfsService/callService",
        timestamp="1795399200000",
        nonce="3f9c0a7e5b1d4c2a8e6f0b9d7c5a3e1f",
        key_id=example("key_id"),
        api_name="1101",
        body=body,
    )
    assert text == example("string_to_sign")
    assert G.signature(example("secret"), text) == example("signature")
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    headers = G.sign(
        key_id=example("key_id"),
        secret=example("secret"),
        api_name="1101",
        method="POST",
        path="/fsi/api/rsfComIfsService/callService",
        body=body,
        now=now,
        nonce="3f9c0a7e5b1d4c2a8e6f0b9d7c5a3e1f",
    )
    assert headers["_api_signature"] == example("signature") and headers["_api_timestamp"] == "1795399200000"
    claim = G.parse_headers(headers)
    G.check_time(claim, now)
    G.verify(claim, secret=example("secret"), method="POST", path="/fsi/api/rsfComIfsService/callService", body=body)


def _signed(**change: object) -> tuple[G.SignedRequest, bytes]:
    body = example("body").encode()
    headers = G.sign(
        key_id="K1", secret="s", api_name="1101", method="POST", path="/p", body=body, now=datetime.now(UTC)
    )
    return G.parse_headers(headers), body


@pytest.mark.parametrize(
    ("what", "kwargs"),
    [
        ("another body", {"body": b"{}"}),
        ("another path", {"path": "/fsi/api/outpatientSettleService/saveSettletmentV2"}),
        ("another method", {"method": "PUT"}),
        ("another secret", {"secret": "t"}),
    ],
)
def test_the_signature_covers_body_path_method_and_secret(what, kwargs):
    claim, body = _signed()
    args = {"secret": "s", "method": "POST", "path": "/p", "body": body} | kwargs
    with pytest.raises(GatewaySignature):
        G.verify(claim, **args)  # type: ignore[arg-type]


def test_a_timestamp_older_than_five_minutes_is_refused():
    claim, _ = _signed()
    G.check_time(claim, claim.timestamp + G.WINDOW)
    with pytest.raises(GatewayTimestamp):
        G.check_time(claim, claim.timestamp + G.WINDOW + G.WINDOW / 300)


def test_headers_without_a_nonce_are_refused_naming_it():
    headers = G.sign(
        key_id="K1", secret="s", api_name="1101", method="POST", path="/p", body=b"", now=datetime.now(UTC)
    )
    del headers["_api_nonce"]
    with pytest.raises(GatewayHeadersMissing, match="_api_nonce"):
        G.parse_headers(headers)
