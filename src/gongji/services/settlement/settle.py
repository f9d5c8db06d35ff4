"""Settlement at designated institutions through the national 两定 interface (SPEC §5).

One function per transaction, each over the caller's unit of work and returning the spec's
``output`` object: 1101 person info, 2201/2202 visit registration and its cancellation, 2204/2205
fee details, 2206 pre-settle (reads only), 2207 settle, 2208 cancel, 2601 reversal by original
msgid, 5203 settlement query. The envelope, authentication and msgid replay are
``settlement.interface``'s; reconciliation (3201/3202, files 9101/9102) is
``settlement.reconciliation``.

Money: the fund's share is booked from ``clearing:fundpay:<insured region>:<insutype>:<institution>``
(what the pool owes the institution, settled later by the back office) to the institution's
receivable ``external:institution:<code>``; the personal share goes through
``services.family.service.pay`` (own account → family funds → cash) to the same receivable. A
cancellation reverses both ledger transactions, restores the yearly accumulators and writes a
negative settlement row (refd_setl_flag 1) so reconciliation sees both directions.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.adapters.db.models import (
    BenefitAccumulator,
    Employer,
    Enrollment,
    FamilyBinding,
    FamilyDraw,
    FeeDetail,
    Institution,
    Person,
    Prescription,
    Settlement,
    SettlementParty,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain import settlement as S
from gongji.domain.errors import (
    AlreadyCancelled,
    AlreadySettled,
    AmountsMismatch,
    FeeDetailInvalid,
    GongjiError,
    InvalidStateTransition,
    NoBenefitRule,
    NotInsured,
    PersonUnknown,
    PrescriptionRequired,
    ReversalTargetUnknown,
    VisitCancelled,
    VisitUnknown,
    WrongInstitution,
)
from gongji.domain.registry import EnrollmentStatus, scope_prefix
from gongji.policy.schema import PolicyLookupError, Profile
from gongji.services import ledger
from gongji.services.family import service as family
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import waiting

T = TypeVar("T", Settlement, SettlementParty)
INSU_STAS = {"normal": "1", "suspended": "2", "interrupted": "2", "terminated": "4"}
FUND_PAY_TYPE = {
    "310": ("310100", "城镇职工基本医疗保险统筹基金"),
    "390": ("390100", "城乡居民基本医疗保险基金"),
    "392": ("390200", "城乡居民大病医疗保险基金"),
}
ACCOUNT_PAY_TYPE = ("310200", "城镇职工基本医疗保险个人账户基金")
CLR_TYPE = {"outpatient": "11", "inpatient": "21", "vaccines": "11"}
"""clr_type by use; pharmacy purchases are 41, registration-only visits 12 (INTERFACE.md §6)."""


# --- catalogue ---------------------------------------------------------------------------------


@cache
def catalogue() -> dict[str, S.CatalogueItem]:
    """The demo catalogue (data/catalogue.csv): 甲/乙/丙 levels, self-pay-first shares, caps."""
    text = resources.files("gongji").joinpath("data/catalogue.csv").read_text(encoding="utf-8")
    items: dict[str, S.CatalogueItem] = {}
    for row in csv.DictReader(io.StringIO(text)):
        items[row["code"]] = S.CatalogueItem(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            level=row["chrgitm_lv"],
            selfpay_prop_permille=int(row["selfpay_prop_permille"]),
            price_cap_fen=int(row["price_cap_fen"]) if row["price_cap_fen"] else None,
            prescription=row["prescription"] == "true",
        )
    return items


# --- small lookups -------------------------------------------------------------------------------


def psn_no(person_id: int) -> str:
    return str(person_id)


def _int_id(value: object, error: type[GongjiError], field: str) -> int:
    text = str(value or "")
    if not text.isdigit() or len(text) > 18:
        raise error(field=field)
    return int(text)


def institution_of(uow: UnitOfWork, code: str) -> Institution:
    found = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
    if found is None:
        raise WrongInstitution("定点医药机构不存在", "No such designated institution", fixmedins_code=code)
    return found


def _person(uow: UnitOfWork, value: object) -> Person:
    person = uow.session.get(Person, _int_id(value, PersonUnknown, "psn_no"))
    if person is None:
        raise PersonUnknown(field="psn_no")
    return person


def _enrollment(uow: UnitOfWork, person_id: int, insutype: str) -> Enrollment:
    found = uow.session.scalar(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == insutype,
            Enrollment.status != EnrollmentStatus.TERMINATED.value,
        )
    )
    if found is None or found.status != EnrollmentStatus.NORMAL.value:
        raise NotInsured(insutype=insutype, status=found.status if found else None)
    return found


def _age(birth: date | None, today: date) -> float | None:
    if birth is None:
        return None
    days = (today - birth).days
    return round(days / 365.25, 1)


def out_type(treatment_region: str, insured_region: str) -> str:
    """异地标志: 0 local (same pooling region), 1 in-province off-site, 2 cross-province."""
    if insured_region.startswith(scope_prefix(treatment_region)):
        return "0"
    return "1" if insured_region[:2] == treatment_region[:2] else "2"


def own_balance(uow: UnitOfWork, person_id: int) -> int:
    codes = [L.personal_current(person_id), L.personal_past(person_id)]
    return sum(ledger.balances_of(uow, codes).values())


def _visit(uow: UnitOfWork, institution: Institution, person: Person, mdtrt_id: object) -> Visit:
    visit = uow.session.get(Visit, _int_id(mdtrt_id, VisitUnknown, "mdtrt_id"))
    if visit is None or visit.person_id != person.id:
        raise VisitUnknown(field="mdtrt_id")
    if visit.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="mdtrt_id")
    return visit


def _now_local(ctx: Ctx) -> datetime:
    """The interface speaks Beijing time without a zone (yyyy-MM-dd HH:mm:ss)."""
    return ctx.clock.now().replace(tzinfo=None, microsecond=0)


def fmt_time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def money(fen: int | None) -> float | int | None:
    if fen is None:
        return None
    return fen // 100 if fen % 100 == 0 else fen / 100


# --- 1101 人员信息获取 -----------------------------------------------------------------------------


def person_info(uow: UnitOfWork, ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Find the person by the 就诊凭证 (02 ID card) or the 证件号码; a name, if sent, must match.
    An unknown number and a wrong name get the same answer (no enumeration)."""
    cert_type = data.get("mdtrt_cert_type")
    number = data.get("mdtrt_cert_no") if cert_type == "02" else None
    number = number or data.get("certno")
    if not number:
        raise PersonUnknown("请提供身份证号码（就诊凭证类型02或证件号码）", "Send an ID number", field="certno")
    person = uow.session.scalar(select(Person).where(Person.cert_no == str(number).upper()))
    if person is None or (data.get("psn_name") and not F.names_match(str(data["psn_name"]), person.name)):
        raise PersonUnknown()
    today = _now_local(ctx).date()
    enrollments = list(uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person.id)))
    balance = own_balance(uow, person.id)
    insuinfo = []
    for e in sorted(enrollments, key=lambda e: (e.status == "terminated", e.insutype)):
        employer = uow.session.get(Employer, e.employer_id) if e.employer_id else None
        insuinfo.append(
            {
                "balc": money(balance if e.insutype == "310" else 0),
                "insutype": e.insutype,
                "psn_type": e.psn_type,
                "psn_insu_stas": INSU_STAS.get(e.status, "0"),
                "psn_insu_date": e.start_date.isoformat(),
                "paus_insu_date": e.end_date.isoformat() if e.end_date else None,
                "cvlserv_flag": "0",
                "insuplc_admdvs": e.region_code,
                "emp_name": employer.name if employer else None,
            }
        )
    audit_event(uow, ctx, "nhsa.1101", "person", person.id)
    return {
        "baseinfo": {
            "psn_no": psn_no(person.id),
            "psn_cert_type": person.cert_type,
            "certno": person.cert_no,
            "psn_name": person.name,
            "gend": person.sex,
            "naty": None,
            "brdy": person.birth_date.isoformat() if person.birth_date else None,
            "age": _age(person.birth_date, today),
            "exp_content": waiting.person_info_note(uow, person.id, today),  # 待遇等待期, notes §1.2
        },
        "insuinfo": insuinfo,
        "idetinfo": [],
    }


# --- 2201 / 2202 挂号 ------------------------------------------------------------------------------


def register_visit(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    person = _person(uow, data.get("psn_no"))
    enrollment = _enrollment(uow, person.id, str(data["insutype"]))
    visit = Visit(
        person_id=person.id,
        fixmedins_code=institution.fixmedins_code,
        insutype=enrollment.insutype,
        med_type=data.get("med_type"),
        psn_type=data.get("psn_type"),
        ipt_otp_no=str(data["ipt_otp_no"]),
        dept_code=data.get("dept_code"),
        begntime=data["begntime"],
        status="open",
        treatment_region=institution.region_code,
        insured_region=enrollment.region_code,
        msgid=msgid,
        created_at=ctx.clock.now(),
    )
    uow.session.add(visit)
    uow.session.flush()
    audit_event(uow, ctx, "nhsa.2201", "visit", visit.id, person_id=person.id)
    return {
        "data": {"mdtrt_id": str(visit.id), "psn_no": psn_no(person.id), "ipt_otp_no": visit.ipt_otp_no},
    }


def cancel_visit(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    person = _person(uow, data.get("psn_no"))
    visit = _visit(uow, institution, person, data.get("mdtrt_id"))
    _cancel_visit(uow, ctx, visit)
    return {}


def _cancel_visit(uow: UnitOfWork, ctx: Ctx, visit: Visit) -> None:
    if visit.status == "cancelled":
        raise VisitCancelled("该就诊已撤销", "The visit is already cancelled")
    settled = uow.session.scalar(
        select(Settlement.id).where(Settlement.visit_id == visit.id, Settlement.status == "settled")
    )
    if settled is not None:
        raise InvalidStateTransition(
            "该就诊已结算，请先撤销结算", "The visit has a settlement; cancel it first", setl_id=str(settled)
        )
    visit.status = "cancelled"
    visit.cancelled_at = ctx.clock.now()
    audit_event(uow, ctx, "nhsa.2202", "visit", visit.id)


# --- 2204 / 2205 费用明细 --------------------------------------------------------------------------


def _fee_line(row: dict[str, Any]) -> S.FeeLine:
    count = row["cnt"]
    if not isinstance(count, Decimal):
        count = Decimal(str(count))
    # pric is 数值型(16,6) in yuan (spec.parse_input leaves it a Decimal; only 数值型(16,2) becomes fen);
    # a unit price may be a fraction of a fen (e.g. 0.0567 yuan a tablet): the line amount is
    # count × price rounded half up to the fen
    price_fen = Decimal(str(row["pric"])) * 100
    return S.FeeLine(
        sn=str(row["feedetl_sn"]),
        item_code=str(row["med_list_codg"]),
        amount_fen=int(row["det_item_fee_sumamt"]),
        count=count,
        price_fen=price_fen,
    )


def _check_prescription(
    uow: UnitOfWork, profile: Profile, institution: Institution, person: Person, rxno: str | None, now: datetime
) -> Prescription:
    """Seed 004: a pharmacy dispenses prescription drugs only on a valid external prescription of
    a designated institution in its own pooling region, for this person."""
    if not rxno:
        raise PrescriptionRequired(reason="missing")
    candidates = list(
        uow.session.scalars(
            select(Prescription).where(Prescription.rxno == str(rxno), Prescription.person_id == person.id)
        )
    )
    if not candidates:
        raise PrescriptionRequired("外配处方不存在或不属于该参保人", "No such prescription for this person", rxno=rxno)
    local = [
        p
        for p in candidates
        if not profile.settlement.prescription_same_pooling_region
        or p.issuer_region.startswith(scope_prefix(institution.region_code))
    ]
    if not local:
        raise PrescriptionRequired(
            "暂不接受本统筹地区以外医疗机构的外配处方",
            "Prescriptions from outside this pooling region are not accepted",
        )
    valid = [p for p in local if p.status == "valid" and _aware(p.valid_until) >= now]
    if not valid:
        raise PrescriptionRequired("外配处方已过有效期或已调剂", "The prescription expired or was already dispensed")
    return valid[0]


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def upload_fees(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, institution: Institution, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """2204: classify each line against the catalogue and keep it for 2206/2207. A hospital's
    line marked 外购处方 (rx_circ_flag 1) with a rxno issues an external prescription."""
    if not rows:
        raise FeeDetailInvalid("费用明细不能为空", "No fee lines", field="feedetail")
    items = catalogue()
    now = ctx.clock.now()
    result = []
    visits: dict[tuple[str, str], tuple[Person, Visit]] = {}
    for row in rows:
        key = (str(row.get("psn_no")), str(row.get("mdtrt_id")))
        if key not in visits:
            person = _person(uow, row.get("psn_no"))
            visit = _visit(uow, institution, person, row.get("mdtrt_id"))
            if visit.status != "open":
                raise VisitCancelled()
            visits[key] = (person, visit)
        person, visit = visits[key]
        line = _fee_line(row)
        item = items.get(line.item_code)
        try:
            split = S.split_line(line, item)
        except S.FeeLineInvalid as exc:
            raise FeeDetailInvalid(
                f"费用明细 {line.sn}：{exc}", f"Fee line {line.sn}: {exc}", feedetl_sn=line.sn
            ) from exc
        rxno = row.get("rxno")
        external = institution.kind == "hospital" and row.get("rx_circ_flag") == "1"
        if external:
            if not rxno:
                raise FeeDetailInvalid("外购处方须填写处方号", "An external prescription needs rxno", field="rxno")
            _issue_prescription(uow, profile, institution, person, visit, str(rxno), now)
        elif institution.kind == "pharmacy" and item is not None and item.prescription:
            _check_prescription(uow, profile, institution, person, rxno, now)
        exists = uow.session.scalar(
            select(FeeDetail.id).where(FeeDetail.visit_id == visit.id, FeeDetail.feedetl_sn == line.sn)
        )
        if exists is not None:
            raise FeeDetailInvalid(
                f"费用明细流水号 {line.sn} 已上传", f"Fee line {line.sn} was already uploaded", feedetl_sn=line.sn
            )
        uow.session.add(
            FeeDetail(
                visit_id=visit.id,
                chrg_bchno=str(row["chrg_bchno"]),
                feedetl_sn=line.sn,
                item_code=line.item_code,
                item_kind=item.kind if item else "unknown",
                prescription=bool(item and item.prescription),
                count=str(line.count),
                price=str(Decimal(line.price_fen) / 100),
                amount_fen=line.amount_fen,
                fulamt_ownpay_fen=split.fulamt_ownpay_fen,
                overlmt_selfpay_fen=split.overlmt_selfpay_fen,
                preselfpay_fen=split.preselfpay_fen,
                inscp_fen=split.inscp_fen,
                chrgitm_lv=item.level if item else "03",
                selfpay_prop_permille=item.selfpay_prop_permille if item else 1000,
                rxno=str(rxno) if rxno else None,
                rx_circ_flag=row.get("rx_circ_flag"),
                status="external" if external else "active",
                created_at=now,
            )
        )
        result.append(
            {
                "feedetl_sn": line.sn,
                "det_item_fee_sumamt": money(line.amount_fen),
                "cnt": float(line.count),
                "pric": float(Decimal(line.price_fen) / 100),
                "pric_uplmt_amt": money(item.price_cap_fen) if item and item.price_cap_fen else None,
                "selfpay_prop": (item.selfpay_prop_permille / 1000) if item else 1,
                "fulamt_ownpay_amt": money(split.fulamt_ownpay_fen),
                "overlmt_amt": money(split.overlmt_selfpay_fen),
                "preselfpay_amt": money(split.preselfpay_fen),
                "inscp_scp_amt": money(split.inscp_fen),
                "chrgitm_lv": item.level if item else "03",
                "med_chrgitm_type": item.kind if item else None,
                "bas_medn_flag": None,
                "hi_nego_drug_flag": None,
                "chld_medc_flag": None,
                "list_sp_item_flag": None,
                "lmt_used_flag": None,
                "drt_reim_flag": None,
                "memo": "外购处方" if external else None,
            }
        )
    uow.session.flush()
    return {"result": result}


def _issue_prescription(
    uow: UnitOfWork,
    profile: Profile,
    institution: Institution,
    person: Person,
    visit: Visit,
    rxno: str,
    now: datetime,
) -> None:
    existing = uow.session.scalar(
        select(Prescription).where(Prescription.issuer_code == institution.fixmedins_code, Prescription.rxno == rxno)
    )
    if existing is not None:
        if existing.person_id != person.id:
            raise FeeDetailInvalid("处方号已用于其他参保人", "This rxno belongs to another person", field="rxno")
        return
    policy = profile.settlement
    issued = now.astimezone(UTC)  # in UTC: SQLite gives it back naive and _aware reads that as UTC
    uow.session.add(
        Prescription(
            rxno=rxno,
            issuer_code=institution.fixmedins_code,
            issuer_region=institution.region_code,
            person_id=person.id,
            visit_id=visit.id,
            issued_at=issued,
            valid_until=issued + timedelta(days=policy.prescription_valid_days),
            keep_until=date(now.year + policy.prescription_retention_years, now.month, min(now.day, 28)),
            status="valid",
        )
    )
    uow.session.flush()


def withdraw_fees(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    """2205: withdraw a not-yet-settled batch of fee lines (all of the visit's when no batch)."""
    person = _person(uow, data.get("psn_no"))
    visit = _visit(uow, institution, person, data.get("mdtrt_id"))
    query = select(FeeDetail).where(FeeDetail.visit_id == visit.id, FeeDetail.status == "active")
    if data.get("chrg_bchno") and data["chrg_bchno"] != "0":
        query = query.where(FeeDetail.chrg_bchno == str(data["chrg_bchno"]))
    lines = list(uow.session.scalars(query))
    if not lines:
        raise FeeDetailInvalid("没有可撤销的费用明细", "No fee lines to withdraw")
    for line in lines:
        line.status = "withdrawn"
    audit_event(uow, ctx, "nhsa.2205", "visit", visit.id, lines=len(lines))
    return {}


# --- 2206 / 2207 结算 ------------------------------------------------------------------------------


@dataclass
class Computed:
    person: Person
    visit: Visit
    enrollment: Enrollment
    med_type: str
    use: str
    clr_type: str
    year: int
    setl_time: datetime
    rule_key: str
    deductible_per_admission: bool
    split: S.FeeSplit
    fund: S.FundResult
    payable_fen: int
    lines: list[FeeDetail]
    prescriptions: list[Prescription]
    accumulator: BenefitAccumulator | None
    """The yearly accumulator, locked FOR UPDATE when settling (None in a 2206 before any)."""
    waiting_until: date | None = None
    """A resident's benefit start when the settlement falls in their waiting period (notes §1.2)."""


def _split_of(lines: list[FeeDetail]) -> S.FeeSplit:
    return S.FeeSplit(
        medfee_fen=sum(x.amount_fen for x in lines),
        fulamt_ownpay_fen=sum(x.fulamt_ownpay_fen for x in lines),
        overlmt_selfpay_fen=sum(x.overlmt_selfpay_fen for x in lines),
        preselfpay_fen=sum(x.preselfpay_fen for x in lines),
        inscp_fen=sum(x.inscp_fen for x in lines),
    )


PARTS = (
    ("fulamt_ownpay_amt", "fulamt_ownpay_fen", "全自费金额"),
    ("overlmt_selfpay", "overlmt_selfpay_fen", "超限价金额"),
    ("preselfpay_amt", "preselfpay_fen", "先行自付金额"),
    ("inscp_scp_amt", "inscp_fen", "符合政策范围金额"),
)


def _fee_split(data: dict[str, Any], lines: list[FeeDetail]) -> S.FeeSplit:
    medfee = int(data["medfee_sumamt"])
    given = {attr: data.get(code) for code, attr, _ in PARTS}
    if lines:
        split = _split_of(lines)
        if split.medfee_fen != medfee:
            raise AmountsMismatch(
                f"医疗费总额 {money(medfee)} 与上传费用明细合计 {money(split.medfee_fen)} 不符",
                f"medfee_sumamt {money(medfee)} differs from the uploaded lines' total {money(split.medfee_fen)}",
                field="medfee_sumamt",
            )
        for code, attr, zh in PARTS:
            value = given[attr]
            if value is not None and int(value) != getattr(split, attr):
                raise AmountsMismatch(
                    f"{zh} {money(int(value))} 与中心按明细计算的 {money(getattr(split, attr))} 不符",
                    f"{code} differs from the centre's figure from the fee lines",
                    field=code,
                )
        return split
    if all(v is None for v in given.values()):
        # 2206 without uploaded details: the whole amount is taken as in scope (a negative one is
        # refused below like any negative part, not left to escape as a 500)
        parts = {"fulamt_ownpay_fen": 0, "overlmt_selfpay_fen": 0, "preselfpay_fen": 0, "inscp_fen": medfee}
    else:
        parts = {attr: int(v or 0) for attr, v in given.items()}
    try:
        return S.split_from_totals(medfee_fen=medfee, **parts)
    except S.AmountsDoNotAddUp as exc:
        raise AmountsMismatch(
            f"医疗费总额 {money(medfee)} ≠ 全自费+超限价+先行自付+符合政策范围 {money(exc.expected_fen)}",
            f"medfee_sumamt {money(medfee)} is not the sum of its parts {money(exc.expected_fen)}",
            field="medfee_sumamt",
        ) from exc
    except S.FeeLineInvalid as exc:
        raise AmountsMismatch(str(exc), "An amount is negative", field="medfee_sumamt") from exc


def _batch(data: dict[str, Any]) -> str:
    """收费批次号; "0" (the spec's empty number) when the institution sends none."""
    return str(data.get("chrg_bchno") or "0")


def _accumulator(uow: UnitOfWork, person_id: int, year: int, insutype: str, med_type: str, *, lock: bool) -> Any:
    """The person's yearly accumulator. With ``lock`` it is created if missing (INSERT … ON
    CONFLICT DO NOTHING, safe when two settlements race) and locked FOR UPDATE, so concurrent
    settlements of one person see each other's deductible and cap."""
    if lock:
        dialect = uow.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        uow.session.execute(
            insert(BenefitAccumulator)
            .values(
                person_id=person_id,
                year=year,
                insutype=insutype,
                med_type=med_type,
                deductible_paid_fen=0,
                fund_paid_fen=0,
                updated_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["person_id", "year", "insutype", "med_type"])
        )
    query = select(BenefitAccumulator).where(
        BenefitAccumulator.person_id == person_id,
        BenefitAccumulator.year == year,
        BenefitAccumulator.insutype == insutype,
        BenefitAccumulator.med_type == med_type,
    )
    if lock:
        query = query.with_for_update()
    return uow.session.scalar(query)


def _compute(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    institution: Institution,
    data: dict[str, Any],
    *,
    lock: bool,
) -> Computed:
    person = _person(uow, data.get("psn_no"))
    visit = _visit(uow, institution, person, data.get("mdtrt_id"))
    if visit.status != "open":
        raise VisitCancelled()
    insutype = str(data["insutype"])
    if insutype != visit.insutype:
        raise NotInsured("险种与挂号登记的险种不一致", "insutype differs from the visit's", field="insutype")
    enrollment = _enrollment(uow, person.id, insutype)
    med_type = S.canonical_med_type(str(data["med_type"]), profile.settlement.med_type_aliases)
    try:
        rule = profile.benefit_rule(insutype, med_type, institution.level)
    except PolicyLookupError as exc:
        raise NoBenefitRule(insutype=insutype, med_type=med_type, level=institution.level) from exc
    query = select(FeeDetail).where(FeeDetail.visit_id == visit.id, FeeDetail.status == "active")
    if data.get("chrg_bchno") and data["chrg_bchno"] != "0":
        query = query.where(FeeDetail.chrg_bchno == str(data["chrg_bchno"]))
    lines = list(uow.session.scalars(query.order_by(FeeDetail.id)))
    split = _fee_split(data, lines)
    now = ctx.clock.now()
    prescriptions = []
    if institution.kind == "pharmacy":
        for line in lines:
            if line.prescription:
                prescriptions.append(_check_prescription(uow, profile, institution, person, line.rxno, now))
    setl_time = _now_local(ctx)
    year = setl_time.year
    acc = _accumulator(uow, person.id, year, insutype, med_type, lock=lock)
    # never pay twice: a batch in force is not settled again (a HIS that timed out sends 2601 or
    # reuses the msgid). The accumulator lock above serializes a person's settlements, so a
    # concurrent twin sees this one once it commits; a partial unique index is the backstop.
    batch = _batch(data)
    settled = uow.session.scalar(
        select(Settlement.id).where(
            Settlement.visit_id == visit.id, Settlement.chrg_bchno == batch, Settlement.status == "settled"
        )
    )
    if settled is not None:
        raise AlreadySettled(setl_id=str(settled), chrg_bchno=batch)
    per_admission = rule.deductible_basis == "per_admission"
    if per_admission:
        deductible_paid = int(
            uow.session.scalar(
                select(func.coalesce(func.sum(Settlement.act_pay_dedc_fen), 0)).where(
                    Settlement.visit_id == visit.id, Settlement.status == "settled"
                )
            )
            or 0
        )
    else:
        deductible_paid = acc.deductible_paid_fen if acc else 0
    # 待遇等待期 (notes §1.2): before a resident premium's benefit start the fund pays nothing —
    # no deductible met, ratio 0 — so the whole amount is the person's and nothing accumulates
    waits = waiting.fund_waits_until(uow, person.id, insutype, setl_time.date())
    fund = S.fund_payment(
        split,
        S.BenefitParams(
            deductible_fen=0 if waits else rule.deductible_fen,
            fund_ratio_permille=0 if waits else rule.fund_ratio_permille,
            annual_cap_fen=rule.annual_cap_fen,
            deductible_per_admission=per_admission,
        ),
        S.Accumulated(deductible_paid_fen=deductible_paid, fund_paid_fen=acc.fund_paid_fen if acc else 0),
    )
    kinds = {line.item_kind for line in lines}
    use = S.use_kind(med_type=med_type, institution_kind=institution.kind, item_kinds=kinds)
    if use.startswith("pharmacy"):
        clr_type = "41"
    else:
        clr_type = CLR_TYPE.get(use, "11") if med_type != "12" else "12"
    return Computed(
        person=person,
        visit=visit,
        enrollment=enrollment,
        med_type=med_type,
        use=use,
        clr_type=clr_type,
        year=year,
        setl_time=setl_time,
        rule_key=rule.key,
        deductible_per_admission=per_admission,
        split=split,
        fund=fund,
        payable_fen=S.account_payable(split, fund, profile.settlement.account_pays),
        lines=lines,
        prescriptions=prescriptions,
        accumulator=acc,
        waiting_until=waits,
    )


def _acct_flag(data: dict[str, Any]) -> str:
    flag = str(data.get("acct_used_flag"))
    if flag not in {"0", "1", "2"}:
        from gongji.domain.errors import UnknownCode

        raise UnknownCode("个人账户使用标志须为0、1或2", "acct_used_flag must be 0, 1 or 2", field="acct_used_flag")
    return flag


def _setlinfo(
    c: Computed,
    amounts: S.SettlementAmounts,
    *,
    balc_fen: int,
    institution: Institution,
    msgid: str,
    setl_id: int | None,
) -> dict[str, Any]:
    p = c.person
    info: dict[str, Any] = {
        "mdtrt_id": str(c.visit.id),
        "psn_no": psn_no(p.id),
        "psn_name": p.name,
        "psn_cert_type": p.cert_type,
        "certno": p.cert_no,
        "gend": p.sex,
        "naty": None,
        "brdy": p.birth_date.isoformat() if p.birth_date else None,
        "age": _age(p.birth_date, c.setl_time.date()),
        "insutype": c.enrollment.insutype,
        "psn_type": c.enrollment.psn_type,
        "cvlserv_flag": "0",
        "setl_time": fmt_time(c.setl_time),
        "mdtrt_cert_type": "02",
        "med_type": c.med_type,
        "medfee_sumamt": money(amounts.medfee_fen),
        "fulamt_ownpay_amt": money(amounts.fulamt_ownpay_fen),
        "overlmt_selfpay": money(amounts.overlmt_selfpay_fen),
        "preselfpay_amt": money(amounts.preselfpay_fen),
        "inscp_scp_amt": money(amounts.inscp_fen),
        "act_pay_dedc": money(amounts.act_pay_dedc_fen),
        "hifp_pay": money(amounts.hifp_pay_fen),
        "pool_prop_selfpay": amounts.pool_ratio_permille / 1000,
        "cvlserv_pay": 0,
        "hifes_pay": 0,
        "hifmi_pay": 0,
        "hifob_pay": 0,
        "maf_pay": 0,
        "oth_pay": 0,
        "fund_pay_sumamt": money(amounts.fund_pay_sumamt_fen),
        "psn_part_amt": money(amounts.psn_part_amt_fen),
        "acct_pay": money(amounts.acct_pay_fen),
        "psn_cash_pay": money(amounts.psn_cash_pay_fen),
        "hosp_part_amt": money(amounts.hosp_part_amt_fen),
        "balc": money(balc_fen),
        "acct_mulaid_pay": money(amounts.acct_mulaid_pay_fen),
        "medins_setl_id": msgid,
        "clr_optins": c.enrollment.region_code,
        "clr_way": "1",
        "clr_type": c.clr_type,
        "hifdm_pay": 0,
        "exp_content": (
            f"待遇等待期内，医保基金不予支付（{c.waiting_until.isoformat()}起享受待遇）" if c.waiting_until else None
        ),
    }
    if setl_id is not None:
        info = {"setl_id": str(setl_id), **info}
    return info


def _setldetail(insutype: str, inscp_fen: int, hifp_fen: int, acct_fen: int, cap_left_fen: int) -> list[dict[str, Any]]:
    rows = []
    if hifp_fen:
        code, name = FUND_PAY_TYPE.get(insutype, ("999997", "其他基金"))
        rows.append(
            {
                "fund_pay_type": code,
                "inscp_scp_amt": money(inscp_fen),
                "crt_payb_lmt_amt": money(cap_left_fen),
                "fund_payamt": money(hifp_fen),
                "fund_pay_type_name": name,
                "setl_proc_info": None,
            }
        )
    if acct_fen:
        rows.append(
            {
                "fund_pay_type": ACCOUNT_PAY_TYPE[0],
                "inscp_scp_amt": money(inscp_fen),
                "crt_payb_lmt_amt": None,
                "fund_payamt": money(acct_fen),
                "fund_pay_type_name": ACCOUNT_PAY_TYPE[1],
                "setl_proc_info": None,
            }
        )
    return rows


def pre_settle(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2206: the same calculation as 2207, with the account split previewed; nothing is written."""
    flag = _acct_flag(data)
    c = _compute(uow, ctx, profile, institution, data, lock=False)
    own = fam = 0
    balance = own_balance(uow, c.person.id)
    if flag != "0" and c.payable_fen > 0:
        split = family.preview(
            uow,
            profile,
            relative_id=c.person.id,
            amount_fen=c.payable_fen,
            use=c.use,
            institution_region=institution.region_code,
            use_family=flag == "2",
        )
        own, fam = split.own_fen, split.family_fen
    amounts = S.compose(c.split, c.fund, own_fen=own, family_fen=fam)
    return {
        "setlinfo": _setlinfo(c, amounts, balc_fen=balance - own, institution=institution, msgid=msgid, setl_id=None),
        "setldetail": _setldetail(
            c.enrollment.insutype, amounts.inscp_fen, amounts.hifp_pay_fen, amounts.acct_pay_fen, c.fund.cap_left_fen
        ),
    }


def settle(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2207: fund share, then the personal share through the family payment service, in one
    database transaction with the settlement row, the accumulators and the regions."""
    flag = _acct_flag(data)
    now = ctx.clock.now()
    code = institution.fixmedins_code
    payee = family.institution_payee(code)
    ledger.ensure_account(uow, code=payee, kind=L.AccountKind.EXTERNAL, now=now, region_code=institution.region_code)
    # Every 2207 of this institution credits its receivable: lock it first, so concurrent
    # settlements queue here instead of deadlocking (fund posting takes the receivable before the
    # shared family account, a personal-only payment the other way round).
    ledger.lock_balances(uow, [payee])
    c = _compute(uow, ctx, profile, institution, data, lock=True)
    fund_txn_id = None
    insured_region = c.enrollment.region_code
    if c.fund.hifp_pay_fen:
        source = fund_owed_account(insured_region, c.enrollment.insutype, code)
        ledger.ensure_account(uow, code=source, kind=L.AccountKind.CLEARING, now=now, region_code=insured_region)
        posted = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=L.scoped_key(f"nhsa:{code}", f"{msgid}:fund"),
                kind="settlement.fund",
                narration=f"统筹基金支付（结算报文 {msgid}）"[:200],
                postings=L.transfer(source, payee, c.fund.hifp_pay_fen),
            ),
            request={"op": "settlement.fund", "msgid": msgid, "amount_fen": c.fund.hifp_pay_fen},
            now=now,
            user_id=ctx.principal.user_id,
        )
        fund_txn_id = int(posted.body["txn_id"])
    own = fam = 0
    account_txn_id = payment_id = None
    draws: list[dict[str, Any]] = []
    if flag != "0" and c.payable_fen > 0:
        paid = family.pay(
            uow,
            ctx,
            profile,
            relative_id=c.person.id,
            amount_fen=c.payable_fen,
            use=c.use,
            payee_account=payee,
            idempotency_key=L.scoped_key(f"nhsa:{code}", msgid),
            institution_region=institution.region_code,
            use_family=flag == "2",
            reference=f"nhsa:{code}:{msgid}",
        ).body
        own, fam = int(paid["own_fen"]), int(paid["family_fen"])
        account_txn_id = paid.get("txn_id")
        payment_id = paid.get("payment_id")
        draws = list(paid["family"])
    amounts = S.compose(c.split, c.fund, own_fen=own, family_fen=fam)
    balance = own_balance(uow, c.person.id)
    row = Settlement(
        visit_id=c.visit.id,
        person_id=c.person.id,
        fixmedins_code=code,
        msgid=msgid,
        chrg_bchno=_batch(data),
        insutype=c.enrollment.insutype,
        med_type=c.med_type,
        clr_type=c.clr_type,
        use_kind=c.use,
        institution_level=institution.level,
        acct_used_flag=flag,
        year=c.year,
        setl_time=c.setl_time,
        status="settled",
        refd_setl_flag="0",
        reverses_id=None,
        **{name: int(getattr(amounts, name)) for name in AMOUNT_FIELDS},
        balc_fen=balance,
        pool_ratio_permille=amounts.pool_ratio_permille,
        year_deductible_fen=0 if c.deductible_per_admission else amounts.act_pay_dedc_fen,
        fund_txn_id=fund_txn_id,
        account_txn_id=account_txn_id,
        family_payment_id=payment_id,
        treatment_region=institution.region_code,
        insured_region=insured_region,
        out_type=out_type(institution.region_code, insured_region),
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _record_parties(uow, row, own, draws)
    _accumulate(uow, c, sign=1, now=now)
    for line in c.lines:
        line.status = "settled"
    for rx in c.prescriptions:
        rx.status = "dispensed"
        rx.dispensed_by = code
        rx.dispensed_setl_id = row.id
    audit_event(
        uow,
        ctx,
        "nhsa.2207",
        "settlement",
        row.id,
        person_id=c.person.id,
        medfee_fen=amounts.medfee_fen,
        fund_fen=amounts.fund_pay_sumamt_fen,
        acct_fen=amounts.acct_pay_fen,
        family_fen=amounts.acct_mulaid_pay_fen,
    )
    return {
        "setlinfo": _setlinfo(c, amounts, balc_fen=balance, institution=institution, msgid=msgid, setl_id=row.id),
        "setldetail": _setldetail(
            c.enrollment.insutype, amounts.inscp_fen, amounts.hifp_pay_fen, amounts.acct_pay_fen, c.fund.cap_left_fen
        ),
    }


def fund_owed_account(insured_region: str, insutype: str, fixmedins_code: str) -> str:
    """What the insured place's pool owes one institution for settled claims (清算 later)."""
    return f"clearing:fundpay:{insured_region}:{insutype}:{fixmedins_code}"


AMOUNT_FIELDS = (
    "medfee_fen",
    "fulamt_ownpay_fen",
    "overlmt_selfpay_fen",
    "preselfpay_fen",
    "inscp_fen",
    "act_pay_dedc_fen",
    "hifp_pay_fen",
    "fund_pay_sumamt_fen",
    "psn_part_amt_fen",
    "acct_pay_fen",
    "acct_mulaid_pay_fen",
    "psn_cash_pay_fen",
    "hosp_part_amt_fen",
)


NEGATED = frozenset((*AMOUNT_FIELDS, "year_deductible_fen", "amount_fen"))


def _negated(row: T, **overrides: Any) -> T:
    """A copy of a settlement (or settlement party) row with its amounts negated: the
    cancellation row that reconciliation pairs with the original (refd_setl_flag 1)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    values.update({k: -v for k, v in values.items() if k in NEGATED})
    return type(row)(**(values | overrides))


def _record_parties(uow: UnitOfWork, row: Settlement, own_fen: int, draws: list[dict[str, Any]]) -> None:
    """Regions for clearing: the insured person's own place, and each paying authorizer's."""
    uow.session.add(
        SettlementParty(
            settlement_id=row.id,
            role="insured",
            person_id=row.person_id,
            binding_id=None,
            region_code=row.insured_region,
            amount_fen=own_fen,
        )
    )
    for draw in draws:
        binding = uow.session.get(FamilyBinding, int(draw["binding_id"]))
        assert binding is not None
        region = ledger.region_of(uow, L.personal_past(binding.authorizer_id)) or row.insured_region
        uow.session.add(
            SettlementParty(
                settlement_id=row.id,
                role="authorizer",
                person_id=binding.authorizer_id,
                binding_id=binding.id,
                region_code=region,
                amount_fen=int(draw["amount_fen"]),
            )
        )


def _accumulate(uow: UnitOfWork, c: Computed | Settlement, *, sign: int, now: datetime) -> None:
    if isinstance(c, Computed):
        person_id, year, insutype, med_type = c.person.id, c.year, c.enrollment.insutype, c.med_type
        dedc, fund, per_admission = c.fund.act_pay_dedc_fen, c.fund.hifp_pay_fen, c.deductible_per_admission
    else:
        person_id, year, insutype, med_type = c.person_id, c.year, c.insutype, c.med_type
        # what the settlement added to the yearly deductible (0 when it was per admission: that
        # one is summed from the visit's settled rows, so cancelling the row is enough)
        dedc, fund, per_admission = c.year_deductible_fen, c.hifp_pay_fen, False
    acc = c.accumulator if isinstance(c, Computed) else None  # already locked by _compute
    if acc is None:
        acc = _accumulator(uow, person_id, year, insutype, med_type, lock=True)
    if not per_admission:
        acc.deductible_paid_fen += sign * dedc
    acc.fund_paid_fen += sign * fund
    acc.updated_at = now
    uow.session.flush()


# --- 2208 / 2601 撤销与冲正 ------------------------------------------------------------------------


def cancel(uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]) -> dict[str, Any]:
    """2208: cancel a settlement of this institution; refused the second time."""
    person = _person(uow, data.get("psn_no"))
    row = uow.session.get(Settlement, _int_id(data.get("setl_id"), VisitUnknown, "setl_id"))
    if row is None or row.person_id != person.id or str(row.visit_id) != str(data.get("mdtrt_id")):
        raise VisitUnknown("结算信息不存在", "No such settlement for this person and visit", field="setl_id")
    if row.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="setl_id")
    return _cancel(uow, ctx, institution, row, msgid)


def _cancel(uow: UnitOfWork, ctx: Ctx, institution: Institution, row: Settlement, msgid: str) -> dict[str, Any]:
    # The institution's receivable first (the order 2207 takes), then the row re-read under a lock:
    # of concurrent cancellations one wins and the others see it cancelled (not a 500 from
    # uq_settlement_cancel), and a cancellation racing a settlement cannot deadlock with it.
    ledger.lock_balances(uow, [family.institution_payee(institution.fixmedins_code)])
    uow.session.refresh(row, with_for_update=True)
    if row.status != "settled":
        raise AlreadyCancelled(setl_id=str(row.id))
    now = ctx.clock.now()
    key = L.scoped_key(f"nhsa:{institution.fixmedins_code}", f"{msgid}:cancel")
    for which, txn_id in (("fund", row.fund_txn_id), ("account", row.account_txn_id)):
        if txn_id is not None:
            ledger.reverse(
                uow,
                txn_id=int(txn_id),
                idempotency_key=f"{key}:{which}"[:255],
                reason=f"结算撤销 {row.id}",
                now=now,
                user_id=ctx.principal.user_id,
            )
    row.status = "cancelled"
    reversal = _negated(
        row,
        msgid=msgid,
        setl_time=_now_local(ctx),
        status="reversal",
        refd_setl_flag="1",
        reverses_id=row.id,
        balc_fen=own_balance(uow, row.person_id),
        fund_txn_id=None,
        account_txn_id=None,
        created_at=now,
    )
    uow.session.add(reversal)
    uow.session.flush()
    for party in uow.session.scalars(select(SettlementParty).where(SettlementParty.settlement_id == row.id)):
        uow.session.add(_negated(party, settlement_id=reversal.id))
    _accumulate(uow, row, sign=-1, now=now)
    for line in uow.session.scalars(
        select(FeeDetail).where(FeeDetail.visit_id == row.visit_id, FeeDetail.status == "settled")
    ):
        line.status = "active"  # the lines may be settled again or withdrawn (2205)
    for rx in uow.session.scalars(select(Prescription).where(Prescription.dispensed_setl_id == row.id)):
        rx.status = "valid"
        rx.dispensed_by = None
        rx.dispensed_setl_id = None
    audit_event(uow, ctx, "nhsa.2208", "settlement", row.id, reversal_id=reversal.id)
    return {"setlinfo": settlement_view(uow, reversal, cancel=True)}


def reverse_message(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2601 冲正: undo the transaction an earlier msgid made (2207 settle, 2201 registration)."""
    omsgid, oinfno = str(data["omsgid"]), str(data["oinfno"])
    person = _person(uow, data.get("psn_no"))
    code = institution.fixmedins_code
    if oinfno in {"2207", "2207A"}:
        row = uow.session.scalar(
            select(Settlement).where(
                Settlement.fixmedins_code == code, Settlement.msgid == omsgid, Settlement.refd_setl_flag == "0"
            )
        )
        if row is None or row.person_id != person.id:
            raise ReversalTargetUnknown(omsgid=omsgid, oinfno=oinfno)
        out = _cancel(uow, ctx, institution, row, msgid)
        return {"data": {"omsgid": omsgid, "oinfno": oinfno, "setl_id": out["setlinfo"]["setl_id"]}}
    if oinfno == "2201":
        visit = uow.session.scalar(select(Visit).where(Visit.fixmedins_code == code, Visit.msgid == omsgid))
        if visit is None or visit.person_id != person.id:
            raise ReversalTargetUnknown(omsgid=omsgid, oinfno=oinfno)
        _cancel_visit(uow, ctx, visit)
        return {"data": {"omsgid": omsgid, "oinfno": oinfno, "mdtrt_id": str(visit.id)}}
    raise ReversalTargetUnknown(
        "该交易不支持冲正（支持2207、2201）", "Only 2207 and 2201 can be reversed", oinfno=oinfno
    )


# --- 5203 结算信息查询 ------------------------------------------------------------------------------


def settlement_view(uow: UnitOfWork, row: Settlement, *, cancel: bool = False) -> dict[str, Any]:
    person = uow.session.get(Person, row.person_id)
    institution = institution_of(uow, row.fixmedins_code)
    assert person is not None
    info: dict[str, Any] = {
        "setl_id": str(row.id),
        "mdtrt_id": str(row.visit_id),
        "psn_no": psn_no(person.id),
        "psn_name": person.name,
        "psn_cert_type": person.cert_type,
        "certno": person.cert_no,
        "gend": person.sex,
        "naty": None,
        "brdy": person.birth_date.isoformat() if person.birth_date else None,
        "age": _age(person.birth_date, row.setl_time.date()),
        "insutype": row.insutype,
        "psn_type": None,
        "cvlserv_flag": "0",
        "setl_time": fmt_time(row.setl_time),
        "mdtrt_cert_type": "02",
        "med_type": row.med_type,
        "medfee_sumamt": money(row.medfee_fen),
        "fulamt_ownpay_amt": money(row.fulamt_ownpay_fen),
        "overlmt_selfpay": money(row.overlmt_selfpay_fen),
        "preselfpay_amt": money(row.preselfpay_fen),
        "inscp_scp_amt": money(row.inscp_fen),
        "act_pay_dedc": money(row.act_pay_dedc_fen),
        "hifp_pay": money(row.hifp_pay_fen),
        "pool_prop_selfpay": row.pool_ratio_permille / 1000,
        "cvlserv_pay": 0,
        "hifes_pay": 0,
        "hifmi_pay": 0,
        "hifob_pay": 0,
        "maf_pay": 0,
        "oth_pay": 0,
        "fund_pay_sumamt": money(row.fund_pay_sumamt_fen),
        "psn_part_amt": money(row.psn_part_amt_fen),
        "acct_pay": money(row.acct_pay_fen),
        "psn_cash_pay": money(row.psn_cash_pay_fen),
        "hosp_part_amt": money(row.hosp_part_amt_fen),
        "balc": money(row.balc_fen),
        "acct_mulaid_pay": money(row.acct_mulaid_pay_fen),
        "medins_setl_id": row.msgid,
        "clr_optins": row.insured_region,
        "clr_way": "1",
        "clr_type": row.clr_type,
        "hifdm_pay": 0,
        "exp_content": None,
    }
    if cancel:
        info["pdn_cash_pay"] = info["psn_cash_pay"]  # the spec's 2208 spelling; emit both
        return info
    return info | {
        "flxempe_flag": "0",
        "nwb_flag": "0",
        "insu_optins": row.insured_region,
        "emp_name": None,
        "pay_loc": "2",
        "fixmedins_code": institution.fixmedins_code,
        "fixmedins_name": institution.name,
        "hosp_lv": str(institution.level),
        "fixmedins_poolarea": institution.region_code,
        "lmtpric_hosp_lv": str(institution.level),
        "dedc_hosp_lv": str(institution.level),
        "begndate": row.setl_time.date().isoformat(),
        "enddate": row.setl_time.date().isoformat(),
        "psn_pay": money(row.psn_part_amt_fen),
        "cash_payamt": money(row.psn_cash_pay_fen),
        "refd_setl_flag": row.refd_setl_flag,
        "year": str(row.year),
        "dise_codg": None,
        "dise_name": None,
        "invono": None,
        "opter_id": None,
        "opter_name": None,
        "opt_time": fmt_time(row.setl_time),
        "pref_fund_pay": 0,
    }


def query_settlement(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    person = _person(uow, data.get("psn_no"))
    row = uow.session.get(Settlement, _int_id(data.get("setl_id"), VisitUnknown, "setl_id"))
    if row is None or row.person_id != person.id or str(row.visit_id) != str(data.get("mdtrt_id")):
        raise VisitUnknown("结算信息不存在", "No such settlement", field="setl_id")
    if row.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="setl_id")
    audit_event(uow, ctx, "nhsa.5203", "settlement", row.id)
    return {
        "setlinfo": settlement_view(uow, row),
        "setldetail": _setldetail(row.insutype, row.inscp_fen, row.hifp_pay_fen, row.acct_pay_fen, 0),
    }


def family_draws_of(uow: UnitOfWork, settlement_id: int) -> list[FamilyDraw]:
    row = uow.session.get(Settlement, settlement_id)
    if row is None or row.family_payment_id is None:
        return []
    return list(uow.session.scalars(select(FamilyDraw).where(FamilyDraw.payment_id == row.family_payment_id)))
