"""5203 结算信息查询 and the settlement's spec views (setlinfo, setldetail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyDraw,
    Institution,
    Person,
    Settlement,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import settlement as S
from gongji.domain.errors import (
    VisitUnknown,
    WrongInstitution,
)
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement.lookups import age_on, fmt_time, institution_of, int_id, money, person_of, psn_no

FUND_PAY_TYPE = {
    "310": ("310100", "城镇职工基本医疗保险统筹基金"),
    "390": ("390100", "城乡居民基本医疗保险基金"),
    "392": ("390200", "城乡居民大病医疗保险基金"),
}
ACCOUNT_PAY_TYPE = ("310200", "城镇职工基本医疗保险个人账户基金")


# --- 5203 结算信息查询 ------------------------------------------------------------------------------


def _cert_type_of(uow: UnitOfWork, visit_id: int) -> str:
    visit = uow.session.get(Visit, visit_id)
    return (visit.mdtrt_cert_type if visit else None) or "02"


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
        "age": age_on(person.birth_date, row.setl_time.date()),
        "insutype": row.insutype,
        "psn_type": None,
        "cvlserv_flag": "0",
        "setl_time": fmt_time(row.setl_time),
        "mdtrt_cert_type": _cert_type_of(uow, row.visit_id),
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
        "psn_part_split": part_split(shares_of(row)),
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
    person = person_of(uow, data.get("psn_no"))
    row = uow.session.get(Settlement, int_id(data.get("setl_id"), VisitUnknown, "setl_id"))
    if row is None or row.person_id != person.id or str(row.visit_id) != str(data.get("mdtrt_id")):
        raise VisitUnknown("结算信息不存在", "No such settlement", field="setl_id")
    if row.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="setl_id")
    audit_event(uow, ctx, "nhsa.5203", "settlement", row.id)
    return {
        "setlinfo": settlement_view(uow, row),
        "setldetail": setldetail(
            row.insutype,
            row.inscp_fen,
            row.hifp_pay_fen,
            row.acct_pay_fen,
            0,
            shares_of(row),
            fund_note=row.offsite_note,
        ),
    }


def family_draws_of(uow: UnitOfWork, settlement_id: int) -> list[FamilyDraw]:
    row = uow.session.get(Settlement, settlement_id)
    if row is None or row.family_payment_id is None:
        return []
    return list(uow.session.scalars(select(FamilyDraw).where(FamilyDraw.payment_id == row.family_payment_id)))


def setldetail(
    insutype: str,
    inscp_fen: int,
    hifp_fen: int,
    acct_fen: int,
    cap_left_fen: int,
    shares: tuple[S.PartShare, ...] | None,
    *,
    fund_note: str | None = None,
) -> list[dict[str, Any]]:
    """基金支付信息: the pooled fund's row (also when it pays nothing but an off-site rule applied:
    ``fund_note`` is its 结算过程信息) and the account's row."""
    rows = []
    if hifp_fen or fund_note:
        code, name = FUND_PAY_TYPE.get(insutype, ("999997", "其他基金"))
        rows.append(
            {
                "fund_pay_type": code,
                "inscp_scp_amt": money(inscp_fen),
                "crt_payb_lmt_amt": money(cap_left_fen),
                "fund_payamt": money(hifp_fen),
                "fund_pay_type_name": name,
                "setl_proc_info": fund_note,
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
                "setl_proc_info": S.describe(shares) if shares else None,
            }
        )
    return rows


# --- 个人负担 by part and source (seed 000; 001 第十六条; 003 二) ---------------------------------

SHARE_COLUMNS = {
    S.PART_IN_SCOPE: ("own_in_scope_fen", "family_in_scope_fen"),
    S.PART_PRESELFPAY: ("own_preselfpay_fen", "family_preselfpay_fen"),
    S.PART_OVERLMT: ("own_overlmt_fen", "family_overlmt_fen"),
    S.PART_FULAMT: ("own_fulamt_fen", "family_fulamt_fen"),
}
"""The settlement row's columns for what the own account and family funds paid of each part."""


def share_values(shares: tuple[S.PartShare, ...]) -> dict[str, int]:
    """The settlement row's share columns for ``shares``."""
    values: dict[str, int] = {}
    for share in shares:
        own, family = SHARE_COLUMNS[share.part]
        values[own], values[family] = share.own_fen, share.family_fen
    return values


def shares_of(row: Settlement) -> tuple[S.PartShare, ...] | None:
    """A stored settlement's split by part; None for a row settled before the split was kept."""
    amounts = {
        S.PART_IN_SCOPE: row.inscp_fen - row.fund_pay_sumamt_fen - row.hosp_part_amt_fen,
        S.PART_PRESELFPAY: row.preselfpay_fen,
        S.PART_OVERLMT: row.overlmt_selfpay_fen,
        S.PART_FULAMT: row.fulamt_ownpay_fen,
    }
    shares = []
    for part in S.PAYMENT_PARTS:
        own, family = (getattr(row, name) for name in SHARE_COLUMNS[part])
        if own is None or family is None:
            return None
        shares.append(S.PartShare(part, amounts[part], own, family))
    return tuple(shares)


def part_split(shares: tuple[S.PartShare, ...] | None) -> list[dict[str, Any]] | None:
    """``psn_part_split``, an extra setlinfo field (not in the national spec): each part of 个人负担
    (psn_part_amt) with what the own account (own_acct_pay), family funds (acct_mulaid_pay) and
    cash (psn_cash_pay) paid of it. The parts add up to psn_part_amt, the sources to its total."""
    if shares is None:
        return None
    return [
        {
            "part": s.part,
            "part_name": S.PART_ZH[s.part],
            "amount": money(s.amount_fen),
            "own_acct_pay": money(s.own_fen),
            "acct_mulaid_pay": money(s.family_fen),
            "psn_cash_pay": money(s.cash_fen),
        }
        for s in shares
    ]
