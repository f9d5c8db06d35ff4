"""The 专项检查 list of external prescriptions as an Excel workbook (openpyxl): Chinese headers,
amounts in yuan as numbers with two decimals, names and ID numbers masked as in the list."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

HEADERS: tuple[tuple[str, str, int], ...] = (
    ("hi_rxno", "处方编号", 26),
    ("rxno", "医院处方号", 16),
    ("source_zh", "处方来源", 12),
    ("issued_on", "开方日期", 12),
    ("issuer_name", "开方机构", 24),
    ("issuer_region", "开方机构区划", 12),
    ("physician_code", "医保医师代码", 16),
    ("psn_name", "参保人", 10),
    ("certno", "证件号码", 22),
    ("insutype", "险种", 8),
    ("disease", "诊断（病种）", 22),
    ("categories_zh", "检查类别", 18),
    ("amount_fen", "处方金额（元）", 14),
    ("state_zh", "处方状态", 10),
    ("pharmacy_name", "调剂药店", 24),
    ("settled_fen", "结算金额（元）", 14),
    ("doubts", "存疑线索数", 10),
)
MONEY = {"amount_fen", "settled_fen"}


def inspection_workbook(rows: Sequence[Mapping[str, Any]], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "外配处方专项检查"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([label for _key, label, _width in HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        values: list[Any] = []
        for key, _label, _width in HEADERS:
            value = row.get(key)
            if key in MONEY:
                value = None if value is None else round(int(value) / 100, 2)
            values.append(value)
        ws.append(values)
        for (key, _label, _width), cell in zip(HEADERS, ws[ws.max_row], strict=True):
            if key in MONEY:
                cell.number_format = "0.00"
    for i, (_key, _label, width) in enumerate(HEADERS, 1):
        ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = width
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
