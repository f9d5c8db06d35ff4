"""周通报、月清理、季汇总 (seed 002 §九4 "对参保缴费工作实行'周通报'、'月清理'、'季汇总'"), each a
``Report``: a title, the issuing office and date, and sections of rows, rendered as a page, an
Excel workbook and a printable PDF by the entrypoints.

- weekly: the township ranking on the day with the change since a week before, and the villages
  behind the step in force (seed 002 §八3);
- monthly clean-up: 重复参保 (resident and employee insurance both in force), 死亡未停保, moves
  in the month, and 已缴费但不在任务中;
- quarterly: per township the task, paid at the quarter's end (or the day), paid in the quarter,
  the step in force and the task changes recorded in the quarter.
Figures come from the aggregates; the people lists of the clean-up are masked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, select

from gongji.adapters.db.models import (
    CollectionMember,
    CollectionTask,
    CollectionTaskChange,
    CollectionUnit,
    Enrollment,
    Person,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import collection as C
from gongji.domain.clock import SHANGHAI
from gongji.domain.masking import mask_id_number, mask_name
from gongji.policy.schema import Profile
from gongji.services.collection import progress, task
from gongji.services.collection.people import _area_units
from gongji.services.collection.units import Scope, get_unit

KINDS = {"weekly": "周通报", "monthly": "月清理", "quarterly": "季汇总"}


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    red: list[bool] = field(default_factory=list)  # per row: behind the curve


@dataclass
class Report:
    kind: str
    title: str
    issuer: str
    issued_on: date
    summary: list[str]
    sections: list[Section]

    @property
    def filename(self) -> str:
        return f"collection-{self.kind}-{self.issued_on.isoformat()}"


def issuer_of(uow: UnitOfWork, scope: Scope, area: str) -> str:
    table = region_table()
    if scope.township_id is not None:
        unit = get_unit(uow, scope.township_id)
        return f"{table.name(unit.region_code)}{unit.name}"
    region = (area if area and not area.startswith(("t", "u")) else (scope.regions[0] if scope.regions else "")).ljust(
        6, "0"
    )
    return f"{table.full_name(region[:6])}医疗保障局"


def _townships(
    uow: UnitOfWork, profile: Profile, scope: Scope, area: str, benefit_year: int, day: date
) -> list[progress.Row]:
    """Every township-level unit in the area with its figures on ``day``."""
    ids = _area_units(uow, scope, area)
    units = uow.session.execute(
        select(CollectionUnit.id, CollectionUnit.parent_id).where(CollectionUnit.id.in_(ids))
    ).all()
    figs = progress.figures(uow, ids, benefit_year, day)
    rows: dict[int, progress.Row] = {}
    for uid, parent in units:
        row = rows.setdefault(int(parent or 0), progress.Row(key=f"t{parent}", name=""))
        t, p = figs.get(int(uid), (0, 0))
        row.task += t
        row.paid += p
    for parent_id, row in rows.items():
        unit = get_unit(uow, parent_id)
        row.name, row.code = unit.name, unit.code
        row.required_permille = C.required_permille(progress.curve(profile, benefit_year, unit.region_code), day)
    return sorted(rows.values(), key=lambda r: (-r.permille, r.code))


def _head(
    uow: UnitOfWork, profile: Profile, scope: Scope, area: str, benefit_year: int, day: date
) -> tuple[progress.Overview, list[str]]:
    ov = progress.overview(uow, profile, scope, benefit_year=benefit_year, day=day, area=area)
    nxt = ov.next_step
    lines = [
        f"截至{day.year}年{day.month}月{day.day}日，{ov.area_name}{benefit_year}年度参保任务{ov.total.task}人，"
        f"已缴费{ov.total.paid}人，完成{C.percent(ov.total.permille)}；"
        f"应完成不少于{C.percent(ov.required_permille)}。",
    ]
    if nxt is not None:
        lines.append(f"下一节点：{nxt.due.month}月{nxt.due.day}日前完成不少于{C.percent(nxt.share_permille)}。")
    return ov, lines


def weekly(uow: UnitOfWork, profile: Profile, scope: Scope, *, area: str, benefit_year: int, day: date) -> Report:
    ov, lines = _head(uow, profile, scope, area, benefit_year, day)
    before = {r.key: r for r in _townships(uow, profile, scope, ov.area, benefit_year, day - timedelta(days=7))}
    towns = _townships(uow, profile, scope, ov.area, benefit_year, day)
    rank_rows, red = [], []
    for i, r in enumerate(towns, start=1):
        last = before.get(r.key)
        change = r.permille - (last.permille if last else 0)
        rank_rows.append(
            [i, r.name, r.task, r.paid, C.percent(r.permille), C.percent(last.permille if last else 0),
             f"{change / 10:+.1f}", C.percent(r.required_permille), "落后" if r.behind else "达到进度"]
        )  # fmt: skip
        red.append(r.behind)
    behind = []
    for u in _lower_rows(uow, profile, scope, ov.area, benefit_year, day):
        if u.behind:
            behind.append(
                [u.level, u.name, u.task, u.paid, C.percent(u.permille), C.percent(u.required_permille), u.shortfall]
            )
    sections = [
        Section(
            "一、乡镇（街道）完成情况排名",
            ["名次", "乡镇（街道）", "任务数", "已缴费", "完成率", "上周完成率", "较上周（百分点）", "应完成", "状态"],
            rank_rows,
            red,
        ),
        Section(
            "二、未达到进度目标的村（社区、学校）",
            ["乡镇（街道）", "村（社区、学校）", "任务数", "已缴费", "完成率", "应完成", "尚差人数"],
            behind,
            [True] * len(behind),
        ),
    ]
    return Report(
        "weekly", f"{ov.area_name}城乡居民医保参保缴费周通报", issuer_of(uow, scope, ov.area), day, lines, sections
    )


def _lower_rows(
    uow: UnitOfWork, profile: Profile, scope: Scope, area: str, benefit_year: int, day: date
) -> list[progress.Row]:
    ids = _area_units(uow, scope, area)
    parent = CollectionUnit.__table__.alias("p")
    units = uow.session.execute(
        select(CollectionUnit.id, CollectionUnit.name, CollectionUnit.code, CollectionUnit.region_code, parent.c.name)
        .join(parent, parent.c.id == CollectionUnit.parent_id)
        .where(CollectionUnit.id.in_(ids))
        .order_by(CollectionUnit.code)
    ).all()
    figs = progress.figures(uow, ids, benefit_year, day)
    out = []
    for uid, name, code, region, upper in units:
        t, p = figs.get(int(uid), (0, 0))
        req = C.required_permille(progress.curve(profile, benefit_year, region), day)
        out.append(
            progress.Row(key=f"u{uid}", name=name, task=t, paid=p, required_permille=req, level=upper, code=code)
        )
    return out


def _masked(person: Person) -> list[str]:
    return [mask_name(person.name), mask_id_number(person.cert_no)]


def monthly(uow: UnitOfWork, profile: Profile, scope: Scope, *, area: str, benefit_year: int, day: date) -> Report:
    ov, lines = _head(uow, profile, scope, area, benefit_year, day)
    ids = _area_units(uow, scope, ov.area)
    first = day.replace(day=1)
    start = datetime.combine(first, time(0), tzinfo=SHANGHAI)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    m, e = CollectionMember, Enrollment
    unit_name = CollectionUnit.name
    live = e.status != "terminated"

    def members(*where: Any) -> list[tuple[Person, str]]:
        q = (
            select(Person, unit_name)
            .join(m, m.person_id == Person.id)
            .join(CollectionUnit, CollectionUnit.id == m.unit_id)
            .where(m.unit_id.in_(ids), *where)
            .order_by(CollectionUnit.code, Person.id)
            .limit(1000)
        )
        return [(p, n) for p, n in uow.session.execute(q).all()]

    both = and_(
        exists(select(e.id).where(e.person_id == Person.id, e.insutype == "390", live)),
        exists(select(e.id).where(e.person_id == Person.id, e.insutype == "310", live)),
    )
    dup = [[n, *_masked(p), "居民医保与职工医保同时在保"] for p, n in members(both)]
    dead_live = and_(
        task._dead(Person.id), exists(select(e.id).where(e.person_id == Person.id, e.insutype == "390", live))
    )
    dead = [[n, *_masked(p), "已死亡，居民医保未停保"] for p, n in members(dead_live)]
    c = CollectionTaskChange
    moved_rows = uow.session.execute(
        select(c, Person)
        .join(Person, Person.id == c.person_id)
        .where(
            c.benefit_year == benefit_year,
            c.action.in_(("move", "leave")),
            c.at >= start,
            c.at < end,
            c.from_unit_id.in_(ids) | c.to_unit_id.in_(ids),
        )
        .order_by(c.id)
        .limit(1000)
    ).all()
    names = dict(uow.session.execute(select(CollectionUnit.id, CollectionUnit.name)).all()) if moved_rows else {}
    moved = [
        [
            names.get(ch.from_unit_id or 0, ""),
            *_masked(p),
            f"{C.ACTION_ZH[ch.action]}：{names.get(ch.to_unit_id or 0, '') or '—'}（{ch.reason}）",
        ]
        for ch, p in moved_rows
    ]
    t, rp = CollectionTask, ResidentPremium
    paid_not_in_task = and_(
        exists(
            select(rp.id).where(
                rp.person_id == Person.id, rp.benefit_year == benefit_year, rp.insutype == "390", rp.status == "paid"
            )
        ),
        ~exists(select(t.id).where(t.person_id == Person.id, t.benefit_year == benefit_year, t.status == C.IN)),
    )
    outside = [[n, *_masked(p), "已缴费，不在参保任务中"] for p, n in members(paid_not_in_task)]
    cols = ["村（社区、学校）", "姓名", "身份证号", "情况"]
    sections = [
        Section(f"一、重复参保（{len(dup)}人）", cols, dup),
        Section(f"二、死亡未停保（{len(dead)}人）", cols, dead),
        Section(f"三、本月迁移、移出任务（{len(moved)}人）", cols, moved),
        Section(f"四、已缴费但不在任务中（{len(outside)}人）", cols, outside),
    ]
    title = f"{ov.area_name}{day.year}年{day.month}月城乡居民医保参保信息月清理清单"
    lines.append(f"清理期间：{first.isoformat()}至{day.isoformat()}。请核实后办理停保、变更或调整参保任务。")
    return Report("monthly", title, issuer_of(uow, scope, ov.area), day, lines, sections)


def quarterly(uow: UnitOfWork, profile: Profile, scope: Scope, *, area: str, benefit_year: int, day: date) -> Report:
    ov, lines = _head(uow, profile, scope, area, benefit_year, day)
    q = (day.month - 1) // 3
    q_start = date(day.year, q * 3 + 1, 1)
    q_end = date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1) - timedelta(days=1)
    upto = min(day, q_end)
    now = {r.key: r for r in _townships(uow, profile, scope, ov.area, benefit_year, upto)}
    before = {r.key: r for r in _townships(uow, profile, scope, ov.area, benefit_year, q_start - timedelta(days=1))}
    ids = _area_units(uow, scope, ov.area)
    c = CollectionTaskChange
    parent_of = dict(
        uow.session.execute(select(CollectionUnit.id, CollectionUnit.parent_id).where(CollectionUnit.id.in_(ids))).all()
    )
    changes: dict[str, int] = defaultdict(int)
    for frm, to in uow.session.execute(
        select(c.from_unit_id, c.to_unit_id).where(
            c.benefit_year == benefit_year,
            c.at >= datetime.combine(q_start, time(0), tzinfo=SHANGHAI),
            c.at < datetime.combine(upto + timedelta(days=1), time(0), tzinfo=SHANGHAI),
            c.from_unit_id.in_(ids) | c.to_unit_id.in_(ids),
        )
    ):
        unit = frm if frm in parent_of else to
        changes[f"t{parent_of.get(unit or 0)}"] += 1
    rows, red = [], []
    for r in sorted(now.values(), key=lambda r: (-r.permille, r.code)):
        b = before.get(r.key)
        gained = r.paid - (b.paid if b else 0)
        status = "落后" if r.behind else "达到进度"
        rows.append([r.name, r.task, r.paid, gained, C.percent(r.permille),
                     C.percent(r.required_permille), changes.get(r.key, 0), status])  # fmt: skip
        red.append(r.behind)
    total_task = sum(r.task for r in now.values())
    total_paid = sum(r.paid for r in now.values())
    rows.append(["合计", total_task, total_paid, total_paid - sum(b.paid for b in before.values()),
                 C.percent(C.progress_permille(total_paid, total_task)), "", sum(changes.values()), ""])  # fmt: skip
    red.append(False)
    lines.append(f"统计期间：{q_start.isoformat()}至{upto.isoformat()}（第{q + 1}季度）。")
    section = Section(
        "乡镇（街道）季度汇总",
        ["乡镇（街道）", "任务数", "累计已缴费", "本季度缴费", "完成率", "应完成", "本季度任务调整", "状态"],
        rows,
        red,
    )
    title = f"{ov.area_name}{day.year}年第{q + 1}季度城乡居民医保参保缴费汇总"
    return Report("quarterly", title, issuer_of(uow, scope, ov.area), day, lines, [section])


def build(
    uow: UnitOfWork, profile: Profile, scope: Scope, *, kind: str, area: str | None, benefit_year: int, day: date
) -> Report:
    from gongji.domain.errors import InvalidRequest

    fn = {"weekly": weekly, "monthly": monthly, "quarterly": quarterly}.get(kind)
    if fn is None:
        raise InvalidRequest("报表类别应为周通报、月清理或季汇总", "kind: weekly, monthly or quarterly", field="kind")
    area = progress.default_area(scope) if area is None else area
    return fn(uow, profile, scope, area=area, benefit_year=benefit_year, day=day)
