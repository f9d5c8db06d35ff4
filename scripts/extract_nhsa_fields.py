#!/usr/bin/env python3
"""Regenerate src/gongji/data/nhsa/fields.json from the extracted Hunan spec tables.

Dev-time only, standard library only; never imported by the package.

    python3 scripts/extract_nhsa_fields.py /path/to/spec_fields_hunan_v1.1.27.json \
        > src/gongji/data/nhsa/fields.json

SOURCE is ``spec_fields_hunan_v1.1.27.json``: the per-transaction field tables extracted from
《湖南省医疗保障信息平台定点医药机构接口规范V1.1.27》 (see src/gongji/data/nhsa/SOURCE.md). Only the
transactions in ``INFNOS`` are kept. Normalisation (documented in SOURCE.md):

* 参数类型 → ``type``: 字符型 → string; 数值型/整型 → number; 日期型 → date, or datetime when the note
  says ``yyyy-MM-dd HH:mm:ss`` (9001 sign_time); 日期时间型 → datetime; 字节数组 → bytes (9101 ``in``);
  数字型 → string (2204 feedetl_sn: the output table says 字符型(30) and real clients send "yp570").
  字符型 with a decimal length such as "16，2" is a typo for 数值型.
* 参数长度 → ``length``/``scale``: "16,2" → 16, 2; "10" → 10, 0 for numbers (10, null for strings);
  "" → null, null. Full-width commas are accepted.
* 是否必填 (input tables) or 是否非空 (output tables; 9101/9102 use it for input too) → ``required``.
* ``is_list``: whether the node carries several rows (from the notes "多行数据"; fixed table below).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

INFNOS = (
    "1101",
    "2201",
    "2202",
    "2204",
    "2205",
    "2206",
    "2207",
    "2208",
    "2601",
    "3201",
    "3202",
    "5203",
    "9001",
    "9101",
    "9102",
)

# (infno, direction, node) of nodes that carry several rows; taken from each transaction's notes.
LIST_NODES = {
    ("1101", "output", "insuinfo"),
    ("1101", "output", "idetinfo"),
    ("2204", "input", "feedetail"),
    ("2204", "output", "result"),
    ("2206", "output", "setldetail"),
    ("2207", "output", "setldetail"),
    ("2208", "output", "setldetail"),
    ("5203", "output", "setldetail"),
    ("3202", "input_file", None),
    ("3202", "output_file", None),
}

# Input fields the spec marks required but that real clients omit; parse_input treats them as optional.
# infno -> {field: reason}. Only fields the spec marks required are written out (the others are optional
# already); the script fails if a listed field is not in the spec's input tables.
RELAXED: dict[str, dict[str, str]] = {
    "1101": {
        "psn_name": "the Hunan spec's own 1101 sample sends it empty",
        "certno": "only needed when mdtrt_cert_no is not an ID number; openhis Input_1101 marks it optional",
        "psn_cert_type": "relaxed together with certno",
    },
    "2201": {
        "psn_cert_type": "Hunan-only addition; openhis Input_2201 (national model) lacks it",
        "certno": "Hunan-only addition; openhis Input_2201 lacks it",
        "psn_type": "Hunan-only addition; openhis Input_2201 lacks it",
        "psn_name": "Hunan-only addition; openhis Input_2201 lacks it",
    },
    "2206": {
        "psn_cert_type": "openhis Input_2206 lacks it (INTERFACE.md §4)",
        "certno": "openhis Input_2206 lacks it (INTERFACE.md §4)",
        "psn_type": "Hunan-only addition; openhis Input_2206 lacks it",
        "psn_name": "Hunan-only addition; openhis Input_2206 lacks it",
    },
    "2207": {
        "psn_cert_type": "openhis Input_2207 lacks it (INTERFACE.md §4)",
        "certno": "openhis Input_2207 lacks it (INTERFACE.md §4)",
    },
    "3201": {
        "fixmedins_refd_setl_flag": "openhis Input_3201 lacks it (the amounts are NOT relaxed: needed to reconcile)",
    },
    "3202": {
        "fixmedins_refd_setl_flag": "openhis Input_3202 lacks it",
    },
}

# Output fields known under two spellings; a response carries both (INTERFACE.md §4, 2208).
OUTPUT_ALIASES = {
    "2208": {"setlinfo": {"pdn_cash_pay": "psn_cash_pay"}},
}

# Editorial remarks in the docx's headings that are not part of the transaction name.
NAME_FIXES = {"2601": "冲正交易"}  # heading reads "冲正交易（这个尽量别用）"

TYPE_MAP = {
    "字符型": "string",
    "数值型": "number",
    "整型": "number",
    "数字型": "string",
    "日期型": "date",
    "日期时间型": "datetime",
    "字节数组": "bytes",
}

_LENGTH = re.compile(r"^\s*(\d+)\s*(?:[,，]\s*(\d+)\s*)?$")


def convert_field(raw: dict[str, str]) -> dict[str, Any]:
    code = raw["参数代码"].strip()
    zh_type = raw["参数类型"].strip()
    length_text = raw["参数长度"].strip()
    note = raw.get("说明", "").strip()
    kind = TYPE_MAP[zh_type]
    length: int | None = None
    scale: int | None = None
    match = _LENGTH.match(length_text)
    if length_text and not match:
        raise SystemExit(f"unreadable length {length_text!r} for {code}")
    if match:
        length = int(match.group(1))
        if match.group(2) is not None:
            scale = int(match.group(2))
            kind = "number"  # e.g. 字符型 "16，2" (2305 hifdm_pay) is a typo for 数值型
        elif kind == "number":
            scale = 0
    if kind == "date" and "HH:mm:ss" in note:
        kind = "datetime"
    if kind != "number":
        scale = None
    if kind in ("date", "datetime", "bytes"):
        length = None
    required_flag = raw.get("是否必填", raw.get("是否非空", ""))
    return {
        "code": code,
        "name": raw["参数名称"].strip(),
        "type": kind,
        "length": length,
        "scale": scale,
        "dict": raw.get("代码标识", "").strip().upper() == "Y",
        "required": required_flag.strip().upper() == "Y",
        "note": note,
    }


def convert_table(infno: str, table: dict[str, Any]) -> dict[str, Any]:
    node = table["node"]
    return {
        "node": node if node is not None else "",
        "is_list": (infno, table["direction"], node) in LIST_NODES,
        "caption": table["caption"],
        "fields": [convert_field(f) for f in table["fields"]],
    }


def build(source: dict[str, Any]) -> dict[str, Any]:
    transactions: dict[str, Any] = {}
    for infno in INFNOS:
        entry = source[infno]
        out: dict[str, Any] = {
            "name": NAME_FIXES.get(infno, entry["name"]),
            "notes": entry.get("notes", ""),
            "inputs": [],
            "outputs": [],
            "input_file": None,
            "output_file": None,
        }
        for table in entry["tables"]:
            direction = table["direction"]
            converted = convert_table(infno, table)
            if direction == "input":
                out["inputs"].append(converted)
            elif direction == "output":
                out["outputs"].append(converted)
            elif direction in ("input_file", "output_file"):
                converted["node"] = direction
                out[direction] = converted
            else:
                raise SystemExit(f"{infno}: unknown table direction {direction!r}")
        transactions[infno] = out

    relaxed: dict[str, list[str]] = {}
    for infno, fields in RELAXED.items():
        spec_fields = {f["code"]: f for node in transactions[infno]["inputs"] for f in node["fields"]}
        for code in fields:
            if code not in spec_fields:
                raise SystemExit(f"relaxed field {infno}.{code} is not an input field of the spec")
        relaxed[infno] = [code for code in fields if spec_fields[code]["required"]]

    for infno, nodes in OUTPUT_ALIASES.items():
        for node_name, aliases in nodes.items():
            node = next(n for n in transactions[infno]["outputs"] if n["node"] == node_name)
            for code in aliases:
                if not any(f["code"] == code for f in node["fields"]):
                    raise SystemExit(f"alias source {infno}.{node_name}.{code} is not in the spec")

    return {
        "source": {
            "document": "湖南省医疗保障信息平台定点医药机构接口规范V1.1.27",
            "tables": "spec_fields_hunan_v1.1.27.json",
            "generator": "scripts/extract_nhsa_fields.py",
            "see": "src/gongji/data/nhsa/SOURCE.md",
        },
        "relaxed": relaxed,
        "relaxed_reasons": {infno: RELAXED[infno] for infno in relaxed},
        "output_aliases": OUTPUT_ALIASES,
        "transactions": transactions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="path to spec_fields_hunan_v1.1.27.json")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    with open(args.source, encoding="utf-8") as fh:
        source = json.load(fh)
    text = json.dumps(build(source), ensure_ascii=False, indent=1) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
