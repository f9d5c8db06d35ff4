"""The month-end dashboard of a province as JSON (issue 15 §6; ``services.backoffice.month_end``):
``GET /api/backoffice/month-end?month=YYYY-MM&province=62`` — every back-office step of the data
month against its deadline on the working-day calendar (state, due, done, working days late or
left; items per city, region or week). Default month: the one before today; default province:
the profile's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.services.backoffice import month_end

router = APIRouter(tags=["backoffice 月末看板"])


def last_month(today: Any) -> str:
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


@router.get("/api/backoffice/month-end")
def dashboard(
    gj: GjDep,
    ctx: CtxDep,
    month: Annotated[str | None, Query(max_length=7, description="数据月份 YYYY-MM（默认上月）")] = None,
    province: Annotated[str | None, Query(pattern=r"^\d{2}$", description="省份代码（2位，默认本省）")] = None,
) -> dict[str, Any]:
    return gj.run(  # type: ignore[no-any-return]
        lambda uow: month_end.dashboard(
            uow,
            ctx,
            province=province or gj.profile.profile.province_code,
            month=month or last_month(gj.clock.today()),
        )
    )
