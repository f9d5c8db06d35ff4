"""A hospital-side client of the 两定 interface: builds the envelope, signs the gateway headers
and posts to any of the three URL styles. The hospital simulator (``gongji his``), the
benchmark and the tests use it; the HTTP transport is an ``httpx.Client`` (FastAPI's
TestClient is one), so tests run it in-process and the simulator over the network.
"""

from __future__ import annotations

import itertools
import threading
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
    scheme: Literal["api", "tif"]
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
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_msgid(self) -> str:
        """定点医药机构编号(12) + yyyyMMddHHmmss(14) + 顺序号(4), unique in this client."""
        with self._lock:
            n = next(self._seq)
        stamp = self.now().astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
        return f"{self.fixmedins_code}{stamp}{n % 10000:04d}" if n < 10000 else f"{self.fixmedins_code}{stamp}{n}"

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

    def headers(self, infno: str) -> dict[str, str]:
        if self.key.scheme == "api":
            return gateway_auth.sign_api_headers(self.key.key_id, self.key.secret, infno, now=self.now())
        return gateway_auth.sign_tif_headers(self.key.key_id, self.key.secret, now=self.now())

    def url(self, infno: str) -> str:
        if self.style == "path":
            return f"{CALL_SERVICE}/{infno}"
        if self.style == "service":
            return PATHS[infno]
        return CALL_SERVICE

    def post(self, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> httpx.Response:
        infno = str(body.get("infno"))
        signed = headers if headers is not None else self.headers(infno)
        return self.http.post(self.url(infno), json=body, headers=signed)

    def call(self, infno: str, input_: Any, *, msgid: str | None = None, insuplc: str = "") -> dict[str, Any]:
        """Send one transaction; the answer's JSON (infcode 0 or -1), or raises on HTTP errors."""
        response = self.post(self.envelope(infno, input_, msgid=msgid, insuplc=insuplc))
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

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
