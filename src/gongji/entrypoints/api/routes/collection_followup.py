"""Collection follow-up API (issue 16 §3–§4; seed 002 §六、§八、§九). Every rule lives in
``services.collection`` (``cash``, ``remittance``, ``followup``, ``posting``, ``failed_payments``,
``tax_compare``, ``posting_roster``); bad input is a 4xx with an error code, nothing written.

- ``POST /api/collection/townships/{code}/cash-receipts`` (staff): a premium taken in cash;
- ``GET /api/collection/townships/{code}/cash``: 双限报解 state, unremitted receipts, remittances;
- ``POST /api/collection/townships/{code}/remittances``: remit to the 待报解 account (voucher);
- ``POST /api/collection/remittances/{id}/treasury``: tips / bank query confirmation;
- ``GET /api/collection/remittances/due``: the district's view, overdue first;
- ``GET /api/collection/unpaid?benefit_year=&unit_id=&format=xlsx``: 催缴 list (scoped, masked);
- ``POST /api/collection/contacts``: a contact with a not-yet-paid person;
- ``GET /api/collection/units/{id}/posting?benefit_year=&month=&format=pdf``: village posting;
- ``POST /api/collection/failed-payments`` (citizen; screenshot in base64), ``GET …/mine``,
  ``GET /api/collection/failed-payments`` (staff queue), ``GET …/{id}`` (check), ``GET
  …/{id}/screenshot``, ``POST …/{id}/resolve``;
- ``POST /api/collection/townships/{code}/tax-compare``: the tax export (base64) against the registry;
- ``GET /api/subsidies/rosters/{id}/print``: the approved full-subsidy roster as a PDF.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field

from gongji.domain.errors import InvalidRequest
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.collection import (
    cash,
    failed_payments,
    followup,
    posting,
    posting_roster,
    remittance,
    tax_compare,
)

router = APIRouter(tags=["collection 征缴催缴与双限报解"])
Year = Annotated[int, Field(ge=2000, le=2100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _commit(gj: Any, call: Any) -> Any:
    def go(uow: Any) -> Any:
        result = call(uow)
        uow.commit()
        return result

    return gj.run(go)


def _b64(value: str | None, field: str) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("文件不是有效的Base64编码", f"{field}: not base64", field=field) from None


class ReceiptBody(Body):
    receipt_no: str = Field(max_length=48)
    cert_no: str = Field(max_length=50)
    benefit_year: Year
    amount_fen: int


class RemitBody(Body):
    reference: str = Field(max_length=64)


class TreasuryBody(Body):
    method: Literal["tips", "bank_query"]
    reference: str = Field(max_length=64)


class ContactBody(Body):
    person_id: int
    benefit_year: Year
    outcome: str = Field(max_length=10)
    promised_on: date | None = None
    note: str | None = Field(default=None, max_length=200)


class FailedBody(Body):
    benefit_year: Year
    channel: str = Field(max_length=16)
    amount_fen: int
    paid_on: date
    order_no: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=200)
    screenshot_base64: str | None = Field(default=None, max_length=3_000_000)


class ResolveBody(Body):
    resolution: str = Field(max_length=12)
    note: str | None = Field(default=None, max_length=200)


class TaxCompareBody(Body):
    benefit_year: Year
    file_base64: str = Field(max_length=7_000_000)


@router.post("/api/collection/townships/{code}/cash-receipts")
def cash_receipt(code: str, body: ReceiptBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """A premium taken in cash at the township's counter (the receipt number is the idempotency key)."""
    return _commit(  # type: ignore[no-any-return]
        gj, lambda uow: cash.record_receipt(uow, ctx, gj.profile, township_code=code, **body.model_dump())
    )


@router.get("/api/collection/townships/{code}/cash")
def township_cash(code: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The township's cash: 双限报解 state (none/pending/due/overdue), receipts, remittances."""
    return _commit(gj, lambda uow: remittance.township_page(uow, ctx, gj.profile, township_code=code))  # type: ignore[no-any-return]


@router.post("/api/collection/townships/{code}/remittances")
def remit(code: str, body: RemitBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Remit every unremitted receipt to the 待报解社会保险费 account."""
    return _commit(  # type: ignore[no-any-return]
        gj, lambda uow: remittance.remit(uow, ctx, gj.profile, township_code=code, reference=body.reference)
    )


@router.post("/api/collection/remittances/{remittance_id}/treasury")
def treasury(remittance_id: int, body: TreasuryBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The remittance reached the treasury (tips deduction or bank query)."""
    return _commit(  # type: ignore[no-any-return]
        gj,
        lambda uow: remittance.confirm_treasury(
            uow, ctx, gj.profile, remittance_id=remittance_id, method=body.method, reference=body.reference
        ),
    )


@router.get("/api/collection/remittances/due")
def remittances_due(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Townships in scope with unremitted cash or money not yet in the treasury, overdue first."""
    return _commit(gj, lambda uow: remittance.district_view(uow, ctx, gj.profile))  # type: ignore[no-any-return]


@router.get("/api/collection/unpaid", response_model=None)
def unpaid(
    gj: GjDep,
    ctx: CtxDep,
    benefit_year: Annotated[int, Query(ge=2000, le=2100)],
    unit_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    """The not-yet-paid of the viewer's units (full names only for the township's own clerk)."""
    if format == "xlsx":
        data = _commit(gj, lambda uow: followup.unpaid_xlsx(uow, ctx, benefit_year=benefit_year, unit_id=unit_id))
        return Response(
            data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="unpaid-{benefit_year}.xlsx"'}
        )
    return _commit(
        gj,
        lambda uow: followup.unpaid(uow, ctx, benefit_year=benefit_year, unit_id=unit_id, limit=limit, offset=offset),
    )


@router.post("/api/collection/contacts")
def contact(body: ContactBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Record a contact (called, visited, refused, moved, promised + promised_on)."""
    return _commit(gj, lambda uow: followup.record_contact(uow, ctx, **body.model_dump()))  # type: ignore[no-any-return]


@router.get("/api/collection/units/{unit_id}/posting", response_model=None)
def village_posting(
    unit_id: int,
    gj: GjDep,
    ctx: CtxDep,
    benefit_year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[str, Query(max_length=7)],
    format: Literal["json", "pdf"] = "json",
) -> Any:
    """The village's monthly posting list (masked), as JSON or a printable PDF."""
    if format == "pdf":
        pdf = _commit(
            gj, lambda uow: posting.posting_pdf(uow, ctx, unit_id=unit_id, benefit_year=benefit_year, month=month)
        )
        return Response(pdf, media_type="application/pdf")
    return _commit(gj, lambda uow: posting.posting(uow, ctx, unit_id=unit_id, benefit_year=benefit_year, month=month))


@router.post("/api/collection/failed-payments")
def report_failed(body: FailedBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """A citizen reports a failed online payment (screenshot optional)."""
    args = body.model_dump(exclude={"screenshot_base64"})
    shot = _b64(body.screenshot_base64, "screenshot_base64")
    return _commit(gj, lambda uow: failed_payments.report(uow, ctx, gj.profile, screenshot=shot, **args))  # type: ignore[no-any-return]


@router.get("/api/collection/failed-payments/mine")
def my_failed(gj: GjDep, ctx: CtxDep) -> list[dict[str, Any]]:
    return _commit(gj, lambda uow: failed_payments.mine(uow, ctx))  # type: ignore[no-any-return]


@router.get("/api/collection/failed-payments")
def failed_queue(gj: GjDep, ctx: CtxDep, status: Literal["open", "resolved"] = "open") -> list[dict[str, Any]]:
    """Reports the township (or district) must check."""
    return _commit(gj, lambda uow: failed_payments.queue(uow, ctx, status=status))  # type: ignore[no-any-return]


@router.get("/api/collection/failed-payments/{report_id}")
def failed_check(report_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The report with what the registry holds for that person and year."""
    return _commit(gj, lambda uow: failed_payments.check(uow, ctx, report_id=report_id))  # type: ignore[no-any-return]


@router.get("/api/collection/failed-payments/{report_id}/screenshot", response_model=None)
def failed_screenshot(report_id: int, gj: GjDep, ctx: CtxDep) -> Response:
    data, kind = _commit(gj, lambda uow: failed_payments.screenshot(uow, ctx, report_id=report_id))
    return Response(data, media_type=kind)


@router.post("/api/collection/failed-payments/{report_id}/resolve")
def failed_resolve(report_id: int, body: ResolveBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Close a report: paid_late, duplicate or refunded — checked against the registry."""
    return _commit(  # type: ignore[no-any-return]
        gj, lambda uow: failed_payments.resolve(uow, ctx, report_id=report_id, **body.model_dump())
    )


@router.post("/api/collection/townships/{code}/tax-compare")
def tax_compare_export(code: str, body: TaxCompareBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Compare the township's 集中代缴 export from the tax system with the registry (nothing written)."""
    return _commit(  # type: ignore[no-any-return]
        gj,
        lambda uow: tax_compare.compare(
            uow, ctx, gj.profile, township_code=code, benefit_year=body.benefit_year, file=body.file_base64
        ),
    )


@router.get("/api/subsidies/rosters/{roster_id}/print", response_model=None)
def roster_print(roster_id: int, gj: GjDep, ctx: CtxDep, office: Annotated[str, Query(max_length=40)] = "") -> Response:
    """The approved full-subsidy roster as a PDF for the seal (masked)."""
    pdf = _commit(gj, lambda uow: posting_roster.roster_pdf(uow, ctx, gj.profile, roster_id=roster_id, office=office))
    return Response(pdf, media_type="application/pdf")
