"""zh-CN web pages: login, the citizen home (我的医保), the staff console (经办), the audit log.

Server-rendered with Jinja2, no JavaScript. Authentication is the API's opaque token, kept in
the ``gongji_token`` cookie (httponly, SameSite=Strict, so other sites cannot post forms on a
user's behalf). Every write goes through a use case in ``gongji.services`` and ends in a
redirect (POST → 303 → GET) with a fixed flash code; a service error is shown on the page with
its code and Chinese message and a 4xx status, never a 500.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from gongji.adapters.db.models import AuditLog, LedgerAccount, LedgerPosting, LedgerTxn
from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import AuthError, Forbidden, GongjiError, InvalidAmount, InvalidRequest, UnknownCode
from gongji.domain.masking import mask_name, mask_text
from gongji.domain.money import require_positive_fen, yuan
from gongji.domain.registry import (
    EMPLOYEE_PSN_TYPES,
    INSUTYPES,
    RESIDENT_PSN_TYPES,
    STATUS_ZH,
    EnrollmentAction,
    EnrollmentStatus,
)
from gongji.entrypoints.api.deps import TOKEN_COOKIE, channel_of
from gongji.services import audit, auth, registry
from gongji.services.auth import ROLE_ZH, Principal, Role
from gongji.services.registry import INCOME_KINDS, Ctx

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["yuan"] = yuan

AUDIT_PAGE_SIZE = 50
MOVEMENTS_SHOWN = 20

ACTION_ZH = {
    EnrollmentAction.SUSPEND: "暂停参保",
    EnrollmentAction.INTERRUPT: "断缴",
    EnrollmentAction.RESUME: "恢复参保",
    EnrollmentAction.END: "终止参保",
    EnrollmentAction.TRANSFER: "转移（转入其他统筹区）",
}
SEX_ZH = {"1": "男", "2": "女", "9": "未说明"}
CERT_TYPE_ZH = {"01": "居民身份证"}

# Flash messages after a redirect: the query carries only a code, never free text.
FLASH = {
    "status": "参保状态已变更",
    "income": "个人账户入账成功",
    "income_replayed": "该笔入账已处理过（重复提交），未重复入账",
    "registered": "人员登记并参保成功",
    "enrolled": "参保登记成功",
    "employer": "单位登记成功",
    "logout": "您已安全退出",
    "no_role_home": "该账号类型请使用接口访问，网页暂不提供功能",
}

Str = Annotated[str, Form()]


# --- helpers ---------------------------------------------------------------------------------


def _gj(request: Request) -> Gongji:
    return request.app.state.gj  # type: ignore[no-any-return]


def _principal(request: Request) -> Principal | None:
    """The logged-in user from the cookie, or None if it is missing, unknown or expired."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    gj = _gj(request)
    try:
        with gj.uow() as uow:
            return auth.principal_for_token(uow, token=token, now=gj.clock.now())
    except AuthError:
        return None


def _ctx(request: Request, principal: Principal) -> Ctx:
    return Ctx(principal=principal, channel=channel_of(request), clock=_gj(request).clock)


def _to_login() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _home_of(principal: Principal) -> str:
    return {Role.CITIZEN: "/me", Role.STAFF: "/staff", Role.AUDITOR: "/audit"}.get(principal.role, "/?ok=no_role_home")


def _shown_name(principal: Principal | None) -> str:
    """Citizens' own names are masked in the header too (the page may be seen over a shoulder)."""
    if principal is None:
        return ""
    return mask_name(principal.display_name) if principal.role is Role.CITIZEN else principal.display_name


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    /,
    status_code: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("error", None)
    flash = FLASH.get(request.query_params.get("ok", ""))
    response = templates.TemplateResponse(
        request,
        template,
        {"user": principal, "user_name": _shown_name(principal), "role_zh": ROLE_ZH, "flash": flash, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, principal: Principal | None, err: GongjiError) -> Response:
    return render(request, "error.html", principal, status_code=err.http_status, error=_err_view(err))


def _err_view(err: GongjiError) -> dict[str, Any]:
    return {"code": err.code, "message": err.message_zh, "field": err.detail.get("field") if err.detail else None}


def _region_name(code: str | None) -> str:
    return region_table().full_name(code) if code else ""


def _fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _status_zh(status: str) -> str:
    try:
        return STATUS_ZH[EnrollmentStatus(status)]
    except ValueError:
        return status


def _enrollment_rows(enrollments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e | {"status_zh": _status_zh(e["status"])} for e in enrollments]


def parse_date(value: str, *, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRequest("日期格式应为yyyy-MM-dd", "Date must be yyyy-MM-dd", field=field) from None


_YUAN = re.compile(r"^\d{1,12}(\.\d+)?$")


def parse_yuan(value: str, *, field: str = "amount") -> int:
    """``"1,234.5"`` yuan → 123450 fen, exactly (Decimal); fractions of a fen are refused."""
    text = (value or "").strip().replace(",", "").replace("，", "")
    if not _YUAN.match(text):
        raise InvalidAmount("金额须为正数，单位元，最多两位小数", "Amount: a positive number of yuan", field=field)
    try:
        fen = Decimal(text) * 100
    except InvalidOperation:
        raise InvalidAmount(field=field) from None
    if fen != fen.to_integral_value():
        raise InvalidAmount("金额最多精确到分（两位小数）", "Amount: at most 2 decimals (whole fen)", field=field)
    return require_positive_fen(int(fen), field=field)


def _limit(value: str, n: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > n:
        raise InvalidRequest(f"输入过长（不超过{n}个字符）", f"Too long (at most {n} characters)", field=field)
    return value


def _need(request: Request, *roles: Role) -> Principal | Response:
    """The principal if logged in with one of ``roles``; else a redirect to /login or a 403 page."""
    principal = _principal(request)
    if principal is None:
        return _to_login()
    if principal.role not in roles:
        return error_page(request, principal, Forbidden("您的账号无权访问该页面", "Not allowed for this account"))
    return principal


# --- login / logout / home -------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _to_login()
    if principal.role in (Role.CITIZEN, Role.STAFF, Role.AUDITOR):
        return _redirect(_home_of(principal))
    return render(request, "home.html", principal)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", None, username="")


@router.post("/login")
def login(request: Request, username: Str = "", password: Str = "") -> Response:
    gj = _gj(request)
    username = username.strip()[:50]
    if not username or not password or len(password) > 128:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            username=username,
            error={"message": "用户名或密码错误", "code": "E_AUTH_INVALID"},
        )

    def go(uow: Any) -> tuple[str, Principal]:
        token, user = auth.login(
            uow, username=username, password=password, now=gj.clock.now(), ttl_minutes=gj.settings.token_ttl_minutes
        )
        principal = auth.principal_of(uow, user)
        audit.record(
            uow,
            actor=principal,
            action="auth.login",
            entity="user",
            entity_id=user.id,
            now=gj.clock.now(),
            channel=channel_of(request),
        )
        uow.commit()
        return token, principal

    try:
        token, principal = gj.run(go)
    except GongjiError as err:
        error = {"message": "用户名或密码错误", "code": err.code} if isinstance(err, AuthError) else _err_view(err)
        return render(request, "login.html", None, status_code=err.http_status, username=username, error=error)
    response = _redirect(_home_of(principal))
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=gj.settings.token_ttl_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    gj = _gj(request)
    principal = _principal(request)
    token = request.cookies.get(TOKEN_COOKIE) or ""
    if principal is not None:

        def go(uow: Any) -> None:
            auth.logout(uow, token=token)
            audit.record(
                uow,
                actor=principal,
                action="auth.logout",
                entity="user",
                entity_id=principal.user_id,
                now=gj.clock.now(),
                channel=channel_of(request),
            )
            uow.commit()

        gj.run(go)
    response = _redirect("/login?ok=logout")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


# --- citizen ---------------------------------------------------------------------------------


def _movements(uow: Any, person_id: int) -> list[dict[str, Any]]:
    """The latest postings on the person's personal accounts, newest first."""
    names = {L.personal_current(person_id): "当年账户", L.personal_past(person_id): "历年账户"}
    rows = uow.session.execute(
        select(LedgerPosting, LedgerAccount.code, LedgerTxn.narration, LedgerTxn.created_at)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .join(LedgerTxn, LedgerTxn.id == LedgerPosting.txn_id)
        .where(LedgerAccount.code.in_(list(names)))
        .order_by(LedgerPosting.id.desc())
        .limit(MOVEMENTS_SHOWN)
    ).all()
    return [
        {
            "at": _fmt_time(at),
            "account": names[code],
            "narration": mask_text(narration),
            "amount": ("+" if p.amount_fen > 0 else "") + yuan(p.amount_fen),
            "balance_after": yuan(p.balance_after_fen),
            "incoming": p.amount_fen > 0,
        }
        for p, code, narration, at in rows
    ]


@router.get("/me")
def my_home(request: Request) -> Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    if principal.person_id is None:
        return error_page(request, principal, Forbidden("该账号未关联参保人员", "No person linked to this account"))
    person_id = principal.person_id
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=person_id, audit_read=False)
        return {
            "name": mask_name(record["name"]),
            "cert_no": record["cert_no_masked"],
            "enrollments": _enrollment_rows(record["enrollments"]),
            "account": record["account"],
            "movements": _movements(uow, person_id) if record["account"] else [],
        }

    try:
        view = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "me.html", principal, **view)


# --- staff -----------------------------------------------------------------------------------


@router.get("/staff")
def staff_home(request: Request) -> Response:
    return _staff_home(request, "")


@router.post("/staff")
def staff_search(request: Request, q: Annotated[str, Form()] = "") -> Response:
    """The search is a POST so that an ID number never lands in a URL or the browser history."""
    return _staff_home(request, q)


def _staff_home(request: Request, q: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    regions = [{"code": c, "name": _region_name(c)} for c in principal.regions]
    q = q.strip()
    results: list[dict[str, Any]] | None = None
    if q:
        ctx = _ctx(request, principal)
        try:
            results = _gj(request).run(lambda uow: registry.search_persons(uow, ctx, query=q, limit=50))
        except GongjiError as err:
            return render(
                request,
                "staff_home.html",
                principal,
                status_code=err.http_status,
                regions=regions,
                q=q[:50],
                results=None,
                error=_err_view(err),
            )
        for item in results:
            item["enrollments"] = [
                e
                | {
                    "insutype_name": INSUTYPES.get(e["insutype"], e["insutype"]),
                    "region_name": _region_name(e["region_code"]),
                    "status_zh": _status_zh(e["status"]),
                }
                for e in item["enrollments"]
            ]
    return render(request, "staff_home.html", principal, regions=regions, q=q[:50], results=results)


def _person_page(
    request: Request, principal: Principal, person_id: int, *, error: GongjiError | None = None
) -> Response:
    """The whole record (an audited read), with the change forms; ``error`` from a failed write."""
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=person_id)
        uow.commit()  # the audit row of the read
        return record

    try:
        record = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    record["enrollments"] = _enrollment_rows(record["enrollments"])
    has_employee = any(e["insutype"] == "310" and e["status"] != "terminated" for e in record["enrollments"])
    return render(
        request,
        "staff_person.html",
        principal,
        status_code=error.http_status if error else 200,
        error=_err_view(error) if error else None,
        p=record,
        sex_zh=SEX_ZH.get(record["sex"], record["sex"]),
        cert_type_zh=CERT_TYPE_ZH.get(record["cert_type"], record["cert_type"]),
        hukou_name=_region_name(record["hukou_region"]),
        actions=ACTION_ZH,
        income_kinds=INCOME_KINDS,
        has_employee=has_employee,
        idem_key=str(uuid.uuid4()),
        today=ctx.clock.today().isoformat(),
        this_month=ctx.clock.today().strftime("%Y-%m"),
        insutypes=INSUTYPES,
        employee_psn_types=EMPLOYEE_PSN_TYPES,
        resident_psn_types=RESIDENT_PSN_TYPES,
        staff_regions=[{"code": c, "name": _region_name(c)} for c in principal.regions],
    )


@router.get("/staff/persons/{person_id}")
def staff_person(request: Request, person_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _person_page(request, principal, person_id)


@router.post("/staff/persons/{person_id}/enrollments/{enrollment_id}/change")
def staff_change_enrollment(
    request: Request,
    person_id: int,
    enrollment_id: int,
    action: Str = "",
    effective_date: Str = "",
    reason: Str = "",
    to_region: Str = "",
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> int:
        try:
            act = EnrollmentAction(action)
        except ValueError:
            raise UnknownCode("操作不存在", "Unknown action", field="action") from None
        e = registry.change_enrollment(
            uow,
            ctx,
            enrollment_id=enrollment_id,
            action=act,
            effective_date=parse_date(effective_date, field="effective_date"),
            reason=_limit(reason, 200, "reason") or None,
            to_region=to_region.strip() or None,
        )
        if e.person_id != person_id:
            raise InvalidRequest("参保记录不属于该人员", "Enrollment belongs to another person", field="enrollment_id")
        uow.commit()
        return e.person_id

    try:
        pid = _gj(request).run(go)
    except GongjiError as err:
        return _person_page(request, principal, person_id, error=err)
    return _redirect(f"/staff/persons/{pid}?ok=status")


@router.post("/staff/persons/{person_id}/income")
def staff_post_income(
    request: Request,
    person_id: int,
    month: Str = "",
    kind: Str = "",
    amount_yuan: Str = "",
    idempotency_key: Str = "",
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> bool:
        key = idempotency_key.strip()
        if not key or len(key) > 255:
            raise InvalidRequest(
                "表单已失效，请刷新页面后重试", "Form expired (idempotency key missing)", field="idempotency_key"
            )
        result = registry.post_account_income(
            uow,
            ctx,
            person_id=person_id,
            month=month.strip(),
            kind=kind.strip(),
            amount_fen=parse_yuan(amount_yuan, field="amount_yuan"),
            idempotency_key=f"web:{key}",
        )
        uow.commit()
        return result.replayed

    try:
        replayed = _gj(request).run(go)
    except GongjiError as err:
        return _person_page(request, principal, person_id, error=err)
    return _redirect(f"/staff/persons/{person_id}?ok={'income_replayed' if replayed else 'income'}")


@router.post("/staff/persons/{person_id}/enroll")
def staff_enroll_existing(
    request: Request,
    person_id: int,
    insutype: Str = "",
    region_code: Str = "",
    psn_type: Str = "",
    start_date: Str = "",
    employer_code: Str = "",
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> None:
        registry.enroll(
            uow,
            ctx,
            person_id=person_id,
            insutype=insutype.strip(),
            region_code=region_code.strip(),
            psn_type=psn_type.strip(),
            start_date=parse_date(start_date, field="start_date"),
            employer_code=employer_code.strip().upper() or None,
        )
        uow.commit()

    try:
        _gj(request).run(go)
    except GongjiError as err:
        return _person_page(request, principal, person_id, error=err)
    return _redirect(f"/staff/persons/{person_id}?ok=enrolled")


def _register_page(
    request: Request,
    principal: Principal,
    *,
    status_code: int = 200,
    error: GongjiError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    clock = _gj(request).clock
    return render(
        request,
        "staff_register.html",
        principal,
        status_code=status_code,
        error=_err_view(error) if error else None,
        form=form or {},
        staff_regions=[{"code": c, "name": _region_name(c)} for c in principal.regions],
        employee_psn_types=EMPLOYEE_PSN_TYPES,
        resident_psn_types=RESIDENT_PSN_TYPES,
        today=clock.today().isoformat(),
    )


@router.get("/staff/register")
def staff_register_form(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _register_page(request, principal)


@router.post("/staff/register")
def staff_register(
    request: Request,
    cert_no: Str = "",
    name: Str = "",
    phone: Str = "",
    hukou_region: Str = "",
    scheme: Str = "",
    region_code: Str = "",
    employee_psn_type: Str = "11",
    resident_psn_type: Str = "15",
    employer_code: Str = "",
    start_date: Str = "",
) -> Response:
    """Register a person and enroll them, in one transaction (an error writes nothing)."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    # The form is re-shown after an error without the ID number (it is not echoed back).
    kept = {
        "name": name[:50],
        "phone": phone[:20],
        "hukou_region": hukou_region[:6],
        "scheme": scheme[:10],
        "region_code": region_code[:6],
        "employee_psn_type": employee_psn_type[:4],
        "resident_psn_type": resident_psn_type[:4],
        "employer_code": employer_code[:18],
        "start_date": start_date[:10],
    }

    def go(uow: Any) -> int:
        if scheme not in ("employee", "resident"):
            raise InvalidRequest(
                "请选择参保险种（职工或居民）", "Choose employee or resident insurance", field="scheme"
            )
        person = registry.register_person(
            uow,
            ctx,
            cert_no=_limit(cert_no, 50, "cert_no").upper(),
            name=_limit(name, 50, "name"),
            phone=_limit(phone, 20, "phone") or None,
            hukou_region=hukou_region.strip() or None,
        )
        employee = scheme == "employee"
        registry.enroll(
            uow,
            ctx,
            person_id=person.id,
            insutype="310" if employee else "390",
            region_code=region_code.strip(),
            psn_type=employee_psn_type.strip() if employee else resident_psn_type.strip(),
            start_date=parse_date(start_date, field="start_date"),
            employer_code=(employer_code.strip().upper() or None) if employee else None,
        )
        uow.commit()
        return person.id

    try:
        pid = _gj(request).run(go)
    except GongjiError as err:
        return _register_page(request, principal, status_code=err.http_status, error=err, form=kept)
    return _redirect(f"/staff/persons/{pid}?ok=registered")


@router.post("/staff/employers")
def staff_register_employer(request: Request, code: Str = "", name: Str = "", region_code: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> None:
        registry.register_employer(
            uow,
            ctx,
            code=_limit(code, 18, "code").upper(),
            name=_limit(name, 100, "name"),
            region_code=region_code.strip(),
        )
        uow.commit()

    try:
        _gj(request).run(go)
    except GongjiError as err:
        return _register_page(request, principal, status_code=err.http_status, error=err)
    return _redirect("/staff/register?ok=employer")


# --- auditor ---------------------------------------------------------------------------------


@router.get("/audit")
def audit_log(request: Request, page: str = "1") -> Response:
    principal = _need(request, Role.AUDITOR)
    if isinstance(principal, Response):
        return principal
    page_no = max(1, int(page)) if page.isdigit() and len(page) < 8 else 1

    def go(uow: Any) -> tuple[int, list[dict[str, Any]]]:
        total = int(uow.session.scalar(select(func.count()).select_from(AuditLog)) or 0)
        rows = uow.session.scalars(
            select(AuditLog)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .offset((page_no - 1) * AUDIT_PAGE_SIZE)
            .limit(AUDIT_PAGE_SIZE)
        ).all()
        return total, [
            {
                "at": _fmt_time(r.at),
                "username": r.username or "",
                "role": ROLE_ZH.get(Role(r.role), r.role) if r.role in Role._value2member_map_ else (r.role or ""),
                "action": r.action,
                "entity": f"{r.entity}#{r.entity_id}" if r.entity_id else r.entity,
                "channel": r.channel,
                "client": r.client_addr or "",
                "detail": _detail(r.detail_json),
            }
            for r in rows
        ]

    total, rows = _gj(request).run(go)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    return render(request, "audit.html", principal, rows=rows, page=page_no, pages=pages, total=total)


def _detail(detail_json: str) -> str:
    """Compact, masked detail text (the stored JSON is masked already; masked again for safety)."""
    try:
        data = json.loads(detail_json or "{}")
    except ValueError:
        return mask_text(detail_json or "")[:300]
    text = "，".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else str(data)
    return mask_text(text)[:300]
