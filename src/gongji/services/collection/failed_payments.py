"""Failed online payments (issue 16 §3; seed 002 §六1: "通过微信、支付宝等线上渠道缴费后，应及时查验是否
缴费成功，缴费未成功的，保留未成功缴费提示截图，及时与所在乡镇、街道（社区）医保工作人员联系").

``report``: a citizen reports a payment that failed (channel, amount, day, the order number if
shown, a screenshot if kept — PNG or JPEG up to 2 MB). It goes to the township of the person's
collection unit (or, without one, to the staff of the district where they are insured).

``check``: the township sees what the registry holds for that person and year — the premium's
state and every payment with its channel, amount and time — and ``resolve`` closes the report
with what happened, which must agree with the registry (``E_COLLECTION_RESOLUTION`` otherwise):

- ``paid_late``: the payment arrived after all — the premium is paid;
- ``duplicate``: the person paid twice; the premium is paid once and the channel returns the second
  payment — the premium is paid;
- ``refunded``: the channel returned the money — the premium is not paid, the person pays again.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import CollectionUnit, FailedPaymentReport, PremiumPayment, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    FailedPaymentMismatch,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    PremiumRelativeNotEnrolled,
)
from gongji.domain.masking import mask_name, mask_phone
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import RESIDENT_BASIC
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.collection import units
from gongji.services.registry.persons import Ctx, audit_event, get_person
from gongji.services.resident import subsidies
from gongji.services.resident.channels import CHANNEL_ZH

CHANNELS = {"wechat": "微信", "alipay": "支付宝", "tax_app": "甘肃税务缴费小程序/APP", "bank_app": "手机银行APP"}
RESOLUTIONS = {
    "paid_late": "已到账（延迟到账）",
    "duplicate": "重复缴费（渠道退回多缴款）",
    "refunded": "渠道已退款，需重新缴费",
}
OPEN, RESOLVED = "open", "resolved"
STATUS_ZH = {OPEN: "待核查", RESOLVED: "已处理"}
MAX_SCREENSHOT = 2 * 1024 * 1024
_ORDER = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise InvalidRequest("截图应为PNG或JPEG图片", "The screenshot must be PNG or JPEG", field="screenshot")


def _township_of(uow: UnitOfWork, person_id: int) -> str | None:
    unit_id = units.unit_of(uow, person_id)
    if unit_id is None:
        return None
    unit = uow.session.get(CollectionUnit, unit_id)
    parent = uow.session.get(CollectionUnit, unit.parent_id) if unit and unit.parent_id else None
    return parent.code if parent else None


def report(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    benefit_year: int,
    channel: str,
    amount_fen: int,
    paid_on: date,
    order_no: str | None = None,
    phone: str | None = None,
    note: str | None = None,
    screenshot: bytes | None = None,
) -> dict[str, Any]:
    """A citizen reports their own failed payment (module docstring); nothing else is written."""
    ctx.principal.require(Role.CITIZEN)
    person_id = ctx.principal.person_id
    assert person_id is not None
    if channel not in CHANNELS:
        raise InvalidRequest("请选择缴费渠道", "channel: wechat, alipay, tax_app or bank_app", field="channel")
    require_positive_fen(amount_fen)
    today = ctx.clock.today()
    if not isinstance(paid_on, date) or paid_on > today or (today - paid_on).days > 400:
        raise InvalidRequest("缴费日期不正确", "paid_on: a day in the last 400 days", field="paid_on")
    if not isinstance(benefit_year, int) or not today.year <= benefit_year <= today.year + 1:
        raise InvalidRequest("缴费年度不正确", "benefit_year: this year or next", field="benefit_year")
    if order_no and not _ORDER.match(order_no):
        raise InvalidRequest("订单号格式不正确", "order_no: 1–64 of A-Z a-z 0-9 . _ : -", field="order_no")
    if phone and not _PHONE.match(phone):
        raise InvalidRequest("手机号码格式不正确", "phone: 11 digits", field="phone")
    if note and len(note) > 200:
        raise InvalidRequest("说明不超过200字", "note: at most 200 characters", field="note")
    kind = None
    if screenshot:
        if len(screenshot) > MAX_SCREENSHOT:
            raise InvalidRequest("截图不超过2MB", "Screenshot: at most 2 MB", field="screenshot")
        kind = _image_type(screenshot)
    enrollment = subsidies.resident_enrollment(uow, profile, person_id)
    if enrollment is None:
        raise PremiumRelativeNotEnrolled()
    row = FailedPaymentReport(
        person_id=person_id,
        region_code=enrollment.region_code,
        township_code=_township_of(uow, person_id),
        benefit_year=benefit_year,
        channel=channel,
        amount_fen=amount_fen,
        paid_on=paid_on,
        order_no=order_no or None,
        phone=phone or None,
        note=(note or "").strip() or None,
        screenshot=screenshot or None,
        screenshot_type=kind,
        status=OPEN,
        created_at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "collection.failed_payment_report", "failed_payment_report", row.id, channel=channel)
    return view(uow, row, full=True)


def view(uow: UnitOfWork, r: FailedPaymentReport, *, full: bool = False) -> dict[str, Any]:
    """A report; names and phones masked unless ``full`` (the person themself, or their township)."""
    person = get_person(uow, r.person_id)
    return {
        "report_id": r.id,
        "person_id": r.person_id,
        "name": person.name if full else mask_name(person.name),
        "phone": (r.phone if full else mask_phone(r.phone)) or None,
        "township_code": r.township_code,
        "benefit_year": r.benefit_year,
        "channel": r.channel,
        "channel_name": CHANNELS[r.channel],
        "amount_fen": r.amount_fen,
        "paid_on": r.paid_on.isoformat(),
        "order_no": r.order_no,
        "note": r.note,
        "has_screenshot": r.screenshot is not None,
        "status": r.status,
        "status_name": STATUS_ZH[r.status],
        "resolution": r.resolution,
        "resolution_name": RESOLUTIONS.get(r.resolution or ""),
        "resolution_note": r.resolution_note,
        "created_at": r.created_at.isoformat(),
        "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
    }


def mine(uow: UnitOfWork, ctx: Ctx) -> list[dict[str, Any]]:
    ctx.principal.require(Role.CITIZEN)
    rows = uow.session.scalars(
        select(FailedPaymentReport)
        .where(FailedPaymentReport.person_id == ctx.principal.person_id)
        .order_by(FailedPaymentReport.id.desc())
    )
    return [view(uow, r, full=True) for r in rows]


def _visible(uow: UnitOfWork, ctx: Ctx, r: FailedPaymentReport) -> bool:
    scope = units.scope_of(uow, ctx.principal)
    if not scope.region_ok(r.region_code):
        return False
    if scope.township_id is None:
        return True
    town = uow.session.get(CollectionUnit, scope.township_id)
    return town is not None and r.township_code == town.code


def queue(uow: UnitOfWork, ctx: Ctx, *, status: str = OPEN) -> list[dict[str, Any]]:
    """Reports the staff member's township (or district) must check, oldest first."""
    if status not in STATUS_ZH:
        raise InvalidRequest("状态应为 open 或 resolved", "status: open or resolved", field="status")
    scope = units.scope_of(uow, ctx.principal)
    q = select(FailedPaymentReport).where(FailedPaymentReport.status == status).order_by(FailedPaymentReport.id)
    if scope.township_id is not None:
        town = uow.session.get(CollectionUnit, scope.township_id)
        q = q.where(FailedPaymentReport.township_code == (town.code if town else ""))
    full = scope.township_id is not None  # the township's own clerk may call the person
    return [view(uow, r, full=full) for r in uow.session.scalars(q) if _visible(uow, ctx, r)]


def _report(uow: UnitOfWork, ctx: Ctx, report_id: int, *, lock: bool = False) -> FailedPaymentReport:
    ctx.principal.require(Role.STAFF)
    q = select(FailedPaymentReport).where(FailedPaymentReport.id == report_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    row = uow.session.scalar(q)
    if row is None or not _visible(uow, ctx, row):
        raise NotFound("缴费失败报告不存在", "Report not found", report_id=report_id)
    return row


def _registry(uow: UnitOfWork, r: FailedPaymentReport) -> dict[str, Any]:
    premium = uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == r.person_id,
            ResidentPremium.benefit_year == r.benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
        )
    )
    payments = (
        list(
            uow.session.scalars(
                select(PremiumPayment).where(PremiumPayment.premium_id == premium.id).order_by(PremiumPayment.id)
            )
        )
        if premium
        else []
    )
    return {
        "premium_status": premium.status if premium else "none",
        "paid": premium is not None and premium.status == "paid",
        "paid_fen": premium.paid_fen if premium else 0,
        "payments": [
            {
                "channel": p.channel,
                "channel_name": CHANNEL_ZH.get(p.channel, p.channel),
                "amount_fen": p.amount_fen,
                "status": p.status,
                "at": p.created_at.isoformat(),
            }
            for p in payments
        ],
    }


def check(uow: UnitOfWork, ctx: Ctx, *, report_id: int) -> dict[str, Any]:
    """The report and what the registry holds for that person and year (the channel's status)."""
    row = _report(uow, ctx, report_id)
    found = _registry(uow, row)
    suggest = ("paid_late", "duplicate") if found["paid"] else ("refunded",)
    audit_event(uow, ctx, "collection.failed_payment_check", "failed_payment_report", row.id)
    return {"report": view(uow, row, full=True), "registry": found, "possible": list(suggest)}


def resolve(uow: UnitOfWork, ctx: Ctx, *, report_id: int, resolution: str, note: str | None = None) -> dict[str, Any]:
    """Close a report with what happened; it must agree with the registry (module docstring)."""
    if resolution not in RESOLUTIONS:
        raise InvalidRequest(
            "处理结果应为 paid_late、duplicate 或 refunded",
            "resolution: paid_late, duplicate or refunded",
            field="resolution",
        )
    if note and len(note) > 200:
        raise InvalidRequest("说明不超过200字", "note: at most 200 characters", field="note")
    row = _report(uow, ctx, report_id, lock=True)
    if row.status == RESOLVED:
        raise InvalidStateTransition("该报告已处理", "This report was already resolved", status=row.status)
    found = _registry(uow, row)
    if found["paid"] != (resolution in ("paid_late", "duplicate")):
        raise FailedPaymentMismatch(
            "医保系统显示该年度已缴费，不能按“渠道已退款”处理"
            if found["paid"]
            else "医保系统中未查询到该年度的缴费，不能按“已到账”或“重复缴费”处理",
            premium_status=found["premium_status"],
        )
    row.status = RESOLVED
    row.resolution = resolution
    row.resolution_note = (note or "").strip() or None
    row.checked_json = json.dumps(found, ensure_ascii=False, sort_keys=True)
    row.resolved_by_user_id = ctx.principal.user_id
    row.resolved_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "collection.failed_payment_resolve", "failed_payment_report", row.id, resolution=resolution)
    return view(uow, row, full=True)


def screenshot(uow: UnitOfWork, ctx: Ctx, *, report_id: int) -> tuple[bytes, str]:
    """The screenshot, for the person or their township (audited read)."""
    if ctx.principal.role is Role.CITIZEN:
        row = uow.session.get(FailedPaymentReport, report_id)
        if row is None or row.person_id != ctx.principal.person_id:
            raise NotFound("缴费失败报告不存在", "Report not found", report_id=report_id)
    else:
        row = _report(uow, ctx, report_id)
    if row.screenshot is None or row.screenshot_type is None:
        raise NotFound("未上传截图", "No screenshot", report_id=report_id)
    audit_event(uow, ctx, "collection.failed_payment_screenshot", "failed_payment_report", row.id)
    return row.screenshot, row.screenshot_type
