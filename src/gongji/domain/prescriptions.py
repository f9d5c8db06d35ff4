"""External prescriptions (外配处方, seed 004), the pure rules: drug lines and over-quantity,
the centre's number, the physician's code, what a pharmacy may dispense, the 专项检查 categories.

Seed 004 (国家医保局 规范医保药品外配处方管理): where the 医保电子处方中心 is live, institutions send
external prescriptions through it, and an electronic one may be printed on paper; elsewhere a paper
prescription is valid only signed by a 医保医师 and stamped with the 外配处方专用章; the pharmacy
checks 处方用药信息、有效期 and the person, may refuse and report 存疑线索; 虚假处方、超量开药 are
what the inspections found; 专项检查 covers 门诊慢性病和特殊病、城乡居民门诊“两病” and 金额高 prescriptions.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from gongji.domain.errors import RxLinesInvalid, RxOverQuantity, RxPhysicianCode

MAX_LINES = 20
"""Drug lines one prescription may carry (a sanity cap, not a policy figure)."""
_ALPHABET = string.digits + "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O: read aloud at a counter

CATEGORY_ZH = {"chronic": "门诊慢特病", "two_diseases": "两病", "high_amount": "高金额"}
SOURCE_ZH = {"his": "医院信息系统（2204）", "center": "电子处方", "paper": "纸质处方"}
STATUS_ZH = {"valid": "有效", "dispensed": "已调剂", "revoked": "已撤销", "refused": "拒绝调剂"}
DOUBT_REASONS = {
    "forged": "疑似虚假处方",
    "over_quantity": "超量开药",
    "person_mismatch": "参保人信息不符",
    "physician": "医师签名或代码可疑",
    "stamp": "印章可疑",
    "other": "其他",
}
"""存疑线索 reasons a pharmacy picks from (seed 004: 虚假处方、超量开药 …; 核准…参保人信息)."""


@dataclass(frozen=True)
class DrugLine:
    """One drug of a prescription (national 2204 names)."""

    med_list_codg: str
    hilist_name: str
    cnt: Decimal
    prd_days: int
    sin_dos_dscr: str
    used_frqu_dscr: str
    medc_way_dscr: str
    pric: Decimal | None = None  # yuan per unit, as the issuer priced it

    @property
    def amount_fen(self) -> int | None:
        if self.pric is None:
            return None
        return int((self.cnt * self.pric * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Limits:
    max_days: int
    max_days_chronic: int


def check_lines(lines: Sequence[DrugLine], known: Iterable[str], limits: Limits, *, long_term: bool) -> None:
    """The drug lines of a new prescription: 1–``MAX_LINES`` lines of known drugs, each once,
    a positive quantity and 1…limit days (超量开药: ``RxOverQuantity``)."""
    if not lines:
        raise RxLinesInvalid("处方须至少有一种药品", "A prescription needs at least one drug", field="lines")
    if len(lines) > MAX_LINES:
        raise RxLinesInvalid(f"一张处方最多{MAX_LINES}种药品", f"At most {MAX_LINES} drugs", field="lines")
    catalogue = set(known)
    seen: set[str] = set()
    limit = limits.max_days_chronic if long_term else limits.max_days
    for n, line in enumerate(lines, 1):
        if line.med_list_codg not in catalogue:
            raise RxLinesInvalid(
                f"第{n}行药品编码 {line.med_list_codg} 不在医保药品目录中",
                f"Line {n}: {line.med_list_codg} is not in the catalogue",
                field="med_list_codg",
            )
        if line.med_list_codg in seen:
            raise RxLinesInvalid(f"第{n}行药品重复", f"Line {n}: the drug repeats", field="med_list_codg")
        seen.add(line.med_list_codg)
        if line.cnt <= 0:
            raise RxLinesInvalid(f"第{n}行数量须大于0", f"Line {n}: the quantity must be positive", field="cnt")
        if line.pric is not None and line.pric < 0:
            raise RxLinesInvalid(f"第{n}行单价不能为负", f"Line {n}: negative price", field="pric")
        if line.prd_days < 1:
            raise RxLinesInvalid(f"第{n}行用药天数须至少1天", f"Line {n}: at least one day", field="prd_days")
        if line.prd_days > limit:
            kind = "门诊慢特病、两病处方" if long_term else "处方"
            raise RxOverQuantity(
                f"处方超量：第{n}行 {line.hilist_name} 用药{line.prd_days}天，超过{kind}{limit}天的上限",
                f"Over quantity: line {n} supplies {line.prd_days} days, above the limit of {limit}",
                field="prd_days",
                limit=limit,
            )


def check_dispensed(prescribed: Mapping[str, Decimal], dispensed: Mapping[str, Decimal]) -> None:
    """What a pharmacy reports dispensed: only prescribed drugs, at most the prescribed quantity."""
    if not dispensed:
        raise RxLinesInvalid("调剂结果须列出调剂的药品", "List the dispensed drugs", field="lines")
    for code, cnt in dispensed.items():
        if code not in prescribed:
            raise RxLinesInvalid(
                f"药品 {code} 不在该处方上", f"{code} is not on the prescription", field="med_list_codg"
            )
        if cnt <= 0:
            raise RxLinesInvalid(f"药品 {code} 调剂数量须大于0", f"{code}: quantity must be positive", field="cnt")
        if cnt > prescribed[code]:
            raise RxOverQuantity(
                f"处方超量：药品 {code} 调剂{cnt}，超过处方数量{prescribed[code]}",
                f"Over quantity: {code} dispensed {cnt}, prescribed {prescribed[code]}",
                field="cnt",
            )


def check_physician_code(code: str | None, pattern: str, *, recorded: str | None = None) -> str:
    """A paper prescription's 医保医师代码: present, of the profile's format, and — when the issuer
    recorded the prescription (2204) — the same physician."""
    value = (code or "").strip().upper()
    if not value:
        raise RxPhysicianCode("纸质外配处方须填写开方医保医师代码", "Enter the physician's code", field="bilg_dr_codg")
    if not re.fullmatch(pattern, value):
        raise RxPhysicianCode(
            f"医保医师代码 {value} 格式错误", f"Malformed physician code {value}", field="bilg_dr_codg"
        )
    if recorded and recorded.strip().upper() != value:
        raise RxPhysicianCode(
            "医保医师代码与开方机构留存的处方记录不符",
            "The physician code differs from the issuer's record",
            field="bilg_dr_codg",
        )
    return value


def new_hi_rxno(region: str, now: datetime) -> str:
    """The centre's number: ``RX`` + region(6) + yyMMdd + 8 random characters (never 17 digits in
    a row, so logs do not mistake it for an ID number)."""
    tail = secrets.choice(_ALPHABET[10:]) + "".join(secrets.choice(_ALPHABET) for _ in range(7))  # a letter first
    return f"RX{region[:6]}{now.strftime('%y%m%d')}{tail}"


def categories(
    *,
    dise_codg: str | None,
    insutype: str | None,
    amount_fen: int | None,
    chronic_codes: Iterable[str],
    two_diseases_codes: Iterable[str],
    high_amount_fen: int,
) -> tuple[str, ...]:
    """专项检查 categories of one prescription (seed 004): 两病 — a resident's (390) prescription for
    高血压 or 糖尿病 (城乡居民门诊“两病”用药机制); 门诊慢特病 — a listed chronic/special disease
    otherwise; 高金额 — at least the profile's amount."""
    found: list[str] = []
    code = (dise_codg or "").upper()
    if code and code in set(two_diseases_codes) and insutype == "390":
        found.append("two_diseases")
    elif code and code in set(chronic_codes):
        found.append("chronic")
    if amount_fen is not None and amount_fen >= high_amount_fen:
        found.append("high_amount")
    return tuple(found)


def is_long_term(dise_codg: str | None, chronic_codes: Iterable[str], two_diseases_codes: Iterable[str]) -> bool:
    """A chronic-disease or 两病 prescription may carry the longer days supply."""
    code = (dise_codg or "").upper()
    return bool(code) and (code in set(chronic_codes) or code in set(two_diseases_codes))
