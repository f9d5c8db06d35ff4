"""The counter of the hospital simulator (``gongji his-scan``): a patient shows the 医保码 on
their phone, the cashier pastes the code's text, and one outpatient visit runs through the 两定
interface with that credential only (issue 13 §1): 1101 (``mdtrt_cert_type`` 01) → 2201 → 2206
→ 2207, each call carrying the same token. The institution never types an ID number.

``scan_visit`` is the core; the CLI and the test drive it with their own HTTP transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gongji.adapters.nhsa.client import HisClient, parts_of

EC_TOKEN = "01"


class CounterRefused(Exception):
    """The centre answered infcode -1; ``infno`` and its ``err_msg`` say why."""

    def __init__(self, infno: str, answer: dict[str, Any]) -> None:
        self.infno = infno
        self.err_msg = str(answer.get("err_msg") or "（无 err_msg）")
        super().__init__(f"{infno}: {self.err_msg}")


@dataclass(frozen=True)
class CounterVisit:
    psn_no: str
    psn_name: str
    insutype: str
    setlinfo: dict[str, Any]


def _ok(infno: str, answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("infcode") != 0:
        raise CounterRefused(infno, answer)
    return dict(answer["output"])


def pasted(text: str) -> str:
    """The code's text as pasted: blanks and line breaks around or inside it removed."""
    return "".join(str(text).split())


def scan_visit(
    his: HisClient,
    code_text: str,
    *,
    medfee_fen: int,
    acct_used_flag: str = "1",
    med_type: str = "11",
    ipt_otp_no: str = "COUNTER-1",
) -> CounterVisit:
    """One visit with the pasted 医保码: the person and insurance come from 1101's answer."""
    token = pasted(code_text)
    info = _ok("1101", his.person_info("", cert_type=EC_TOKEN, cert_no=token))
    base = info["baseinfo"]
    insured = [i for i in info["insuinfo"] if i.get("psn_insu_stas") == "1" and i.get("insutype") in ("310", "390")]
    if not insured:
        raise CounterRefused("1101", {"err_msg": "该参保人没有正常参保的基本医疗保险"})
    insu = insured[0]
    psn_no, insutype = str(base["psn_no"]), str(insu["insutype"])
    reg = _ok(
        "2201",
        his.register(
            psn_no,
            insutype,
            str(base.get("certno") or ""),
            str(base.get("psn_name") or ""),
            ipt_otp_no=ipt_otp_no,
            cert_type=EC_TOKEN,
            cert_no=token,
            psn_type=str(insu["psn_type"]),
        ),
    )
    args: dict[str, Any] = dict(
        psn_no=psn_no,
        mdtrt_id=str(reg["data"]["mdtrt_id"]),
        insutype=insutype,
        certno=str(base.get("certno") or ""),
        medfee_fen=medfee_fen,
        acct_used_flag=acct_used_flag,
        med_type=med_type,
        cert_type=EC_TOKEN,
        cert_no=token,
    )
    pre = _ok("2206", his.call("2206", his.settle_input(**args)))
    done = _ok("2207", his.call("2207", his.settle_input(**args, parts=parts_of(pre["setlinfo"]))))
    return CounterVisit(psn_no=psn_no, psn_name=str(base["psn_name"]), insutype=insutype, setlinfo=done["setlinfo"])
