"""zh-CN staff page of the township's follow-up (issue 16 §3–§4): ``/staff/collection/followup``.

The township clerk's day: the 双限报解 state of their township's cash (due / overdue in red), the
district's list of townships with cash due (district staff), and whom to call — the not-yet-paid
of their villages with the last contact — with a form to record a contact. Rules in
``services.collection`` (``remittance``, ``followup``); a refusal re-shows the page with the
Chinese message.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.db.models import CollectionUnit
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, render
from gongji.services.auth import Principal, Role
from gongji.services.collection import followup, remittance, units

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]


def _page(request: Request, principal: Principal, *, error: GongjiError | None = None, done: bool = False) -> Response:
    gj = _gj(request)
    ctx = _ctx(request, principal)
    year = gj.clock.today().year + 1

    def go(uow: Any) -> dict[str, Any]:
        scope = units.scope_of(uow, principal)
        town = uow.session.get(CollectionUnit, scope.township_id) if scope.township_id else None
        out: dict[str, Any] = {"town": town.name if town else None, "cash": None}
        if town is not None:
            out["cash"] = remittance.township_page(uow, ctx, gj.profile, township_code=town.code)
        out["district"] = remittance.district_view(uow, ctx, gj.profile)
        out["unpaid"] = followup.unpaid(uow, ctx, benefit_year=year, limit=200)
        uow.commit()
        return out

    view = gj.run(go)
    return render(
        request,
        "staff_collection_followup.html",
        principal,
        400 if error else 200,
        failed=error,
        v=view,
        year=year,
        outcomes=followup.OUTCOMES,
        done=done,
    )


@router.get("/staff/collection/followup")
def followup_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _page(request, principal, done=request.query_params.get("done") == "1")


@router.post("/staff/collection/followup/contact")
def contact(request: Request, person_id: Str, outcome: Str, promised_on: Str = "", note: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    year = _gj(request).clock.today().year + 1

    def use(uow: Any, ctx: Any) -> dict[str, Any]:
        try:
            pid = int(person_id)
            day = date.fromisoformat(promised_on) if promised_on.strip() else None
        except ValueError:
            raise InvalidRequest("人员或日期格式不正确", "person_id / promised_on", field="promised_on") from None
        return followup.record_contact(
            uow, ctx, person_id=pid, benefit_year=year, outcome=outcome, promised_on=day, note=note or None
        )

    return act(
        request,
        principal,
        use,
        on_error=lambda err: _page(request, principal, error=err),
        redirect_to=lambda _: "/staff/collection/followup?done=1",
    )
