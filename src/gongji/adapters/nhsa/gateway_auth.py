"""Gateway-level authentication of 两定 calls (INTERFACE.md §7, "Gateway level, as actually used").

Two header schemes are in use in front of the 两定 interface; a compatible server accepts either:

* CSB / 服务网关 (Hunan spec 表5/表6): ``_api_name`` (the infno), ``_api_version``,
  ``_api_timestamp`` (13-digit milliseconds), ``_api_access_key`` (AK) and
  ``_api_signature = Base64(HmacSHA1(SK, "_api_access_key=..&_api_name=..&_api_timestamp=..&_api_version=.."))``.
* TIF gateway (Hebei): ``x-tif-paasid``, ``x-tif-timestamp`` (10-digit seconds), ``x-tif-nonce`` and
  ``x-tif-signature = sha256_hex(timestamp + token + nonce + timestamp)``.

A rejection is an HTTP 401 with the JSON body ``{"code": 401, "message": ...}``, the message being one of
the four gateway strings below, verbatim. Signatures older or newer than 30 minutes are refused.

Pure and standard-library only: the caller looks up the secret for ``claim.key_id`` and passes the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

WINDOW = timedelta(minutes=30)

MISSING = "缺少服务网关的请求头!"
TIMEOUT = "签名时间戳超时!"
ILLEGAL = "非法用户!"
MISMATCH = "签名不一致!"

API_HEADERS = ("_api_name", "_api_version", "_api_timestamp", "_api_access_key", "_api_signature")
TIF_HEADERS = ("x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Longer digit strings cannot be a timestamp of this era; refuse them before doing arithmetic.
_MAX_TIMESTAMP_DIGITS = 16


class GatewayRejected(Exception):
    """The gateway refuses the call; ``message`` is one of MISSING, TIMEOUT, ILLEGAL, MISMATCH."""

    status_code = 401

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"code": 401, "message": self.message}


@dataclass(frozen=True)
class GatewayClaim:
    """What the caller's headers claim; nothing is verified until :func:`verify`."""

    scheme: Literal["api", "tif"]
    key_id: str  # _api_access_key or x-tif-paasid
    timestamp: datetime  # aware, UTC
    raw_timestamp: str  # exactly as sent; it is part of the signed text
    signature: str
    api_name: str | None = None  # _api_name (the infno)
    api_version: str | None = None
    nonce: str | None = None


def api_signature(access_key: str, secret_key: str, name: str, version: str, timestamp_ms: str) -> str:
    """``Base64(HmacSHA1(SK, "_api_access_key=..&_api_name=..&_api_timestamp=..&_api_version=.."))``."""
    params = {
        "_api_access_key": access_key,
        "_api_name": name,
        "_api_timestamp": timestamp_ms,
        "_api_version": version,
    }
    text = "&".join(f"{key}={params[key]}" for key in sorted(params))
    digest = hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def tif_signature(timestamp: str, token: str, nonce: str) -> str:
    """``sha256_hex(timestamp + token + nonce + timestamp)``."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def _parse_timestamp(raw: str, *, milliseconds: bool) -> datetime:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_TIMESTAMP_DIGITS:
        raise GatewayRejected(TIMEOUT)
    value = int(raw)
    try:
        return _EPOCH + (timedelta(milliseconds=value) if milliseconds else timedelta(seconds=value))
    except OverflowError:
        raise GatewayRejected(TIMEOUT) from None


def parse_headers(headers: Mapping[str, str]) -> GatewayClaim:
    """Read a complete ``_api_*`` or ``x-tif-*`` header set (names are case-insensitive).

    Neither set complete (a header absent or empty) → ``GatewayRejected(MISSING)``; a timestamp that is not
    all digits → ``GatewayRejected(TIMEOUT)``. When both sets are complete, ``_api_*`` wins.
    """
    lower: dict[str, str] = {}
    for name, value in headers.items():
        lower[name.lower()] = value.strip()

    if all(lower.get(name) for name in API_HEADERS):
        raw = lower["_api_timestamp"]
        return GatewayClaim(
            scheme="api",
            key_id=lower["_api_access_key"],
            timestamp=_parse_timestamp(raw, milliseconds=True),
            raw_timestamp=raw,
            signature=lower["_api_signature"],
            api_name=lower["_api_name"],
            api_version=lower["_api_version"],
        )
    if all(lower.get(name) for name in TIF_HEADERS):
        raw = lower["x-tif-timestamp"]
        return GatewayClaim(
            scheme="tif",
            key_id=lower["x-tif-paasid"],
            timestamp=_parse_timestamp(raw, milliseconds=False),
            raw_timestamp=raw,
            signature=lower["x-tif-signature"],
            nonce=lower["x-tif-nonce"],
        )
    raise GatewayRejected(MISSING)


def expected_signature(claim: GatewayClaim, secret: str) -> str:
    """The signature the caller should have sent, given the secret (SK or TIF token) of ``claim.key_id``."""
    if claim.scheme == "api":
        return api_signature(claim.key_id, secret, claim.api_name or "", claim.api_version or "", claim.raw_timestamp)
    return tif_signature(claim.raw_timestamp, secret, claim.nonce or "")


def verify(claim: GatewayClaim, *, secret: str | None, now: datetime) -> None:
    """Check, in this order: known key (``secret`` not None), timestamp within 30 minutes, signature.

    ``now`` must be timezone-aware. Raises :class:`GatewayRejected`; returns None when the call may pass.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if secret is None:
        raise GatewayRejected(ILLEGAL)
    if abs(now - claim.timestamp) > WINDOW:
        raise GatewayRejected(TIMEOUT)
    expected = expected_signature(claim, secret)
    if not hmac.compare_digest(expected.encode("utf-8"), claim.signature.encode("utf-8")):
        raise GatewayRejected(MISMATCH)


def _epoch_ms(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (now - _EPOCH) // timedelta(milliseconds=1)


def sign_api_headers(
    access_key: str, secret_key: str, name: str, *, now: datetime, version: str = "1.0.0"
) -> dict[str, str]:
    """The five ``_api_*`` headers a client sends for transaction ``name`` at ``now``."""
    timestamp = str(_epoch_ms(now))
    return {
        "_api_name": name,
        "_api_version": version,
        "_api_timestamp": timestamp,
        "_api_access_key": access_key,
        "_api_signature": api_signature(access_key, secret_key, name, version, timestamp),
    }


def sign_tif_headers(paasid: str, token: str, *, now: datetime, nonce: str | None = None) -> dict[str, str]:
    """The four ``x-tif-*`` headers a client sends at ``now`` (a random nonce unless one is given)."""
    timestamp = str(_epoch_ms(now) // 1000)
    nonce = secrets.token_hex(8) if nonce is None else nonce
    return {
        "x-tif-paasid": paasid,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": tif_signature(timestamp, token, nonce),
    }
