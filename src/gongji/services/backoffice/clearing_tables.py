"""The clearing's tables as finance prints them (issue 15 §3, §6): the province's balance table
(清算平衡表: per city, owed to others, owed by others, net) and the detail table (明细表: every
settlement behind each figure). openpyxl write-only: the detail rows are streamed from the
database (``yield_per``) into the file and never held in memory. Each sheet has the title, the
unit (单位：元), the region names and a totals row. No personal data: settlements are named by id."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select

from gongji.adapters.db.models import ClearingRun
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.services.backoffice import clearing as C

MONEY = "#,##0.00"
BALANCE_HEADERS = ("序号", "地区代码", "地区名称", "应付其他地区", "其他地区应付", "净额（正数应收，负数应上解）")
DETAIL_HEADERS = (
    "序号", "结算ID", "结算时间", "类别", "垫付地区代码", "垫付地区", "应付地区代码", "应付地区",
    "就医地", "定点医药机构编码", "结算状态", "金额",
)  # fmt: skip
STATUS_ZH = {"settled": "正常", "cancelled": "已撤销", "reversal": "撤销冲减", "reimbursed": "零星报销"}
STREAM_ROWS = 5000


def region_label(code: str) -> str:
    """``330203`` → ``宁波市海曙区`` (the province's name left out)."""
    table = region_table()
    return table.full_name(code).removeprefix(table.name(f"{code[:2]}0000")) or code


def yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _title(ws: WriteOnlyWorksheet, text: str, columns: int) -> None:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center")
    ws.append([cell])
    ws.append([None] * (columns - 1) + ["单位：元"])


def _header(ws: WriteOnlyWorksheet, headers: tuple[str, ...]) -> None:
    cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def _money(ws: WriteOnlyWorksheet, fen: int, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=yuan(fen))
    cell.number_format = MONEY
    if bold:
        cell.font = Font(bold=True)
    return cell


def _title_of(run: ClearingRun, what: str) -> str:
    year, mon = run.month.split("-")
    province = region_table().name(f"{run.province_code}0000")
    return f"{province}个人账户家庭共济资金清算{what}（{year}年{int(mon)}月）"


def write_balance(uow: UnitOfWork, run: ClearingRun, out: BinaryIO | Path) -> None:
    """清算平衡表: one row per city, then 合计 (the nets sum to zero)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet("清算平衡表")
    for col, width in zip("ABCDEF", (6, 10, 16, 16, 16, 26), strict=True):
        ws.column_dimensions[col].width = width
    _title(ws, _title_of(run, "平衡表"), len(BALANCE_HEADERS))
    _header(ws, BALANCE_HEADERS)
    total_to = total_by = total_net = 0
    for n, c in enumerate(C.cities(uow, run), start=1):
        ws.append(
            [
                n,
                c.city_code,
                region_label(c.city_code),
                _money(ws, c.owed_to_others_fen),
                _money(ws, c.owed_by_others_fen),
                _money(ws, c.net_fen),
            ]
        )
        total_to, total_by, total_net = (
            total_to + c.owed_to_others_fen,
            total_by + c.owed_by_others_fen,
            total_net + c.net_fen,
        )
    total = WriteOnlyCell(ws, value="合计")
    total.font = Font(bold=True)
    ws.append(
        [
            total,
            None,
            None,
            _money(ws, total_to, bold=True),
            _money(ws, total_by, bold=True),
            _money(ws, total_net, bold=True),
        ]
    )
    book.save(out)


def write_detail(
    uow: UnitOfWork, run: ClearingRun, out: BinaryIO | Path, *, progress: Callable[[int], Any] | None = None
) -> int:
    """明细表: every detail row behind the figures, ordered by owing and advancing region, streamed;
    then 合计. ``progress`` is called with the rows written so far (every ``STREAM_ROWS``).
    Returns the number of rows."""
    book = Workbook(write_only=True)
    ws = book.create_sheet("明细表")
    for col, width in zip("ABCDEFGHIJKL", (8, 10, 20, 16, 12, 14, 12, 14, 14, 18, 10, 14), strict=True):
        ws.column_dimensions[col].width = width
    _title(ws, _title_of(run, "明细表"), len(DETAIL_HEADERS))
    _header(ws, DETAIL_HEADERS)
    d = C.detail(uow, run).subquery()
    query = select(d).order_by(d.c.owing_region, d.c.advancing_region, d.c.settlement_id)
    result = uow.session.execute(query.execution_options(stream_results=True, yield_per=STREAM_ROWS))
    n = total = 0
    for row in result:
        n += 1
        total += int(row.amount_fen)
        ws.append(
            [
                n,
                row.settlement_id if row.settlement_id is not None else f"零星报销{row.claim_id}",
                row.setl_time.strftime("%Y-%m-%d %H:%M:%S")
                if hasattr(row.setl_time, "strftime")
                else str(row.setl_time),
                C.KIND_ZH[row.kind],
                row.advancing_region,
                region_label(row.advancing_region),
                row.owing_region,
                region_label(row.owing_region),
                region_label(row.treatment_region),
                row.fixmedins_code,
                STATUS_ZH.get(row.status, row.status),
                _money(ws, row.amount_fen),
            ]
        )
        if progress is not None and n % STREAM_ROWS == 0:
            progress(n)
    label = WriteOnlyCell(ws, value="合计")
    label.font = Font(bold=True)
    ws.append([label, f"{n}笔"] + [None] * 9 + [_money(ws, total, bold=True)])
    book.save(out)
    if progress is not None:
        progress(n)
    return n


def to_tempfile(write: Callable[[Path], Any]) -> Path:
    """Run ``write`` into a new temporary .xlsx on disk (the caller sends and deletes it): the
    workbook streams to disk, never held whole in memory."""
    import os
    import tempfile

    handle, name = tempfile.mkstemp(prefix="gongji-clearing-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
