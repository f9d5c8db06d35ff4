"""证明与缴费记录 (issue 17): the citizen's certificates and payment records by year, and the
参保证明 and 个人账户对账单 PDFs with their public check.

``/me/documents``: issue a 参保证明 (as of today) or a 对账单 (a period, by default this year so
far) — each a PDF with the verification QR code and the office's seal —, the documents issued
before (download again, same facts and code), and the premium payments by year with their
缴费证明. ``/verify/{serial}`` (``premium_pages``) checks these serials here. Use cases:
``gongji.services.registry.documents``.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.pdf.documents import render_document
from gongji.domain.certificates import verification_url
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.family_pages import _citizen
from gongji.entrypoints.web.pages import _ctx, _fmt_time, _gj, error_page, parse_date, render
from gongji.entrypoints.web.premium_pages import _public_base
from gongji.services.auth import Principal
from gongji.services.registry import documents

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]


def _page(
    request: Request,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    person_id = principal.person_id
    assert person_id is not None
    ctx = _ctx(request, principal)
    today = ctx.clock.today()

    def go(uow: Any) -> dict[str, Any]:
        return {
            "issued": documents.documents_of(uow, ctx, person_id=person_id),
            "premiums": documents.premium_records(uow, ctx, person_id=person_id),
        }

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    for d in data["issued"]:
        d["issued_text"] = _fmt_time(d["issued_at"])
    return render(
        request,
        "me_documents.html",
        principal,
        failed=error,
        form=form or {"start": date(today.year, 1, 1).isoformat(), "end": today.isoformat()},
        today=today.isoformat(),
        issued_by_year=[(y, list(g)) for y, g in groupby(data["issued"], key=lambda d: d["year"])],
        premiums_by_year=[(y, list(g)) for y, g in groupby(data["premiums"], key=lambda p: p["benefit_year"])],
    )


def _pdf(request: Request, issued: dict[str, Any]) -> Response:
    url = verification_url(_public_base(request), issued["serial"], issued["code"])
    pdf = render_document(issued["facts"], code=issued["code"], url=url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{issued["facts"].kind}-{issued["serial"]}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _issue(request: Request, principal: Principal, use_case: Any, form: dict[str, str] | None = None) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        issued: dict[str, Any] = use_case(uow, ctx)
        uow.commit()
        return issued

    try:
        issued = _gj(request).run(go)
    except GongjiError as err:
        return _page(request, principal, form=form, error=err)
    return _pdf(request, issued)


@router.get("/me/documents")
def my_documents(request: Request) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _page(request, who[0])


@router.post("/me/documents/proof")
def issue_proof(request: Request) -> Response:
    """开具参保证明 (PDF), as of today."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    return _issue(request, principal, lambda uow, ctx: documents.issue_insurance_proof(uow, ctx, person_id=person_id))


@router.post("/me/documents/statement")
def issue_statement(request: Request, start: Str = "", end: Str = "") -> Response:
    """个人账户对账单 (PDF) of the period typed."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    form = {"start": start[:10], "end": end[:10]}

    def use_case(uow: Any, ctx: Any) -> dict[str, Any]:
        first = parse_date(start, field="start")
        last = parse_date(end, field="end")
        return documents.issue_account_statement(uow, ctx, person_id=person_id, start=first, end=last)

    return _issue(request, principal, use_case, form)


@router.get("/me/documents/{serial}.pdf")
def download_again(request: Request, serial: str) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    ctx = _ctx(request, principal)
    try:
        issued = _gj(request).run(lambda uow: documents.stored_document(uow, ctx, person_id=person_id, serial=serial))
    except GongjiError as err:
        return error_page(request, principal, err)
    return _pdf(request, issued)
