"""The full-subsidy roster (《全额资助对象花名册》, seed 002 §四(二)1), staff, two clerks.

1. ``upload_roster``: one clerk uploads the rows or a CSV / .xlsx file for a benefit year and a
   full category. Every row is checked and reported (row number, masked ID, outcome, Chinese
   reason, amount); the summary shows what approval would move. ``dry_run`` only reports;
   otherwise the roster waits for approval (``pending``) — unless ``all_or_nothing`` and a row is
   bad, then nothing is kept. Nothing moves at upload.
2. ``approve_roster``: ANOTHER clerk (``FourEyesRequired`` for the uploader) whose regions cover
   the uploader's approves; the rows are decided again as of now and the money moves.
   ``quote_roster`` shows the approver the same decision first (the page's confirmation);
   ``reject_roster`` closes it, nothing moves.

A row, in this order: a malformed ID number ``bad_id``; the same number twice ``duplicate_row``;
a number not registered, or a person the clerk may not see (no enrollment in their regions),
``not_in_scope`` — both alike, so a roster cannot tell the clerk who exists elsewhere; the name
differs from the registered one ``name_mismatch`` (the registered name is never shown); the
resident enrollment outside the clerk's regions ``out_of_region``; then
``domain.resident.check_roster_row`` (``dead``, ``not_insured``, ``pay_full``, ``refund_paid``).
Accepted rows:

- ``pay_full``: the assistance fund (``external:assistance:<region>``) pays the premium to the
  premium income — through the township's 两险 待报解 account when the person belongs to a
  collection unit (``services.collection.cash_assistance``, 002 §四(二)1); the premium is paid,
  channel ``batch``; grant ``roster_pay``;
- ``refund_paid``: the person paid it themselves (自主缴费: bank, tax app, collective batch) — the
  subsidy goes to their 一卡通 / bank card (002: 资助金通过"一卡通"或银行卡发放参保人员), less any
  subsidy already paid out to them this year; grant ``roster_payout``;
- ``family_returned``: a family account paid it (代缴) before the person was recognised. Family
  money never reaches the card: the family payment is reversed to the family account or
  past-years balance it came from (原渠道返还, 003 附件三(二)4), an approved ``premium_refund``
  (reason ``full_subsidy``) tells the tax bureau, and the assistance fund pays the premium as
  under ``pay_full``;
- ``already_subsidized``: another full category was granted this year (就高不重复), nothing moves.

Ledger and grant keys ``subsidy-roster:<year>:<category>:<cert_no>``: an approved roster that
names a person again moves nothing (``replayed``).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from gongji.adapters.db.models import Enrollment, Person, PremiumPayment, PremiumRefund, ResidentPremium, SubsidyRoster
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    FourEyesRequired,
    InvalidIdNumber,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    SubsidyUnknown,
)
from gongji.domain.ids import parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import RESIDENT_BASIC, region_in_scope
from gongji.domain.resident import ROSTER_OUTCOME_ZH, RosterRow, check_roster_row, check_window, premium_due
from gongji.policy.schema import PremiumStandard, Profile, SubsidyCategory
from gongji.services.auth import Role
from gongji.services.collection import cash_assistance
from gongji.services.family import premiums as family_premiums
from gongji.services.registry.persons import Ctx, audit_event, person_regions, require_reason
from gongji.services.resident import premiums, recoveries, subsidies, waiting

Mode = Literal["all_or_nothing", "valid_only"]
MODES = ("all_or_nothing", "valid_only")
MAX_ROWS = 20_000
MAX_FILE_BYTES = 5 * 1024 * 1024
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUS_ZH = {PENDING: "待审核", APPROVED: "已审核导入", REJECTED: "已退回"}

FAMILY_RETURNED = "family_returned"
ACCEPTED = ("pay_full", "refund_paid", FAMILY_RETURNED, "already_subsidized")
EXTRA_OUTCOME_ZH = {
    "duplicate_row": "花名册内身份证号码重复",
    "not_in_scope": "本经办机构管辖范围内未查询到该身份证号码的参保人员",
    "name_mismatch": "姓名与该身份证号码登记的姓名不一致",
    "out_of_region": "参保地不在本经办机构管辖范围内",
    FAMILY_RETURNED: "已由家庭共济账户代缴：原渠道退回共济账户，由医疗救助资金全额资助",
    "already_subsidized": "本年度已享受全额资助，就高不重复",
}
ID_HEADERS = ("身份证号码", "身份证件号码", "身份证号", "公民身份号码", "id_number", "cert_no")
NAME_HEADERS = ("姓名", "name")


# --- reading the rows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    row_no: int
    id_number: str
    name: str


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _table_rows(data: bytes) -> list[list[str]]:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRequest("花名册文件不超过5MB", "Roster file: at most 5 MB", field="file")
    if data[:2] == b"PK":  # .xlsx is a zip
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise InvalidRequest("无法读取Excel花名册", "Unreadable .xlsx roster", field="file") from None
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidRequest("花名册编码无法识别（请用UTF-8或GBK）", "Roster: unknown encoding", field="file")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse_roster_file(data: bytes) -> list[Line]:
    """Rows of a CSV or .xlsx roster: a header row naming 身份证号码 and 姓名, then one person a row.
    Row numbers are the sheet's (the header is row 1); empty rows are skipped."""
    table = _table_rows(data)
    if not table:
        raise InvalidRequest("花名册为空", "The roster is empty", field="file")
    header = [h.strip().lower() for h in table[0]]
    id_col = next((i for i, h in enumerate(header) if h in ID_HEADERS), None)
    name_col = next((i for i, h in enumerate(header) if h in NAME_HEADERS), None)
    if id_col is None or name_col is None:
        raise InvalidRequest("花名册首行须有“身份证号码”和“姓名”列", "Roster header: 身份证号码 and 姓名", field="file")
    lines = []
    for number, row in enumerate(table[1:], start=2):
        cells = row + [""] * (max(id_col, name_col) + 1 - len(row))
        if not any(cells):
            continue
        lines.append(Line(number, cells[id_col], cells[name_col]))
    return lines


def _lines(rows: Sequence[Mapping[str, Any] | RosterRow] | None, file: bytes | str | None) -> list[Line]:
    if (rows is None) == (file is None):
        raise InvalidRequest("请提供花名册行或花名册文件（二选一）", "Give rows or a file, not both", field="rows")
    if file is not None:
        if isinstance(file, str):  # base64 over JSON
            try:
                file = base64.b64decode(file, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidRequest("文件不是有效的Base64编码", "file: not base64", field="file") from None
        lines = parse_roster_file(file)
    else:
        lines = []
        for number, row in enumerate(rows or (), start=1):
            if isinstance(row, RosterRow):
                lines.append(Line(number, row.id_number, row.name))
            else:
                lines.append(Line(number, str(row.get("id_number", "")).strip(), str(row.get("name", "")).strip()))
    if not lines:
        raise InvalidRequest("花名册为空", "The roster is empty", field="rows")
    if len(lines) > MAX_ROWS:
        raise InvalidRequest(f"花名册不超过{MAX_ROWS}行", "Roster too long", field="rows", max_rows=MAX_ROWS)
    return lines


def _full_category(profile: Profile, code: str) -> SubsidyCategory:
    found = next((c for c in profile.resident.subsidy if c.code == code), None)
    if found is None:
        raise SubsidyUnknown(codes=[code])
    if found.kind != "full":
        raise InvalidRequest(
            "花名册仅用于全额资助对象（特困人员、孤儿等）",
            "The roster is for full-subsidy categories",
            field="category",
        )
    return found


def _roster_key(benefit_year: int, category: str, cert_no: str) -> str:
    return f"subsidy-roster:{benefit_year}:{category}:{cert_no}"


def _same_name(written: str, registered: str) -> bool:
    """Names compared without spaces (a roster typed by hand has stray ones); nothing else."""
    return bool(written) and "".join(written.split()) == "".join(registered.split())


# --- deciding the rows ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    outcome: str
    person: Person
    enrollment: Enrollment
    amount_fen: int  # from the assistance fund: to the premium income, or to the card (refund_paid)
    key: str
    family_payment: PremiumPayment | None = None  # the 代缴 to return (family_returned)


def _paid_in_force(uow: UnitOfWork, premium: ResidentPremium) -> PremiumPayment | None:
    return uow.session.scalar(
        select(PremiumPayment)
        .where(
            PremiumPayment.premium_id == premium.id,
            PremiumPayment.status == premiums.PAID,
            PremiumPayment.reverses_id.is_(None),
        )
        .order_by(PremiumPayment.id.desc())
        .limit(1)
    )


def _decide(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    standard: PremiumStandard,
    cat: SubsidyCategory,
    lines: list[Line],
    scopes: list[str],
) -> tuple[list[dict[str, Any]], list[_Plan]]:
    """Each row's outcome (see the module docstring) and what approval books for the new ones."""
    today = ctx.clock.today()
    known = region_table().is_known
    due = premium_due(standard, cat)
    report: list[dict[str, Any]] = []
    plans: list[_Plan] = []
    seen: set[str] = set()
    for line in lines:
        item: dict[str, Any] = {
            "row": line.row_no,
            "id_masked": mask_id_number(line.id_number),
            "name_masked": mask_name(line.name) if line.name else "",
            "amount_fen": 0,
            "family_returned_fen": 0,
            "reason_code": None,
            "replayed": False,
        }
        plan = _decide_row(uow, profile, standard, cat, due, line, item, seen, scopes, today, known)
        if plan is not None:
            plans.append(plan)
        item["outcome_zh"] = ROSTER_OUTCOME_ZH.get(item["outcome"]) or EXTRA_OUTCOME_ZH[item["outcome"]]
        item["accepted"] = item["outcome"] in ACCEPTED
        report.append(item)
    return report, plans


def _decide_row(
    uow: UnitOfWork,
    profile: Profile,
    standard: PremiumStandard,
    cat: SubsidyCategory,
    due: Any,
    line: Line,
    item: dict[str, Any],
    seen: set[str],
    scopes: list[str],
    today: Any,
    known: Any,
) -> _Plan | None:
    try:
        cert = parse_id_number(line.id_number, today=today, region_known=known).value
    except InvalidIdNumber as error:
        item["outcome"], item["reason_code"] = "bad_id", error.code
        return None
    if cert in seen:
        item["outcome"] = "duplicate_row"
        return None
    seen.add(cert)
    person = premiums.person_by_cert(uow, cert)
    if person is None or not any(region_in_scope(r, scopes) for r in person_regions(uow, person.id)):
        item["outcome"] = "not_in_scope"  # unknown and out of sight alike: no enumeration
        return None
    if not _same_name(line.name, person.name):
        item["outcome"] = "name_mismatch"
        return None
    enrollment = subsidies.resident_enrollment(uow, profile, person.id)
    if enrollment is not None and not region_in_scope(enrollment.region_code, scopes):
        item["outcome"] = "out_of_region"
        return None
    premium = uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == standard.benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
        )
    )
    paid = premium.paid_fen if premium is not None and premium.status == premiums.PAID else 0
    decision = check_roster_row(
        RosterRow(line.id_number, line.name),
        alive=not subsidies.is_dead(uow, person.id),
        insured=enrollment is not None,
        already_paid_fen=paid,
        due=due,
        today=today,
        region_known=known,
    )
    item["outcome"], item["reason_code"] = decision.outcome, decision.reason_code
    if not decision.accepted or enrollment is None:
        return None
    key = _roster_key(standard.benefit_year, cat.code, cert)
    grants = subsidies.grants_of(uow, person.id, standard.benefit_year)
    previous = [g for g in grants if g.kind in (subsidies.ROSTER_PAY, subsidies.ROSTER_PAYOUT)]
    mine = next((g for g in previous if g.idempotency_key == key), None)
    if mine is not None:  # approved before: report what was done, move nothing
        item["outcome"] = "refund_paid" if mine.kind == subsidies.ROSTER_PAYOUT else "pay_full"
        item["replayed"], item["amount_fen"] = True, mine.amount_fen
        return None
    if previous:
        item["outcome"], item["replayed"] = "already_subsidized", True
        return None
    if decision.outcome == "pay_full":
        item["amount_fen"] = decision.amount_fen
        return _Plan("pay_full", person, enrollment, decision.amount_fen, key)
    assert premium is not None  # refund_paid: the premium is paid
    payment = _paid_in_force(uow, premium)
    if payment is not None and payment.channel == premiums.CHANNEL_FAMILY:
        # family money goes back to the family account; the fund pays the whole premium
        item["outcome"], item["amount_fen"] = FAMILY_RETURNED, due.subsidy_fen
        item["family_returned_fen"] = payment.amount_fen
        return _Plan(FAMILY_RETURNED, person, enrollment, due.subsidy_fen, key, payment)
    # 自主缴费: the subsidy to the card, less what was paid out to the person already this year
    amount = max(0, decision.amount_fen - sum(g.amount_fen for g in grants))
    item["amount_fen"] = amount
    return _Plan("refund_paid", person, enrollment, amount, key)


def _summary(report: list[dict[str, Any]], *, cat: SubsidyCategory, benefit_year: int, mode: str) -> dict[str, Any]:
    """The report and its totals: what the new (not replayed) accepted rows move."""
    bad = [r for r in report if not r["accepted"]]
    new = [r for r in report if r["accepted"] and not r["replayed"]]
    return {
        "benefit_year": benefit_year,
        "category": cat.code,
        "category_name": cat.name,
        "mode": mode,
        "rows": len(report),
        "accepted": len(report) - len(bad),
        "bad": len(bad),
        "outcomes": dict(Counter(r["outcome"] for r in report)),
        "premium_paid_fen": sum(r["amount_fen"] for r in new if r["outcome"] in ("pay_full", FAMILY_RETURNED)),
        "paid_out_fen": sum(r["amount_fen"] for r in new if r["outcome"] == "refund_paid"),
        "family_returned_fen": sum(r["family_returned_fen"] for r in new),
        "report": report,
        "bad_rows": bad,
    }


# --- use cases -----------------------------------------------------------------------------------------


def upload_roster(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    benefit_year: int,
    category: str,
    rows: Sequence[Mapping[str, Any] | RosterRow] | None = None,
    file: bytes | str | None = None,
    mode: str = "all_or_nothing",
    dry_run: bool = False,
) -> dict[str, Any]:
    """Check a roster and keep it for a second clerk's approval; nothing moves (module docstring).

    The whole upload is refused (nothing written) for a category that is not a full one, a year
    without a premium standard, a day outside the collection window, or unreadable rows; bad
    rows never raise. ``status``: ``checked`` (dry run), ``refused`` (all_or_nothing with a bad
    row: not kept) or ``pending`` with ``roster_id``.
    """
    ctx.principal.require(Role.STAFF)
    if mode not in MODES:
        raise InvalidRequest("导入方式须为 all_or_nothing 或 valid_only", "mode", field="mode", value=mode)
    cat = _full_category(profile, category)
    standard = premiums.standard_for(profile, benefit_year, RESIDENT_BASIC)
    check_window(standard, ctx.clock.today())
    lines = _lines(rows, file)
    scopes = list(ctx.principal.regions)
    report, _ = _decide(uow, ctx, profile, standard=standard, cat=cat, lines=lines, scopes=scopes)
    summary = _summary(report, cat=cat, benefit_year=benefit_year, mode=mode)
    status = "checked" if dry_run else "refused" if mode == "all_or_nothing" and summary["bad"] else PENDING
    roster_id = None
    if status == PENDING:
        row = SubsidyRoster(
            benefit_year=benefit_year,
            category_code=cat.code,
            mode=mode,
            status=PENDING,
            scope=",".join(scopes),
            row_count=len(lines),
            rows_json=json.dumps([[x.row_no, x.id_number, x.name] for x in lines], ensure_ascii=False),
            uploaded_by_user_id=ctx.principal.user_id,
            uploaded_at=ctx.clock.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        roster_id = row.id
    audit_event(
        uow,
        ctx,
        "subsidy.roster_upload",
        "subsidy_roster",
        roster_id,
        benefit_year=benefit_year,
        category=cat.code,
        mode=mode,
        status=status,
        rows=len(report),
        bad=summary["bad"],
    )
    return summary | {"roster_id": roster_id, "status": status, "status_name": _status_zh(status), "written": False}


UPLOAD_STATUS_ZH = {"checked": "仅校验，未保存", "refused": "有问题行，未保存（全部导入或全部不导入）"}


def _status_zh(status: str) -> str:
    return STATUS_ZH.get(status) or UPLOAD_STATUS_ZH.get(status, status)


def _roster(uow: UnitOfWork, ctx: Ctx, roster_id: int, *, lock: bool = False) -> SubsidyRoster:
    """A roster the staff member may act on: uploaded by staff whose regions theirs cover."""
    ctx.principal.require(Role.STAFF)
    query = select(SubsidyRoster).where(SubsidyRoster.id == roster_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = uow.session.scalar(query)
    if row is None or not all(region_in_scope(r, list(ctx.principal.regions)) for r in row.scope.split(",")):
        raise NotFound("花名册不存在", "Roster not found", roster_id=roster_id)
    return row


def _pending(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, roster: SubsidyRoster, *, lock: bool = False
) -> tuple[Any, ...]:
    """Decide a pending roster again, as of now, for its approver. ``lock``: first lock the
    premium rows of the persons it would pay for (in person order, created unpaid if missing), then
    decide again under those locks — a roster of another category naming the same person,
    approved at the same moment, waits and then finds the grant (就高不重复), paying once."""
    if roster.status != PENDING:
        raise InvalidStateTransition("该花名册已审核", "This roster was already reviewed", status=roster.status)
    if roster.uploaded_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(roster_id=roster.id)
    cat = _full_category(profile, roster.category_code)
    standard = premiums.standard_for(profile, roster.benefit_year, RESIDENT_BASIC)
    check_window(standard, ctx.clock.today())
    lines = [Line(int(n), str(i), str(name)) for n, i, name in json.loads(roster.rows_json)]
    scopes = roster.scope.split(",")
    report, plans = _decide(uow, ctx, profile, standard=standard, cat=cat, lines=lines, scopes=scopes)
    if lock and plans:
        for plan in sorted(plans, key=lambda p: p.person.id):
            premiums.claim_premium(
                uow, ctx, person_id=plan.person.id, standard=standard, region_code=plan.enrollment.region_code
            )
        report, plans = _decide(uow, ctx, profile, standard=standard, cat=cat, lines=lines, scopes=scopes)
    summary = _summary(report, cat=cat, benefit_year=roster.benefit_year, mode=roster.mode)
    return standard, cat, plans, summary


def _roster_head(roster: SubsidyRoster) -> dict[str, Any]:
    return {
        "roster_id": roster.id,
        "status": roster.status,
        "status_name": _status_zh(roster.status),
        "uploaded_by_user_id": roster.uploaded_by_user_id,
        "uploaded_at": roster.uploaded_at.isoformat(),
        "reviewed_by_user_id": roster.reviewed_by_user_id,
        "reviewed_at": roster.reviewed_at.isoformat() if roster.reviewed_at else None,
        "review_note": roster.review_note,
    }


def quote_roster(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, roster_id: int) -> dict[str, Any]:
    """What approving this roster would move now (the confirmation shown before approval), or the
    refusal (raised: the uploader, a reviewed roster). Writes nothing."""
    roster = _roster(uow, ctx, roster_id)
    *_, summary = _pending(uow, ctx, profile, roster)
    blocked = roster.mode == "all_or_nothing" and summary["bad"] > 0
    return summary | _roster_head(roster) | {"written": False, "can_approve": not blocked}


def pending_rosters(uow: UnitOfWork, ctx: Ctx, profile: Profile) -> list[dict[str, Any]]:
    """Rosters waiting for approval that this staff member may review (oldest first)."""
    ctx.principal.require(Role.STAFF)
    names = {c.code: c.name for c in profile.resident.subsidy}
    rows = uow.session.scalars(select(SubsidyRoster).where(SubsidyRoster.status == PENDING).order_by(SubsidyRoster.id))
    scopes = list(ctx.principal.regions)
    return [
        _roster_head(r)
        | {
            "benefit_year": r.benefit_year,
            "category": r.category_code,
            "category_name": names.get(r.category_code, r.category_code),
            "mode": r.mode,
            "rows": r.row_count,
            "mine": r.uploaded_by_user_id == ctx.principal.user_id,
        }
        for r in rows
        if all(region_in_scope(x, scopes) for x in r.scope.split(","))
    ]


def approve_roster(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, roster_id: int, note: str) -> dict[str, Any]:
    """A second clerk approves: the rows are decided again and the money moves (module docstring).
    ``all_or_nothing`` with a bad row now: refused (E_STATE), nothing moves, the roster stays
    pending (reject it). Refused for the uploader (E_FOUR_EYES) and a reviewed roster (E_STATE)."""
    note = require_reason(note)
    roster = _roster(uow, ctx, roster_id, lock=True)
    standard, cat, plans, summary = _pending(uow, ctx, profile, roster, lock=True)
    if roster.mode == "all_or_nothing" and summary["bad"]:
        raise InvalidStateTransition(
            "花名册复核有问题行，按“全部导入或全部不导入”不能导入，请退回",
            "The roster now has bad rows; all-or-nothing cannot import it",
            bad_rows=[r["row"] for r in summary["bad_rows"]],
        )
    uploader = roster.uploaded_by_user_id
    # 002 §四(二)1: 资助金打入乡镇、街道"两险"待报解社保费账户扣款 (services.collection.cash_assistance)
    via = cash_assistance.fund_townships(
        uow,
        roster_id=roster.id,
        items=[(p.person.id, p.enrollment.region_code, p.amount_fen) for p in plans if p.outcome != "refund_paid"],
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
    )
    for plan in plans:
        _apply(uow, ctx, profile, standard, cat, plan, uploader=uploader, source=via.get(plan.person.id))
    now = ctx.clock.now()
    roster.status = APPROVED
    roster.reviewed_by_user_id = ctx.principal.user_id
    roster.review_note = note
    roster.reviewed_at = now
    result = summary | {"written": bool(plans)}
    roster.result_json = json.dumps(result, ensure_ascii=False, sort_keys=True)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "subsidy.roster_approve",
        "subsidy_roster",
        roster.id,
        rows=summary["rows"],
        premium_paid_fen=summary["premium_paid_fen"],
        paid_out_fen=summary["paid_out_fen"],
        family_returned_fen=summary["family_returned_fen"],
    )
    return result | _roster_head(roster)


def reject_roster(uow: UnitOfWork, ctx: Ctx, *, roster_id: int, note: str) -> dict[str, Any]:
    """A second clerk sends the roster back; nothing moves. The uploader cannot (E_FOUR_EYES)."""
    note = require_reason(note)
    roster = _roster(uow, ctx, roster_id, lock=True)
    if roster.status != PENDING:
        raise InvalidStateTransition("该花名册已审核", "This roster was already reviewed", status=roster.status)
    if roster.uploaded_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(roster_id=roster.id)
    roster.status = REJECTED
    roster.reviewed_by_user_id = ctx.principal.user_id
    roster.review_note = note
    roster.reviewed_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "subsidy.roster_reject", "subsidy_roster", roster.id)
    return _roster_head(roster)


# --- the money ------------------------------------------------------------------------------------------


def _apply(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    standard: PremiumStandard,
    cat: SubsidyCategory,
    plan: _Plan,
    *,
    uploader: int,
    source: str | None = None,
) -> None:
    """Book one accepted row. A premium the roster pays (in the window: checked) gets its benefit
    start and any waiting period after a break (notes §1.2); a premium a family account paid
    keeps the benefit start it had. ``source``: the township's 待报解 account the premium is deducted
    from, else the assistance fund pays it directly."""
    region, year, person = plan.enrollment.region_code, standard.benefit_year, plan.person
    if plan.outcome == "refund_paid":
        subsidies.grant(
            uow,
            ctx,
            key=plan.key,
            person_id=person.id,
            benefit_year=year,
            category=cat.code,
            kind=subsidies.ROSTER_PAYOUT,
            amount_fen=plan.amount_fen,
            source=subsidies.assistance_account(region),
            target=subsidies.payout_account(person.id),
            region_code=region,
            narration=f"{year}年度全额资助金发放（{cat.name}，已自主缴费）",
        )
        return
    premium = premiums.claim_premium(uow, ctx, person_id=person.id, standard=standard, region_code=region)
    if plan.family_payment is not None:
        _return_family_payment(uow, ctx, premium, plan.family_payment, uploader=uploader)
        # 就高不重复 (002 §四(二)3): the fund now pays the whole premium, so a subsidy it already paid
        # to the person's card for this premium (先缴后补, top-up) is netted — owed back by the person
        recoveries.open_recovery(
            uow,
            ctx,
            key=f"{plan.key}:netted",
            person_id=person.id,
            region_code=region,
            benefit_year=year,
            origin=recoveries.ORIGIN_FULL_SUBSIDY,
            amount_fen=recoveries.paid_out_fen(uow, person.id, year)
            - recoveries.already_owed_fen(uow, person.id, year),
            premium_id=premium.id,
        )
    grant = subsidies.grant(
        uow,
        ctx,
        key=plan.key,
        person_id=person.id,
        benefit_year=year,
        category=cat.code,
        kind=subsidies.ROSTER_PAY,
        amount_fen=plan.amount_fen,
        source=source or subsidies.assistance_account(region),
        target=premiums.premium_income_account(region, RESIDENT_BASIC),
        region_code=region,
        narration=f"{year}年度全额资助代缴（{cat.name}）",
        premium_id=premium.id,
    )
    now = ctx.clock.now()
    premium.status = premiums.PAID
    premium.individual_fen = standard.individual_fen
    premium.paid_fen = plan.amount_fen
    premium.channel = "batch"
    premium.refunded_at = None
    if plan.family_payment is None:
        premium.paid_at = now
        waiting.record(uow, profile, premium, paid_on=ctx.clock.today())
    uow.session.add(
        PremiumPayment(
            premium_id=premium.id,
            channel="batch",
            amount_fen=plan.amount_fen,
            ledger_txn_id=grant.ledger_txn_id,
            status=premiums.PAID,
            created_at=now,
        )
    )
    uow.session.flush()


def _return_family_payment(
    uow: UnitOfWork, ctx: Ctx, premium: ResidentPremium, payment: PremiumPayment, *, uploader: int
) -> None:
    """原渠道返还 (003 附件三(二)4): reverse the 代缴 to the family account or past-years balance it
    came from, record the negative payment and an approved refund (uploader asked, approver
    reviewed) so that the tax bureau is told, as for any refund."""
    assert payment.family_payment_id is not None
    now = ctx.clock.now()
    reason = "认定为全额资助对象，家庭共济账户代缴原渠道退回"
    txn = family_premiums.refund_premium(
        uow,
        ctx,
        family_payment_id=payment.family_payment_id,
        reason=reason,
        idempotency_key=f"roster-family-return:{payment.id}",
    )
    back = PremiumPayment(
        premium_id=premium.id,
        channel=payment.channel,
        amount_fen=-payment.amount_fen,
        payer_person_id=payment.payer_person_id,
        binding_id=payment.binding_id,
        commitment_id=payment.commitment_id,
        family_payment_id=payment.family_payment_id,
        ledger_txn_id=int(txn.body["txn_id"]),
        tax_request_id=payment.tax_request_id,
        reverses_id=payment.id,
        status=premiums.REFUND_ROW,
        created_at=now,
    )
    uow.session.add(back)
    uow.session.flush()
    payment.status = premiums.REFUNDED
    # a refund the authorizer asked for meanwhile is the one approved (one open request a payment)
    refund = uow.session.scalar(
        select(PremiumRefund).where(
            PremiumRefund.premium_payment_id == payment.id, PremiumRefund.status == premiums.REQUESTED
        )
    )
    if refund is None:
        refund = PremiumRefund(
            premium_payment_id=payment.id,
            reason=premiums.FULL_SUBSIDY_REASON,
            note=reason,
            requested_by_user_id=uploader,
            requested_at=now,
        )
        uow.session.add(refund)
    refund.status = premiums.APPROVED
    refund.reviewed_by_user_id = ctx.principal.user_id
    refund.review_note = reason
    refund.reviewed_at = now
    refund.refund_payment_id = back.id
    refund.refund_fen = payment.amount_fen
    refund.withheld_fen = 0
    refund.tax_notified = False
    uow.session.flush()
