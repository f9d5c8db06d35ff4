"""Resident premium payments by channel and subsidies API (SPEC §6; seed 002 §四, §六).

Every rule lives in ``services.resident.channels`` and ``services.resident.subsidies``:

- ``POST /api/premiums/channel-payments`` (staff, tax): a premium paid at a bank, in the tax app
  or in a batch; the ``reference`` is the idempotency key; ``late: true`` for a payment of the
  current benefit year after its window (中途参保, with a waiting period, notes §1.2);
- ``POST /api/premiums/waiting-buybacks`` (staff): 缴费购买等待期 — pay to remove variable
  waiting months of a paid premium;
- ``GET /api/premiums/status/{person_id}?benefit_year=``: paid or not, due, subsidy, grants;
- ``POST /api/subsidies/roster`` (staff): upload the full-subsidy roster as ``rows`` or a CSV /
  .xlsx file in base64 (``file_base64``), ``mode`` all_or_nothing / valid_only, ``dry_run``: the
  report, and the roster kept ``pending`` — nothing moves (``services.resident.roster``);
- ``GET /api/subsidies/rosters`` (staff): rosters waiting for approval; ``GET
  /api/subsidies/rosters/{id}``: what approval would move now; ``POST …/{id}/approve`` and
  ``…/{id}/reject`` with a ``note``, by another clerk than the uploader (``E_FOUR_EYES``);
- ``POST /api/subsidies/fixed/pay`` (staff): 先缴后补 for the year;
- ``POST /api/subsidies/persons/{person_id}/category`` (staff): 身份类别变化, top-up;
- ``GET /api/subsidies/recoveries`` (staff): 资助追回 — subsidies paid to a card that are owed back
  (``services.resident.recoveries``); ``POST …/{id}/collections`` (Idempotency-Key),
  ``…/{id}/write-off`` and ``…/{id}/write-off/approve`` (a second clerk).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field

from gongji.entrypoints.api.deps import CtxDep, GjDep, IdempotencyKey
from gongji.entrypoints.api.schemas import Body
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import recoveries, roster, subsidies

router = APIRouter(tags=["subsidies 参保缴费与资助"])

Year = Annotated[int, Field(ge=2000, le=2100)]


class ChannelPaymentBody(Body):
    cert_no: str = Field(max_length=50)
    benefit_year: Year
    amount_fen: int
    channel: Literal["bank", "tax_app", "batch"]
    reference: str = Field(max_length=64)
    late: Annotated[bool, Field(strict=True)] = False


class BuybackBody(Body):
    cert_no: str = Field(max_length=50)
    benefit_year: Year
    months: int
    amount_fen: int
    channel: Literal["bank", "tax_app", "batch"]
    reference: str = Field(max_length=64)


class RosterRowBody(Body):
    id_number: str = Field(max_length=50)
    name: str = Field(default="", max_length=50)


class RosterBody(Body):
    benefit_year: Year
    category: str = Field(max_length=40)
    mode: Literal["all_or_nothing", "valid_only"] = "all_or_nothing"
    dry_run: bool = False
    rows: list[RosterRowBody] | None = Field(default=None, max_length=roster.MAX_ROWS)
    file_base64: str | None = Field(default=None, max_length=1_000_000)


class ReviewBody(Body):
    note: str = Field(max_length=200)


class RecoveryCollectionBody(Body):
    amount_fen: int


class WriteOffBody(Body):
    reason: str = Field(max_length=200)


class FixedRunBody(Body):
    benefit_year: Year


class CategoryBody(Body):
    benefit_year: Year
    subsidy_codes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    reason: str = Field(max_length=200)


def _commit(gj: Any, call: Any) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        result: dict[str, Any] = call(uow)
        uow.commit()
        return result

    return gj.run(go)  # type: ignore[no-any-return]


@router.post("/api/premiums/channel-payments")
def channel_payment(body: ChannelPaymentBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """银行、税务APP或集中代缴的城乡居民医保缴费 (002 §六): amount = due after the subsidy.
    ``late``: 中途参保 for the current benefit year after its window, with a waiting period."""
    return _commit(gj, lambda uow: premium_channels.record_payment(uow, ctx, gj.profile, **body.model_dump()))


@router.post("/api/premiums/waiting-buybacks")
def waiting_buyback(body: BuybackBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """缴费购买等待期 (notes §1.2): ``months`` × one individual premium per month; the answer shows
    the premium's new benefit start. ``reference`` is the idempotency key."""
    return _commit(gj, lambda uow: premium_channels.buy_back_waiting(uow, ctx, gj.profile, **body.model_dump()))


@router.get("/api/premiums/status/{person_id}")
def payment_status(
    person_id: int, gj: GjDep, ctx: CtxDep, benefit_year: Annotated[int, Query(ge=2000, le=2100)]
) -> dict[str, Any]:
    """缴费状态 for a person and benefit year."""
    return _commit(
        gj,
        lambda uow: premium_channels.payment_status(
            uow, ctx, gj.profile, person_id=person_id, benefit_year=benefit_year
        ),
    )


@router.post("/api/subsidies/roster")
def upload_roster(body: RosterBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """全额资助对象花名册上传 (002 §四(二)1): the validation report; kept for a second clerk's
    approval unless ``dry_run`` (or all_or_nothing with a bad row). Nothing moves here."""
    rows = [r.model_dump() for r in body.rows] if body.rows is not None else None
    return _commit(
        gj,
        lambda uow: roster.upload_roster(
            uow,
            ctx,
            gj.profile,
            benefit_year=body.benefit_year,
            category=body.category,
            rows=rows,
            file=body.file_base64,
            mode=body.mode,
            dry_run=body.dry_run,
        ),
    )


@router.get("/api/subsidies/rosters")
def pending_rosters(gj: GjDep, ctx: CtxDep) -> list[dict[str, Any]]:
    """花名册待审核: rosters of the staff member's regions waiting for approval."""
    return gj.run(lambda uow: roster.pending_rosters(uow, ctx, gj.profile))  # type: ignore[no-any-return]


@router.get("/api/subsidies/rosters/{roster_id}")
def quote_roster(roster_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """What approving the roster would move now, row by row (for the approver; E_FOUR_EYES for
    the uploader)."""
    return gj.run(lambda uow: roster.quote_roster(uow, ctx, gj.profile, roster_id=roster_id))  # type: ignore[no-any-return]


@router.post("/api/subsidies/rosters/{roster_id}/approve")
def approve_roster(roster_id: int, body: ReviewBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """审核通过: another clerk than the uploader; the money moves now."""
    return _commit(gj, lambda uow: roster.approve_roster(uow, ctx, gj.profile, roster_id=roster_id, note=body.note))


@router.post("/api/subsidies/rosters/{roster_id}/reject")
def reject_roster(roster_id: int, body: ReviewBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """退回: nothing moves."""
    return _commit(gj, lambda uow: roster.reject_roster(uow, ctx, roster_id=roster_id, note=body.note))


@router.post("/api/subsidies/fixed/pay")
def pay_fixed(body: FixedRunBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """定额资助先缴后补 (002 §四(二)2–3): pays each subsidy once."""
    return _commit(gj, lambda uow: subsidies.pay_fixed_subsidies(uow, ctx, gj.profile, benefit_year=body.benefit_year))


@router.post("/api/subsidies/persons/{person_id}/category")
def change_category(person_id: int, body: CategoryBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """身份类别变化 (002 §四(二)4): raised → 补差, lowered → nothing taken back."""
    return _commit(
        gj,
        lambda uow: subsidies.change_category(
            uow,
            ctx,
            gj.profile,
            person_id=person_id,
            subsidy_codes=body.subsidy_codes,
            benefit_year=body.benefit_year,
            reason=body.reason,
        ),
    )


@router.get("/api/subsidies/recoveries")
def subsidy_recoveries(gj: GjDep, ctx: CtxDep, include_closed: bool = False) -> list[dict[str, Any]]:
    """资助追回: subsidies paid to a person's card that are owed back to the assistance fund (a
    family-paid premium refunded, or a fixed subsidy netted by the full one), in my regions."""
    return gj.run(lambda uow: recoveries.recoveries(uow, ctx, open_only=not include_closed))  # type: ignore[no-any-return]


@router.post("/api/subsidies/recoveries/{recovery_id}/collections", status_code=201)
def collect_recovery(
    recovery_id: int, body: RecoveryCollectionBody, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """Money received back from the person, into the assistance fund; a replay of the key answers
    the first result (200 + Idempotent-Replayed)."""

    def go(uow: Any) -> dict[str, Any]:
        result = recoveries.collect(uow, ctx, recovery_id=recovery_id, amount_fen=body.amount_fen, idempotency_key=key)
        uow.commit()
        if result["replayed"]:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return result

    return gj.run(go)  # type: ignore[no-any-return]


@router.post("/api/subsidies/recoveries/{recovery_id}/write-off")
def request_recovery_write_off(recovery_id: int, body: WriteOffBody, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Ask to write off what is still owed; a second clerk approves."""
    return _commit(gj, lambda uow: recoveries.request_write_off(uow, ctx, recovery_id=recovery_id, reason=body.reason))


@router.post("/api/subsidies/recoveries/{recovery_id}/write-off/approve")
def approve_recovery_write_off(recovery_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Approve a write-off asked by another clerk (E_FOUR_EYES for the same one)."""
    return _commit(gj, lambda uow: recoveries.approve_write_off(uow, ctx, recovery_id=recovery_id))
