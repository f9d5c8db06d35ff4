"""2204 / 2205 费用明细: fee lines classified against the catalogue, and their withdrawal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FeeDetail,
    Institution,
    Person,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import settlement as S
from gongji.domain.errors import (
    FeeDetailInvalid,
    VisitCancelled,
)
from gongji.policy.schema import Profile
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement.lookups import catalogue, money, person_of, visit_of
from gongji.services.settlement.prescriptions import check_line, check_prescription, issue_prescription

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
            person = person_of(uow, row.get("psn_no"))
            visit = visit_of(uow, institution, person, row.get("mdtrt_id"))
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
            issue_prescription(
                uow, profile, institution, person, visit, str(rxno), now, dr_codg=row.get("bilg_dr_codg")
            )
        elif institution.kind == "pharmacy" and item is not None and item.prescription:
            rx = check_prescription(uow, profile, institution, person, rxno, now)
            check_line(uow, rx, line.item_code, line.count)
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


def withdraw_fees(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> dict[str, Any]:
    """2205: withdraw a not-yet-settled batch of fee lines (all of the visit's when no batch)."""
    person = person_of(uow, data.get("psn_no"))
    visit = visit_of(uow, institution, person, data.get("mdtrt_id"))
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
