"""Resident premium subsidies (参保资助, SPEC §6; seed 002 §四), staff only.

- ``import_roster``: the full-subsidy roster (《全额资助对象花名册》, 002 §四(二)1) from rows or a
  CSV / .xlsx file. Every row is checked by ``domain.resident.check_roster_row`` (ID number, 生存
  状态, 参保状态, already paid) and reported (row number, masked ID, outcome, Chinese reason).
  ``all_or_nothing`` writes nothing if any row is bad; ``valid_only`` imports the good rows and
  reports the bad ones; ``dry_run`` only reports. A person not yet paid: the premium is paid
  (channel ``batch``) from the medical-assistance fund ``external:assistance:<region>`` to the
  premium income account. Already paid by the person: the subsidy is paid out to them
  (``external:assistance:<region>`` → ``external:payout:<person_id>``, 资助金通过"一卡通"或银行卡
  发放) — the assistance fund bears the subsidy in both cases; the premium income stays.
- ``pay_fixed_subsidies``: 先缴后补 (002 §四(二)2–3) for fixed-subsidy persons who have paid, from
  the month after enrolling, once.
- ``change_category``: 身份类别变化 (002 §四(二)4) — raised → the difference is paid out,
  lowered → nothing is taken back.

Every movement is a balanced ledger transaction with an idempotency key derived from the
benefit year, category and ID number (roster) or person (fixed, top-up), and a ``SubsidyGrant``
row with the same key: a re-import or a second run moves no money.

"Alive": the registry has no death field. A person is dead when an enrollment of theirs was
ended with a reason containing 死亡, or an approved 附件3 停保 gives the reason ``death``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    EnrollmentEvent,
    Person,
    PersonSubsidy,
    PremiumPayment,
    ResidentPremium,
    ResidentRegistration,
    ResidentStop,
    SubsidyGrant,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.errors import InvalidIdNumber, InvalidRequest, SubsidyUnknown
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import RESIDENT_BASIC, EnrollmentStatus, region_in_scope
from gongji.domain.resident import (
    ROSTER_OUTCOME_ZH,
    RosterRow,
    check_roster_row,
    check_window,
    pick_subsidy,
    premium_due,
    subsidy_change,
    subsidy_start_month,
    subsidy_value_fen,
)
from gongji.policy.schema import Profile, SubsidyCategory
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event, get_person, require_reason
from gongji.services.resident import premiums, waiting

Mode = Literal["all_or_nothing", "valid_only"]
MODES = ("all_or_nothing", "valid_only")
MAX_ROWS = 20_000
MAX_FILE_BYTES = 5 * 1024 * 1024

ROSTER_PAY, ROSTER_PAYOUT, FIXED, TOPUP = "roster_pay", "roster_payout", "fixed", "topup"
GRANT_KIND_ZH = {
    ROSTER_PAY: "全额资助代缴",
    ROSTER_PAYOUT: "全额资助金发放（已自主缴费）",
    FIXED: "定额资助金发放（先缴后补）",
    TOPUP: "身份变化补差",
}
EXTRA_OUTCOME_ZH = {
    "duplicate_row": "花名册内身份证号码重复",
    "out_of_region": "参保地不在本经办机构管辖范围内",
    "already_subsidized": "本年度已享受全额资助，就高不重复",
}
ID_HEADERS = ("身份证号码", "身份证件号码", "身份证号", "公民身份号码", "id_number", "cert_no")
NAME_HEADERS = ("姓名", "name")


def assistance_account(region_code: str) -> str:
    """The medical-assistance fund (医疗救助资金) of a pooling region: it bears every subsidy."""
    return f"external:assistance:{region_code}"


def payout_account(person_id: int) -> str:
    """Money paid out to a person's 一卡通 or bank card (outside the ledger)."""
    return f"external:payout:{person_id}"


# --- the person's category -------------------------------------------------------------------------


def person_subsidy_codes(uow: UnitOfWork, person_id: int) -> tuple[str, ...]:
    """The categories a person is recognized in: staff's last change, else the approved registration."""
    row = uow.session.get(PersonSubsidy, person_id)
    if row is not None:
        return tuple(c for c in row.subsidy_codes.split(",") if c)
    codes = uow.session.scalar(
        select(ResidentRegistration.subsidy_codes)
        .where(ResidentRegistration.person_id == person_id, ResidentRegistration.status == "approved")
        .order_by(ResidentRegistration.id.desc())
        .limit(1)
    )
    return tuple(c for c in (codes or "").split(",") if c)


def person_category(
    uow: UnitOfWork, profile: Profile, person_id: int, *, benefit_year: int, region_code: str
) -> SubsidyCategory | None:
    """The one subsidy the person gets for a benefit year where they are insured (就高不重复,
    002 §四(二)3), with that year's and region's amount (``Profile.resident_terms``), or None."""
    terms = profile.resident_terms(benefit_year, region_code)
    return pick_subsidy(person_subsidy_codes(uow, person_id), terms.subsidies)


def is_dead(uow: UnitOfWork, person_id: int) -> bool:
    """No death field in the registry: an enrollment ended for 死亡, or an approved death 停保."""
    event = uow.session.scalar(
        select(EnrollmentEvent.id)
        .join(Enrollment, Enrollment.id == EnrollmentEvent.enrollment_id)
        .where(
            Enrollment.person_id == person_id,
            EnrollmentEvent.to_status == EnrollmentStatus.TERMINATED.value,
            EnrollmentEvent.reason.contains("死亡"),
        )
        .limit(1)
    )
    if event is not None:
        return True
    stop = uow.session.scalar(
        select(ResidentStop.id)
        .where(ResidentStop.person_id == person_id, ResidentStop.reason == "death", ResidentStop.status == "approved")
        .limit(1)
    )
    return stop is not None


def resident_enrollment(uow: UnitOfWork, profile: Profile, person_id: int) -> Enrollment | None:
    """The person's normal 390 enrollment in the province, if any."""
    rows = uow.session.scalars(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == RESIDENT_BASIC,
            Enrollment.status == EnrollmentStatus.NORMAL.value,
        )
    ).all()
    inside = [e for e in rows if F.in_province(e.region_code, profile.profile.province_code)]
    return inside[0] if inside else None


def grants_of(uow: UnitOfWork, person_id: int, benefit_year: int) -> list[SubsidyGrant]:
    return list(
        uow.session.scalars(
            select(SubsidyGrant)
            .where(SubsidyGrant.person_id == person_id, SubsidyGrant.benefit_year == benefit_year)
            .order_by(SubsidyGrant.id)
        )
    )


def grant_view(g: SubsidyGrant) -> dict[str, Any]:
    return {
        "grant_id": g.id,
        "benefit_year": g.benefit_year,
        "category_code": g.category_code,
        "kind": g.kind,
        "kind_name": GRANT_KIND_ZH.get(g.kind, g.kind),
        "amount_fen": g.amount_fen,
        "ledger_txn_id": g.ledger_txn_id,
        "created_at": g.created_at.isoformat(),
    }


def _grant(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    key: str,
    person_id: int,
    benefit_year: int,
    category: str,
    kind: str,
    amount_fen: int,
    source: str,
    target: str,
    region_code: str,
    narration: str,
    premium_id: int | None = None,
) -> SubsidyGrant:
    """Book one subsidy movement (ledger + grant row), keyed ``key``; a known key is returned as is."""
    existing = uow.session.scalar(select(SubsidyGrant).where(SubsidyGrant.idempotency_key == key))
    if existing is not None:
        return existing
    now = ctx.clock.now()
    txn_id = None
    if amount_fen > 0:
        ledger.ensure_account(uow, code=source, kind=L.AccountKind.EXTERNAL, now=now, region_code=region_code)
        ledger.ensure_account(uow, code=target, kind=L.AccountKind.EXTERNAL, now=now, region_code=region_code)
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=key,
                kind=f"subsidy.{kind}",
                narration=narration,
                postings=L.transfer(source, target, amount_fen),
            ),
            request={"op": f"subsidy.{kind}", "person_id": person_id, "year": benefit_year, "amount_fen": amount_fen},
            now=now,
            user_id=ctx.principal.user_id,
        )
        txn_id = int(result.body["txn_id"])
    row = SubsidyGrant(
        idempotency_key=key,
        person_id=person_id,
        benefit_year=benefit_year,
        category_code=category,
        kind=kind,
        amount_fen=amount_fen,
        premium_id=premium_id,
        ledger_txn_id=txn_id,
        created_by_user_id=ctx.principal.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


# --- the roster (全额资助对象花名册) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
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


def parse_roster_file(data: bytes) -> list[_Line]:
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
        lines.append(_Line(number, cells[id_col], cells[name_col]))
    return lines


def _lines(rows: Sequence[Mapping[str, Any] | RosterRow] | None, file: bytes | str | None) -> list[_Line]:
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
                lines.append(_Line(number, row.id_number, row.name))
            else:
                lines.append(_Line(number, str(row.get("id_number", "")).strip(), str(row.get("name", "")).strip()))
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


def import_roster(
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
    """Check and import a full-subsidy roster (002 §四(二)1); see the module docstring.

    The whole batch is refused (nothing written) for a category that is not a full one, a year
    without a premium standard, or a day outside the collection window; bad rows never raise.
    """
    ctx.principal.require(Role.STAFF)
    if mode not in MODES:
        raise InvalidRequest("导入方式须为 all_or_nothing 或 valid_only", "mode", field="mode", value=mode)
    cat = _full_category(profile, category)
    standard = premiums.standard_for(profile, benefit_year, RESIDENT_BASIC)
    today = ctx.clock.today()
    check_window(standard, today)
    due = premium_due(standard, cat)
    lines = _lines(rows, file)
    known = region_table().is_known
    scopes = list(ctx.principal.regions)

    report: list[dict[str, Any]] = []
    plans: list[tuple[str, Person, Enrollment, int, str]] = []  # outcome, person, enrollment, amount, key
    seen: set[str] = set()
    for line in lines:
        item: dict[str, Any] = {
            "row": line.row_no,
            "id_masked": mask_id_number(line.id_number),
            "name_masked": mask_name(line.name) if line.name else "",
            "amount_fen": 0,
            "reason_code": None,
            "replayed": False,
        }
        try:
            cert: str | None = parse_id_number(line.id_number, today=today, region_known=known).value
        except InvalidIdNumber:
            cert = None
        person = (
            uow.session.scalar(select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no == cert))
            if cert
            else None
        )
        enrollment = resident_enrollment(uow, profile, person.id) if person else None
        outcome: str
        if cert is not None and cert in seen:
            outcome = "duplicate_row"
        elif cert is not None and enrollment is not None and not region_in_scope(enrollment.region_code, scopes):
            outcome = "out_of_region"
        else:
            premium = (
                uow.session.scalar(
                    select(ResidentPremium).where(
                        ResidentPremium.person_id == person.id,
                        ResidentPremium.benefit_year == benefit_year,
                        ResidentPremium.insutype == RESIDENT_BASIC,
                    )
                )
                if person
                else None
            )
            paid = premium.paid_fen if premium is not None and premium.status == premiums.PAID else 0
            decision = check_roster_row(
                RosterRow(line.id_number, line.name),
                alive=not is_dead(uow, person.id) if person else True,
                insured=enrollment is not None,
                already_paid_fen=paid,
                due=due,
                today=today,
                region_known=known,
            )
            outcome = decision.outcome
            item["reason_code"] = decision.reason_code
            if decision.accepted and person is not None and enrollment is not None and cert is not None:
                key = _roster_key(benefit_year, cat.code, cert)
                previous = [g for g in grants_of(uow, person.id, benefit_year) if g.kind in (ROSTER_PAY, ROSTER_PAYOUT)]
                mine = next((g for g in previous if g.idempotency_key == key), None)
                if mine is not None:  # imported before: report what was done, move nothing
                    outcome = "pay_full" if mine.kind == ROSTER_PAY else "refund_paid"
                    item["replayed"] = True
                    item["amount_fen"] = mine.amount_fen
                elif previous:
                    outcome = "already_subsidized"
                    item["replayed"] = True
                else:
                    amount = decision.amount_fen
                    if outcome == "refund_paid":  # a fixed subsidy paid before is not paid twice
                        amount = max(0, amount - sum(g.amount_fen for g in grants_of(uow, person.id, benefit_year)))
                    item["amount_fen"] = amount
                    plans.append((outcome, person, enrollment, amount, key))
        if cert is not None:
            seen.add(cert)
        item["outcome"] = outcome
        item["outcome_zh"] = ROSTER_OUTCOME_ZH.get(outcome) or EXTRA_OUTCOME_ZH[outcome]
        item["accepted"] = outcome in ("pay_full", "refund_paid", "already_subsidized")
        report.append(item)

    bad = [r for r in report if not r["accepted"]]
    write = not dry_run and (mode == "valid_only" or not bad)
    if write:
        for outcome, person, enrollment, amount, key in plans:
            _apply_roster(uow, ctx, standard, cat, outcome, person, enrollment, amount, key, profile=profile)
    counts = Counter(r["outcome"] for r in report)
    new_rows = [r for r in report if r["accepted"] and not r["replayed"]]
    summary = {
        "benefit_year": benefit_year,
        "category": cat.code,
        "category_name": cat.name,
        "mode": mode,
        "dry_run": dry_run,
        "written": write and bool(plans),
        "rows": len(report),
        "accepted": len(report) - len(bad),
        "bad": len(bad),
        "outcomes": dict(counts),
        "premium_paid_fen": sum(r["amount_fen"] for r in new_rows if r["outcome"] == "pay_full") if write else 0,
        "paid_out_fen": sum(r["amount_fen"] for r in new_rows if r["outcome"] == "refund_paid") if write else 0,
        "report": report,
        "bad_rows": bad,
    }
    audit_event(
        uow,
        ctx,
        "subsidy.roster_import",
        "subsidy_roster",
        None,
        benefit_year=benefit_year,
        category=cat.code,
        mode=mode,
        dry_run=dry_run,
        written=summary["written"],
        rows=len(report),
        bad=len(bad),
    )
    return summary


def _apply_roster(
    uow: UnitOfWork,
    ctx: Ctx,
    standard: Any,
    cat: SubsidyCategory,
    outcome: str,
    person: Person,
    enrollment: Enrollment,
    amount: int,
    key: str,
    *,
    profile: Profile,
) -> None:
    """Book one accepted roster row. A premium paid from the roster (in the window: the import
    checks it) gets its benefit start and any waiting period after a break (notes §1.2)."""
    region = enrollment.region_code
    year = standard.benefit_year
    if outcome == "refund_paid":
        _grant(
            uow,
            ctx,
            key=key,
            person_id=person.id,
            benefit_year=year,
            category=cat.code,
            kind=ROSTER_PAYOUT,
            amount_fen=amount,
            source=assistance_account(region),
            target=payout_account(person.id),
            region_code=region,
            narration=f"{year}年度全额资助金发放（{cat.name}，已自主缴费）",
        )
        return
    premium = premiums.claim_premium(uow, ctx, person_id=person.id, standard=standard, region_code=region)
    income = premiums.premium_income_account(region, RESIDENT_BASIC)
    grant = _grant(
        uow,
        ctx,
        key=key,
        person_id=person.id,
        benefit_year=year,
        category=cat.code,
        kind=ROSTER_PAY,
        amount_fen=amount,
        source=assistance_account(region),
        target=income,
        region_code=region,
        narration=f"{year}年度全额资助代缴（{cat.name}）",
        premium_id=premium.id,
    )
    now = ctx.clock.now()
    premium.status = premiums.PAID
    premium.individual_fen = standard.individual_fen
    premium.paid_fen = amount
    premium.channel = "batch"
    premium.paid_at = now
    premium.refunded_at = None
    waiting.record(uow, profile, premium, paid_on=ctx.clock.today())
    uow.session.add(
        PremiumPayment(
            premium_id=premium.id,
            channel="batch",
            amount_fen=amount,
            ledger_txn_id=grant.ledger_txn_id,
            status=premiums.PAID,
            created_at=now,
        )
    )
    uow.session.flush()


# --- 先缴后补 (fixed subsidies) ------------------------------------------------------------------


def pay_fixed_subsidies(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, benefit_year: int) -> dict[str, Any]:
    """Pay the fixed subsidy (002 §四(二)2) to every person of the staff member's regions whose
    category is a fixed one and who has paid the year's premium, once (key
    ``subsidy-fixed:<year>:<person>``), from the month after enrolling (当月参保，次月资助)."""
    ctx.principal.require(Role.STAFF)
    scopes = list(ctx.principal.regions)
    today = ctx.clock.today()
    paid_rows = uow.session.scalars(
        select(ResidentPremium)
        .where(
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
            ResidentPremium.status == premiums.PAID,
        )
        .order_by(ResidentPremium.id)
    ).all()
    results: list[dict[str, Any]] = []
    for premium in paid_rows:
        if not region_in_scope(premium.region_code, scopes):
            continue
        cat = person_category(
            uow, profile, premium.person_id, benefit_year=premium.benefit_year, region_code=premium.region_code
        )
        if cat is None or cat.kind != "fixed":
            continue
        person = get_person(uow, premium.person_id)
        item: dict[str, Any] = {
            "person_id": person.id,
            "name_masked": mask_name(person.name),
            "id_masked": mask_id_number(person.cert_no),
            "category": cat.code,
            "amount_fen": 0,
        }
        results.append(item)
        if grants_of(uow, person.id, benefit_year):
            item["outcome"] = "already_paid"
            continue
        enrollment = resident_enrollment(uow, profile, person.id)
        start = subsidy_start_month(enrollment.start_date) if enrollment else None
        if start is None or (today.year, today.month) < start:
            item["outcome"] = "not_yet"
            item["from_month"] = f"{start[0]}-{start[1]:02d}" if start else None
            continue
        amount = subsidy_value_fen(cat, premium.individual_fen)
        _grant(
            uow,
            ctx,
            key=f"subsidy-fixed:{benefit_year}:{person.id}",
            person_id=person.id,
            benefit_year=benefit_year,
            category=cat.code,
            kind=FIXED,
            amount_fen=amount,
            source=assistance_account(premium.region_code),
            target=payout_account(person.id),
            region_code=premium.region_code,
            narration=f"{benefit_year}年度定额资助金发放（{cat.name}，先缴后补）",
            premium_id=premium.id,
        )
        item["outcome"] = "paid"
        item["amount_fen"] = amount
    paid = [r for r in results if r["outcome"] == "paid"]
    audit_event(uow, ctx, "subsidy.fixed_run", "subsidy_grant", None, benefit_year=benefit_year, paid=len(paid))
    return {
        "benefit_year": benefit_year,
        "paid": len(paid),
        "paid_fen": sum(r["amount_fen"] for r in paid),
        "persons": results,
    }


# --- category changes (身份类别变化) -----------------------------------------------------------------


def change_category(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    person_id: int,
    subsidy_codes: Iterable[str],
    benefit_year: int,
    reason: str,
) -> dict[str, Any]:
    """Record a person's new categories and settle the benefit year (002 §四(二)4): if a subsidy
    was already granted for it and the new one is higher, the difference is paid out (补差);
    lower or none → nothing is taken back. A person not granted anything yet for the year gets
    the new category through the roster or ``pay_fixed_subsidies``."""
    ctx.principal.require(Role.STAFF)
    person = get_person(uow, person_id)
    enrollment = resident_enrollment(uow, profile, person.id)
    regions = [enrollment.region_code] if enrollment else []
    ctx.principal.require_person_access(person_id=person.id, regions=regions)
    reason = require_reason(reason)
    codes = tuple(sorted({c.strip() for c in subsidy_codes if c.strip()}))
    region = enrollment.region_code if enrollment else profile.profile.province_code
    terms = profile.resident_terms(benefit_year, region)
    new = pick_subsidy(codes, terms.subsidies)
    now = ctx.clock.now()
    row = uow.session.get(PersonSubsidy, person.id)
    if row is None:
        row = PersonSubsidy(person_id=person.id)
        uow.session.add(row)
    row.subsidy_codes = ",".join(codes)
    row.reason = reason
    row.updated_by_user_id = ctx.principal.user_id
    row.updated_at = now
    uow.session.flush()

    grants = grants_of(uow, person.id, benefit_year)
    top_up = 0
    grant: SubsidyGrant | None = None
    if grants and enrollment is not None:
        premium = uow.session.get(ResidentPremium, grants[0].premium_id) if grants[0].premium_id else None
        individual = (
            premium.individual_fen
            if premium
            else premiums.standard_for(profile, benefit_year, RESIDENT_BASIC).individual_fen
        )
        by_code = {c.code: c for c in terms.subsidies}
        old = by_code.get(grants[-1].category_code)
        granted = sum(g.amount_fen for g in grants)
        top_up = min(
            subsidy_change(old, new, individual_fen=individual),
            max(0, subsidy_value_fen(new, individual) - granted),
        )
        if top_up > 0 and new is not None:
            grant = _grant(
                uow,
                ctx,
                key=f"subsidy-topup:{benefit_year}:{person.id}:{new.code}",
                person_id=person.id,
                benefit_year=benefit_year,
                category=new.code,
                kind=TOPUP,
                amount_fen=top_up,
                source=assistance_account(enrollment.region_code),
                target=payout_account(person.id),
                region_code=enrollment.region_code,
                narration=f"{benefit_year}年度参保资助补差（{new.name}）",
            )
            top_up = grant.amount_fen
    audit_event(uow, ctx, "subsidy.category_change", "person", person.id, codes=list(codes), top_up_fen=top_up)
    return {
        "person_id": person.id,
        "subsidy_codes": list(codes),
        "category": new.code if new else None,
        "top_up_fen": top_up,
        "grants": [grant_view(g) for g in grants_of(uow, person.id, benefit_year)],
    }
