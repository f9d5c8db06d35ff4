"""The gateway signature of Gongji's interfaces: ``GJ-HMAC-SHA256`` (docs/his-signing.md).

The national gateways' own schemes sign too little: the CSB ``_api_*`` HmacSHA1 covers the
key, ``_api_name``, timestamp and version but not the body, and the TIF ``x-tif-*`` hash covers
a timestamp and a nonce only — a captured request could be replayed for 30 minutes or its
headers reused with another body (issue 13 §2). Gongji keeps the ``_api_*`` header names, which
hospital systems already send, and signs, with HMAC-SHA256 under the key's secret::

    GJ-HMAC-SHA256 \\n METHOD \\n path \\n _api_timestamp \\n _api_nonce \\n _api_access_key \\n _api_name
        \\n sha256-hex(body)

``_api_signature`` is the Base64 of the MAC. The timestamp (13-digit milliseconds) must lie
within :data:`WINDOW` of the server's clock; the nonce is single-use (the server stores it for
the window, ``services.institutions.gateway``). Pure and standard-library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gongji.domain.errors import GatewayHeadersMissing, GatewaySignature, GatewayTimestamp

ALGORITHM = "GJ-HMAC-SHA256"
WINDOW = timedelta(minutes=5)
HEADERS = ("_api_access_key", "_api_name", "_api_timestamp", "_api_nonce", "_api_signature")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
API_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SignedRequest:
    """What a request's headers claim; nothing is verified until :func:`verify`."""

    key_id: str
    api_name: str
    timestamp: datetime  # aware, UTC
    raw_timestamp: str  # as sent: it is part of the signed text
    nonce: str
    signature: str


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(
    *, method: str, path: str, timestamp: str, nonce: str, key_id: str, api_name: str, body: bytes
) -> str:
    """The eight lines the signature covers, joined by ``\\n`` (no trailing newline)."""
    return "\n".join((ALGORITHM, method.upper(), path, timestamp, nonce, key_id, api_name, body_sha256(body)))


def signature(secret: str, text: str) -> str:
    """``Base64(HMAC-SHA256(secret, text))``, both as UTF-8."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()).decode()


def _missing(name: str) -> GatewayHeadersMissing:
    return GatewayHeadersMissing(f"缺少服务网关的请求头!（{name}）", f"Gateway header missing or malformed: {name}")


def parse_headers(headers: Mapping[str, str]) -> SignedRequest:
    """Read the five ``_api_*`` headers (names case-insensitive); any absent or malformed →
    GatewayHeadersMissing naming it, a timestamp that is not 13 digits → GatewayTimestamp."""
    lower = {name.lower(): value.strip() for name, value in headers.items()}
    for name in HEADERS:
        if not lower.get(name):
            raise _missing(name)
    raw = lower["_api_timestamp"]
    if not (raw.isascii() and raw.isdigit() and len(raw) == 13):
        raise GatewayTimestamp(field="_api_timestamp")
    for name, pattern in (("_api_access_key", KEY_ID), ("_api_name", API_NAME), ("_api_nonce", NONCE)):
        if not pattern.fullmatch(lower[name]):
            raise _missing(name)
    return SignedRequest(
        key_id=lower["_api_access_key"],
        api_name=lower["_api_name"],
        timestamp=_EPOCH + timedelta(milliseconds=int(raw)),
        raw_timestamp=raw,
        nonce=lower["_api_nonce"],
        signature=lower["_api_signature"],
    )


def check_time(claim: SignedRequest, now: datetime) -> None:
    """Refuse a timestamp more than :data:`WINDOW` before or after ``now`` (aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if abs(now - claim.timestamp) > WINDOW:
        raise GatewayTimestamp()


def verify(claim: SignedRequest, *, secret: str, method: str, path: str, body: bytes) -> None:
    """Refuse unless ``_api_signature`` is the MAC of this method, path and body under ``secret``."""
    text = string_to_sign(
        method=method,
        path=path,
        timestamp=claim.raw_timestamp,
        nonce=claim.nonce,
        key_id=claim.key_id,
        api_name=claim.api_name,
        body=body,
    )
    if not hmac.compare_digest(signature(secret, text).encode(), claim.signature.encode("utf-8", "replace")):
        raise GatewaySignature()


def epoch_ms(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (now - _EPOCH) // timedelta(milliseconds=1)


def new_nonce() -> str:
    return secrets.token_hex(16)


def sign(
    *,
    key_id: str,
    secret: str,
    api_name: str,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers a client sends for one request (a fresh random nonce unless one is given)."""
    timestamp = str(epoch_ms(now))
    nonce = nonce or new_nonce()
    text = string_to_sign(
        method=method, path=path, timestamp=timestamp, nonce=nonce, key_id=key_id, api_name=api_name, body=body
    )
    return {
        "_api_access_key": key_id,
        "_api_name": api_name,
        "_api_timestamp": timestamp,
        "_api_nonce": nonce,
        "_api_signature": signature(secret, text),
    }
