"""Files of the monthly payment of institutions (issue 15 §2, §6).

- The statement (拨付结算单, .xlsx, openpyxl write-only, rows streamed with ``yield_per``): sheet
  1 the institutions with their shares, the title with the region's name and month, 单位：元 and
  the 合计 row; sheet 2 the reconciliation differences, per institution and per settlement.
- The bank export of the payment order (支付单): CSV, UTF-8 with BOM, comma-separated, one header
  line, the columns of ``domain.institution_payments.BANK_COLUMNS``; one line per institution
  awaiting the bank. Amounts are yuan with two decimals, no grouping. :func:`read_bank_export`
  reads it back. Institutions have no bank account on file yet: the account and bank columns
  carry ``待补录（机构编码 …）`` for the finance office to fill in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select

from gongji.adapters.db.models import (
    Institution,
    InstitutionPaymentDiff,
    InstitutionPaymentLine,
    InstitutionPaymentRun,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import institution_payments as D
from gongji.services.backoffice.clearing_tables import _header, _money, _title, region_label

STATEMENT_HEADERS = (
    "序号", "定点医药机构", "结算笔数", "撤销笔数", "医疗费总额", "统筹基金支付", "个人账户支付",
    "家庭共济支付", "应拨付金额", "拨付状态",
)  # fmt: skip
DIFF_HEADERS = (
    "序号",
    "定点医药机构",
    "对账类别",
    "结算ID",
    "差异说明",
    "机构金额",
    "中心金额",
    "处理状态",
    "处理说明",
)
STREAM_ROWS = 2000


def title(run: InstitutionPaymentRun, what: str = "定点医药机构费用拨付结算单") -> str:
    year, mon = run.month.split("-")
    return f"{region_label(run.region_code)}{what}（{year}年{int(mon)}月）"


def _bold(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=True)
    return cell


def write_statement(uow: UnitOfWork, run: InstitutionPaymentRun, out: BinaryIO | Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("拨付结算单")
    _title(ws, title(run), len(STATEMENT_HEADERS))
    _header(ws, STATEMENT_HEADERS)
    q = (
        select(InstitutionPaymentLine, Institution.name)
        .outerjoin(Institution, Institution.fixmedins_code == InstitutionPaymentLine.fixmedins_code)
        .where(InstitutionPaymentLine.run_id == run.id)
        .order_by(InstitutionPaymentLine.fixmedins_code)
        .execution_options(yield_per=STREAM_ROWS)
    )
    sums = [0] * 7
    for n, (line, name) in enumerate(uow.session.execute(q), start=1):
        figures = [
            int(line.settlements), int(line.reversals), int(line.medfee_fen), int(line.fund_fen),
            int(line.own_acct_fen), int(line.family_fen), int(line.total_fen),
        ]  # fmt: skip
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        ws.append(
            [n, name or "（未登记机构）", figures[0], figures[1]]
            + [_money(ws, fen) for fen in figures[2:]]
            + [D.LINE_STATE_ZH.get(line.state, line.state)]
        )
    ws.append(
        [_bold(ws, "合计"), None, _bold(ws, sums[0]), _bold(ws, sums[1])] + [_money(ws, f, bold=True) for f in sums[2:]]
    )
    diffs = wb.create_sheet("对账差异")
    _title(diffs, title(run, "定点医药机构对账差异明细"), len(DIFF_HEADERS))
    _header(diffs, DIFF_HEADERS)
    dq = (
        select(InstitutionPaymentDiff, Institution.name)
        .outerjoin(Institution, Institution.fixmedins_code == InstitutionPaymentDiff.fixmedins_code)
        .where(InstitutionPaymentDiff.run_id == run.id)
        .order_by(InstitutionPaymentDiff.fixmedins_code, InstitutionPaymentDiff.id)
        .execution_options(yield_per=STREAM_ROWS)
    )
    count = 0
    for count, (d, name) in enumerate(uow.session.execute(dq), start=1):
        diffs.append(
            [
                count,
                name or "（未登记机构）",
                D.DIFF_SOURCE_ZH.get(d.source, d.source),
                d.setl_id,
                d.description,
                None if d.inst_fen is None else _money(diffs, int(d.inst_fen)),
                None if d.centre_fen is None else _money(diffs, int(d.centre_fen)),
                D.DIFF_STATE_ZH.get(d.state, d.state),
                d.note,
            ]
        )
    diffs.append([_bold(diffs, "合计"), _bold(diffs, f"{count}条")])
    wb.save(out)


def bank_rows(uow: UnitOfWork, run: InstitutionPaymentRun) -> Iterable[list[str]]:
    """The payment order's lines awaiting the bank, in the columns of ``BANK_COLUMNS``."""
    if not run.order_no:
        return
    q = (
        select(InstitutionPaymentLine, Institution.name)
        .outerjoin(Institution, Institution.fixmedins_code == InstitutionPaymentLine.fixmedins_code)
        .where(InstitutionPaymentLine.run_id == run.id)
        .order_by(InstitutionPaymentLine.fixmedins_code)
        .execution_options(yield_per=STREAM_ROWS)
    )
    year, mon = run.month.split("-")
    for seq, (line, name) in enumerate(uow.session.execute(q), start=1):
        if line.state != "ordered":
            continue
        placeholder = f"{D.UNKNOWN_ACCOUNT}（机构编码 {line.fixmedins_code}）"
        yield [
            run.order_no,
            D.line_reference(run.order_no, seq, int(line.attempt)),
            name or line.fixmedins_code,
            placeholder,
            D.UNKNOWN_ACCOUNT,
            D.yuan_text(int(line.total_fen)),
            f"{year}年{int(mon)}月定点医药机构医疗费用拨付",
        ]


def write_bank_export(uow: UnitOfWork, run: InstitutionPaymentRun, out: io.TextIOBase | Any) -> int:
    """Write the CSV (the caller opens ``out`` with ``encoding="utf-8-sig", newline=""``)."""
    writer = csv.writer(out)
    writer.writerow(D.BANK_COLUMNS)
    n = 0
    for row in bank_rows(uow, run):
        writer.writerow(row)
        n += 1
    return n


def bank_export_bytes(uow: UnitOfWork, run: InstitutionPaymentRun) -> bytes:
    buffer = io.StringIO(newline="")
    write_bank_export(uow, run, buffer)
    return buffer.getvalue().encode("utf-8-sig")


def read_bank_export(content: bytes) -> list[dict[str, str]]:
    """The CSV read back: one dict per line, keyed by the Chinese column names."""
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    if tuple(header) != D.BANK_COLUMNS:
        raise ValueError(f"unexpected header {header!r}")
    return [dict(zip(header, row, strict=True)) for row in reader]
