"""The month-end dashboard's 拨付 and 零星报销 sections (issue 15 §2, §6; seed 003 附件二(一)(二)2,
(四)). The seed sets no day for paying institutions ("按正常月结流程结算", "在本地月结中按全额予以
拨付"); our reading, in docs/backoffice.md §6: for the data month M, the statement of each region
of care is prepared by the 5th of M+1 (with the clearing's pre-generated data), approved by the
10th, the payment order issued by the 15th and the bank's answers confirmed by the end of M+1.
零星报销 have no deadline in the seed: the claims awaiting 核算 and awaiting the second clerk's
审核 are counted (whatever month they were registered in)."""

from __future__ import annotations

import calendar as _calendar
from datetime import date
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import ReimbursementClaim, Settlement
from gongji.adapters.db.models_payments import InstitutionPaymentLine, InstitutionPaymentRun
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import reimbursement as R
from gongji.domain.calendar import WorkCalendar
from gongji.domain.clock import local_date
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.backoffice.clearing_sql import month_bounds

# (key, name, day of M+1 that is the deadline; None: the last day of M+1)
STEPS = (
    ("prepare", "编制拨付结算单（次月5日前）", 5),
    ("approve", "复核审批（次月10日前）", 10),
    ("order", "出具支付单（次月15日前）", 15),
    ("confirm", "银行回单确认到账（次月底前）", None),
)


def _done_on(uow: UnitOfWork, run: InstitutionPaymentRun, key: str) -> date | None:
    if key == "prepare":
        return local_date(run.prepared_at)
    if key == "approve":
        return local_date(run.approved_at) if run.approved_at else None
    if key == "order":
        return local_date(run.ordered_at) if run.ordered_at else None
    if run.state != "closed":
        return None
    last = uow.session.scalar(
        select(func.max(InstitutionPaymentLine.confirmed_at)).where(InstitutionPaymentLine.run_id == run.id)
    )
    return local_date(last) if last else local_date(run.ordered_at or run.updated_at)


def payments_section(uow: UnitOfWork, cal: WorkCalendar, province: str, month: str, today: date) -> dict[str, Any]:
    """Per region of care with a statement or a settlement in M, each step against its deadline."""
    from gongji.services.backoffice.month_end import _item, _step, state_of  # the dashboard's shapes

    first = PC.parse_month(month)
    nxt = PC.next_month(first)
    last = nxt.replace(day=_calendar.monthrange(nxt.year, nxt.month)[1])
    start, end = month_bounds(month)
    runs = {
        r.region_code: r
        for r in uow.session.scalars(
            select(InstitutionPaymentRun).where(
                InstitutionPaymentRun.month == month, InstitutionPaymentRun.region_code.startswith(province)
            )
        )
    }
    settled = uow.session.scalars(
        select(Settlement.treatment_region)
        .where(Settlement.setl_time >= start, Settlement.setl_time < end)
        .where(Settlement.treatment_region.startswith(province))
        .group_by(Settlement.treatment_region)
    ).all()
    regions = sorted(set(runs) | set(settled))
    names = region_table()
    steps = []
    for key, name, day in STEPS:
        due = nxt.replace(day=day) if day else last
        items = [
            _item(
                names.name(region),
                state_of(cal, due=due, done=_done_on(uow, runs[region], key) if region in runs else None, today=today),
            )
            for region in regions
        ]
        steps.append(_step(key, name, {"due": due.isoformat()}, items=items))
    return {
        "key": "institution_payments",
        "title": "定点医药机构费用拨付",
        "source": "003 附件二(一)、(二)2",
        "link": f"/staff/payments?month={month}",
        "steps": steps,
    }


def reimbursements_section(uow: UnitOfWork, province: str, month: str) -> dict[str, Any]:
    """零星报销 waiting for staff, counted: no deadline in the seed (附件二(四))."""
    from gongji.services.backoffice.month_end import _step

    counts = dict(
        uow.session.execute(
            select(ReimbursementClaim.state, func.count())
            .where(
                ReimbursementClaim.state.in_((R.REGISTERED, R.COMPUTED)),
                ReimbursementClaim.region_code.startswith(province),
            )
            .group_by(ReimbursementClaim.state)
        ).all()
    )
    steps = []
    for state, key, name in ((R.REGISTERED, "compute", "待核算"), (R.COMPUTED, "approve", "待审核支付")):
        n = int(counts.get(state, 0))
        view = {
            "due": None,
            "done": None,
            "state": "waiting" if n else "done",
            "state_zh": f"{n} 笔待办" if n else "无",
            "working_days_late": 0,
            "working_days_left": 0,
            "count": n,
        }
        steps.append(_step(key, f"零星报销{name}", view, note=f"{n} 笔" if n else ""))
    return {
        "key": "reimbursements",
        "title": "零星报销",
        "source": "003 附件二(四)",
        "link": f"/staff/reimbursements?state={R.COMPUTED}",
        "steps": steps,
    }
