"""Premium refund requests (保费退费申请) for staff on the list convention (issue 17): by request
date, insured region (``ix_resident_premium_region_code``) and status, sorted, paged, exported;
masked. Reviewing stays on ``/staff/resident/refunds``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Person, PremiumPayment, PremiumRefund, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import INSUTYPES
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.resident.channels import CHANNEL_ZH
from gongji.services.resident.premiums import REFUND_REASON_ZH, REFUND_STATUS_ZH, SYSTEM_REFUND_REASON_ZH

SPEC = listing.ListSpec(
    sorts={
        "requested": ("申请时间", PremiumRefund.requested_at),
        "amount": ("缴费金额", PremiumPayment.amount_fen),
        "year": ("待遇年度", ResidentPremium.benefit_year),
    },
    default_sort="requested",
    default_desc=True,
    states=REFUND_STATUS_ZH,
    date_label="申请日期",
    state_label="审核状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery) -> Any:
    ctx.principal.require(Role.STAFF)
    stmt = (
        select(PremiumRefund, PremiumPayment, ResidentPremium, Person)
        .join(PremiumPayment, PremiumPayment.id == PremiumRefund.premium_payment_id)
        .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
        .join(Person, Person.id == ResidentPremium.person_id)
    )
    stmt = listing.filtered(
        stmt,
        lq,
        date_col=PremiumRefund.requested_at,
        region_col=ResidentPremium.region_code,
        state_col=PremiumRefund.status,
        scope=ctx.principal.regions,
    )
    return listing.ordered(stmt, lq, SPEC, PremiumRefund.id)


def _row(refund: PremiumRefund, payment: PremiumPayment, premium: ResidentPremium, person: Person) -> dict[str, Any]:
    return {
        "refund_id": refund.id,
        "requested_at": refund.requested_at,
        "name": mask_name(person.name),
        "cert_no": mask_id_number(person.cert_no),
        "benefit_year": premium.benefit_year,
        "insutype_name": INSUTYPES.get(premium.insutype, "其他险种"),
        "channel_name": CHANNEL_ZH.get(payment.channel, "其他渠道"),
        "payment_fen": payment.amount_fen,
        "reason_name": REFUND_REASON_ZH.get(refund.reason) or SYSTEM_REFUND_REASON_ZH.get(refund.reason, "其他"),
        "status_name": REFUND_STATUS_ZH.get(refund.status, "其他"),
        "refund_fen": refund.refund_fen,
    }


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery) -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq), lq)
    return listing.Page(total=found.total, rows=[_row(*r) for r in found.rows], page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery) -> Iterator[list[Any]]:
    audit_event(uow, ctx, "premium.refund_export", "premium_refund", None, **lq.params(page=1))
    for r in uow.session.execute(_select(ctx, lq).limit(100_000).execution_options(yield_per=500)):
        v = _row(*r)
        yield [
            v["refund_id"], v["requested_at"], v["name"], v["cert_no"], v["benefit_year"], v["insutype_name"],
            v["channel_name"], v["payment_fen"], v["reason_name"], v["status_name"], v["refund_fen"],
        ]  # fmt: skip
