"""The auditor's audit log page (审计日志, issue 17): filters by person, staff member, action and
period; newest first; paged with a total; Excel export. Actions and objects are shown as Chinese
labels (the code in a tooltip and in the export). The filter form is a POST (a whole ID number
may be typed as the person); ``GET /audit`` shows the newest rows.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters import xlsx_list
from gongji.adapters.db.models import AuditLog
from gongji.adapters.xlsx_list import XCol
from gongji.domain.errors import GongjiError
from gongji.domain.masking import mask_text
from gongji.domain.money import yuan
from gongji.entrypoints.web.audit_labels import AREA, EXACT, action_zh, entity_zh
from gongji.entrypoints.web.listing_view import ListView, xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _fmt_time, _gj, _need, error_page, render
from gongji.services import audit, audit_list
from gongji.services.auth import ROLE_ZH, Principal, Role
from gongji.services.listing import ListQuery, Page

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
CHANNEL_ZH = {"api": "接口", "web": "网页", "cli": "命令行", "system": "系统", "test": "测试"}
KEY_ZH = {
    "person_id": "人员编号",
    "cert_no": "证件号码",
    "name": "姓名",
    "reason": "原因",
    "status": "状态",
    "region_code": "地区",
    "region": "地区",
    "username": "用户名",
    "count": "条数",
    "benefit_year": "年度",
    "month": "月份",
    "before": "变更前",
    "after": "变更后",
    "from": "起",
    "to": "止",
    "state": "状态",
    "has_query": "含查询内容",
}
EXPORT_COLS = [
    XCol("时间", "date", width=20),
    XCol("用户", width=14),
    XCol("角色", width=10),
    XCol("操作", width=22),
    XCol("操作代码", width=22),
    XCol("对象", width=14),
    XCol("对象编号", width=12),
    XCol("渠道", width=8),
    XCol("来源地址", width=16),
    XCol("详情（已脱敏）", width=60),
]


def action_options() -> list[tuple[str, str]]:
    areas = [(a, f"{zh}（全部）") for a, zh in sorted(AREA.items(), key=lambda kv: kv[1])]
    return areas + sorted(EXACT.items(), key=lambda kv: kv[1])


def _role_zh(role: str | None) -> str:
    return ROLE_ZH[Role(role)] if role is not None and role in Role._value2member_map_ else "系统"


def _detail_zh(detail_json: str) -> tuple[str, str]:
    """The visible detail (known keys in Chinese, amounts in yuan) and the whole masked detail
    for the tooltip."""
    whole = mask_text(detail_json or "{}")[:1000]
    try:
        data = json.loads(detail_json or "{}")
    except ValueError:
        return "", whole
    if not isinstance(data, dict):
        return "", whole
    shown, others = [], 0
    for k, v in data.items():
        if k.endswith("_fen") and isinstance(v, int):
            shown.append(f"金额 {yuan(v)} 元")
        elif k in KEY_ZH and isinstance(v, str | int | bool) and not isinstance(v, bool):
            shown.append(f"{KEY_ZH[k]} {v}")
        else:
            others += 1
    if others:
        shown.append(f"另{others}项（见提示）")
    return mask_text("，".join(shown))[:300], whole


def _row(r: AuditLog) -> dict[str, Any]:
    detail, whole = _detail_zh(r.detail_json)
    return {
        "at": _fmt_time(r.at),
        "username": r.username or "",
        "role": _role_zh(r.role),
        "action": action_zh(r.action),
        "action_code": r.action,
        "entity": entity_zh(r.entity),
        "entity_id": r.entity_id or "",
        "channel": CHANNEL_ZH.get(r.channel, "其他"),
        "client": r.client_addr or "",
        "detail": detail,
        "detail_all": whole,
    }


def _view(lq: ListQuery, f: audit_list.AuditFilter) -> ListView:
    return ListView(
        q=lq,
        spec=audit_list.SPEC,
        unit="条",
        export="/audit.xlsx",
        form_id="audit-filter",
        extra=[
            {"name": "person", "label": "人员（编号或证件号码）", "value": f.person, "maxlength": 18},
            {"name": "staff", "label": "经办人员（用户名）", "value": f.staff, "maxlength": 50},
            {"name": "action", "label": "操作", "value": f.action, "options": action_options()},
        ],
    )


def _params(*values: str) -> dict[str, str]:
    return dict(zip(("from", "to", "page", "size"), values, strict=True))


def _show(request: Request, principal: Principal, f: audit_list.AuditFilter, params: dict[str, str]) -> Response:
    lv = _view(ListQuery.parse({}, audit_list.SPEC), f)
    try:
        lv.q = ListQuery.parse(params, audit_list.SPEC)
        q = lv.q

        def go(uow: Any) -> Page:
            found = audit_list.page(uow, principal, f, q)
            return Page(total=found.total, rows=[_row(r) for r in found.rows], page=found.page, size=found.size)

        lv.page = _gj(request).run(go)
    except GongjiError as err:
        return render(request, "audit.html", principal, failed=err, lv=lv, rows=[])
    return render(request, "audit.html", principal, lv=lv, rows=lv.page.rows)


@router.get("/audit")
def audit_log(request: Request) -> Response:
    principal = _need(request, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    return _show(request, principal, audit_list.AuditFilter(), {})


@router.post("/audit")
def audit_search(
    request: Request,
    person: Str = "",
    staff: Str = "",
    action: Str = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    to: Str = "",
    page: Str = "",
    size: Str = "",
) -> Response:
    principal = _need(request, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    f = audit_list.AuditFilter(person=person.strip()[:18], staff=staff.strip()[:50], action=action.strip()[:40])
    return _show(request, principal, f, _params(date_from, to, page, size))


@router.post("/audit.xlsx")
def audit_export(
    request: Request,
    person: Str = "",
    staff: Str = "",
    action: Str = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    to: Str = "",
    page: Str = "",
    size: Str = "",
) -> Response:
    """Every row the filters find (up to 100,000), masked details; the export is itself audited."""
    principal = _need(request, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    f = audit_list.AuditFilter(person=person.strip()[:18], staff=staff.strip()[:50], action=action.strip()[:40])
    ctx = _ctx(request, principal)

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(_params(date_from, to, page, size), audit_list.SPEC)
        rows = (
            [r.at, r.username, _role_zh(r.role), action_zh(r.action), r.action, entity_zh(r.entity), r.entity_id,
             CHANNEL_ZH.get(r.channel, "其他"), r.client_addr, mask_text(r.detail_json or "")]
            for r in audit_list.every(uow, principal, f, lq)
        )  # fmt: skip
        out = xlsx_list.write("审计日志", EXPORT_COLS, rows, caption="审计日志（证件号码已脱敏）")
        detail = {"staff": f.staff, "action": f.action, **lq.params(page=1)}
        audit.record(
            uow, actor=principal, action="audit.export", entity="audit_log", entity_id=None,
            now=ctx.clock.now(), channel=ctx.channel, detail=detail,
        )  # fmt: skip
        uow.commit()
        return out

    try:
        out = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer("审计日志.xlsx", out)
