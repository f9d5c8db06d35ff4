"""A hospital-side client of the 两定 interface: builds the envelope, signs each request
(``GJ-HMAC-SHA256`` over method, path, timestamp, nonce and the body, docs/his-signing.md) and
posts to any of the three URL styles. Each message gets a ``msgid`` unique across clients and
restarts: institution code + Beijing time + a random 4-character sequence. The hospital simulator (``gongji his``), the
benchmark and the tests use it; the HTTP transport is an ``httpx.Client`` (FastAPI's
TestClient is one), so tests run it in-process and the simulator over the network.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx2 as httpx

from gongji.adapters.nhsa import gateway_auth

CALL_SERVICE = "/fsi/api/rsfComIfsService/callService"
SHANGHAI = ZoneInfo("Asia/Shanghai")
UrlStyle = Literal["body", "path", "service"]
_SEQ = string.digits + string.ascii_uppercase
PATHS = {
    "1101": "/fsi/api/fsiPsnInfoService/queryPsnInfo",
    "2201": "/fsi/api/outpatientDocInfoService/outpatientRregistration",
    "2202": "/fsi/api/outpatientDocInfoService/outpatientRregistrationCancel",
    "2204": "/fsi/api/outpatientDocInfoService/outpatientFeeListUp",
    "2205": "/fsi/api/outpatientDocInfoService/outpatientFeeListUpCancel",
    "2206": "/fsi/api/outpatientSettleService/preSettletment",
    "2207": "/fsi/api/outpatientSettleService/saveSettletmentV2",
    "2208": "/fsi/api/outpatientSettleService/cancleSettletment",
    "2601": "/fsi/api/reverseService/revsMethod",
    "3201": "/fsi/api/ybSettlementStmtService/stmtTotal",
    "3202": "/fsi/api/ybSettlementStmtService/stmtDetail",
    "5203": "/fsi/api/fsiIntegratedQueryService/querySetlInfo",
    "9001": "/fsi/api/signInSignOutService/signIn",
    "9101": "/fsi/api/fileupload/upload",
    "9102": "/fsi/api/fileupload/download",
}


@dataclass(frozen=True)
class Key:
    """A gateway key: the public ``key_id`` and the secret shown once when it was issued."""

    key_id: str
    secret: str


@dataclass
class HisClient:
    http: httpx.Client
    fixmedins_code: str
    fixmedins_name: str
    region: str
    key: Key
    style: UrlStyle = "body"
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def next_msgid(self) -> str:
        """定点医药机构编号(12) + yyyyMMddHHmmss(14, Beijing) + 顺序号(4): the national 30 characters.

        The sequence is 4 random characters of 0-9A-Z (1.68 million a second), not a counter that
        two HIS instances or a restarted one would repeat; the rare collision with another instance
        is answered E_SETL_MSGID with nothing done, and :meth:`call` then sends again under a new msgid."""
        stamp = self.now().astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
        return f"{self.fixmedins_code}{stamp}{''.join(secrets.choice(_SEQ) for _ in range(4))}"

    def envelope(self, infno: str, input_: Any, *, msgid: str | None = None, insuplc: str = "") -> dict[str, Any]:
        return {
            "infno": infno,
            "msgid": msgid or self.next_msgid(),
            "mdtrtarea_admvs": self.region,
            "insuplc_admdvs": insuplc,
            "recer_sys_code": "YBXT",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": self.now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": self.fixmedins_name,
            "sign_no": "",
            "input": input_,
        }

    def headers(self, infno: str, path: str, body: bytes, *, nonce: str | None = None) -> dict[str, str]:
        """The signed gateway headers of one request (a fresh nonce unless one is given)."""
        return gateway_auth.sign(
            key_id=self.key.key_id,
            secret=self.key.secret,
            api_name=infno,
            method="POST",
            path=path,
            body=body,
            now=self.now(),
            nonce=nonce,
        )

    def url(self, infno: str) -> str:
        if self.style == "path":
            return f"{CALL_SERVICE}/{infno}"
        if self.style == "service":
            return PATHS[infno]
        return CALL_SERVICE

    def post(self, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST the envelope as UTF-8 JSON, signed (``headers`` replace the signature, for tests)."""
        infno = str(body.get("infno"))
        content = encode(body)
        url = self.url(infno)
        signed = headers if headers is not None else self.headers(infno, url, content)
        return self.http.post(url, content=content, headers={"Content-Type": "application/json"} | signed)

    def call(self, infno: str, input_: Any, *, msgid: str | None = None, insuplc: str = "") -> dict[str, Any]:
        """Send one transaction; the answer's JSON (infcode 0 or -1), or raises on HTTP errors."""
        for _ in range(3):
            response = self.post(self.envelope(infno, input_, msgid=msgid, insuplc=insuplc))
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            if msgid is not None or answer.get("err_code") != "E_SETL_MSGID":
                break  # an own msgid is the caller's business; a generated one collided: new msgid
        return answer

    # --- the electronic-prescription centre (docs/prescriptions.md) ------------------------------

    def rx(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """One signed call of the centre's API (``/api/rx/...``, ``_api_name`` ``rx``); the
        response as is (JSON, or a PDF / workbook)."""
        content = encode(body) if body is not None else b""
        signed = gateway_auth.sign(
            key_id=self.key.key_id,
            secret=self.key.secret,
            api_name="rx",
            method=method.upper(),
            path=path,
            body=content,
            now=self.now(),
        )
        return self.http.request(
            method.upper(), path, content=content, headers={"Content-Type": "application/json"} | signed
        )

    # --- the outpatient flow ------------------------------------------------------------------

    def person_info(
        self, certno: str, name: str = "", *, cert_type: str = "02", cert_no: str | None = None
    ) -> dict[str, Any]:
        """1101 with the credential the counter read: by default the ID card (02, ``certno``);
        ``cert_type`` 01 with the 医保码 text or 03 with the social-security card number as
        ``cert_no`` (``certno`` may then be "")."""
        return self.call(
            "1101",
            {
                "data": {
                    "mdtrt_cert_type": cert_type,
                    "mdtrt_cert_no": cert_no if cert_no is not None else certno,
                    "psn_cert_type": "01",
                    "certno": certno,
                    "psn_name": name,
                }
            },
        )

    def register(
        self,
        psn_no: str,
        insutype: str,
        certno: str,
        name: str,
        *,
        ipt_otp_no: str,
        cert_type: str = "02",
        cert_no: str | None = None,
        psn_type: str = "11",
    ) -> dict[str, Any]:
        """2201 with the same credential as the 1101 before it."""
        return self.call(
            "2201",
            {
                "data": {
                    "psn_no": psn_no,
                    "insutype": insutype,
                    "begntime": self.now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                    "mdtrt_cert_type": cert_type,
                    "mdtrt_cert_no": cert_no if cert_no is not None else certno,
                    "psn_cert_type": "01",
                    "certno": certno,
                    "psn_type": psn_type,
                    "psn_name": name,
                    "ipt_otp_no": ipt_otp_no,
                    "dept_code": "A03",
                    "dept_name": "内科",
                    "caty": "A03",
                }
            },
        )

    def settle_input(
        self,
        *,
        psn_no: str,
        mdtrt_id: str,
        insutype: str,
        certno: str,
        medfee_fen: int,
        acct_used_flag: str,
        med_type: str = "11",
        chrg_bchno: str = "0",
        parts: dict[str, int] | None = None,
        cert_type: str = "02",
        cert_no: str | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "psn_no": psn_no,
            "mdtrt_cert_type": cert_type,
            "mdtrt_cert_no": cert_no if cert_no is not None else certno,
            "psn_cert_type": "01",
            "certno": certno,
            "med_type": med_type,
            "medfee_sumamt": yuan(medfee_fen),
            "psn_setlway": "01",
            "mdtrt_id": mdtrt_id,
            "chrg_bchno": chrg_bchno,
            "insutype": insutype,
            "acct_used_flag": acct_used_flag,
        }
        for name, fen in (parts or {}).items():
            data[name] = yuan(fen)
        return {"data": data}


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def yuan(fen: int) -> str:
    """Fen as the interface's decimal string (e.g. 452 → "4.52")."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parts_of(setlinfo: dict[str, Any]) -> dict[str, int]:
    """The four fee parts of a 2206 answer, in fen, to send back with 2207."""
    return {
        name: int(Decimal(str(setlinfo[name])) * 100)
        for name in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
    }
