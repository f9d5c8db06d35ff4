"""集中代缴 through the tax 代征 system (issue 16 §3; seed 002 §六2: "代缴时要核对税务代征系统导出的人员
信息，确保医保系统和税务系统人员信息一致"): before a batch, the township uploads the export from the
tax system (CSV or .xlsx: 姓名, 身份证号码, 险种, 年度, 金额 in yuan) and every row is compared with the
registry. Nothing is written but the audit row.

A row can show several mismatch kinds (``KINDS``); the amount expected is the year's individual
premium for everyone in a 集中代缴 batch (a full-subsidy person's is paid by the assistance fund,
a fixed-subsidy person pays it all first, 002 §四(二)1-2). A number not registered, not enrolled in
390 in the township's district, or of a person the clerk may not see, is ``not_registered`` alike
(the export cannot tell who exists elsewhere).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import CollectionUnit, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.domain.ids import parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import RESIDENT_BASIC
from gongji.policy.schema import Profile
from gongji.services.collection import cash, units
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import premiums, subsidies

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
KINDS = {
    "bad_id": "身份证号码格式错误",
    "duplicate_row": "导出文件内身份证号码重复",
    "not_registered": "本区县城乡居民医保中未查询到该身份证号码的参保人员",
    "name": "姓名与医保系统登记的不一致",
    "other_township": "该居民归属其他乡镇（街道）的村（社区）",
    "dead": "医保系统中已登记死亡",
    "insurance": "险种不是城乡居民基本医疗保险",
    "year": "缴费年度与本次代缴年度不一致",
    "amount": "缴费金额与医保系统缴费标准不一致",
    "already_paid": "该年度已缴费，再次代缴将重复缴费",
}
HEADERS = {
    "name": ("姓名", "缴费人姓名", "name"),
    "id": ("身份证号码", "身份证件号码", "证件号码", "公民身份号码", "身份证号", "id_number", "cert_no"),
    "insurance": ("险种", "征收品目", "险种名称", "insurance"),
    "year": ("年度", "缴费年度", "费款所属期", "所属年度", "year"),
    "amount": ("金额", "缴费金额", "应缴金额", "应缴费额", "amount"),
}
RESIDENT_MEDICAL = ("城乡居民基本医疗保险", "城乡居民医疗保险", "居民医保", "城乡居民基本医疗保险费", "390")


def _rows(data: bytes | str) -> list[list[str]]:
    if isinstance(data, str):
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("文件不是有效的Base64编码", "file: not base64", field="file") from None
    if not data:
        raise InvalidRequest("导出文件为空", "The export is empty", field="file")
    if len(data) > MAX_BYTES:
        raise InvalidRequest("导出文件不超过5MB", "Export file: at most 5 MB", field="file")
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise InvalidRequest("无法读取Excel文件", "Unreadable .xlsx file", field="file") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return [[c.strip() for c in row] for row in csv.reader(io.StringIO(data.decode(encoding)))]
        except UnicodeDecodeError:
            continue
    raise InvalidRequest("文件编码无法识别（请用UTF-8或GBK）", "Unknown encoding", field="file")


def _columns(header: list[str]) -> dict[str, int]:
    low = [h.strip().lower() for h in header]
    found = {k: next((i for i, h in enumerate(low) if h in names), -1) for k, names in HEADERS.items()}
    missing = [HEADERS[k][0] for k, i in found.items() if i < 0]
    if missing:
        raise InvalidRequest(
            f"导出文件首行缺少列：{'、'.join(missing)}", "Header needs 姓名, 身份证号码, 险种, 年度, 金额", field="file"
        )
    return found


def _fen(text: str) -> int | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    fen = value * 100
    return int(fen) if fen == fen.to_integral_value() and fen >= 0 else None


def _year(text: str) -> int | None:
    digits = text.strip()[:4]
    return int(digits) if digits.isdigit() else None


def compare(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, township_code: str, benefit_year: int, file: bytes | str
) -> dict[str, Any]:
    """Compare a tax export with the registry (module docstring); rows in sheet order."""
    code = cash.require_township(uow, ctx, township_code)
    standard = premiums.standard_for(profile, benefit_year, RESIDENT_BASIC)
    table = _rows(file)
    if len(table) < 2:
        raise InvalidRequest("导出文件没有数据行", "The export has no data rows", field="file")
    if len(table) > MAX_ROWS + 1:
        raise InvalidRequest(f"导出文件不超过{MAX_ROWS}行", "Export too long", field="file")
    col = _columns(table[0])
    town = uow.session.scalar(select(CollectionUnit).where(CollectionUnit.code == code))
    assert town is not None
    today = ctx.clock.today()
    seen: Counter[str] = Counter()
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(table[1:], start=2):
        cells = raw + [""] * (max(col.values()) + 1 - len(raw))
        if not any(cells):
            continue
        get = {k: cells[i] for k, i in col.items()}
        kinds: list[str] = []
        try:
            cert = parse_id_number(get["id"], today=today, region_known=region_table().is_known).value
        except GongjiError:
            cert = None
            kinds.append("bad_id")
        if cert is not None:
            seen[cert] += 1
            if seen[cert] > 1:
                kinds.append("duplicate_row")
            else:
                kinds += _person_kinds(uow, profile, cert, get["name"], town, benefit_year)
        if get["insurance"] not in RESIDENT_MEDICAL:
            kinds.append("insurance")
        if _year(get["year"]) != benefit_year:
            kinds.append("year")
        amount = _fen(get["amount"])
        if amount != standard.individual_fen:
            kinds.append("amount")
        out.append(
            {
                "row": number,
                "name": mask_name(get["name"]),
                "id_number": mask_id_number(get["id"]),
                "insurance": get["insurance"],
                "year": get["year"],
                "amount_fen": amount,
                "expected_fen": standard.individual_fen,
                "kinds": kinds,
                "kind_names": [KINDS[k] for k in kinds],
                "ok": not kinds,
            }
        )
    if not out:
        raise InvalidRequest("导出文件没有数据行", "The export has no data rows", field="file")
    counts = Counter(k for r in out for k in r["kinds"])
    audit_event(
        uow,
        ctx,
        "collection.tax_compare",
        "collection_unit",
        town.id,
        rows=len(out),
        mismatched=sum(not r["ok"] for r in out),
    )
    return {
        "township_code": code,
        "township_name": town.name,
        "benefit_year": benefit_year,
        "rows": len(out),
        "matched": sum(r["ok"] for r in out),
        "mismatched": sum(not r["ok"] for r in out),
        "by_kind": {k: {"count": counts[k], "name": KINDS[k]} for k in KINDS if counts[k]},
        "mismatches": [r for r in out if not r["ok"]],
        "written": False,
    }


def _person_kinds(
    uow: UnitOfWork, profile: Profile, cert: str, name: str, town: CollectionUnit, benefit_year: int
) -> list[str]:
    person = premiums.person_by_cert(uow, cert)
    enrollment = subsidies.resident_enrollment(uow, profile, person.id) if person else None
    if person is None or enrollment is None or enrollment.region_code != town.region_code:
        return ["not_registered"]
    kinds = []
    if person.name != name.strip():
        kinds.append("name")
    if subsidies.is_dead(uow, person.id):
        kinds.append("dead")
    unit_id = units.unit_of(uow, person.id)
    if unit_id is not None:
        unit = uow.session.get(CollectionUnit, unit_id)
        if unit is not None and unit.parent_id != town.id:
            kinds.append("other_township")
    paid = uow.session.scalar(
        select(ResidentPremium.status).where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
        )
    )
    if paid == "paid":
        kinds.append("already_paid")
    return kinds
