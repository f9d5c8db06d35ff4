"""Collection (征缴) rules without I/O: unit kinds and codes, the target curve, progress.

Seed 002 §八1: 乡镇以行政村为单位、街道以社区为单位、大中专院校以学校为单位组织参保缴费. §八3: the task is
paid ≥35% by 9-30, ≥50% by 10-31, ≥80% by 11-30 and 100% by 12-25 of the collection year (the
figures are profile data, ``Profile.resident_terms(...).targets``). §九4: 周通报、月清理、季汇总.
A premium paid in year N is for benefit year N+1 (§一), so the collection year is the benefit
year minus one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from gongji.domain.errors import InvalidRequest

# upper level (under a district) → the kind of its lower units
LOWER_KIND = {"town": "village", "township": "village", "street": "community", "college": "school"}
UPPER_KINDS = tuple(LOWER_KIND)
LOWER_KINDS = ("village", "community", "school")
KIND_ZH = {
    "town": "镇",
    "township": "乡",
    "street": "街道",
    "college": "大中专院校",
    "village": "行政村",
    "community": "社区",
    "school": "学校",
}
BASIS_ZH = {"household": "户籍", "residence": "居住地", "school": "学籍"}

IN, OUT = "in", "out"
SOURCE_ZH = {"computed": "登记数据", "gap": "参保空档期", "manual": "人工调整"}
LEFT_ZH = {
    "moved": "迁出本单位",
    "employee": "参加职工医保",
    "dead": "死亡",
    "manual": "人工调减",
    "elsewhere": "异地参保",
}
ACTION_ZH = {"add": "调增", "remove": "调减", "move": "迁移", "leave": "移出任务"}

_UPPER_CODE = re.compile(r"^[0-9]{9}$")
_LOWER_CODE = re.compile(r"^[0-9]{12}$")


def collection_year(benefit_year: int) -> int:
    """Premiums for benefit year N are collected in N-1 (002 §一)."""
    return benefit_year - 1


def check_unit(*, kind: str, code: str, name: str, region_code: str, parent_code: str | None) -> None:
    """A unit's kind, code and name fit its level: an upper unit ``区县+3 digits``, a lower unit
    ``its upper unit's code + 3 digits`` and of the kind the upper one organises."""
    name = name.strip()
    if not 2 <= len(name) <= 60:
        raise InvalidRequest("单位名称须为2-60个字", "A unit name of 2-60 characters is required", field="name")
    if parent_code is None:
        if kind not in UPPER_KINDS:
            raise InvalidRequest(
                "乡镇级单位应为镇、乡、街道或大中专院校",
                "An upper unit is a town, township, street or college",
                field="kind",
            )
        if not _UPPER_CODE.match(code) or not code.startswith(region_code):
            raise InvalidRequest(
                "乡镇级单位代码为区县代码后加3位数字",
                "An upper unit's code is its district's code and 3 digits",
                field="code",
            )
    else:
        if kind not in LOWER_KINDS:
            raise InvalidRequest(
                "村级单位应为行政村、社区或学校", "A lower unit is a village, community or school", field="kind"
            )
        if not _LOWER_CODE.match(code) or not code.startswith(parent_code):
            raise InvalidRequest(
                "村级单位代码为所属乡镇代码后加3位数字",
                "A lower unit's code is its upper unit's code and 3 digits",
                field="code",
            )


def check_lower_kind(upper_kind: str, lower_kind: str) -> None:
    if LOWER_KIND.get(upper_kind) != lower_kind:
        raise InvalidRequest(
            f"{KIND_ZH.get(upper_kind, upper_kind)}下设{KIND_ZH[LOWER_KIND[upper_kind]]}，"
            f"不能设{KIND_ZH.get(lower_kind, lower_kind)}",
            f"A {upper_kind} organises {LOWER_KIND[upper_kind]} units, not {lower_kind}",
            field="kind",
        )


# --- the target curve ------------------------------------------------------------------------


class Target(Protocol):
    share_permille: int

    def due_date(self, collection_year: int) -> date: ...


@dataclass(frozen=True)
class Step:
    due: date
    share_permille: int


def steps(targets: Sequence[Target], benefit_year: int) -> list[Step]:
    """The target steps of a benefit year, as dates of its collection year, ascending."""
    year = collection_year(benefit_year)
    return sorted((Step(t.due_date(year), t.share_permille) for t in targets), key=lambda s: s.due)


def required_permille(curve: Sequence[Step], day: date) -> int:
    """The share the task must have reached by ``day``: the last step due on or before it
    (0 before the first step)."""
    share = 0
    for step in curve:
        if step.due <= day:
            share = step.share_permille
    return share


def next_step(curve: Sequence[Step], day: date) -> Step | None:
    return next((s for s in curve if s.due > day), None)


def progress_permille(paid: int, task: int) -> int:
    """Paid ÷ task in permille, rounded down (a unit with no task has nothing to do: 1000)."""
    if task <= 0:
        return 1000
    return paid * 1000 // task


def is_behind(paid: int, task: int, curve: Sequence[Step], day: date) -> bool:
    """Behind the curve: below the share due by the last step passed (002 §八3)."""
    return task > 0 and paid * 1000 < required_permille(curve, day) * task


def shortfall(paid: int, task: int, curve: Sequence[Step], day: date) -> int:
    """How many more payments the last step passed asks for (0 when on the curve)."""
    need = -(-required_permille(curve, day) * task // 1000)
    return max(0, need - paid)


def percent(permille: int) -> str:
    return f"{permille / 10:.1f}%"
