"""The staff home with the person list (人员查询, issue 17): search by whole or partial ID number,
name, phone or card number, filter, sort, page with a total, export to Excel (masked).

The search is a POST (the query may be an ID number: it never lands in a URL or the browser
history); the pager's buttons and the export submit the same form. The use cases are
``services.registry.search``; opening a person (``/staff/persons/{id}``) is the audited read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters import xlsx_list
from gongji.adapters.xlsx_list import XCol
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.listing_view import ListView, region_options, xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _gj, _need, _region_name, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.listing import ListQuery
from gongji.services.registry import search

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
EXPORT_COLS = [
    XCol("姓名", width=10),
    XCol("证件号码", width=22),
    XCol("性别", width=6),
    XCol("出生年份", "int", width=9),
    XCol("手机号码", width=14),
    XCol("险种", width=22),
    XCol("参保地区", width=24),
    XCol("单位", width=24),
    XCol("参保状态", width=10),
    XCol("参保开始日期", "date", width=13),
]


def _view(principal: Principal, lq: ListQuery) -> ListView:
    return ListView(
        q=lq,
        spec=search.SPEC,
        unit="人",
        regions=region_options(principal.regions),
        export="/staff/persons.xlsx",
        form_id="person-search",
    )


def _form(*values: str) -> dict[str, str]:
    return dict(zip(("from", "to", "region", "state", "sort", "order", "page", "size"), values, strict=True))


def _home(request: Request, principal: Principal, q: str = "", params: dict[str, str] | None = None) -> Response:
    regions = [{"code": c, "name": _region_name(c)} for c in principal.regions]
    q = q.strip()[:50]
    lv = _view(principal, ListQuery(sort=search.SPEC.default_sort, desc=False, size=search.SPEC.page_size))
    if params is None:
        return render(request, "staff_home.html", principal, regions=regions, q=q, lv=lv)
    ctx = _ctx(request, principal)
    try:
        lv.q = ListQuery.parse(params, search.SPEC)
        lv.page = _gj(request).run(lambda uow: search.find_persons(uow, ctx, query=q, lq=lv.q))
    except GongjiError as err:
        return render(request, "staff_home.html", principal, failed=err, regions=regions, q=q, lv=lv)
    return render(request, "staff_home.html", principal, regions=regions, q=q, lv=lv)


@router.get("/staff")
def staff_home(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _home(request, principal)


@router.post("/staff")
def staff_search(
    request: Request,
    q: Str = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    to: Str = "",
    region: Str = "",
    state: Str = "",
    sort: Str = "",
    order: Str = "",
    page: Str = "",
    size: Str = "",
) -> Response:
    """The search (POST, so that an ID number never lands in a URL), its filters and its page."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _home(request, principal, q, _form(date_from, to, region, state, sort, order, page, size))


@router.post("/staff/persons.xlsx")
def staff_persons_export(
    request: Request,
    q: Str = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    to: Str = "",
    region: Str = "",
    state: Str = "",
    sort: Str = "",
    order: Str = "",
    page: Str = "",
    size: Str = "",
) -> Response:
    """Everything the search finds (not only the page shown), one row per enrollment, masked;
    the export is audited."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    params = _form(date_from, to, region, state, sort, order, page, size)

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(params, search.SPEC)
        rows = search.export_rows(uow, ctx, query=q.strip()[:50], lq=lq)
        f = xlsx_list.write("人员", EXPORT_COLS, rows, caption="人员查询结果（证件号码、姓名、手机号码已脱敏）")
        uow.commit()  # the audit row of the export
        return f

    try:
        f = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer("人员查询结果.xlsx", f)
