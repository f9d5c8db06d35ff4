"""Reconciliation and files of the national 两定 interface: 9001 sign-in, 9101 upload, 9102
download, 3201 对总账 and 3202 对明细账 (INTERFACE.md §2, §4).

Each function works inside the caller's unit of work (``services.settlement.interface`` commits) and returns the
spec's ``output`` object (9102 returns the file itself as an ``answer.Answer``).

**The centre's side.** What the centre compares with is the ``settlement`` table: a 2207 writes a
row (``refd_setl_flag`` "0", status "settled"); a cancellation (2208/2601) sets the original's
status to "cancelled" and writes its own row (``refd_setl_flag`` "1", status "reversal", negative
amounts, its own ``setl_id``). The rows taken are the institution's own, with the ``clr_type``
asked for, ``insured_region`` (the clearing agency, 清算经办机构) equal to ``setl_optins`` and a
``setl_time`` (Beijing time, "以医保结算返回的结算时间作为依据") within ``stmt_begndate`` 00:00:00 ..
``stmt_enddate`` 23:59:59; 3201 also filters on ``insutype``.

**Refunds (定点医药机构退费结算标志).** ``fixmedins_refd_setl_flag`` says whether the institution's
figures include refunds ("如果是退费的数据，需传入正向和反向两条数据"):

* "1" — they do: the centre takes every row in range, forward rows positive and cancellation rows
  negative, and the count is the number of rows (a settlement cancelled within the range counts
  twice and nets to 0);
* "0" — they do not: the centre takes only forward settlements still in force (status "settled");
  cancelled originals and cancellation rows are left out.

When the flag is absent (some clients omit it) ``refd_setl_flag`` is used, and failing that "0".

**3201** compares 医疗费总额, 基金支付总额, 个人账户支付金额 and the count; ``stmt_rslt`` is "0"
(平) or "1" (不平) and ``stmt_rslt_dscr`` names each difference with both figures, e.g.
"医疗费总额：机构 123.00，中心 120.00；结算笔数：机构 3，中心 2", or says "平".

**3202** reads the detail file uploaded with 9101: a ZIP holding one UTF-8 TXT file, tab-separated,
no header, one settlement a line: ``setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt,
acct_pay, refd_setl_flag`` (amounts in yuan, up to 2 decimals; "null" for an absent value). The
request's declared 医疗费总额, 基金支付总额 and 笔数 must equal the file's sums (else
``AmountsMismatch``); ``cash_payamt`` is read but not compared, as the file has no cash column.
Lines are matched with the centre's rows by ``setl_id``. The result file (ZIP with ``result.txt``,
columns ``psn_no, mdtrt_id, setl_id, msgid, stmt_rslt, refd_setl_flag, memo, medfee_sumamt,
fund_pay_sumamt, acct_pay``) lists only the rows that differ — "中心无此结算", "机构未上传该结算",
"金额不符：…", "退费结算标志不符：…" — with the centre's values where it has the row and "null"
where not. It is stored for 9102 and the answer gives its ``fileinfo``; ``stmt_rslt`` and
``diff_cnt`` beside it are a lenient extension. The spec's case "中心端有多条明细" does not arise:
a ``setl_id`` names one row.

Files (``nhsa_file``) can be downloaded by their own institution only, until ``dld_endtime`` (one
day after they were stored). :func:`build_detail_file` and :func:`read_result_file` make and read
the two TXT-in-ZIP formats for tests and the hospital simulator.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import io
import re
import secrets
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import (
    Institution,
    NhsaFile,
    NhsaSignIn,
    NhsaStatement,
    NhsaStatementLine,
    Settlement,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import AmountsMismatch, FileUnknown, InvalidRequest, WrongInstitution
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement.answer import Answer
from gongji.services.settlement.lookups import psn_no

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""9101: the largest file accepted (the compressed ZIP as sent)."""
MAX_TEXT_BYTES = 64 * 1024 * 1024
"""The largest TXT file inside a ZIP, uncompressed (a guard against ZIP bombs)."""
MAX_DETAIL_ROWS = 200_000
MAX_RANGE_DAYS = 366
FILE_LIFETIME = timedelta(days=1)
"""A stored file can be downloaded (9102) or used (3202) until this long after it was stored."""

DETAIL_COLUMNS = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "refd_setl_flag")
"""3202 input TXT file (uploaded with 9101)."""
RESULT_COLUMNS = (
    "psn_no",
    "mdtrt_id",
    "setl_id",
    "msgid",
    "stmt_rslt",
    "refd_setl_flag",
    "memo",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "acct_pay",
)
"""3202 output TXT file (downloaded with 9102)."""
AMOUNT_COLUMNS = frozenset({"medfee_sumamt", "fund_pay_sumamt", "acct_pay"})
RESULT_MEMBER = "result.txt"
NULL = "null"

_YUAN = re.compile(r"^([+-])?(\d{1,14})(?:\.(\d{1,2}))?$")
_COLUMN_NAMES = {
    "setl_id": "结算ID",
    "mdtrt_id": "就诊ID",
    "psn_no": "人员编号",
    "medfee_sumamt": "医疗费总额",
    "fund_pay_sumamt": "基金支付总额",
    "acct_pay": "个人账户支出",
    "refd_setl_flag": "退费结算标志",
}


# --- small helpers -------------------------------------------------------------------------------------------


def _utc_now(ctx: Ctx) -> datetime:
    return ctx.clock.now().astimezone(UTC)


def _local(moment: datetime) -> datetime:
    """Beijing wall time without a zone, as the interface speaks it."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)


def _as_utc(value: datetime) -> datetime:
    """SQLite gives timezone columns back naive; this module stores them in UTC."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _fmt(moment: datetime) -> str:
    return _local(_as_utc(moment)).strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen: int) -> str:
    """Fen → yuan text with two decimals, as in the TXT files and descriptions: -1230 → "-12.30"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _parse_yuan(text: str) -> int | None:
    match = _YUAN.match(text)
    if match is None:
        return None
    sign, whole, cents = match.groups()
    fen = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -fen if sign == "-" else fen


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _required_text(node: Mapping[str, Any], name: str, label: str, max_len: int = 30) -> str:
    text = _text(node.get(name))
    if not text or text.lower() == NULL:
        raise InvalidRequest(f"缺少{label}（{name}）", f"Missing {name}", field=name)
    if len(text) > max_len:
        raise InvalidRequest(f"{label}（{name}）超过最大长度{max_len}", f"{name} is longer than {max_len}", field=name)
    return text


def _fen(data: Mapping[str, Any], name: str, label: str) -> int:
    value = data.get(name)
    if value is None:
        raise InvalidRequest(f"缺少{label}（{name}）", f"Missing {name}", field=name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{label}（{name}）须为金额", f"{name} must be an amount", field=name)
    return value


def _count(data: Mapping[str, Any], name: str = "fixmedins_setl_cnt") -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest(
            f"定点医药机构结算笔数（{name}）须为非负整数", f"{name} must be a whole number ≥ 0", field=name
        )
    return value


def _day(data: Mapping[str, Any], name: str, label: str) -> date:
    value = data.get(name)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidRequest(f"{label}（{name}）须为日期 yyyy-MM-dd", f"{name} must be a date yyyy-MM-dd", field=name)


def _range(data: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """[begin 00:00:00, the day after end 00:00:00) in Beijing wall time."""
    begin = _day(data, "stmt_begndate", "对账开始日期")
    end = _day(data, "stmt_enddate", "对账结束日期")
    if begin > end:
        raise InvalidRequest(
            f"对账开始日期 {begin} 晚于对账结束日期 {end}",
            f"stmt_begndate {begin} is after stmt_enddate {end}",
            field="stmt_begndate",
        )
    if (end - begin).days >= MAX_RANGE_DAYS:
        raise InvalidRequest(
            f"对账期间不能超过{MAX_RANGE_DAYS}天",
            f"The period may not exceed {MAX_RANGE_DAYS} days",
            field="stmt_enddate",
        )
    return datetime.combine(begin, time()), datetime.combine(end + timedelta(days=1), time())


def _includes_refunds(data: Mapping[str, Any]) -> bool:
    """fixmedins_refd_setl_flag ("1": the institution's figures include refunds), see the module docstring."""
    name = "fixmedins_refd_setl_flag"
    flag = _text(data.get(name))
    if not flag:
        name = "refd_setl_flag"
        flag = _text(data.get(name)) or "0"
    if flag not in ("0", "1"):
        raise InvalidRequest(f"退费结算标志（{name}）须为0或1", f"{name} must be 0 or 1", field=name)
    return flag == "1"


def _in_force(row: Settlement) -> bool:
    return row.refd_setl_flag == "0" and row.status == "settled"


# --- 9001 签到 ----------------------------------------------------------------------------------------------------


def sign_in(uow: UnitOfWork, ctx: Ctx, institution: Institution, node: Mapping[str, Any]) -> dict[str, Any]:
    """9001: record the sign-in and give a new ``sign_no`` (yyyyMMddHHmmss + 10 random digits)."""
    opter_no = _required_text(node, "opter_no", "操作员编号")
    now = _utc_now(ctx)
    stamp = _local(now).strftime("%Y%m%d%H%M%S")
    sign_no = ""
    for _ in range(10):
        sign_no = f"{stamp}{secrets.randbelow(10**10):010d}"
        if uow.session.scalar(select(NhsaSignIn.id).where(NhsaSignIn.sign_no == sign_no)) is None:
            break
    row = NhsaSignIn(fixmedins_code=institution.fixmedins_code, opter_no=opter_no, sign_no=sign_no, sign_time=now)
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "nhsa.9001",
        "nhsa_sign_in",
        row.id,
        fixmedins_code=institution.fixmedins_code,
        opter_no=opter_no,
        mac=_text(node.get("mac"))[:40],
        ip=_text(node.get("ip"))[:64],
        sign_no=sign_no,
    )
    return {"signinoutb": {"sign_time": _fmt(now), "sign_no": sign_no}}


# --- 9101 / 9102 files --------------------------------------------------------------------------------------------


def _file_bytes(value: object) -> bytes:
    """9101 ``in``: bytes, a list of byte values (0..255; Java's signed -128..-1 too) or Base64 text."""
    bad = InvalidRequest(
        "文件数据（in）须为字节数组（0-255）或Base64字符串",
        "File data (in) must be an array of bytes (0-255) or a Base64 text",
        field="in",
    )
    too_big = InvalidRequest(
        f"文件数据（in）超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB上限",
        f"File data (in) exceeds the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit",
        field="in",
    )
    content: bytes
    if value is None:
        raise InvalidRequest("缺少文件数据（in）", "Missing file data (in)", field="in")
    if isinstance(value, bytes | bytearray | memoryview):
        content = bytes(value)
    elif isinstance(value, list):
        if len(value) > MAX_UPLOAD_BYTES:
            raise too_big
        if not all(isinstance(b, int) and not isinstance(b, bool) and -128 <= b <= 255 for b in value):
            raise bad
        content = bytes(b & 0xFF for b in value)
    elif isinstance(value, str):
        text = "".join(value.split())
        if len(text) > (MAX_UPLOAD_BYTES // 3 + 1) * 4:
            raise too_big
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise bad from None
    else:
        raise bad
    if not content:
        raise InvalidRequest("文件数据（in）为空", "File data (in) is empty", field="in")
    if len(content) > MAX_UPLOAD_BYTES:
        raise too_big
    return content


def _filename(value: object) -> str:
    text = _text(value)
    text = re.split(r"[/\\]", text)[-1].strip()  # some clients send a whole path
    if not text or text.lower() == NULL:
        raise InvalidRequest("缺少文件名（filename）", "Missing filename", field="filename")
    if len(text) > 200:
        raise InvalidRequest("文件名（filename）超过最大长度200", "filename is longer than 200", field="filename")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidRequest("文件名（filename）含有控制字符", "filename contains control characters", field="filename")
    return text


def _check_code(node: Mapping[str, Any], institution: Institution) -> None:
    if _text(node.get("fixmedins_code")) != institution.fixmedins_code:
        raise WrongInstitution(
            "医药机构编号（fixmedins_code）与本机构不符",
            "fixmedins_code is not the calling institution's",
            field="fixmedins_code",
        )


def _store(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, *, kind: str, content: bytes, filename: str | None = None
) -> NhsaFile:
    """Keep a file until now + FILE_LIFETIME; without ``filename`` it is named ``<file_qury_no>.zip``."""
    now = _utc_now(ctx)
    prefix = {"upload": "U", "result": "R"}.get(kind, "F")
    stamp = _local(now).strftime("%Y%m%d%H%M%S")
    number = ""
    for _ in range(10):
        number = f"{prefix}{stamp}{secrets.token_hex(6).upper()}"  # 27 characters, unguessable
        if uow.session.scalar(select(NhsaFile.id).where(NhsaFile.file_qury_no == number)) is None:
            break
    row = NhsaFile(
        file_qury_no=number,
        fixmedins_code=institution.fixmedins_code,
        filename=filename or f"{number}.zip",
        kind=kind,
        content=content,
        created_at=now,
        dld_endtime=now + FILE_LIFETIME,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def _own_file(uow: UnitOfWork, ctx: Ctx, institution: Institution, number: object, kind: str | None = None) -> NhsaFile:
    """The institution's own stored file, before its dld_endtime; anything else is FileUnknown."""
    text = _text(number)
    if not text or len(text) > 30:
        raise FileUnknown(field="file_qury_no")
    row = uow.session.scalar(
        select(NhsaFile).where(NhsaFile.file_qury_no == text, NhsaFile.fixmedins_code == institution.fixmedins_code)
    )
    if row is None or (kind is not None and row.kind != kind) or _as_utc(row.dld_endtime) <= _utc_now(ctx):
        raise FileUnknown(field="file_qury_no")
    return row


def upload_file(uow: UnitOfWork, ctx: Ctx, institution: Institution, node: Mapping[str, Any]) -> dict[str, Any]:
    """9101: keep the file for one day; the answer has no node name (spec 9101 output)."""
    _check_code(node, institution)
    filename = _filename(node.get("filename"))
    content = _file_bytes(node.get("in"))
    row = _store(uow, ctx, institution, kind="upload", filename=filename, content=content)
    audit_event(
        uow,
        ctx,
        "nhsa.9101",
        "nhsa_file",
        row.file_qury_no,
        fixmedins_code=institution.fixmedins_code,
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return {
        "file_qury_no": row.file_qury_no,
        "filename": row.filename,
        "fixmedins_code": institution.fixmedins_code,
        "dld_endtime": _fmt(row.dld_endtime),
    }


def download_file(uow: UnitOfWork, ctx: Ctx, institution: Institution, node: Mapping[str, Any]) -> Answer:
    """9102: the institution's own file (an upload or a 3202 result) as a stream, until dld_endtime.

    ``filename`` is not checked against the stored name (clients differ); the stored name is sent."""

    if _text(node.get("fixmedins_code")) == "plc":  # 政策中心 files (1301-1319): none are offered
        raise FileUnknown(field="file_qury_no")
    _check_code(node, institution)
    row = _own_file(uow, ctx, institution, node.get("file_qury_no"))
    audit_event(
        uow,
        ctx,
        "nhsa.9102",
        "nhsa_file",
        row.file_qury_no,
        fixmedins_code=institution.fixmedins_code,
        kind=row.kind,
        size=len(row.content),
    )
    return Answer(200, content=bytes(row.content), filename=row.filename)


# --- TXT-in-ZIP files ---------------------------------------------------------------------------------------------


def _bad_file(zh: str, en: str, **detail: Any) -> InvalidRequest:
    return InvalidRequest(zh, en, field="file_qury_no", **detail)


def _bad_line(number: int, zh: str, en: str) -> InvalidRequest:
    return _bad_file(f"明细文件第{number}行：{zh}", f"Detail file line {number}: {en}", line=number)


def _zip_text(member: str, lines: Iterable[Sequence[str]]) -> bytes:
    text = "".join("\t".join(cells) + "\n" for cells in lines)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text.encode("utf-8"))
    return buffer.getvalue()


def _unzip_text(content: bytes) -> bytes:
    """The one TXT file inside a ZIP, uncompressed (bounded)."""
    broken = _bad_file("文件不是有效的ZIP压缩包", "The file is not a valid ZIP archive")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            texts = [info for info in members if info.filename.lower().endswith(".txt")] or members
            if len(texts) != 1:
                raise _bad_file(
                    f"压缩包中须恰有一个TXT文件，实际{len(texts)}个",
                    f"The ZIP must hold exactly one TXT file, it holds {len(texts)}",
                )
            info = texts[0]
            if info.file_size > MAX_TEXT_BYTES:
                raise _bad_file("压缩包中的TXT文件过大", "The TXT file inside the ZIP is too large")
            with archive.open(info) as handle:
                data = handle.read(MAX_TEXT_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError):
        raise broken from None
    except (RuntimeError, NotImplementedError):  # encrypted, or an unsupported compression method
        raise broken from None
    if len(data) > MAX_TEXT_BYTES:
        raise _bad_file("压缩包中的TXT文件过大", "The TXT file inside the ZIP is too large")
    return data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data


def _lines(data: bytes, width: int) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank line, split on TAB; trailing empty cells past ``width`` dropped."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_line(number, "不是UTF-8编码的文本", "is not UTF-8 text") from None
        cells = line.split("\t")
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) != width:
            raise _bad_line(
                number,
                f"应有{width}列（以TAB分隔），实际{len(cells)}列",
                f"should have {width} tab-separated columns, has {len(cells)}",
            )
        yield number, [cell.strip() for cell in cells]


@dataclass(frozen=True)
class DetailLine:
    """One line of the 3202 detail file; amounts in fen."""

    line: int
    setl_id: str
    mdtrt_id: str | None
    psn_no: str | None
    medfee_fen: int
    fund_pay_sumamt_fen: int
    acct_pay_fen: int
    refd_setl_flag: str


def read_detail_file(content: bytes) -> list[DetailLine]:
    """Parse a 3202 detail file (ZIP of one TXT); a problem is InvalidRequest naming the line."""
    data = _unzip_text(content)
    rows: list[DetailLine] = []
    seen: dict[str, int] = {}
    for number, cells in _lines(data, len(DETAIL_COLUMNS)):
        if not rows and not seen and cells[0].lower() == "setl_id":
            continue  # a header line, though the spec has none
        if len(rows) >= MAX_DETAIL_ROWS:
            raise _bad_line(number, f"超过最大行数{MAX_DETAIL_ROWS}", f"more than {MAX_DETAIL_ROWS} lines")
        values = dict(zip(DETAIL_COLUMNS, cells, strict=True))
        for name in ("setl_id", "mdtrt_id", "psn_no"):
            if len(values[name]) > 30:
                raise _bad_line(
                    number, f"{_COLUMN_NAMES[name]}（{name}）超过最大长度30", f"{name} is longer than 30 characters"
                )
        setl_id = values["setl_id"]
        if not setl_id or setl_id.lower() == NULL:
            raise _bad_line(number, "缺少结算ID（setl_id）", "setl_id is missing")
        if setl_id in seen:
            raise _bad_line(
                number,
                f"结算ID {setl_id} 与第{seen[setl_id]}行重复",
                f"setl_id {setl_id} repeats line {seen[setl_id]}",
            )
        amounts: dict[str, int] = {}
        for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"):
            text = values[name]
            fen = 0 if text in ("", NULL) else _parse_yuan(text)
            if fen is None:
                raise _bad_line(
                    number,
                    f"{_COLUMN_NAMES[name]}（{name}）须为金额，最多2位小数，实际为“{text[:20]}”",
                    f"{name} must be an amount with at most 2 decimals, got {text[:20]!r}",
                )
            amounts[name] = fen
        flag = values["refd_setl_flag"]
        if flag not in ("0", "1"):
            raise _bad_line(
                number,
                f"退费结算标志（refd_setl_flag）须为0或1，实际为“{flag[:20]}”",
                f"refd_setl_flag must be 0 or 1, got {flag[:20]!r}",
            )
        seen[setl_id] = number
        rows.append(
            DetailLine(
                line=number,
                setl_id=setl_id,
                mdtrt_id=None if values["mdtrt_id"] in ("", NULL) else values["mdtrt_id"],
                psn_no=None if values["psn_no"] in ("", NULL) else values["psn_no"],
                medfee_fen=amounts["medfee_sumamt"],
                fund_pay_sumamt_fen=amounts["fund_pay_sumamt"],
                acct_pay_fen=amounts["acct_pay"],
                refd_setl_flag=flag,
            )
        )
    return rows


def _cell(name: str, value: object) -> str:
    if value is None:
        return NULL
    if name in AMOUNT_COLUMNS:
        if isinstance(value, int) and not isinstance(value, bool):
            return yuan(value)
        if isinstance(value, Decimal):
            return f"{value:.2f}"
    return str(value)


def build_detail_file(rows: Iterable[Mapping[str, Any] | Sequence[Any]], *, member: str = "detail.txt") -> bytes:
    """A 3202 detail file: a ZIP holding one UTF-8 TXT, tab-separated, no header.

    A row is a mapping with the keys of :data:`DETAIL_COLUMNS` or a sequence in that order. Amounts
    given as ``int`` are fen and ``Decimal`` are yuan, both written as yuan with two decimals; a
    ``str`` is written as it is (so tests can write malformed lines) and ``None`` as "null".
    """
    lines: list[list[str]] = []
    for row in rows:
        if isinstance(row, Mapping):
            lines.append([_cell(name, row.get(name)) for name in DETAIL_COLUMNS])
        else:
            lines.append([_cell(name, value) for name, value in zip(DETAIL_COLUMNS, row, strict=False)])
    return _zip_text(member, lines)


def read_result_file(content: bytes) -> list[dict[str, Any]]:
    """The rows of a 3202 result file (from 9102): keys of :data:`RESULT_COLUMNS`, "null" → None,
    amounts as int fen."""
    rows: list[dict[str, Any]] = []
    for number, cells in _lines(_unzip_text(content), len(RESULT_COLUMNS)):
        row: dict[str, Any] = {}
        for name, text in zip(RESULT_COLUMNS, cells, strict=True):
            if text in ("", NULL):
                row[name] = None
            elif name in AMOUNT_COLUMNS:
                fen = _parse_yuan(text)
                if fen is None:
                    raise _bad_line(number, f"{name} 不是金额", f"{name} is not an amount")
                row[name] = fen
            else:
                row[name] = text
        rows.append(row)
    return rows


def _record(
    uow: UnitOfWork,
    ctx: Ctx,
    infno: str,
    institution: Institution,
    data: Mapping[str, Any],
    period: tuple[datetime, datetime, bool],
    *,
    insutype: str | None,
    declared: tuple[int, int, int | None, int],
    result: str,
    description: str,
) -> NhsaStatement:
    """Keep the reconciliation as answered: the monthly payment of institutions lists its
    differences per institution and settlement (``services.backoffice.institution_payments``)."""
    row = NhsaStatement(
        infno=infno,
        fixmedins_code=institution.fixmedins_code,
        insutype=insutype,
        clr_type=_text(data.get("clr_type"))[:6],
        setl_optins=_text(data.get("setl_optins"))[:6],
        period_start=period[0],
        period_stop=period[1],
        includes_refunds=period[2],
        declared_medfee_fen=declared[0],
        declared_fund_fen=declared[1],
        declared_acct_fen=declared[2],
        declared_count=declared[3],
        stmt_rslt=result,
        description=description[:200],
        created_at=_utc_now(ctx),
    )
    uow.session.add(row)
    uow.session.flush()
    return row


# --- 3201 对总账 ----------------------------------------------------------------------------------------------------


def statement_totals(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: Mapping[str, Any]) -> dict[str, Any]:
    """3201: compare the institution's totals with the centre's for one insutype × clr_type ×
    clearing agency over a period (the centre's rows and the refund rule: module docstring)."""
    insutype = _required_text(data, "insutype", "险种", 6)
    clr_type = _required_text(data, "clr_type", "清算类别", 6)
    setl_optins = _required_text(data, "setl_optins", "结算经办机构", 6)
    start, stop = _range(data)
    refunds = _includes_refunds(data)
    declared = {
        "medfee": _fen(data, "medfee_sumamt", "医疗费总额"),
        "fund": _fen(data, "fund_pay_sumamt", "基金支付总额"),
        "acct": _fen(data, "acct_pay", "个人账户支付金额"),
    }
    count = _count(data)
    conditions = [
        Settlement.fixmedins_code == institution.fixmedins_code,
        Settlement.setl_time >= start,
        Settlement.setl_time < stop,
        Settlement.insutype == insutype,
        Settlement.clr_type == clr_type,
        Settlement.insured_region == setl_optins,
    ]
    if not refunds:
        conditions += [Settlement.refd_setl_flag == "0", Settlement.status == "settled"]
    totals = uow.session.execute(
        select(
            func.count(Settlement.id),
            func.coalesce(func.sum(Settlement.medfee_fen), 0),
            func.coalesce(func.sum(Settlement.fund_pay_sumamt_fen), 0),
            func.coalesce(func.sum(Settlement.acct_pay_fen), 0),
        ).where(*conditions)
    ).one()
    centre_count = int(totals[0])
    centre = {"medfee": int(totals[1]), "fund": int(totals[2]), "acct": int(totals[3])}
    differences = [
        f"{label}：机构 {yuan(declared[key])}，中心 {yuan(centre[key])}"
        for key, label in (("medfee", "医疗费总额"), ("fund", "基金支付总额"), ("acct", "个人账户支付金额"))
        if declared[key] != centre[key]
    ]
    if count != centre_count:
        differences.append(f"结算笔数：机构 {count}，中心 {centre_count}")
    result = "1" if differences else "0"
    description = "；".join(differences)[:200] if differences else "平"
    _record(
        uow,
        ctx,
        "3201",
        institution,
        data,
        (start, stop, refunds),
        insutype=insutype,
        declared=(declared["medfee"], declared["fund"], declared["acct"], count),
        result=result,
        description=description,
    )
    audit_event(
        uow,
        ctx,
        "nhsa.3201",
        "reconciliation",
        institution.fixmedins_code,
        insutype=insutype,
        clr_type=clr_type,
        setl_optins=setl_optins,
        begin=start.date().isoformat(),
        end=(stop.date() - timedelta(days=1)).isoformat(),
        includes_refunds=refunds,
        stmt_rslt=result,
        centre_count=centre_count,
        centre_medfee_fen=centre["medfee"],
    )
    return {
        "stmtinfo": {
            "setl_optins": setl_optins,
            "stmt_rslt": result,
            "stmt_rslt_dscr": description,
        }
    }


# --- 3202 对明细账 ----------------------------------------------------------------------------------------------------


def _check_declared(data: Mapping[str, Any], lines: list[DetailLine]) -> None:
    """The request's totals must be the detail file's sums (else the file is not the one meant)."""
    pairs = (
        ("医疗费总额", _fen(data, "medfee_sumamt", "医疗费总额"), sum(x.medfee_fen for x in lines), True),
        (
            "基金支付总额",
            _fen(data, "fund_pay_sumamt", "基金支付总额"),
            sum(x.fund_pay_sumamt_fen for x in lines),
            True,
        ),
        ("结算笔数", _count(data), len(lines), False),
    )
    _fen(data, "cash_payamt", "现金支付金额")  # required by the spec, not comparable with the file
    wrong = [
        f"{label} 申报 {yuan(said) if money else said}，文件 {yuan(filed) if money else filed}"
        for label, said, filed, money in pairs
        if said != filed
    ]
    if wrong:
        raise AmountsMismatch(
            "对明细账申报数与明细文件合计不符：" + "；".join(wrong),
            "The declared totals differ from the detail file's sums",
            field="medfee_sumamt",
        )


def _differences(line: DetailLine, row: Settlement) -> list[str]:
    problems: list[str] = []
    amounts = [
        f"{label} 机构 {yuan(mine)}，中心 {yuan(theirs)}"
        for label, mine, theirs in (
            ("医疗费总额", line.medfee_fen, row.medfee_fen),
            ("基金支付总额", line.fund_pay_sumamt_fen, row.fund_pay_sumamt_fen),
            ("个人账户支出", line.acct_pay_fen, row.acct_pay_fen),
        )
        if mine != theirs
    ]
    if amounts:
        problems.append("金额不符：" + "；".join(amounts))
    if line.refd_setl_flag != row.refd_setl_flag:
        problems.append(f"退费结算标志不符：机构 {line.refd_setl_flag}，中心 {row.refd_setl_flag}")
    if line.mdtrt_id is not None and line.mdtrt_id != str(row.visit_id):
        problems.append(f"就诊ID不符：机构 {line.mdtrt_id}，中心 {row.visit_id}")
    if line.psn_no is not None and line.psn_no != psn_no(row.person_id):
        problems.append(f"人员编号不符：机构 {line.psn_no}，中心 {psn_no(row.person_id)}")
    return problems


def _result_line(line: DetailLine | None, row: Settlement | None, memo: str) -> list[str]:
    if row is not None:
        return [
            psn_no(row.person_id),
            str(row.visit_id),
            str(row.id),
            row.msgid or NULL,
            "1",
            row.refd_setl_flag,
            memo[:500],
            yuan(row.medfee_fen),
            yuan(row.fund_pay_sumamt_fen),
            yuan(row.acct_pay_fen),
        ]
    assert line is not None
    return [
        line.psn_no or NULL,
        line.mdtrt_id or NULL,
        line.setl_id,
        NULL,
        "1",
        line.refd_setl_flag,
        memo[:500],
        NULL,
        NULL,
        NULL,
    ]


def statement_details(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: Mapping[str, Any]) -> dict[str, Any]:
    """3202: compare the uploaded detail file line by line with the centre's rows (module docstring);
    store the result file of the differing rows for 9102."""
    clr_type = _required_text(data, "clr_type", "清算类别", 6)
    setl_optins = _required_text(data, "setl_optins", "结算经办机构", 6)
    start, stop = _range(data)
    refunds = _includes_refunds(data)
    source = _own_file(uow, ctx, institution, data.get("file_qury_no"), kind="upload")
    lines = read_detail_file(bytes(source.content))
    _check_declared(data, lines)

    in_range = list(
        uow.session.scalars(
            select(Settlement)
            .where(
                Settlement.fixmedins_code == institution.fixmedins_code,
                Settlement.setl_time >= start,
                Settlement.setl_time < stop,
                Settlement.clr_type == clr_type,
                Settlement.insured_region == setl_optins,
            )
            .order_by(Settlement.setl_time, Settlement.id)
        )
    )
    compared = {str(row.id): row for row in in_range if refunds or _in_force(row)}
    left_out = {str(row.id): row for row in in_range if str(row.id) not in compared}

    result: list[list[str]] = []
    found: list[tuple[DetailLine | None, Settlement | None, str]] = []
    uploaded: set[str] = set()
    for line in lines:
        uploaded.add(line.setl_id)
        row = compared.get(line.setl_id)
        if row is None:
            other = left_out.get(line.setl_id)
            if other is None:
                memo = "中心无此结算"
            elif other.status == "cancelled":
                memo = "中心该结算已撤销（定点医药机构退费结算标志为0时不参与对账）"
            else:
                memo = "中心该结算为退费结算（定点医药机构退费结算标志为0时不参与对账）"
            found.append((line, other, memo))
            continue
        problems = _differences(line, row)
        if problems:
            found.append((line, row, "；".join(problems)))
    for setl_id, row in compared.items():
        if setl_id not in uploaded:
            found.append((None, row, "机构未上传该结算"))
    result = [_result_line(line, row, memo) for line, row, memo in found]

    content = _zip_text(RESULT_MEMBER, result)
    stored = _store(uow, ctx, institution, kind="result", content=content)
    outcome = "1" if result else "0"
    kept = _record(
        uow,
        ctx,
        "3202",
        institution,
        data,
        (start, stop, refunds),
        insutype=None,
        declared=(
            _fen(data, "medfee_sumamt", "医疗费总额"),
            _fen(data, "fund_pay_sumamt", "基金支付总额"),
            None,
            len(lines),
        ),
        result=outcome,
        description=f"差异{len(result)}笔" if result else "平",
    )
    uow.session.add_all(
        NhsaStatementLine(
            statement_id=kept.id,
            setl_id=line.setl_id if line is not None else str(row.id if row is not None else ""),
            settlement_id=row.id if row is not None else None,
            memo=memo[:500],
            inst_medfee_fen=line.medfee_fen if line is not None else None,
            inst_fund_fen=line.fund_pay_sumamt_fen if line is not None else None,
            inst_acct_fen=line.acct_pay_fen if line is not None else None,
        )
        for line, row, memo in found
    )
    audit_event(
        uow,
        ctx,
        "nhsa.3202",
        "reconciliation",
        institution.fixmedins_code,
        clr_type=clr_type,
        setl_optins=setl_optins,
        begin=start.date().isoformat(),
        end=(stop.date() - timedelta(days=1)).isoformat(),
        includes_refunds=refunds,
        source_file=source.file_qury_no,
        result_file=stored.file_qury_no,
        lines=len(lines),
        stmt_rslt=outcome,
        diff_cnt=len(result),
    )
    return {
        "fileinfo": {
            "file_qury_no": stored.file_qury_no,
            "filename": stored.filename,
            "dld_endtime": _fmt(stored.dld_endtime),
        },
        "stmt_rslt": outcome,
        "diff_cnt": len(result),
    }
