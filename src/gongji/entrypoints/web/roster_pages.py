"""zh-CN pages for the full-subsidy roster (《全额资助对象花名册》, seed 002 §四(二)1), staff.

- ``/staff/resident/roster``: upload the roster (CSV or .xlsx) for a benefit year and a full
  category, all-or-nothing or valid rows only, or only check it; the page shows the report of
  every row (masked) with the totals it would move, and the rosters waiting for approval.
- ``/staff/resident/roster/{id}/approval``: the approver's confirmation — the rows decided again as of
  now, with what approval moves (premiums paid by the assistance fund, subsidies to cards, 代缴
  returned to family accounts) — then 审核通过 / 退回 with a note (POST → 303 → GET). The clerk
  who uploaded it sees it but cannot approve it (E_FOUR_EYES): separation of duties.

The use cases are ``services.resident.roster``. ID numbers never go into URLs; names and ID
numbers are shown masked.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest, all_error_classes
from gongji.entrypoints.web.pages import _ctx, _gj, _limit, _need, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.registry.persons import Ctx
from gongji.services.resident import roster
from gongji.services.resident import views as P

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

ROSTER_MODES = {"all_or_nothing": "全部成功才导入", "valid_only": "仅导入正确行"}
ROSTER_SUFFIXES = (".csv", ".xlsx")
ERROR_ZH = {cls.code: cls.message_zh for cls in all_error_classes()}
"""Chinese message of an error code (a roster row's ``reason_code`` such as ``E_ID_CHECKSUM``)."""
ROSTER_FLASH = {
    "approved": "花名册已审核通过，资助资金已划转",
    "rejected": "花名册已退回，未划转任何资金",
}


def _run_commit(request: Request, use_case: Any) -> Any:
    def go(uow: Any) -> Any:
        result = use_case(uow)
        uow.commit()
        return result

    return _gj(request).run(go)


def _roster_years(request: Request) -> tuple[list[int], int]:
    gj = _gj(request)
    today = gj.clock.today()
    years = sorted({s.benefit_year for s in gj.profile.resident.premium if s.insutype == "390"}, reverse=True)
    standard = P.open_standard(gj.profile, today)
    return years, standard.benefit_year if standard else today.year


def _report_view(summary: dict[str, Any]) -> dict[str, Any]:
    rows = [r | {"reason_zh": ERROR_ZH.get(r["reason_code"] or "", "")} for r in summary["report"]]
    outcomes: dict[str, dict[str, Any]] = {}
    for r in rows:
        outcomes.setdefault(r["outcome"], {"name": r["outcome_zh"], "count": 0})["count"] += 1
    return summary | {"report": rows, "outcome_counts": list(outcomes.values())}


def _roster_page(
    request: Request,
    principal: Principal,
    *,
    error: GongjiError | None = None,
    form: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
) -> Response:
    gj = _gj(request)
    years, default_year = _roster_years(request)
    form = {"benefit_year": str(default_year), "category": "", "mode": "all_or_nothing", "dry_run": ""} | (form or {})
    pending = gj.run(lambda uow: roster.pending_rosters(uow, _ctx(request, principal), gj.profile))
    return render(
        request,
        "premium_roster.html",
        principal,
        failed=error,
        flash=ROSTER_FLASH.get(request.query_params.get("ok", "")),
        form=form,
        years=years,
        categories=[c for c in gj.profile.resident.subsidy if c.kind == "full"],
        modes=ROSTER_MODES,
        max_mb=roster.MAX_FILE_BYTES // (1024 * 1024),
        result=result,
        pending=pending,
    )


@router.get("/staff/resident/roster")
def roster_form(request: Request) -> Response:
    """全额资助对象花名册: the upload form and the rosters waiting for approval."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _roster_page(request, principal)


def _read_roster(file: UploadFile | None) -> bytes:
    """The uploaded file's bytes: a CSV or .xlsx of at most ``roster.MAX_FILE_BYTES``."""
    name = (file.filename or "").strip() if file is not None else ""
    if file is None or not name:
        raise InvalidRequest("请选择花名册文件（CSV或Excel .xlsx）", "Choose the roster file", field="file")
    if PurePath(name).suffix.lower() not in ROSTER_SUFFIXES:
        raise InvalidRequest(
            "花名册须为CSV或Excel（.xlsx）文件", "The roster must be a .csv or .xlsx file", field="file"
        )
    data = file.file.read(roster.MAX_FILE_BYTES + 1)
    if len(data) > roster.MAX_FILE_BYTES:
        mb = roster.MAX_FILE_BYTES // (1024 * 1024)
        raise InvalidRequest(
            f"花名册文件过大：不能超过{mb}MB，请拆分后分批导入",
            f"Roster file too large (at most {mb} MB)",
            field="file",
        )
    if not data:
        raise InvalidRequest("花名册文件为空", "The roster file is empty", field="file")
    return data


@router.post("/staff/resident/roster")
def roster_upload(
    request: Request,
    benefit_year: Str = "",
    category: Str = "",
    mode: Str = "all_or_nothing",
    dry_run: Str = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check the roster and keep it for approval (``roster.upload_roster``); nothing moves. The
    page shows its report and what approval would move."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    ctx = _ctx(request, principal)
    form = {
        "benefit_year": benefit_year.strip()[:4],
        "category": category.strip()[:40],
        "mode": mode.strip()[:20],
        "dry_run": "1" if dry_run == "1" else "",
    }
    try:
        if not (form["benefit_year"].isascii() and form["benefit_year"].isdigit() and len(form["benefit_year"]) == 4):
            raise InvalidRequest("请选择待遇年度", "Choose the benefit year", field="benefit_year")
        if form["mode"] not in ROSTER_MODES:
            raise InvalidRequest("请选择导入方式", "Choose the import mode", field="mode")
        data = _read_roster(file)
        summary = _run_commit(
            request,
            lambda uow: roster.upload_roster(
                uow,
                ctx,
                gj.profile,
                benefit_year=int(form["benefit_year"]),
                category=form["category"],
                file=data,
                mode=form["mode"],
                dry_run=form["dry_run"] == "1",
            ),
        )
    except GongjiError as err:
        return _roster_page(request, principal, error=err, form=form)
    finally:
        if file is not None:
            file.file.close()
    return _roster_page(request, principal, form=form, result=_report_view(summary))


def _review_page(
    request: Request, principal: Principal, roster_id: int, *, error: GongjiError | None = None
) -> Response:
    """The confirmation before approval: what approving moves now, or why it cannot be approved."""
    gj = _gj(request)
    ctx = _ctx(request, principal)
    quote: dict[str, Any] | None = None
    refusal: GongjiError | None = None
    try:
        quote = _report_view(gj.run(lambda uow: roster.quote_roster(uow, ctx, gj.profile, roster_id=roster_id)))
    except GongjiError as err:
        if err.http_status == 404:
            return error_page(request, principal, err)
        refusal = err
    return render(
        request,
        "premium_roster_review.html",
        principal,
        failed=error,
        roster_id=roster_id,
        quote=quote,
        refusal=refusal,
        modes=ROSTER_MODES,
    )


@router.get("/staff/resident/roster/{roster_id}/approval")
def roster_review(request: Request, roster_id: int) -> Response:
    """审核花名册: the rows and amounts approval would move (E_FOUR_EYES for the uploader)."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _review_page(request, principal, roster_id)


@router.post("/staff/resident/roster/{roster_id}/approval")
def roster_decide(request: Request, roster_id: int, decision: Str = "", note: Str = "") -> Response:
    """审核通过 (money moves) / 退回 (nothing moves), with a note; another clerk than the uploader."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)

    def decide(uow: Any, ctx: Ctx) -> str:
        if decision not in ("approve", "reject"):
            raise InvalidRequest("请选择审核通过或退回", "decision: approve or reject", field="decision")
        text = _limit(note, 200, "note")
        if decision == "approve":
            roster.approve_roster(uow, ctx, gj.profile, roster_id=roster_id, note=text)
            return "approved"
        roster.reject_roster(uow, ctx, roster_id=roster_id, note=text)
        return "rejected"

    return act(
        request,
        principal,
        decide,
        on_error=lambda err: _review_page(request, principal, roster_id, error=err),
        redirect_to=lambda flash: f"/staff/resident/roster?ok={flash}",
    )
