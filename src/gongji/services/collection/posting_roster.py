"""The printable full-subsidy roster (issue 16 §4; seed 002 §四(二)1: "申报成功后导出并打印人员花名册，加盖
公章后上报甘州区医保服务中心"): an approved 《全额资助对象花名册》 as a PDF for the township's seal —
the accepted rows with what was done for each (paid by the assistance fund, paid out to the card,
family account returned, already subsidised) and the amounts, the totals, the roster number and
the reviewers' dates, and room for the seal. Names and ID numbers are masked like every list
(``张*``, ``6207**********1234``): the centre checks the roster against its own records by number.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import SubsidyRoster
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.pdf.listing import Listing, render_listing
from gongji.domain.clock import local_date
from gongji.domain.errors import InvalidStateTransition, NotFound
from gongji.domain.registry import region_in_scope
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def roster_pdf(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, roster_id: int, office: str = "") -> bytes:
    """The approved roster ``roster_id`` as a PDF (module docstring); ``office`` names the issuing
    township or office on the seal line."""
    ctx.principal.require(Role.STAFF)
    roster = uow.session.scalar(select(SubsidyRoster).where(SubsidyRoster.id == roster_id))
    if roster is None or not all(region_in_scope(r, list(ctx.principal.regions)) for r in roster.scope.split(",")):
        raise NotFound("花名册不存在", "Roster not found", roster_id=roster_id)
    if roster.status != "approved" or not roster.result_json:
        raise InvalidStateTransition("花名册审核导入后才能打印上报", "Only an approved roster is printed")
    result: dict[str, Any] = json.loads(roster.result_json)
    rows = [r for r in result["report"] if r["accepted"]]
    names = {c.code: c.name for c in profile.resident.subsidy}
    category = names.get(roster.category_code, roster.category_code)
    reviewed = local_date(roster.reviewed_at).isoformat() if roster.reviewed_at else ""
    total = sum(int(r["amount_fen"]) for r in rows)
    audit_event(uow, ctx, "subsidy.roster_print", "subsidy_roster", roster.id, rows=len(rows))
    return render_listing(
        Listing(
            title=f"{roster.benefit_year}年度城乡居民基本医疗保险全额资助对象花名册",
            lines=[
                f"资助类别：{category}　花名册编号：{roster.id}　审核导入日期：{reviewed}",
                f"共{len(rows)}人，资助金合计{_yuan(total)}元（医疗救助资金打入乡镇、街道城乡居民“两险”待报解社保费账户扣款，"
                "已自主缴费的通过“一卡通”或银行卡发放）。",
            ],
            headers=["序号", "姓名", "身份证号码", "处理结果", "资助金额（元）"],
            rows=[
                [str(i), r["name_masked"], r["id_masked"], r["outcome_zh"], _yuan(int(r["amount_fen"]))]
                for i, r in enumerate(rows, start=1)
            ],
            widths_mm=[14, 24, 50, 62, 30],
            foot=[
                f"{office or '乡镇（街道）'}（加盖公章）",
                "经办人：　　　　　　　　",
                f"{reviewed}",
            ],
            subject=f"roster:{roster.id}",
        )
    )
