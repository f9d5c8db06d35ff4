"""zh-CN web pages: login, the citizen home (我的医保), the staff console (经办), the audit log,
the policy parameters (政策参数).

Server-rendered with Jinja2, no JavaScript. Authentication is the API's opaque token, kept in
the ``gongji_token`` cookie (httponly, SameSite=Strict, so other sites cannot post forms on a
user's behalf). Every write goes through a use case in ``gongji.services`` and ends in a
redirect (POST → 303 → GET) with a fixed flash code; a service error is shown on the page with
its code and Chinese message and a 4xx status, never a 500.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI, is_simulated
from gongji.domain.errors import AuthError, Forbidden, GongjiError, InvalidAmount, InvalidRequest, UnknownCode
from gongji.domain.masking import mask_name, mask_text
from gongji.domain.money import require_positive_fen, yuan
from gongji.domain.registry import (
    EMPLOYEE_INSUTYPES,
    EMPLOYEE_PSN_TYPES,
    INCOME_KINDS,
    INSUTYPES,
    RESIDENT_PSN_TYPES,
    STATUS_ZH,
    EnrollmentAction,
    EnrollmentStatus,
)
from gongji.domain.relations import RELATION_ZH
from gongji.entrypoints.api.deps import TOKEN_COOKIE, channel_of
from gongji.entrypoints.web import labels, policy_sources, region_picker
from gongji.policy.schema import PaymentScope, Profile, Sourced, TermsOverride
from gongji.services import auth, ledger
from gongji.services.auth import ROLE_ZH, Principal, Role
from gongji.services.family import notices as family_notices
from gongji.services.registry import accounts, income
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx
from gongji.services.resident.forms import IDENTITIES, check_identity_age
from gongji.services.settlement import person_reads
from gongji.services.settlement import records as settlement_records

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["yuan"] = yuan
labels.install(templates.env)

AUDIT_PAGE_SIZE = 50
MOVEMENTS_SHOWN = 20
STAFF_MOVEMENTS_SHOWN = 50

ACTION_ZH = {
    EnrollmentAction.SUSPEND: "暂停参保",
    EnrollmentAction.INTERRUPT: "断缴",
    EnrollmentAction.RESUME: "恢复参保",
    EnrollmentAction.END: "终止参保",
    EnrollmentAction.TRANSFER: "转移（转入其他统筹区）",
}
IDENTITY_OF_PSN = {psn: key for key, (psn, _zh) in IDENTITIES.items()}
"""A resident person type (1401 新生儿, 1403 中小学生, 1404 大学生 …) → its 附件1 identity, whose
age bounds the register form checks against the birth date in the ID number (issue 17)."""
SEX_ZH = {"1": "男", "2": "女", "9": "未说明"}
CERT_TYPE_ZH = {"01": "居民身份证"}

# Flash messages after a redirect: the query carries only a code, never free text.
FLASH = {
    "status": "参保状态已变更",
    "income": "个人账户入账成功",
    "income_replayed": "该笔入账已处理过（重复提交），未重复入账",
    "income_pending": "金额超过复核限额，已提交，待另一名经办人员复核后入账",
    "income_approved": "复核通过，已入账",
    "income_rejected": "已驳回该笔入账，未入账",
    "registered": "人员登记并参保成功",
    "enrolled": "参保登记成功",
    "employer": "单位登记成功",
    "logout": "您已安全退出",
    "password_changed": "密码已修改，其他设备上的登录已退出",
    "password_reset": "密码已重新设置，请用新密码登录",
    "no_role_home": "该账号类型请使用接口访问，网页暂不提供功能",
    "account_frozen": "个人账户已冻结",
    "account_unfrozen": "个人账户已解冻",
    "reversed": "冲正成功，已生成冲正交易",
    "reversed_replayed": "该笔冲正已处理过（重复提交），未重复冲正",
    "ssc_card": "社会保障卡卡号已登记",
}
ACCOUNT_STATUS_ZH = {"normal": "正常", "frozen": "已冻结"}

Str = Annotated[str, Form()]
T = TypeVar("T")


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


def _to_login(request: Request | None = None) -> RedirectResponse:
    """To the login page; a GET page that asked for it is where the login returns to (``next``)."""
    target = "/login"
    if request is not None and request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if safe_next(here) not in (None, "/"):
            target = f"/login?{urlencode({'next': here})}"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None: no scheme, no host (``//evil.com``,
    ``/\\evil.com``, ``https://…``), no control characters, not the login page itself."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c in "\\" for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "//")):
        return None
    return value


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
    *,
    failed: GongjiError | None = None,
    **context: Any,
) -> Response:
    """The page; ``failed``, a service error, is shown on it with its status (4xx), code and
    Chinese message."""
    if failed is not None:
        status_code = failed.http_status
        context["error"] = _err_view(failed)
    context.setdefault("error", None)
    flash = FLASH.get(request.query_params.get("ok", ""))
    clock = _gj(request).clock
    context.setdefault("sim_today", clock.today().isoformat() if is_simulated(clock) else None)  # GONGJI_CLOCK
    response = templates.TemplateResponse(
        request,
        template,
        {"user": principal, "user_name": _shown_name(principal), "role_zh": ROLE_ZH, "flash": flash, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, principal: Principal | None, err: GongjiError) -> Response:
    return render(request, "error.html", principal, failed=err)


def _err_view(err: GongjiError) -> dict[str, Any]:
    return {
        "code": err.code,
        "message": err.message_zh,
        "field": err.detail.get("field") if err.detail else None,
        "status": err.http_status,
        "retry_after": err.detail.get("retry_after_seconds") if err.detail else None,
    }


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


def act(
    request: Request,
    principal: Principal,
    use_case: Callable[[Any, Ctx], T],
    *,
    on_error: Callable[[GongjiError], Response],
    redirect_to: Callable[[T], str],
) -> Response:
    """Run ``use_case`` in one unit of work and commit; a GongjiError re-shows the page via
    ``on_error`` (4xx, Chinese message); success → 303 to ``redirect_to(result)``."""
    ctx = _ctx(request, principal)

    def go(uow: Any) -> T:
        result = use_case(uow, ctx)
        uow.commit()
        return result

    try:
        result = _gj(request).run(go)
    except GongjiError as err:
        return on_error(err)
    return _redirect(redirect_to(result))


def _need(request: Request, *roles: Role) -> Principal | Response:
    """The principal if logged in with one of ``roles``; else a redirect to /login or a 403 page."""
    principal = _principal(request)
    if principal is None:
        return _to_login(request)
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
    return render(request, "login.html", None, username="", next=safe_next(request.query_params.get("next")) or "")


@router.post("/login")
def login(request: Request, username: Str = "", password: Str = "", next: Str = "") -> Response:  # noqa: A002
    gj = _gj(request)
    username = username.strip()[:50]
    back = safe_next(next)
    if not username or not password or len(password) > 128:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            username=username,
            next=back or "",
            error={"message": "用户名或密码错误", "code": "E_AUTH_INVALID"},
        )

    def go(uow: Any) -> tuple[str, Principal]:
        return auth.log_in(
            uow,
            username=username,
            password=password,
            now=gj.clock.now(),
            ttl_minutes=gj.settings.token_ttl_minutes,
            channel=channel_of(request),
        )

    try:
        token, principal = gj.run(go)
    except GongjiError as err:
        error = {"message": "用户名或密码错误", "code": err.code} if isinstance(err, AuthError) else _err_view(err)
        page = render(
            request, "login.html", None, status_code=err.http_status, username=username, next=back or "", error=error
        )
        if err.detail and "retry_after_seconds" in err.detail:
            page.headers["Retry-After"] = str(err.detail["retry_after_seconds"])
        return page
    response = _redirect(back or _home_of(principal))
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
            auth.log_out(uow, token=token, principal=principal, now=gj.clock.now(), channel=channel_of(request))

        gj.run(go)
    response = _redirect("/login?ok=logout")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


# --- citizen ---------------------------------------------------------------------------------


def _movement_row(r: dict[str, Any], person_id: int) -> dict[str, Any]:
    """One account movement (from ledger.movements) as the pages show it."""
    names = {L.personal_current(person_id): "当年账户", L.personal_past(person_id): "历年账户"}
    return {
        "txn_id": r["txn_id"],
        "at": _fmt_time(datetime.fromisoformat(r["at"])) if r["at"] else "",
        # a family account (family:<binding>) is the money set aside for a relative: 共济账户
        "account": names.get(r["account"]) or labels.account(r["account"]),
        "narration": mask_text(r["narration"] or ""),
        "amount": ("+" if r["amount_fen"] > 0 else "") + yuan(r["amount_fen"]),
        "balance_after": yuan(r["balance_fen"]),
        "incoming": r["amount_fen"] > 0,
    }


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
            "movements": [
                _movement_row(r, person_id)
                for r in accounts.account_movements(uow, ctx, person_id=person_id, limit=MOVEMENTS_SHOWN)
            ]
            if record["account"]
            else [],
            "settlements": settlement_records.records(uow, ctx, person_id=person_id),
            "reads": person_reads.reads_of(uow, ctx, person_id=person_id, limit=20),
            "unread": family_notices.unread_count(uow, person_id),
            # an employee is never prompted for a resident premium (issue 17)
            "resident": any(e["insutype"] not in EMPLOYEE_INSUTYPES for e in record["enrollments"]),
        }

    try:
        view = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "me.html", principal, **view)


# --- staff -----------------------------------------------------------------------------------


# /staff (the staff home with the person list) is in person_list_pages.py.


def _person_page(
    request: Request, principal: Principal, person_id: int, *, error: GongjiError | None = None
) -> Response:
    """The whole record (an audited read), with the change forms; ``error`` from a failed write."""
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=person_id)
        record["movements"] = _staff_movements(uow, ctx, person_id) if record["account"] else []
        record["settlements"] = settlement_records.records(uow, ctx, person_id=person_id)
        record["reads"] = person_reads.reads_of(uow, ctx, person_id=person_id, limit=50)
        uow.commit()  # the audit rows of the reads
        return record

    try:
        record = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    record["enrollments"] = _enrollment_rows(record["enrollments"])
    if record["account"]:
        status = record["account"]["status"]
        record["account"]["status_zh"] = ACCOUNT_STATUS_ZH.get(status, status)
    has_employee = any(e["insutype"] == "310" and e["status"] != "terminated" for e in record["enrollments"])
    return render(
        request,
        "staff_person.html",
        principal,
        failed=error,
        p=record,
        reads=record["reads"],
        sex_zh=SEX_ZH.get(record["sex"], record["sex"]),
        cert_type_zh=CERT_TYPE_ZH.get(record["cert_type"], record["cert_type"]),
        hukou_name=_region_name(record["hukou_region"]),
        actions=ACTION_ZH,
        income_kinds=INCOME_KINDS,
        income_rules=_gj(request).profile.accounts.manual_income,
        has_employee=has_employee,
        idem_key=str(uuid.uuid4()),
        today=ctx.clock.today().isoformat(),
        this_month=ctx.clock.today().strftime("%Y-%m"),
        insutypes=INSUTYPES,
        employee_psn_types=EMPLOYEE_PSN_TYPES,
        resident_psn_types=RESIDENT_PSN_TYPES,
        staff_regions=[{"code": c, "name": _region_name(c)} for c in principal.regions],
    )


def _kind_zh(kind: str) -> str:
    return labels.txn_kind(kind)


def _staff_movements(uow: Any, ctx: Ctx, person_id: int) -> list[dict[str, Any]]:
    """The person's account movements (an audited read), newest first, with what may be reversed.

    A transaction may be reversed once, a reversal never; the 冲正 form is shown on the newest
    row of each transaction that may still be reversed, each form with its own idempotency key.
    """
    rows = accounts.account_movements(uow, ctx, person_id=person_id, limit=STAFF_MOVEMENTS_SHOWN)
    seen: set[int] = set()
    out = []
    for r in rows:
        is_reversal = r["reverses_txn_id"] is not None
        first_of_txn = r["txn_id"] not in seen
        seen.add(r["txn_id"])
        out.append(
            _movement_row(r, person_id)
            | {
                "kind": _kind_zh(r["kind"]),
                "is_reversal": is_reversal,
                "reverses_txn_id": r["reverses_txn_id"],
                "reversed": r["reversed"],
                "can_reverse": first_of_txn and not is_reversal and not r["reversed"],
                "idem_key": str(uuid.uuid4()),
            }
        )
    reversible = [m["txn_id"] for m in out if m["can_reverse"]]
    effects = accounts.reversal_effects(uow, person_id=person_id, txn_ids=reversible) if reversible else {}
    names = {L.personal_current(person_id): "当年账户", L.personal_past(person_id): "历年账户"}
    for m in out:
        m["effect"] = [
            e | {"account_zh": names.get(e["account"]) or labels.account(e["account"])}
            for e in effects.get(m["txn_id"], [])
        ]
    return out


def _confirmed(confirm: str) -> None:
    """An irreversible action on the page needs its confirmation box ticked (issue 12 Part C)."""
    if confirm != "1":
        raise InvalidRequest(
            "请核对将发生的变动并勾选确认后再提交", "Tick the confirmation after checking the effect", field="confirm"
        )


class PersonPage(Protocol):
    """A staff page of one person, showing ``error`` from a failed write."""

    def __call__(
        self, request: Request, principal: Principal, person_id: int, /, *, error: GongjiError | None = None
    ) -> Response: ...


def _person_action(
    request: Request,
    person_id: int,
    action: Callable[[Any, Ctx], str],
    *,
    page: PersonPage = _person_page,
    url: str = "",
) -> Response:
    """A staff action on one person's page: staff only; ``action`` returns the flash code of its
    success. A service error re-shows ``page`` in Chinese with its code (4xx); success redirects
    to ``url`` (the person's page by default) with the flash code."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    back = url or f"/staff/persons/{person_id}"
    return act(
        request,
        principal,
        action,
        on_error=lambda err: page(request, principal, person_id, error=err),
        redirect_to=lambda flash: f"{back}?ok={flash}",
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
    def change(uow: Any, ctx: Ctx) -> str:
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
        return "status"

    return _person_action(request, person_id, change)


@router.post("/staff/persons/{person_id}/income")
def staff_post_income(
    request: Request,
    person_id: int,
    month: Str = "",
    kind: Str = "",
    amount_yuan: Str = "",
    idempotency_key: Str = "",
) -> Response:
    def post_income(uow: Any, ctx: Ctx) -> str:
        result = income.post_account_income(
            uow,
            ctx,
            _gj(request).profile,
            person_id=person_id,
            month=month.strip(),
            kind=kind.strip(),
            amount_fen=parse_yuan(amount_yuan, field="amount_yuan"),
            idempotency_key=_form_key(idempotency_key),
        )
        if result.replayed:
            return "income_replayed"
        return "income_pending" if result.body["status"] == income.PENDING else "income"

    return _person_action(request, person_id, post_income)


def _form_key(idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key or len(key) > 100:
        raise InvalidRequest(
            "表单已失效，请刷新页面后重试", "Form expired (idempotency key missing)", field="idempotency_key"
        )
    return f"web:{key}"


@router.post("/staff/persons/{person_id}/account/status")
def staff_set_account_status(
    request: Request, person_id: int, action: Str = "", reason: Str = "", confirm: Str = ""
) -> Response:
    """冻结账户 / 解冻账户 (a reason and the ticked confirmation are required); a frozen account
    takes credits but no debits."""

    def set_status(uow: Any, ctx: Ctx) -> str:
        if action not in ("freeze", "unfreeze"):
            raise UnknownCode("操作不存在", "Unknown action", field="action")
        _confirmed(confirm)
        frozen = action == "freeze"
        accounts.set_account_frozen(uow, ctx, person_id=person_id, frozen=frozen, reason=_limit(reason, 200, "reason"))
        return "account_frozen" if frozen else "account_unfrozen"

    return _person_action(request, person_id, set_status)


@router.post("/staff/persons/{person_id}/transactions/{txn_id}/reverse")
def staff_reverse_transaction(
    request: Request, person_id: int, txn_id: int, reason: Str = "", reversal_key: Str = "", confirm: Str = ""
) -> Response:
    """冲正: undo a mistaken posting of this person by a reversing transaction (history keeps both),
    once the clerk ticked the confirmation under the effect shown on the page."""

    def reverse(uow: Any, ctx: Ctx) -> str:
        key = _form_key(reversal_key)  # its own field name: the income form has idempotency_key
        _confirmed(confirm)
        if not any(pid == person_id for _code, _region, pid in ledger.account_codes_of(uow, txn_id)):
            raise InvalidRequest(
                "交易不属于该人员的账户", "Transaction is not on this person's accounts", field="txn_id"
            )
        result = accounts.reverse_transaction(
            uow, ctx, txn_id=txn_id, reason=_limit(reason, 200, "reason"), idempotency_key=key
        )
        return "reversed_replayed" if result.replayed else "reversed"

    return _person_action(request, person_id, reverse)


@router.post("/staff/persons/{person_id}/enroll")
def staff_enroll_existing(
    request: Request,
    person_id: int,
    insutype: Str = "",
    region_code: Str = "",
    psn_type: Str = "",
    start_date: Str = "",
    employer_code: Str = "",
    ssc_no: Str = "",
) -> Response:
    def enroll(uow: Any, ctx: Ctx) -> str:
        registry.enroll(
            uow,
            ctx,
            person_id=person_id,
            insutype=insutype.strip(),
            region_code=region_code.strip(),
            psn_type=psn_type.strip(),
            start_date=parse_date(start_date, field="start_date"),
            employer_code=employer_code.strip().upper() or None,
            ssc_no=_limit(ssc_no, 20, "ssc_no") or None,
        )
        return "enrolled"

    return _person_action(request, person_id, enroll)


def _register_page(
    request: Request,
    principal: Principal,
    *,
    error: GongjiError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    clock = _gj(request).clock
    form = form or {}
    return render(
        request,
        "staff_register.html",
        principal,
        failed=error,
        form=form,
        region_levels=region_picker.levels(form.get("region_code", ""), principal.regions),
        employer_levels=region_picker.levels("", principal.regions),
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
    ssc_no: Str = "",
    region_code_1: Str = "",
    region_code_2: Str = "",
    region_code_3: Str = "",
) -> Response:
    """Register a person and enroll them, in one transaction (an error writes nothing); the
    place comes from the cascading picker (``region_code_1..3``) or a plain ``region_code``."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    region_code = region_code.strip() or region_picker.picked(region_code_1, region_code_2, region_code_3)
    # The form is re-shown after an error with what was typed (the page is not cached).
    kept = {
        "cert_no": cert_no[:50],
        "name": name[:50],
        "phone": phone[:20],
        "hukou_region": hukou_region[:6],
        "scheme": scheme[:10],
        "region_code": region_code[:6],
        "employee_psn_type": employee_psn_type[:4],
        "resident_psn_type": resident_psn_type[:4],
        "employer_code": employer_code[:18],
        "start_date": start_date[:10],
        "ssc_no": ssc_no[:20],
    }

    def register(uow: Any, ctx: Ctx) -> int:
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
        psn_type = resident_psn_type.strip()
        if not employee and psn_type in IDENTITY_OF_PSN and person.birth_date is not None:
            check_identity_age(IDENTITY_OF_PSN[psn_type], person.birth_date, ctx.clock.today())
        registry.enroll(
            uow,
            ctx,
            person_id=person.id,
            insutype="310" if employee else "390",
            region_code=region_code.strip(),
            psn_type=employee_psn_type.strip() if employee else resident_psn_type.strip(),
            start_date=parse_date(start_date, field="start_date"),
            employer_code=(employer_code.strip().upper() or None) if employee else None,
            ssc_no=_limit(ssc_no, 20, "ssc_no") or None,
        )
        return person.id

    return act(
        request,
        principal,
        register,
        on_error=lambda err: _register_page(request, principal, error=err, form=kept),
        redirect_to=lambda pid: f"/staff/persons/{pid}?ok=registered",
    )


@router.post("/staff/employers")
def staff_register_employer(
    request: Request,
    code: Str = "",
    name: Str = "",
    region_code: Str = "",
    employer_region_1: Str = "",
    employer_region_2: Str = "",
    employer_region_3: Str = "",
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    region_code = region_code.strip() or region_picker.picked(employer_region_1, employer_region_2, employer_region_3)

    def register(uow: Any, ctx: Ctx) -> None:
        registry.register_employer(
            uow,
            ctx,
            code=_limit(code, 18, "code").upper(),
            name=_limit(name, 100, "name"),
            region_code=region_code.strip(),
        )

    return act(
        request,
        principal,
        register,
        on_error=lambda err: _register_page(request, principal, error=err),
        redirect_to=lambda _: "/staff/register?ok=employer",
    )


# --- policy parameters (政策参数) ---------------------------------------------------------------

FUNDING_MODEL_ZH = {"direct": "直接使用历年结余", "allocation": "共济账户划拨"}
DRAW_FROM_ZH = {"past_years": "授权人个人账户历年结余", "family_account": "家庭共济账户"}
BALANCE_ZH = {"past_years": "历年账户", "current_year": "当年账户"}
PAYMENT_ORDER_ZH = {"binding_time": "按绑定时间先后", "largest_balance_first": "余额多者优先"}
PREMIUM_MODE_ZH = {
    "requires_binding": "须先绑定亲属，再在共济管理中代缴",
    "commitment_at_payment": "缴费时签署共济承诺即可代缴",
}
MEDICAL_USE_ZH = {
    "outpatient": "门诊（政策范围内个人自付）",
    "inpatient": "住院（政策范围内个人自付）",
    "pharmacy_drugs": "定点药店购药",
    "pharmacy_devices": "定点药店购医疗器械",
    "pharmacy_consumables": "定点药店购医用耗材",
}
SUBSIDY_KIND_ZH = {"full": "全额资助", "fixed": "定额资助"}
DEDUCTIBLE_BASIS_ZH = {"per_year": "每年度", "per_admission": "每次住院"}
REFUND_REASON_ZH = {
    "cross_province_duplicate": "跨省重复缴费",
    "death": "死亡",
    "missing": "失踪",
    "emigration": "出国（境）定居",
    "joined_employee_insurance": "参加职工医保",
    "joined_other_region_resident": "参加其他统筹地区居民医保",
}
MED_TYPE_ZH = {"11": "普通门诊", "14": "门诊慢特病", "21": "普通住院", "41": "定点药店购药"}
LEVEL_ZH = {0: "不限医院等级", 1: "一级医院", 2: "二级医院", 3: "三级医院"}


def _pct(permille: int) -> str:
    """850 → "85%", 875 → "87.5%" (integer arithmetic, no float rounding)."""
    whole, tenth = divmod(permille, 10)
    return f"{whole}.{tenth}%" if tenth else f"{whole}%"


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _month_day_zh(value: str) -> str:
    month, day = (int(part) for part in value.split("-"))
    return f"{month}月{day}日"


def _join(values: Any, names: dict[Any, str]) -> str:
    return "、".join(names.get(v, str(v)) for v in values) or "无"


def _count(value: int | None, unit: str) -> str:
    return "不限" if value is None else f"{value}{unit}"


Fields = str | tuple[str, ...]
Cell = tuple[Fields, str] | tuple[Fields, str, str]


def _source_zh(source: str) -> str:
    """``"demo"`` (with or without a note) reads 演示数据 on the page."""
    return "演示数据" + source.removeprefix("demo") if source.startswith("demo") else source


def _fields(field: Fields) -> tuple[str, ...]:
    return (field,) if isinstance(field, str) else field


def _field_demo(path: str, field: Fields, demo: set[str]) -> bool:
    """Is a figure shown from ``field`` (or any of several fields) of group ``path`` demo?"""
    return path not in demo and any(f"{path}.{f}" in demo for f in _fields(field))


def _kv_group(
    title: str, path: str, group: Sourced, demo: set[str], rows: list[tuple[Fields, str, str]]
) -> dict[str, Any]:
    """A group shown as label/value rows; ``rows`` are (field or fields, label, value)."""
    return {
        "kind": "kv",
        "title": title,
        "path": path,
        "source": _source_zh(group.source),
        "demo": path in demo,
        "rows": [
            {"path": f"{path}.{_fields(f)[0]}", "label": label, "value": value, "demo": _field_demo(path, f, demo)}
            for f, label, value in rows
        ],
    }


def _table_group(
    title: str, columns: list[str], items: list[tuple[str, Sourced, list[Cell]]], demo: set[str]
) -> dict[str, Any]:
    """A group of sourced entries shown as a table; ``items`` are (path, entry, cells), a cell being
    (field or fields, value) or (field or fields, value, a small note under the value).

    When every entry has the same source it is shown once for the table, else in a column.
    """
    sources = {entry.source for _path, entry, _cells in items}
    shared = sources.pop() if len(sources) == 1 else None
    rows = []
    for path, entry, cells in items:
        rows.append(
            {
                "path": path,
                "demo": path in demo,
                "source": _source_zh(entry.source),
                "cells": [
                    {
                        "path": f"{path}.{_fields(c[0])[0]}",
                        "value": c[1],
                        "note": c[2] if len(c) > 2 else "",
                        "demo": _field_demo(path, c[0], demo),
                    }
                    for c in cells
                ],
            }
        )
    return {
        "kind": "table",
        "title": title,
        "columns": columns,
        "rows": rows,
        "source": _source_zh(shared) if shared else None,
    }


PAYMENT_PART_ZH = {
    "in_scope_self_pay": "政策范围内自付",
    "preselfpay": "乙类先行自付",
    "overlmt_selfpay": "超限价",
    "fulamt_ownpay": "全自费",
}
USE_SCOPE_ZH = (("outpatient", "门诊"), ("inpatient", "住院"), ("pharmacy", "定点药店购药"), ("vaccines", "疫苗"))


def _scope_group(title: str, path: str, scope: PaymentScope, demo: set[str]) -> dict[str, Any]:
    """What one source may pay of 个人负担, per use (settlement.own_account_scope / family_scope)."""
    return _kv_group(
        title,
        path,
        scope,
        demo,
        [
            (use, label, "、".join(PAYMENT_PART_ZH[p] for p in getattr(scope, use)) or "不可支付")
            for use, label in USE_SCOPE_ZH
        ],
    )


def _terms_cells(profile: Profile, o: TermsOverride) -> list[Cell]:
    """One ``[[resident.terms]]`` entry: where, which year, and the figures it sets."""
    names = {s.code: s.name for s in profile.resident.subsidy}
    parts = [f"{names.get(c, c)} {yuan(v)} 元" for c, v in o.subsidy_fen.items()]
    if o.refund_deadline_month_day:
        parts.append(f"退费申请截止 缴费当年{_month_day_zh(o.refund_deadline_month_day)}")
    if o.collection_target:
        parts.append(
            "征缴进度 "
            + "、".join(f"{_month_day_zh(t.by_month_day)}前{_pct(t.share_permille)}" for t in o.collection_target)
        )
    if o.remittance:
        r = o.remittance
        parts.append(f"双限报解 {yuan(r.threshold_fen)} 元或{r.max_working_days}个工作日")
    return [
        ("region", region_table().full_name(o.region.ljust(6, "0")), o.region),
        ("benefit_year", "各年度" if o.benefit_year is None else f"{o.benefit_year}年度"),
        (("subsidy_fen", "refund_deadline_month_day", "collection_target", "remittance"), "；".join(parts)),
    ]


def _elsewhere_group(res: Any, demo: Any) -> list[Any]:
    """[resident.subsidy_elsewhere] (002 §四(二)3), when the profile has it."""
    e = res.subsidy_elsewhere
    if e is None:
        return []
    whose = "户籍所在区县（由其医疗救助资金资助）" if e.standard_of == "household" else "参保所在区县"
    return [
        _kv_group(
            "异地参保的资助对象",
            "resident.subsidy_elsewhere",
            e,
            demo,
            [("standard_of", "资助标准与资助资金", whose)],
        )
    ]


def _policy_sections(profile: Profile) -> list[dict[str, Any]]:
    """The profile as readable Chinese sections of groups; demo figures are flagged per path."""
    from gongji.entrypoints.web.offsite_policy import offsite_section

    demo = set(profile.demo_fields())
    fam, uses, res = profile.family, profile.family.uses, profile.resident
    family = _kv_group(
        "共济规则",
        "family",
        fam,
        demo,
        [
            ("authorizer_insutypes", "授权人险种", _join(fam.authorizer_insutypes, INSUTYPES)),
            ("relative_insutypes", "被共济亲属险种", _join(fam.relative_insutypes, INSUTYPES)),
            ("relation_kinds", "共济亲属范围", _join(fam.relation_kinds, RELATION_ZH)),
            ("relatives_in_province_only", "仅限省内参保亲属", _yes(fam.relatives_in_province_only)),
            ("max_active_relatives", "同时绑定亲属上限", _count(fam.max_active_relatives, "人")),
            ("max_lifetime_relatives", "累计绑定亲属上限", _count(fam.max_lifetime_relatives, "人")),
            (
                "relative_may_have_several_authorizers",
                "亲属可有多名授权人",
                _yes(fam.relative_may_have_several_authorizers),
            ),
            (
                "authorizer_payment_order",
                "多名授权人支付顺序",
                PAYMENT_ORDER_ZH.get(fam.authorizer_payment_order or "", "—"),
            ),
            ("funding_model", "资金使用方式", FUNDING_MODEL_ZH[fam.funding_model]),
            ("draw_from", "支付资金来源", DRAW_FROM_ZH[fam.draw_from]),
            (
                "allocation_draw_order",
                "划拨扣款顺序",
                " → ".join(BALANCE_ZH[b] for b in fam.allocation_draw_order) if fam.allocation_draw_order else "—",
            ),
            ("premium_payment_mode", "代缴保费方式", PREMIUM_MODE_ZH[fam.premium_payment_mode]),
            (
                "tax_acceptance_tolerance_minutes",
                "税务受理时间允许误差",
                f"{fam.tax_acceptance_tolerance_minutes}分钟",
            ),
            ("max_failed_name_matches", "身份核验失败次数上限", f"{fam.max_failed_name_matches}次"),
            ("name_match_window_minutes", "核验失败计数时段", f"{fam.name_match_window_minutes}分钟"),
            ("spouse_min_age_male", "配偶最低年龄（男）", f"{fam.spouse_min_age_male}周岁"),
            ("spouse_min_age_female", "配偶最低年龄（女）", f"{fam.spouse_min_age_female}周岁"),
        ],
    )
    binding_rules = _table_group(
        "签约规则（按施行日期，最近一项生效）",
        ["施行日期", "规则", "授权人个人账户须有结余"],
        [
            (
                f"family.binding_rules[{r.effective_from}]",
                r,
                [
                    ("effective_from", f"{r.effective_from:%Y年%m月%d日}起"),
                    ("name", r.name),
                    ("authorizer_needs_balance", _yes(r.authorizer_needs_balance)),
                ],
            )
            for r in fam.binding_rules
        ],
        demo,
    )
    family_uses = _kv_group(
        "共济资金可支付",
        "family.uses",
        uses,
        demo,
        [
            ("medical_kinds", "就医购药", _join(uses.medical_kinds, MEDICAL_USE_ZH)),
            ("vaccines_outside_nip", "国家免疫规划以外疫苗", _yes(uses.vaccines_outside_nip)),
            ("premium_insutypes", "可代缴的保费", _join(uses.premium_insutypes, INSUTYPES)),
            ("in_province_institutions_only", "仅限省内定点医药机构", _yes(uses.in_province_institutions_only)),
        ],
    )
    premiums = [
        _kv_group(
            f"{p.benefit_year}年度（{INSUTYPES.get(p.insutype, p.insutype)}）",
            f"resident.premium[{p.key}]",
            p,
            demo,
            [
                ("individual_fen", "个人缴费", f"{yuan(p.individual_fen)} 元"),
                ("fiscal_fen", "财政补助", f"{yuan(p.fiscal_fen)} 元"),
                (
                    ("collection_start", "collection_end"),
                    "集中缴费期",
                    f"{p.collection_start.isoformat()} 至 {p.collection_end.isoformat()}"
                    if p.collection_start
                    else f"截至 {p.collection_end.isoformat()}",
                ),
                ("benefit_year", "待遇享受期", f"{p.benefit_start.isoformat()} 至 {p.benefit_end.isoformat()}"),
            ],
        )
        for p in sorted(res.premium, key=lambda p: (p.benefit_year, p.insutype))
    ]
    subsidies = _table_group(
        "参保资助",
        ["资助对象", "资助方式", "资助金额", "大中专学生参保地"],
        [
            (
                f"resident.subsidy[{s.key}]",
                s,
                [
                    ("name", s.name),
                    ("kind", SUBSIDY_KIND_ZH[s.kind]),
                    ("amount_fen", "个人缴费全额" if s.amount_fen is None else f"{yuan(s.amount_fen)} 元"),
                    ("college_students_at_household", "户籍地" if s.college_students_at_household else "学籍地"),
                ],
            )
            for s in res.subsidy
        ],
        demo,
    )
    terms = _table_group(
        "地区与年度参数（最具体的一项优先：区县优先于市、市优先于省，指定年度优先于各年度）",
        ["地区", "待遇年度", "参数"],
        [(f"resident.terms[{o.key}]", o, _terms_cells(profile, o)) for o in res.terms],
        demo,
    )
    w = res.waiting_period
    waiting = _kv_group(
        "待遇等待期",
        "resident.waiting_period",
        w,
        demo,
        [
            ("effective_benefit_year", "施行时间", f"{w.effective_benefit_year}年度起"),
            ("fixed_months", "固定等待期", f"{w.fixed_months}个月"),
            ("extra_months_per_break_year", "断保每多1年增加", f"{w.extra_months_per_break_year}个月"),
            ("free_break_years", "不增加等待期的断保年数", f"{w.free_break_years}年"),
            ("long_break_years", "长期断保", f"连续断保{w.long_break_years}年及以上"),
            ("long_break_min_months", "长期断保最短等待期", f"{w.long_break_min_months}个月"),
            (
                "buyback_premium_years_per_month",
                "补缴减少等待期",
                f"每缴纳{w.buyback_premium_years_per_month}年个人缴费，减少1个月变动等待期",
            ),
            ("newborns_exempt", "新生儿免等待期", _yes(w.newborns_exempt)),
            (
                "records_from_benefit_year",
                "缴费记录起始年度",
                f"{w.records_from_benefit_year}年度起按缴费记录认定断保，此前按参保记录认定",
            ),
        ],
    )
    r = res.refund
    refund = _kv_group(
        "退费规则",
        "resident.refund",
        r,
        demo,
        [
            ("reasons", "可退费情形", _join(r.reasons, REFUND_REASON_ZH)),
            ("deadline_month_day", "申请截止", f"缴费当年{_month_day_zh(r.deadline_month_day)}"),
            ("subsidized_refund_own_share_only", "受资助人员仅退个人缴费", _yes(r.subsidized_refund_own_share_only)),
            ("refund_after_benefit_start", "待遇期开始后可退费", _yes(r.refund_after_benefit_start)),
            (
                "family_paid_refund_to_family_account",
                "共济代缴的保费原渠道退回",
                _yes(r.family_paid_refund_to_family_account),
            ),
        ],
    )
    targets = _table_group(
        "征缴进度目标",
        ["截止日期（缴费当年）", "累计完成参保任务"],
        [
            (
                f"collection.target[{t.key}]",
                t,
                [("by_month_day", _month_day_zh(t.by_month_day)), ("share_permille", _pct(t.share_permille))],
            )
            for t in profile.collection.target
        ],
        demo,
    )
    m = profile.collection.remittance
    remittance = _kv_group(
        "双限报解",
        "collection.remittance",
        m,
        demo,
        [
            ("threshold_fen", "现金达到即报解", f"{yuan(m.threshold_fen)} 元"),
            ("max_working_days", "最长间隔", f"{m.max_working_days}个工作日"),
        ],
    )
    benefit_tables = [
        _table_group(
            INSUTYPES.get(insutype, insutype),
            ["医疗类别", "起付线（元）", "基金支付", "年封顶线（元）"],
            [
                (
                    f"benefit.rule[{b.key}]",
                    b,
                    [
                        ("med_type", MED_TYPE_ZH.get(b.med_type, b.med_type), LEVEL_ZH.get(b.level, str(b.level))),
                        (
                            ("deductible_fen", "deductible_basis"),
                            yuan(b.deductible_fen),
                            DEDUCTIBLE_BASIS_ZH[b.deductible_basis],
                        ),
                        ("fund_ratio_permille", _pct(b.fund_ratio_permille)),
                        ("annual_cap_fen", yuan(b.annual_cap_fen)),
                    ],
                )
                for b in profile.benefit.rule
                if b.insutype == insutype
            ],
            demo,
        )
        for insutype in dict.fromkeys(b.insutype for b in profile.benefit.rule)
    ]
    a = profile.accounts
    accounts = _kv_group(
        "个人账户划入",
        "accounts",
        a,
        demo,
        [
            (
                "employee_personal_rate_permille",
                "在职职工个人缴费划入",
                f"缴费基数的{_pct(a.employee_personal_rate_permille)}",
            ),
            ("retiree_monthly_credit_fen", "退休人员每月定额划入", f"{yuan(a.retiree_monthly_credit_fen)} 元"),
        ],
    )
    mi = a.manual_income
    manual_income = _kv_group(
        "经办手工入账限额",
        "accounts.manual_income",
        mi,
        demo,
        [
            *(("max_fen", f"{INCOME_KINDS[kind]} 单月上限", f"{yuan(fen)} 元") for kind, fen in mi.max_fen.items()),
            ("approval_above_fen", "超过此金额须另一名经办人员复核", f"{yuan(mi.approval_above_fen)} 元"),
        ],
    )
    st = profile.settlement
    settlement = _kv_group(
        "定点医药机构结算",
        "settlement",
        st,
        demo,
        [
            (
                "med_type_aliases",
                "医疗类别代码对照",
                "、".join(f"{k} → {v}" for k, v in st.med_type_aliases.items()) or "—",
            ),
            ("prescription_valid_days", "外配处方有效期", f"{st.prescription_valid_days}天"),
            ("prescription_retention_years", "外配处方保存期限", f"不少于{st.prescription_retention_years}年"),
            (
                "prescription_same_pooling_region",
                "仅接受本统筹地区定点医疗机构处方",
                _yes(st.prescription_same_pooling_region),
            ),
        ],
    )
    rx = st.prescription
    rx_group = _kv_group(
        "外配处方",
        "settlement.prescription",
        rx,
        demo,
        [
            ("center_regions", "已上线医保电子处方中心的统筹地区", "、".join(rx.center_regions) or "—"),
            ("max_days", "单张处方每种药品用药天数上限", f"{rx.max_days}天"),
            ("max_days_chronic", "门诊慢特病、两病处方用药天数上限", f"{rx.max_days_chronic}天"),
            ("physician_code_pattern", "医保医师代码格式", rx.physician_code_pattern),
            ("chronic_codes", "专项检查：门诊慢特病病种", "、".join(f"{k} {v}" for k, v in rx.chronic_codes.items())),
            (
                "two_diseases_codes",
                "专项检查：城乡居民门诊两病",
                "、".join(f"{k} {v}" for k, v in rx.two_diseases_codes.items()),
            ),
            ("high_amount_fen", "专项检查：高金额处方（不低于）", f"{yuan(rx.high_amount_fen)} 元"),
        ],
    )
    return [
        {"id": "family", "title": "家庭共济", "groups": [family, binding_rules, family_uses]},
        {"id": "premium", "title": "城乡居民医保缴费标准（按待遇年度）", "groups": premiums},
        {
            "id": "resident",
            "title": "参保资助、等待期与退费（省级默认值）",
            "groups": [subsidies, *_elsewhere_group(res, demo), waiting, refund, *([terms] if res.terms else [])],
        },
        {"id": "collection", "title": "征缴", "groups": [targets, remittance]},
        {"id": "benefit", "title": "待遇支付参数", "groups": benefit_tables},
        {
            "id": "settlement",
            "title": "结算与外配处方",
            "groups": [
                settlement,
                _scope_group("个人账户可支付的部分", "settlement.own_account_scope", st.own_account_scope, demo),
                _scope_group("家庭共济资金可支付的部分", "settlement.family_scope", st.family_scope, demo),
                rx_group,
            ],
        },
        {"id": "accounts", "title": "职工个人账户", "groups": [accounts, manual_income]},
        offsite_section(profile, demo),
    ]


@router.get("/policy")
def policy_page(request: Request, province: str = "") -> Response:
    """政策参数: the active policy profile (or another shipped one) with demo figures marked."""
    principal = _principal(request)
    if principal is None:
        return _to_login(request)
    gj = _gj(request)
    code = province.strip() or gj.settings.province
    profile = gj.profiles.get(code) if len(code) <= 40 else None
    if profile is None:
        return error_page(
            request,
            principal,
            UnknownCode("策略配置不存在（未找到该省份的政策参数）", "Unknown policy profile", field="province"),
        )
    return render(
        request,
        "policy.html",
        principal,
        profile=profile,
        active=profile.code == gj.profile.code,
        active_name=gj.profile.name,
        others=[{"code": c, "name": p.name} for c, p in sorted(gj.profiles.items())],
        demo_count=len(profile.demo_fields()),
        sections=policy_sources.titled(_policy_sections(profile), profile),
        sources=policy_sources.source_list(profile),
    )


# --- auditor ---------------------------------------------------------------------------------


# /audit (the audit log) is in audit_pages.py.
