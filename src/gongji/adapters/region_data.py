"""The shipped GB/T 2260 table (data/regions_gb2260.csv), current and historical codes."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str  # province / city / county
    parent_code: str | None
    current: bool
    first_year: int
    last_year: int


class RegionTable:
    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def is_known(self, code: str) -> bool:
        """Any code that ever existed (old identity numbers carry abolished codes)."""
        return code in self._by_code

    def is_current(self, code: str) -> bool:
        r = self._by_code.get(code)
        return r is not None and r.current

    def name(self, code: str) -> str:
        r = self._by_code.get(code)
        return r.name if r else code

    def full_name(self, code: str) -> str:
        """``620702`` → ``甘肃省张掖市甘州区``."""
        parts: list[str] = []
        r = self._by_code.get(code)
        while r is not None:
            parts.append(r.name)
            r = self._by_code.get(r.parent_code) if r.parent_code else None
        return "".join(reversed(parts)) or code

    def children(self, code: str, *, current_only: bool = True) -> list[Region]:
        return [r for r in self._by_code.values() if r.parent_code == code and (r.current or not current_only)]

    def in_province(self, province_prefix: str, *, level: str | None = None) -> list[Region]:
        return sorted(
            (
                r
                for r in self._by_code.values()
                if r.code.startswith(province_prefix) and r.current and (level is None or r.level == level)
            ),
            key=lambda r: r.code,
        )


@lru_cache(maxsize=1)
def region_table() -> RegionTable:
    path = resources.files("gongji") / "data" / "regions_gb2260.csv"
    with path.open(encoding="utf-8") as f:
        rows = [
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_code=row["parent_code"] or None,
                current=row["current"] == "1",
                first_year=int(row["first_year"]),
                last_year=int(row["last_year"]),
            )
            for row in csv.DictReader(f)
        ]
    return RegionTable(rows)
