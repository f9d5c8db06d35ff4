"""zh-CN pages of the medical credentials (issue 13 §1).

- ``/me/code``: the citizen's 医保码 — a QR code (inline SVG, made by ``segno``; no CDN) that
  carries a fresh 医保电子凭证 token, its text to copy (the HIS simulator takes it pasted), and
  until when it is valid (``Settings.ec_token_ttl_minutes``). Each visit of the page issues a
  new code and retires the earlier one; the page is never cached.
- ``POST /staff/persons/{id}/ssc-card``: staff record or replace the social-security card
  number (就诊凭证 03).

The read history is on the citizen's and the staff person's pages (``pages``).
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from gongji.domain.errors import Forbidden, GongjiError
from gongji.entrypoints.web.pages import _ctx, _fmt_time, _gj, _limit, _need, _person_action, error_page, render
from gongji.services.auth import Role
from gongji.services.registry import cards
from gongji.services.registry.persons import Ctx
from gongji.services.settlement import credentials

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as an inline SVG element (error correction M; a viewBox, so CSS sizes it)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=6,
        border=2,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        title="医保码",
        svgclass="qr",
        lineclass=None,
    )
    return Markup(buffer.getvalue().decode("utf-8"))  # noqa: S704 - segno's own SVG of our token text


@router.get("/me/code")
def my_code(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    if principal.person_id is None:
        return error_page(request, principal, Forbidden("该账号未关联参保人员", "No person linked to this account"))
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> credentials.IssuedToken:
        issued = credentials.issue_token(uow, ctx, ttl_minutes=gj.settings.ec_token_ttl_minutes)
        uow.commit()
        return issued

    try:
        issued = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    response = render(
        request,
        "me_code.html",
        principal,
        qr=qr_svg(issued.text),
        token=issued.text,
        expires=_fmt_time(issued.expires_at),
        ttl_minutes=issued.ttl_minutes,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff/persons/{person_id}/ssc-card")
def staff_record_card(request: Request, person_id: int, ssc_no: Str = "") -> Response:
    def record(uow: Any, ctx: Ctx) -> str:
        cards.record_card(uow, ctx, person_id=person_id, ssc_no=_limit(ssc_no, 20, "ssc_no"))
        return "ssc_card"

    return _person_action(request, person_id, record)
