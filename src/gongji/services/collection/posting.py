"""The monthly posting in villages (issue 16 §3; seed 002 §九5: "按月在村社（社区）粘贴公示缴费信息，及时向
缴费人告知缴费情况"): per village (行政村, 社区 or 学校), who of its members has paid the year's 390
premium by the end of a month, for public posting — names and ID numbers masked (``张*``,
``6207**********1234``), the amount and the day paid — as a page and a printable PDF with the
township as issuing office and the posting date. Nothing else about a person is shown.
"""

from __future__ import annotations

import calendar as month_days
import re
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import CollectionMember, Person, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.pdf.listing import Listing, render_listing
from gongji.domain.clock import local_date
from gongji.domain.errors import InvalidRequest
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import RESIDENT_BASIC
from gongji.services.collection import units
from gongji.services.registry.persons import Ctx, audit_event

_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


def _cutoff(month: str, today: date) -> date:
    m = _MONTH.match(month or "")
    if m is None:
        raise InvalidRequest("月份格式应为YYYY-MM", "month: YYYY-MM", field="month")
    year, mon = int(m.group(1)), int(m.group(2))
    first = date(year, mon, 1)
    if first > today:
        raise InvalidRequest("不能公示未来月份", "The month has not begun", field="month")
    return min(date(year, mon, month_days.monthrange(year, mon)[1]), today)


def posting(uow: UnitOfWork, ctx: Ctx, *, unit_id: int, benefit_year: int, month: str) -> dict[str, Any]:
    """The village's list for ``month`` (module docstring), in the order paid."""
    scope = units.scope_of(uow, ctx.principal)
    unit = units.get_unit(uow, unit_id)
    units.check_unit_scope(uow, scope, unit)
    if unit.parent_id is None:
        raise InvalidRequest("请选择村（社区、学校）", "Choose a village, community or school", field="unit_id")
    town = units.get_unit(uow, unit.parent_id)
    cutoff = _cutoff(month, ctx.clock.today())
    rows = uow.session.execute(
        select(Person.name, Person.cert_no, ResidentPremium.paid_fen, ResidentPremium.paid_at)
        .join(CollectionMember, CollectionMember.person_id == Person.id)
        .join(ResidentPremium, ResidentPremium.person_id == Person.id)
        .where(
            CollectionMember.unit_id == unit.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
            ResidentPremium.status == "paid",
        )
    ).all()
    paid = sorted(
        ((local_date(at), name, cert, fen) for name, cert, fen, at in rows if at and local_date(at) <= cutoff),
        key=lambda r: (r[0], r[2]),
    )
    items = [
        {
            "no": i,
            "name": mask_name(name),
            "id_number": mask_id_number(cert),
            "amount_fen": fen,
            "paid_on": day.isoformat(),
        }
        for i, (day, name, cert, fen) in enumerate(paid, start=1)
    ]
    audit_event(uow, ctx, "collection.posting", "collection_unit", unit.id, month=month, rows=len(items))
    return {
        "unit_id": unit.id,
        "unit_name": unit.name,
        "township_name": town.name,
        "benefit_year": benefit_year,
        "month": month,
        "as_of": cutoff.isoformat(),
        "posted_on": ctx.clock.today().isoformat(),
        "count": len(items),
        "total_fen": sum(i["amount_fen"] for i in items),
        "items": items,
    }


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def posting_pdf(uow: UnitOfWork, ctx: Ctx, *, unit_id: int, benefit_year: int, month: str) -> bytes:
    data = posting(uow, ctx, unit_id=unit_id, benefit_year=benefit_year, month=month)
    return render_listing(
        Listing(
            title=f"{data['unit_name']}{data['benefit_year'] - 1}年城乡居民医保缴费公示（{benefit_year}年度）",
            lines=[
                f"截至{_day(data['as_of'])}，本村（社区）以下{data['count']}人已缴纳{benefit_year}年度城乡居民基本医疗保险费，"
                f"合计{_yuan(data['total_fen'])}元。如有疑问或已缴费未列入，请与{data['township_name']}医保工作人员联系。",
            ],
            headers=["序号", "姓名", "身份证号码", "缴费金额（元）", "缴费日期"],
            rows=[
                [str(i["no"]), i["name"], i["id_number"], _yuan(i["amount_fen"]), i["paid_on"]] for i in data["items"]
            ],
            widths_mm=[15, 30, 55, 35, 40],
            foot=[data["township_name"] + "（盖章）", _day(data["posted_on"])],
            subject=f"posting:{unit_id}:{month}",
        )
    )
