"""A staff list as an Excel file (issue 17): Chinese headers, yuan amounts, streamed.

openpyxl's write-only workbook holds one row at a time; the file is written to a spooled
temporary file (in memory up to 8 MB, then on disk) and handed out in chunks, so an export of
100,000 rows never holds them all. Callers pass values already masked for the viewer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gongji.domain.clock import SHANGHAI

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class XCol:
    header: str
    kind: str = "text"  # text · yuan (an int of fen, shown as yuan) · date · int
    width: int = 14


def write(title: str, cols: Sequence[XCol], rows: Iterable[Sequence[Any]], *, caption: str = "") -> IO[bytes]:
    """The workbook in a rewound temporary file: an optional caption line, the header, the rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for i, c in enumerate(cols):
        sheet.column_dimensions[_letter(i)].width = c.width
    bold = Font(bold=True)
    if caption:
        cell = WriteOnlyCell(sheet, value=caption)
        cell.font = bold
        sheet.append([cell])
    header = []
    for c in cols:
        cell = WriteOnlyCell(sheet, value=c.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, c, v) for c, v in zip(cols, row, strict=True)])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - handed to the caller
    book.save(out)
    out.seek(0)
    return out


def chunks(f: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := f.read(CHUNK):
            yield block
    finally:
        f.close()


def disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the Chinese name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"


def _cell(sheet: Any, col: XCol, value: Any) -> Any:
    if value is None or value == "":
        return None
    if col.kind == "yuan":
        cell = WriteOnlyCell(sheet, value=Decimal(int(value)) / 100)
        cell.number_format = "#,##0.00"
        return cell
    if col.kind == "date" and isinstance(value, date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(SHANGHAI).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd"
        return cell
    if col.kind == "int":
        return int(value)
    return str(value)


def _letter(i: int) -> str:
    return get_column_letter(i + 1)
