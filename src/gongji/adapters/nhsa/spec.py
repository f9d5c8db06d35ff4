"""The 两定 transaction field tables and lenient input validation (INTERFACE.md §2, §4).

The tables live in ``data/nhsa/fields.json``, generated from the Hunan spec V1.1.27 by
``scripts/extract_nhsa_fields.py`` (see ``data/nhsa/SOURCE.md``). They are loaded once.

:func:`parse_input` checks and normalises a request's ``input`` object:

* every input node of the transaction must be present; a list node (2204 ``feedetail``) must be a list
  of objects, any other node an object (a one-element list is accepted too);
* a required field that is absent, null, blank or the text "null" is a :class:`SpecViolation`, unless the
  field is *relaxed* (real clients omit it; see ``relaxed`` in fields.json); an optional field given as
  absent / null / "" / "null" becomes ``None`` (the spec has clients send "null" texts);
* values are normalised by type: string → ``str`` (numbers are stringified, surrounding blanks removed)
  checked against the length in characters; money, 数值型(16,2) → ``int`` fen; other numbers with scale
  0 → ``int``, with a scale → ``Decimal``; date ``yyyy-MM-dd`` → ``datetime.date``; datetime
  ``yyyy-MM-dd HH:mm:ss`` (a ``T`` separator is accepted) → naive ``datetime.datetime``; bytes (9101
  ``in``) → ``bytes`` from a list of byte values or a Base64 text;
* fields and nodes the spec does not know are kept unchanged.

:func:`output_node` and :func:`money` help build responses.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, cast, overload

FieldType = Literal["string", "number", "date", "datetime", "bytes"]

# Limits on what one request may carry ("put a limit on everything").
MAX_LIST_ROWS = 10_000  # rows in one list node (e.g. 2204 feedetail)
MAX_FILE_BYTES = 8 * 1024 * 1024  # 9101 file content (Base64 of it stays under the guard's 12 MB 两定 cap)
_MAX_NUMBER_TEXT = 64  # characters of a numeric text
_DEFAULT_INTEGER_DIGITS = 18  # for numbers whose length the spec leaves blank

_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")
_WIDE = Context(prec=60)
_FREE_FORM = frozenset({"exp_content"})  # 字段扩展: some clients send a JSON object/list instead of text
BORROWED: dict[str, str] = {"2206": "2207"}
"""2206 (预结算) has no fee parts in the spec, but HIS send 2207's input to it: fields of the lender's
nodes that the borrower lacks are read by the lender's rules when present (never required), so an
amount is yuan whichever transaction carries it (``12`` is 12.00 yuan, not 0.12)."""


@dataclass(frozen=True)
class FieldSpec:
    code: str
    name: str
    type: FieldType
    length: int | None
    scale: int | None
    dict: bool  # 代码标识: the value is a code from a code table
    required: bool  # as the spec says (是否必填 / 是否非空)
    relaxed: bool = False  # required by the spec, but accepted as missing (real clients omit it)
    note: str = ""

    @property
    def is_money(self) -> bool:
        """数值型(16,2): an amount of money, carried as int fen inside Gongji."""
        return self.type == "number" and self.length == 16 and self.scale == 2

    @property
    def enforced(self) -> bool:
        """Whether :func:`parse_input` refuses the field when it is missing."""
        return self.required and not self.relaxed


@dataclass(frozen=True)
class NodeSpec:
    name: str  # "" for an output without a node (9101)
    fields: tuple[FieldSpec, ...]
    is_list: bool

    def field(self, code: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.fields)


@dataclass(frozen=True)
class TransactionSpec:
    infno: str
    name: str
    inputs: tuple[NodeSpec, ...]
    outputs: tuple[NodeSpec, ...]
    input_file: NodeSpec | None = None  # columns of an uploaded TXT file (3202 via 9101)
    output_file: NodeSpec | None = None  # columns of a result TXT file (3202 via 9102)

    def input(self, node: str) -> NodeSpec | None:
        return next((n for n in self.inputs if n.name == node), None)

    def output(self, node: str) -> NodeSpec | None:
        return next((n for n in self.outputs if n.name == node), None)


class SpecViolation(Exception):
    """The input breaks the field spec; ``zh`` is meant for ``err_msg``, ``en`` for logs and English clients."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(zh)
        self.field = field
        self.zh = zh
        self.en = en


# --- loading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    transactions: Mapping[str, TransactionSpec]
    aliases: Mapping[str, Mapping[str, Mapping[str, str]]]  # infno -> node -> spec code -> other spelling


def _field(raw: Mapping[str, Any], relaxed: frozenset[str]) -> FieldSpec:
    return FieldSpec(
        code=raw["code"],
        name=raw["name"],
        type=raw["type"],
        length=raw["length"],
        scale=raw["scale"],
        dict=bool(raw["dict"]),
        required=bool(raw["required"]),
        relaxed=raw["code"] in relaxed,
        note=raw.get("note", ""),
    )


def _node(raw: Mapping[str, Any], relaxed: frozenset[str] = frozenset()) -> NodeSpec:
    return NodeSpec(
        name=raw["node"],
        fields=tuple(_field(f, relaxed) for f in raw["fields"]),
        is_list=bool(raw["is_list"]),
    )


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    text = (resources.files("gongji") / "data" / "nhsa" / "fields.json").read_text(encoding="utf-8")
    data = json.loads(text)
    transactions: dict[str, TransactionSpec] = {}
    for infno, raw in data["transactions"].items():
        relaxed = frozenset(data["relaxed"].get(infno, ()))
        transactions[infno] = TransactionSpec(
            infno=infno,
            name=raw["name"],
            inputs=tuple(_node(n, relaxed) for n in raw["inputs"]),
            outputs=tuple(_node(n) for n in raw["outputs"]),
            input_file=_node(raw["input_file"]) if raw.get("input_file") else None,
            output_file=_node(raw["output_file"]) if raw.get("output_file") else None,
        )
    return _Catalogue(transactions=transactions, aliases=data.get("output_aliases", {}))


def transaction(infno: str) -> TransactionSpec | None:
    return _catalogue().transactions.get(infno)


def known_infnos() -> frozenset[str]:
    return frozenset(_catalogue().transactions)


def _require(infno: str) -> TransactionSpec:
    spec = transaction(infno)
    if spec is None:
        raise SpecViolation("infno", f"不支持的交易编号 {infno}", f"Unsupported transaction {infno}")
    return spec


# --- input -------------------------------------------------------------------------------------------------


def parse_input(infno: str, input_obj: object) -> dict[str, Any]:
    """Validate and normalise the ``input`` object of a request for ``infno`` (see the module docstring)."""
    spec = _with_borrowed(infno, _require(infno))
    if not isinstance(input_obj, dict):
        raise SpecViolation("input", "交易输入 input 须为对象", "The input must be a JSON object")
    result: dict[str, Any] = dict(input_obj)  # unknown nodes are kept as given
    for node in spec.inputs:
        if node.name not in input_obj or input_obj[node.name] is None:
            raise SpecViolation(node.name, f"缺少输入节点 {node.name}", f"Missing input node {node.name}")
        value = input_obj[node.name]
        if node.is_list:
            if not isinstance(value, list):
                raise SpecViolation(
                    node.name, f"输入节点 {node.name} 须为列表", f"Input node {node.name} must be a list"
                )
            if len(value) > MAX_LIST_ROWS:
                raise SpecViolation(
                    node.name,
                    f"输入节点 {node.name} 超过最大行数{MAX_LIST_ROWS}",
                    f"Input node {node.name} has more than {MAX_LIST_ROWS} rows",
                )
            rows: list[dict[str, Any]] = []
            for index, row in enumerate(value):
                where = f"{node.name}[{index}]"
                if not isinstance(row, dict):
                    raise SpecViolation(
                        where, f"输入节点 {node.name} 第{index + 1}行须为对象", f"Row {where} must be an object"
                    )
                rows.append(_parse_row(node, row, where))
            result[node.name] = rows
        else:
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if not isinstance(value, dict):
                raise SpecViolation(
                    node.name, f"输入节点 {node.name} 须为对象", f"Input node {node.name} must be an object"
                )
            result[node.name] = _parse_row(node, value, node.name)
    return result


def _with_borrowed(infno: str, spec: TransactionSpec) -> TransactionSpec:
    lender = transaction(BORROWED[infno]) if infno in BORROWED else None
    if lender is None:
        return spec
    nodes = []
    for node in spec.inputs:
        other = lender.input(node.name)
        extra = tuple(
            FieldSpec(**{**f.__dict__, "required": False})
            for f in (other.fields if other else ())
            if f.code not in node.codes
        )
        nodes.append(NodeSpec(node.name, node.fields + extra, node.is_list))
    return TransactionSpec(spec.infno, spec.name, tuple(nodes), spec.outputs, spec.input_file, spec.output_file)


def yuan_to_fen(value: object, code: str) -> int:
    """An amount of the interface (yuan, at most two decimals, a JSON number or a text) as int fen,
    exactly (Decimal, never float arithmetic); raises SpecViolation otherwise."""
    money_field = FieldSpec(code=code, name="金额", type="number", length=16, scale=2, dict=False, required=True)
    return cast(int, _number(money_field, value, code))


def _parse_row(node: NodeSpec, row: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = dict(row)  # unknown fields are kept as given
    for field in node.fields:
        path = f"{where}.{field.code}"
        value = row.get(field.code)
        if _is_blank(value):
            if field.enforced:
                raise SpecViolation(path, f"缺少必填字段 {path}（{field.name}）", f"Missing required field {path}")
            out[field.code] = None
            continue
        out[field.code] = _normalise(field, value, path)
    return out


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return text == "" or text.lower() == "null"
    return False


def _normalise(field: FieldSpec, value: object, path: str) -> object:
    if field.type == "string":
        return _string(field, value, path)
    if field.type == "number":
        return _number(field, value, path)
    if field.type == "date":
        return _date(field, value, path)
    if field.type == "datetime":
        return _datetime(field, value, path)
    return _bytes(field, value, path)


def _label(field: FieldSpec, path: str) -> str:
    return f"字段 {path}（{field.name}）"


def _too_long(field: FieldSpec, path: str, length: int) -> SpecViolation:
    return SpecViolation(
        path, f"{_label(field, path)}超过最大长度{length}", f"Field {path} exceeds the maximum length {length}"
    )


def _string(field: FieldSpec, value: object, path: str) -> object:
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and math.isfinite(value):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif field.code in _FREE_FORM and isinstance(value, dict | list):
        return value
    else:
        raise SpecViolation(path, f"{_label(field, path)}须为字符串", f"Field {path} must be a string")
    if field.length is not None and len(text) > field.length:
        raise _too_long(field, path, field.length)
    return text


def _number(field: FieldSpec, value: object, path: str) -> int | Decimal:
    scale = field.scale or 0
    if scale == 0:
        zh, en = "须为整数", "must be a whole number"
    else:
        zh, en = f"须为数值，最多{scale}位小数", f"must be a number with at most {scale} decimal places"
    bad = SpecViolation(path, f"{_label(field, path)}{zh}", f"Field {path} {en}")

    number: Decimal
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.match(text):
            raise bad
        number = Decimal(text)
    else:
        raise bad
    if not number.is_finite():
        raise bad

    max_integer_digits = field.length - scale if field.length is not None else _DEFAULT_INTEGER_DIGITS
    integer_digits = number.adjusted() + 1 if number.adjusted() >= 0 else 0
    if integer_digits > max_integer_digits:
        raise _too_long(field, path, field.length or _DEFAULT_INTEGER_DIGITS)
    try:
        if number != number.quantize(Decimal(1).scaleb(-scale), context=_WIDE):
            raise bad
    except InvalidOperation:
        raise bad from None

    if field.is_money:
        return int(number.scaleb(2, context=_WIDE))
    if scale == 0:
        return int(number)
    return number


def _date(field: FieldSpec, value: object, path: str) -> date:
    bad = SpecViolation(path, f"{_label(field, path)}日期格式应为 yyyy-MM-dd", f"Field {path} must be yyyy-MM-dd")
    if not isinstance(value, str) or not _DATE_TEXT.match(value.strip()):
        raise bad
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise bad from None


def _datetime(field: FieldSpec, value: object, path: str) -> datetime:
    bad = SpecViolation(
        path,
        f"{_label(field, path)}日期时间格式应为 yyyy-MM-dd HH:mm:ss",
        f"Field {path} must be yyyy-MM-dd HH:mm:ss",
    )
    if not isinstance(value, str) or not _DATETIME_TEXT.match(value.strip()):
        raise bad
    try:
        return datetime.strptime(value.strip().replace("T", " "), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise bad from None


def _bytes(field: FieldSpec, value: object, path: str) -> bytes:
    bad = SpecViolation(
        path,
        f"{_label(field, path)}须为字节数组或Base64字符串",
        f"Field {path} must be an array of bytes or a Base64 text",
    )
    too_big = SpecViolation(
        path,
        f"{_label(field, path)}超过最大大小{MAX_FILE_BYTES}字节",
        f"Field {path} is larger than {MAX_FILE_BYTES} bytes",
    )
    if isinstance(value, list):
        if len(value) > MAX_FILE_BYTES:
            raise too_big
        if not all(isinstance(b, int) and not isinstance(b, bool) and -128 <= b <= 255 for b in value):
            raise bad
        # Java's byte[] is signed: -128..-1 stand for 128..255.
        return bytes(b & 0xFF for b in cast(list[int], value))
    if isinstance(value, str):
        text = "".join(value.split())
        if len(text) > (MAX_FILE_BYTES // 3 + 1) * 4:
            raise too_big
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise bad from None
    raise bad


# --- output ------------------------------------------------------------------------------------------------


@overload
def money(fen: int) -> float | int: ...
@overload
def money(fen: None) -> int: ...
def money(fen: int | None) -> float | int:
    """Fen → a yuan JSON number: ``452`` → ``4.52``, ``500`` → ``5``, ``0`` → ``0``.

    ``None`` → ``0``: the spec's rule is that an empty numeric field is sent as 0.
    """
    if fen is None:
        return 0
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    if fen % 100 == 0:
        return fen // 100
    return fen / 100


def output_node(infno: str, node: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """One row of an output node: every spec field of ``node`` (missing ones → None), then any extra keys.

    Values are passed through unchanged. A field the spec and real responses spell differently (2208
    ``pdn_cash_pay`` / ``psn_cash_pay``) is emitted under both names from whichever was given.
    Unknown ``infno`` or ``node`` → ``KeyError`` (a programming error, not a client one).
    """
    spec = transaction(infno)
    node_spec = spec.output(node) if spec is not None else None
    if node_spec is None:
        raise KeyError(f"{infno} has no output node {node!r}")
    aliases = _catalogue().aliases.get(infno, {}).get(node, {})
    out: dict[str, Any] = {}
    for field in node_spec.fields:
        other = aliases.get(field.code)
        if field.code in values:
            out[field.code] = values[field.code]
        elif other is not None and other in values:
            out[field.code] = values[other]
        else:
            out[field.code] = None
        if other is not None:
            out[other] = values[other] if other in values else out[field.code]
    for key, value in values.items():
        if key not in out:
            out[key] = value
    return out
