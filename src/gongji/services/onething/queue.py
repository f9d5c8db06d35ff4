"""The staff side of the one-thing service: the queue of the clerk's regions sorted by the working
days left, the cases due today and those past their limit, the open parts per office, and the
daily list of overdue cases (Excel).

Time limits are computed on read from the day of acceptance on the calendar as it stands
(a holiday entered later moves the due day of an open case; ``domain.onething.timing``).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import OneThingCase, OneThingPart, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import onething as T
from gongji.domain.errors import UnknownCode
from gongji.policy.schema import Profile
from gongji.services import calendar
from gongji.services.offsite import common as C
from gongji.services.onething.cases import case_view
from gongji.services.registry.context import Ctx, audit_event

VIEWS = ("open", "due_today", "overdue", "done", "all")
VIEW_ZH = {"open": "办理中", "due_today": "今日到期", "overdue": "已超时", "done": "已办结", "all": "全部"}
LIMIT = 300


def staff_queue(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, view: str = "open", office: str = "", region: str = ""
) -> dict[str, Any]:
    """The clerk's cases (names masked): open ones by working days left (overdue first), closed
    ones newest first; with the totals and the open parts per office."""
    if view not in VIEWS:
        raise UnknownCode("列表类型不存在", "Unknown view", field="view", value=view)
    if office and office not in T.OFFICE_ZH:
        raise UnknownCode("办理部门不存在", "Unknown office", field="office", value=office)
    where = [C.scope_filter(ctx, OneThingCase.insured_region, region)]
    if view == "done":
        where.append(OneThingCase.status == T.CLOSED)
    elif view != "all":
        where.append(OneThingCase.status == T.REVIEWING)
    rows = uow.session.execute(
        select(OneThingCase, Person)
        .join(Person, Person.id == OneThingCase.person_id)
        .where(*where)
        .order_by(OneThingCase.id.desc())
        .limit(LIMIT)
    ).all()
    cal, today = calendar.load(uow), ctx.clock.today()
    parts: dict[int, list[OneThingPart]] = {}
    if rows:
        for p in uow.session.scalars(
            select(OneThingPart).where(OneThingPart.case_id.in_([c.id for c, _ in rows])).order_by(OneThingPart.id)
        ):
            parts.setdefault(p.case_id, []).append(p)
    cases = [case_view(profile, cal, c, parts.get(c.id, []), person, today) for c, person in rows]
    open_cases = [c for c in cases if c["state"] == T.REVIEWING]
    counts = _counts(open_cases)
    if view == "due_today":
        cases = [c for c in cases if c["timing"] == T.DUE_TODAY]
    elif view == "overdue":
        cases = [c for c in cases if c["timing"] in (T.OVERDUE, T.STATUTORY_OVERDUE)]
    if office:
        cases = [c for c in cases if any(p["office"] == office and not p["ended"] for p in c["parts"])]
    if view != "done":
        cases.sort(key=lambda c: (c["state"] != T.REVIEWING, c["remaining"], c["accepted_at"]))
    return {"cases": cases, "counts": counts, "today": today.isoformat()}


def _counts(open_cases: list[dict[str, Any]]) -> dict[str, Any]:
    offices: dict[str, dict[str, Any]] = {
        o: {"office": o, "office_zh": z, "open": 0, "overdue": 0} for o, z in T.OFFICE_ZH.items()
    }
    for c in open_cases:
        for p in c["parts"]:
            if not p["ended"]:
                offices[p["office"]]["open"] += 1
                offices[p["office"]]["overdue"] += int(c["late"])
    return {
        "open": len(open_cases),
        "due_today": sum(c["timing"] == T.DUE_TODAY for c in open_cases),
        "overdue": sum(c["timing"] in (T.OVERDUE, T.STATUTORY_OVERDUE) for c in open_cases),
        "statutory_overdue": sum(c["timing"] == T.STATUTORY_OVERDUE for c in open_cases),
        "offices": list(offices.values()),
    }


def overdue_list(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, region: str = "") -> list[dict[str, Any]]:
    """The day's list of open cases past their committed limit, most overdue first."""
    rows = staff_queue(uow, ctx, profile, view="overdue", region=region)["cases"]
    audit_event(
        uow, ctx, "onething.overdue_list", "onething_case", "overdue", day=ctx.clock.today().isoformat(), rows=len(rows)
    )
    return rows


HEADERS = (
    "受理编号", "姓名", "身份证号码", "参保地", "受理日期", "承诺办结日", "法定办结日",
    "超期工作日", "时限状态", "未办结事项", "办理部门", "办理渠道",
)  # fmt: skip


def overdue_workbook(rows: list[dict[str, Any]], day: date) -> bytes:
    """The daily overdue list as .xlsx (names and ID numbers masked, PIPL)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "超期办件"
    sheet.append([f"就医费用报销一件事 超期办件清单 {day.isoformat()}"])
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for c in rows:
        open_parts = [p for p in c["parts"] if not p["ended"]]
        sheet.append(
            [
                c["serial"], c["name"], c["cert_no"], c["insured_region_name"], c["accepted_on"],
                c["committed_due"], c["statutory_due"], -c["remaining"], c["timing_zh"],
                "、".join(p["kind_zh"] for p in open_parts), "、".join(p["office_zh"] for p in open_parts),
                c["channel_zh"],
            ]
        )  # fmt: skip
    for col, width in zip("ABCDEFGHIJKL", (22, 8, 22, 18, 12, 12, 12, 10, 14, 40, 40, 20), strict=True):
        sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
