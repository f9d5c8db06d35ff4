"""就诊凭证 — how the person at the counter is identified (issue 13 §1; INTERFACE.md §4, §6).

A HIS reads a medical credential and sends it as ``mdtrt_cert_type`` / ``mdtrt_cert_no``
(Hunan spec V1.1.27, 1101/2201/2206/2207 input: "就诊凭证类型为“01”时填写电子凭证令牌，为“02”时
填写身份证号，为“03”时填写社会保障卡卡号"). The person is the credential's person; a ``psn_no``
(or ``certno``) of anyone else is refused.

The 医保电子凭证 token (01) Gongji issues is the text ``ec1.<nonce>.<signature>``: a random
nonce (the key of its ``ec_token`` row, which holds the person, the expiry and whether it was
used) and an HMAC-SHA256 signature of it under the site's secret, so a forged or altered text is
refused before any database look-up. 43 characters: within the spec's 50 for ``mdtrt_cert_no``.

Pure functions only: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

CERT_TYPES = {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"}
"""``mdtrt_cert_type`` 就诊凭证类型 (code table of the Hunan spec; data/nhsa_code_tables.json)."""

EC_TOKEN = "01"
ID_CARD = "02"
SSC_CARD = "03"

TOKEN_PREFIX = "ec1"
NONCE_CHARS = 16  # 12 random bytes, base64url
SIGNATURE_CHARS = 22  # 16 bytes of HMAC-SHA256, base64url
MIN_SECRET_BYTES = 16
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}\.([A-Za-z0-9_-]{{{NONCE_CHARS}}})\.([A-Za-z0-9_-]{{{SIGNATURE_CHARS}}})$")
_DOMAIN = b"gongji/ec-token/v1\x00"

_SSC_NO = re.compile(r"^[0-9A-Z]{9,20}$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the 医保码 secret must be at least {MIN_SECRET_BYTES} bytes")


def _signature(nonce: str, secret: bytes) -> str:
    _check_secret(secret)
    return _b64(hmac.new(bytes(secret), _DOMAIN + nonce.encode("ascii"), hashlib.sha256).digest()[:16])


def new_nonce() -> str:
    return _b64(secrets.token_bytes(12))


def token_text(nonce: str, secret: bytes) -> str:
    """The text the 医保码 carries (and a HIS sends as ``mdtrt_cert_no`` with type 01)."""
    return f"{TOKEN_PREFIX}.{nonce}.{_signature(nonce, secret)}"


def token_nonce(text: str, secret: bytes) -> str | None:
    """The nonce of a well-formed text with a valid signature; None for anything else."""
    if not isinstance(text, str):
        return None
    match = _TOKEN.fullmatch(text.strip())
    if match is None:
        return None
    nonce, signature = match.groups()
    if not hmac.compare_digest(_signature(nonce, secret).encode("ascii"), signature.encode("ascii")):
        return None
    return nonce


def normalize_ssc_no(value: str | None) -> str | None:
    """社会保障卡卡号 as stored: upper case, 9–20 letters or digits (the national card's number
    is 9 characters; local cards differ); None when blank; ValueError when malformed."""
    text = (value or "").strip().upper()
    if not text:
        return None
    if not _SSC_NO.fullmatch(text):
        raise ValueError("malformed social-security card number")
    return text


INTERFACE_PSN_TYPE_LENGTH = 3
"""2201 and 2206 take ``psn_type`` as 字符型(3) (Hunan spec 表72, 表82); 1101 answers 字符型(6)."""

INTERFACE_PSN_TYPE = {
    "1401": "151",
    "1402": "151",
    "1403": "151",
    "1404": "151",
    "1405": "151",
}
"""Registry person types longer than 3 characters, as the interface's 3-character code. The
Hunan psn_type table (data/nhsa_code_tables.json) lists 1401 新生儿 … 1405 未成年（未入学） and
the 3-character 151 居民; 15 is 居民（成年）, wrong for a child. Shorter codes pass unchanged."""


def interface_psn_type(psn_type: str | None) -> str | None:
    """The ``psn_type`` 1101 (and the settlement answers) give, one 2201/2206 accept back."""
    if psn_type is None or len(psn_type) <= INTERFACE_PSN_TYPE_LENGTH:
        return psn_type
    return INTERFACE_PSN_TYPE.get(psn_type, "99")  # 99 其他
