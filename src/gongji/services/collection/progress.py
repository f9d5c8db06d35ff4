"""Progress against the target curve (issue 16 §2, seed 002 §八3): paid ÷ task per village,
township, district, city and province on any date of the business clock.

Read only from the aggregates (``counters``): a unit's task is its ``collection_unit_stat``
row, its paid count on a day the sum of its ``collection_paid_day`` rows up to that day. The
drill-down ``area`` is a region prefix (``62`` province, ``6207`` city, ``620702`` district) or a
township-level unit (``t123``); the children of an area are what the next level down shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import CollectionPaidDay, CollectionRegionDay, CollectionUnit, CollectionUnitStat
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import collection as C
from gongji.domain.errors import InvalidRequest, OutOfRegion
from gongji.domain.registry import scope_prefix
from gongji.policy.schema import Profile
from gongji.services.collection.units import Scope, get_unit, lower_units_query


@dataclass
class Row:
    """One area or unit of a table: its key (for the drill-down link), name, task and paid."""

    key: str
    name: str
    task: int = 0
    paid: int = 0
    required_permille: int = 0
    level: str = ""
    code: str = ""

    @property
    def permille(self) -> int:
        return C.progress_permille(self.paid, self.task)

    @property
    def behind(self) -> bool:
        return self.task > 0 and self.paid * 1000 < self.required_permille * self.task

    @property
    def shortfall(self) -> int:
        need = -(-self.required_permille * self.task // 1000)
        return max(0, need - self.paid)


@dataclass
class Overview:
    area: str
    area_name: str
    level: str  # what the children are: city / district / township / village
    day: date
    benefit_year: int
    curve: list[C.Step]
    total: Row
    children: list[Row]
    series: list[tuple[date, int]] = field(default_factory=list)  # cumulative paid per day
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def required_permille(self) -> int:
        return C.required_permille(self.curve, self.day)

    @property
    def next_step(self) -> C.Step | None:
        return C.next_step(self.curve, self.day)


@dataclass(frozen=True)
class _Unit:
    id: int
    parent_id: int
    region_code: str


def curve(profile: Profile, benefit_year: int, region_code: str) -> list[C.Step]:
    return C.steps(profile.resident_terms(benefit_year, region_code).targets, benefit_year)


def default_area(scope: Scope) -> str:
    if scope.township_id is not None:
        return f"t{scope.township_id}"
    if len(scope.regions) == 1:
        return scope_prefix(scope.regions[0])
    return ""


def _check_area(uow: UnitOfWork, scope: Scope, area: str) -> None:
    if area.startswith("t"):
        if not area[1:].isdigit():
            raise InvalidRequest("区域参数有误", "Bad area", field="area")
        unit = get_unit(uow, int(area[1:]))
        if unit.parent_id is not None:
            raise InvalidRequest("区域参数有误", "Bad area", field="area")
        if not scope.region_ok(unit.region_code) or scope.township_id not in (None, unit.id):
            raise OutOfRegion(unit_id=unit.id)
        return
    if area and (not area.isdigit() or len(area) not in (2, 4, 6)):
        raise InvalidRequest("区域参数有误", "Bad area", field="area")
    if scope.township_id is not None:
        raise OutOfRegion(region=area)
    # the area must lie inside one of the viewer's regions (a city clerk cannot open the province)
    if not any(area.startswith(scope_prefix(r)) for r in scope.regions):
        raise OutOfRegion(region=area)


def _units(uow: UnitOfWork, scope: Scope, area: str) -> list[_Unit]:
    q = select(CollectionUnit.id, CollectionUnit.parent_id, CollectionUnit.region_code).where(
        CollectionUnit.id.in_(lower_units_query(scope))
    )
    if area.startswith("t"):
        q = q.where(CollectionUnit.parent_id == int(area[1:]))
    elif area:
        q = q.where(CollectionUnit.region_code.startswith(area))
    return [_Unit(int(i), int(p or 0), r) for i, p, r in uow.session.execute(q)]


def _districts(
    uow: UnitOfWork, area: str, benefit_year: int, day: date
) -> tuple[list[_Unit], dict[int, tuple[int, int]]]:
    """Per district of ``area`` (a province or city prefix inside the viewer's regions, checked
    by ``_check_area``): task from ``collection_unit_stat``, paid from ``collection_region_day``.
    Each district stands in as one pseudo-unit (id = its position)."""
    tasks = dict(
        uow.session.execute(
            select(CollectionUnit.region_code, func.sum(CollectionUnitStat.task_count))
            .join(CollectionUnitStat, CollectionUnitStat.unit_id == CollectionUnit.id)
            .where(CollectionUnitStat.benefit_year == benefit_year, CollectionUnit.region_code.startswith(area))
            .group_by(CollectionUnit.region_code)
        ).all()
    )
    paid = dict(
        uow.session.execute(
            select(CollectionRegionDay.region_code, func.sum(CollectionRegionDay.paid))
            .where(
                CollectionRegionDay.benefit_year == benefit_year,
                CollectionRegionDay.region_code.startswith(area),
                CollectionRegionDay.day <= day,
            )
            .group_by(CollectionRegionDay.region_code)
        ).all()
    )
    regions = sorted(set(tasks) | set(paid))
    units = [_Unit(i, 0, r) for i, r in enumerate(regions)]
    return units, {i: (int(tasks.get(r) or 0), int(paid.get(r) or 0)) for i, r in enumerate(regions)}


def _cumulative(rows: Any, start: date, end: date) -> list[tuple[date, int]]:
    """(day, paid) rows up to ``end`` → the running total on each day from ``start`` to ``end``."""
    per_day: dict[date, int] = defaultdict(int)
    before = 0
    for d, n in rows:
        if d < start:
            before += int(n or 0)
        else:
            per_day[d] += int(n or 0)
    out, total, d = [], before, start
    while d <= end:
        total += per_day.get(d, 0)
        out.append((d, total))
        d += timedelta(days=1)
    return out


def _region_series(uow: UnitOfWork, area: str, benefit_year: int, start: date, end: date) -> list[tuple[date, int]]:
    """Cumulative paid per day over the districts of a region prefix (the rollup)."""
    rows = uow.session.execute(
        select(CollectionRegionDay.day, func.sum(CollectionRegionDay.paid))
        .where(
            CollectionRegionDay.benefit_year == benefit_year,
            CollectionRegionDay.region_code.startswith(area),
            CollectionRegionDay.day <= end,
        )
        .group_by(CollectionRegionDay.day)
    )
    return _cumulative(rows, start, end)


def _area_query(scope: Scope, area: str) -> Any:
    """The ids of the lower units of ``area`` in scope, as a subquery (never a list of ids)."""
    q = lower_units_query(scope)
    if area.startswith("t"):
        return q.where(CollectionUnit.parent_id == int(area[1:]))
    return q.where(CollectionUnit.region_code.startswith(area)) if area else q


def figures(uow: UnitOfWork, unit_ids: Any, benefit_year: int, day: date) -> dict[int, tuple[int, int]]:
    """unit id → (task, paid by ``day``), from the aggregates only. ``unit_ids``: a list or a
    subquery of unit ids."""
    tasks = dict(
        uow.session.execute(
            select(CollectionUnitStat.unit_id, CollectionUnitStat.task_count).where(
                CollectionUnitStat.benefit_year == benefit_year, CollectionUnitStat.unit_id.in_(unit_ids)
            )
        ).all()
    )
    paid = dict(
        uow.session.execute(
            select(CollectionPaidDay.unit_id, func.sum(CollectionPaidDay.paid))
            .where(
                CollectionPaidDay.benefit_year == benefit_year,
                CollectionPaidDay.unit_id.in_(unit_ids),
                CollectionPaidDay.day <= day,
            )
            .group_by(CollectionPaidDay.unit_id)
        ).all()
    )
    return {int(u): (int(tasks.get(u) or 0), int(paid.get(u) or 0)) for u in set(tasks) | set(paid)}


def series(uow: UnitOfWork, unit_ids: Any, benefit_year: int, start: date, end: date) -> list[tuple[date, int]]:
    """Cumulative paid per day from ``start`` to ``end`` (what the progress line draws)."""
    rows = uow.session.execute(
        select(CollectionPaidDay.day, func.sum(CollectionPaidDay.paid))
        .where(
            CollectionPaidDay.benefit_year == benefit_year,
            CollectionPaidDay.unit_id.in_(unit_ids),
            CollectionPaidDay.day <= end,
        )
        .group_by(CollectionPaidDay.day)
    )
    return _cumulative(rows, start, end)


def overview(
    uow: UnitOfWork, profile: Profile, scope: Scope, *, benefit_year: int, day: date, area: str | None = None
) -> Overview:
    """The area's total and its children's rows on ``day``, with the target in force."""
    area = default_area(scope) if area is None else area
    _check_area(uow, scope, area)
    table = region_table()
    ids = _area_query(scope, area)
    rollup = bool(area) and not area.startswith("t") and len(area) < 6  # province or city: by district
    if rollup:
        units, figs = _districts(uow, area, benefit_year, day)
    else:
        units = _units(uow, scope, area)
        figs = figures(uow, ids, benefit_year, day)
    if area.startswith("t"):
        level = "village"
    else:
        level = {0: "province", 2: "city", 4: "district", 6: "township"}[len(area)]
    region_for_terms = units[0].region_code if units else (area if len(area) == 6 else (area + "0000")[:6])
    steps = curve(profile, benefit_year, region_for_terms)
    required = C.required_permille(steps, day)

    def key_of(u: _Unit) -> str:
        if level == "village":
            return f"u{u.id}"
        if level == "township":
            return f"t{u.parent_id}"
        if level == "district":
            return u.region_code
        if level == "city":
            return u.region_code[:4]
        return u.region_code[:2]

    rows: dict[str, Row] = {}
    for u in units:
        k = key_of(u)
        row = rows.setdefault(k, Row(key=k, name="", level=level))
        task_n, paid_n = figs.get(u.id, (0, 0))
        row.task += task_n
        row.paid += paid_n
    names = _names(uow, level, list(rows))
    for k, row in rows.items():
        row.name, row.code = names.get(k, (k, k))
        # each district keeps its own curve ([[resident.terms]] by region)
        row.required_permille = required
    if level in ("district", "township", "village"):
        curves: dict[str, list[C.Step]] = {}
        for row in rows.values():
            region = row.code[:6] if len(row.code) >= 6 else region_for_terms
            if region not in curves:
                curves[region] = curve(profile, benefit_year, region)
            row.required_permille = C.required_permille(curves[region], day)
    total = Row(
        key=area,
        name=_area_name(uow, area),
        task=sum(r.task for r in rows.values()),
        paid=sum(r.paid for r in rows.values()),
        required_permille=required,
        level="area",
        code=area,
    )
    children = sorted(rows.values(), key=lambda r: (-r.permille, r.code))
    start = min((s.due for s in steps), default=day) - timedelta(days=30)
    start = min(start, day)
    if area and not area.startswith("t"):
        line = _region_series(uow, area, benefit_year, start, max(day, start))
    else:
        line = series(uow, ids, benefit_year, start, max(day, start))
    out = Overview(area, total.name, level, day, benefit_year, steps, total, children, line)
    out.breadcrumbs = _crumbs(uow, scope, area, table)
    return out


def _names(uow: UnitOfWork, level: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    table = region_table()
    if level in ("village", "township"):
        ids = [int(k[1:]) for k in keys]
        out = {}
        for uid, name, code in uow.session.execute(
            select(CollectionUnit.id, CollectionUnit.name, CollectionUnit.code).where(CollectionUnit.id.in_(ids))
        ):
            out[f"{'u' if level == 'village' else 't'}{uid}"] = (name, code)
        return out
    return {k: (table.name((k + "0000")[:6]), (k + "0000")[:6]) for k in keys}


def _area_name(uow: UnitOfWork, area: str) -> str:
    if not area:
        return "全部"
    if area.startswith("t"):
        unit = get_unit(uow, int(area[1:]))
        return f"{region_table().full_name(unit.region_code)}{unit.name}"
    return region_table().full_name((area + "0000")[:6])


def _crumbs(uow: UnitOfWork, scope: Scope, area: str, table: Any) -> list[tuple[str, str]]:
    """The drill-down path (key, name) from the top the viewer may open down to ``area``."""
    if area.startswith("t"):
        unit = get_unit(uow, int(area[1:]))
        path = [unit.region_code[:2], unit.region_code[:4], unit.region_code]
        tail = [(area, unit.name)]
    else:
        path = [area[:n] for n in (2, 4, 6) if len(area) >= n]
        tail = []
    allowed = [
        (p, table.name((p + "0000")[:6]))
        for p in path
        if scope.township_id is None and any(p.startswith(scope_prefix(r)) for r in scope.regions)
    ]
    return allowed + tail


def unit_row(uow: UnitOfWork, profile: Profile, unit_id: int, benefit_year: int, day: date) -> Row:
    unit = get_unit(uow, unit_id)
    if unit.parent_id is None:
        ids = list(uow.session.scalars(select(CollectionUnit.id).where(CollectionUnit.parent_id == unit.id)))
    else:
        ids = [unit.id]
    figs = figures(uow, ids, benefit_year, day)
    row = Row(
        key=f"u{unit.id}",
        name=unit.name,
        task=sum(t for t, _ in figs.values()),
        paid=sum(p for _, p in figs.values()),
        required_permille=C.required_permille(curve(profile, benefit_year, unit.region_code), day),
        code=unit.code,
    )
    return row
