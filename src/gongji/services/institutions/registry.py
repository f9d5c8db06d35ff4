"""The register of designated institutions (定点医药机构): code, name, kind, level, pooling region
(统筹区), agreement dates and status. A clerk acts on institutions of their regions; province
staff on all of the province. Every change is audited; suspended or ended institutions are
refused at the gateway (``services.institutions.gateway``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import Institution
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import DuplicateRecord, InvalidRequest, InvalidStateTransition, NotFound, OutOfRegion
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, require_reason
from gongji.services.registry.persons import require_region_code

KINDS = {"hospital": "定点医疗机构", "pharmacy": "定点零售药店"}
LEVELS = {0: "未定级", 1: "一级", 2: "二级", 3: "三级"}
STATUSES = {"active": "协议有效", "suspended": "暂停", "ended": "协议终止"}
# Which status may follow which: a suspension can be lifted; an ended agreement is final.
TRANSITIONS = {("active", "suspended"), ("suspended", "active"), ("active", "ended"), ("suspended", "ended")}
CODE = re.compile(r"^[A-Z][0-9]{11}$")  # e.g. H62070200001 / P62070200001 (national 12-character code)


def require_staff_scope(ctx: Ctx, region_code: str) -> None:
    """Staff only, and only for institutions of their regions."""
    ctx.principal.require(Role.STAFF)
    if not region_in_scope(region_code, list(ctx.principal.regions)):
        raise OutOfRegion(
            "该定点机构不在您的经办区域内", "This institution is outside your regions", region=region_code
        )


def get(uow: UnitOfWork, code: str) -> Institution:
    institution = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
    if institution is None:
        raise NotFound("定点医药机构不存在", "No such institution", fixmedins_code=code)
    return institution


def view(inst: Institution) -> dict[str, Any]:
    return {
        "fixmedins_code": inst.fixmedins_code,
        "name": inst.name,
        "kind": inst.kind,
        "kind_name": KINDS.get(inst.kind, inst.kind),
        "level": inst.level,
        "level_name": LEVELS.get(inst.level, str(inst.level)),
        "region_code": inst.region_code,
        "agreement_start": inst.agreement_start.isoformat() if inst.agreement_start else None,
        "agreement_end": inst.agreement_end.isoformat() if inst.agreement_end else None,
        "status": inst.status,
        "status_name": STATUSES.get(inst.status, inst.status),
    }


def register(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    code: str,
    name: str,
    kind: str,
    level: int,
    region_code: str,
    agreement_start: date,
    agreement_end: date | None = None,
) -> Institution:
    """Register a designated institution with its service agreement (协议), status ``active``."""
    require_region_code(region_code)
    require_staff_scope(ctx, region_code)
    if not CODE.fullmatch(code or ""):
        raise InvalidRequest(
            "定点医药机构编号须为1个大写字母加11位数字（如 H62070200001）",
            "Institution code: one capital letter and 11 digits",
            field="fixmedins_code",
        )
    cleaned = (name or "").strip()
    if not 2 <= len(cleaned) <= 100:
        raise InvalidRequest("机构名称2-100个字符", "Name: 2-100 characters", field="name")
    if kind not in KINDS:
        raise InvalidRequest("机构类别须为 hospital 或 pharmacy", "kind: hospital or pharmacy", field="kind")
    if (kind == "pharmacy" and level != 0) or (kind == "hospital" and level not in (1, 2, 3)):
        raise InvalidRequest("医院等级为1-3，药店为0", "level: 1-3 for hospitals, 0 for pharmacies", field="level")
    if agreement_end is not None and agreement_end < agreement_start:
        raise InvalidRequest(
            "协议终止日期不能早于开始日期", "The agreement ends before it starts", field="agreement_end"
        )
    if uow.session.scalar(select(Institution.id).where(Institution.fixmedins_code == code)):
        raise DuplicateRecord("该定点医药机构已登记", "Institution already registered", fixmedins_code=code)
    inst = Institution(
        fixmedins_code=code,
        name=cleaned,
        kind=kind,
        level=level,
        region_code=region_code,
        status="active",
        agreement_start=agreement_start,
        agreement_end=agreement_end,
    )
    uow.session.add(inst)
    uow.session.flush()
    audit_event(uow, ctx, "institution.register", "institution", code, **view(inst))
    return inst


def set_status(uow: UnitOfWork, ctx: Ctx, *, code: str, status: str, reason: str) -> Institution:
    """暂停 / 恢复 / 终止协议, with a reason; suspended and ended institutions cannot use the gateway."""
    inst = get(uow, code)
    require_staff_scope(ctx, inst.region_code)
    why = require_reason(reason)
    if status not in STATUSES:
        raise InvalidRequest(
            "状态须为 active / suspended / ended", "status: active, suspended or ended", field="status"
        )
    if (inst.status, status) not in TRANSITIONS:
        raise InvalidStateTransition(
            f"不能从“{STATUSES[inst.status]}”变为“{STATUSES[status]}”",
            f"Cannot change from {inst.status} to {status}",
            status=inst.status,
        )
    before = inst.status
    inst.status = status
    if status == "ended" and (inst.agreement_end is None or inst.agreement_end > ctx.clock.today()):
        inst.agreement_end = ctx.clock.today()
    audit_event(uow, ctx, f"institution.{status}", "institution", code, before=before, after=status, reason=why)
    return inst


def listing(uow: UnitOfWork, ctx: Ctx, *, region: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Institutions of the staff member's regions (optionally one region's), by code."""
    ctx.principal.require(Role.STAFF)
    query = select(Institution).order_by(Institution.fixmedins_code)
    if region:
        require_staff_scope(ctx, require_region_code(region, field="region"))
        query = query.where(Institution.region_code.like(scope_prefix(region) + "%"))
    scopes = [Institution.region_code.like(scope_prefix(r) + "%") for r in ctx.principal.regions]
    return [view(i) for i in uow.session.scalars(query.where(or_(*scopes)).limit(limit))]
