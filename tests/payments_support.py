"""A month at 杭州市西湖区's hospital for the payment-of-institutions tests (issue 15 §2; seed 003
附件 二(一), 二(二)2), and the hospital's 3201/3202 reconciliations through the 两定 interface."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Settlement
from gongji.adapters.nhsa.client import yuan
from gongji.domain.clock import SHANGHAI
from gongji.services.settlement import reconciliation as R
from tests import backoffice_support as B
from tests import support as S

HZ_HOSPITAL = B.HOSPITALS[B.HANGZHOU]
NB_HOSPITAL = B.HOSPITALS[B.NINGBO]
MONTH = "2026-11"


def at(clock: Any, when: str) -> None:
    clock.at = datetime.fromisoformat(when).replace(tzinfo=SHANGHAI)


def november_at_hangzhou(p: B.Province) -> dict[str, Any]:
    """At the 西湖区 hospital in November (five rows): a relative whose authorizer is of the same
    region draws 80.00 on family funds; one whose authorizer is insured in 宁波 draws 30.00
    (advanced in full by the region of care, 二(二)2); 20.00 settled then cancelled (the reversal
    row nets it out); the authorizer's own visit of 500.00 with a fund share. At the 海曙区
    hospital: 40.00 of family funds (another region's statement)."""
    hz = B.giver(p, B.HANGZHOU, "钱大", 900_00)
    nb = B.giver(p, B.NINGBO, "孙大", 500_00)
    hz_child = B.relative_of(p, hz, B.HANGZHOU, "钱一")
    nb_child = B.relative_of(p, nb, B.HANGZHOU, "孙一")
    kept = [B.settle(p, B.HANGZHOU, hz_child, 80_00), B.settle(p, B.HANGZHOU, nb_child, 30_00)]
    cancelled = B.settle(p, B.HANGZHOU, hz_child, 20_00)
    B.cancel(p, B.HANGZHOU, cancelled)
    kept.append(B.settle(p, B.HANGZHOU, hz, 500_00))
    ningbo = B.settle(p, B.NINGBO, B.relative_of(p, nb, B.NINGBO, "孙二"), 40_00)
    return {"kept": kept, "cancelled": cancelled, "ningbo": ningbo, "people": (hz, nb, hz_child, nb_child)}


def rows(p: B.Province, code: str) -> list[Settlement]:
    def go(uow: Any) -> list[Settlement]:
        found = list(
            uow.session.scalars(select(Settlement).where(Settlement.fixmedins_code == code).order_by(Settlement.id))
        )
        uow.session.expunge_all()
        return found

    return p.gj.run(go)


def reconcile_totals(
    p: B.Province, region: str, code: str, *, adjust: dict[str, dict[str, int]] | None = None
) -> list[dict[str, Any]]:
    """3201 for the whole month per clearing agency, with the institution's own figures (refunds
    included), changed by ``adjust[setl_optins]``; the answers' ``stmtinfo``."""
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows(p, code):
        g = groups.setdefault((r.insutype, r.insured_region), {"medfee": 0, "fund": 0, "acct": 0, "count": 0})
        g["medfee"] += r.medfee_fen
        g["fund"] += r.fund_pay_sumamt_fen
        g["acct"] += r.acct_pay_fen
        g["count"] += 1
    answers = []
    for (insutype, optins), g in sorted(groups.items()):
        g = g | (adjust or {}).get(optins, {})
        out = p.his[region].call(
            "3201",
            {
                "data": {
                    "insutype": insutype,
                    "clr_type": "11",
                    "setl_optins": optins,
                    "stmt_begndate": date(2026, 11, 1).isoformat(),
                    "stmt_enddate": date(2026, 11, 30).isoformat(),
                    "medfee_sumamt": yuan(g["medfee"]),
                    "fund_pay_sumamt": yuan(g["fund"]),
                    "acct_pay": yuan(g["acct"]),
                    "fixmedins_setl_cnt": g["count"],
                    "fixmedins_refd_setl_flag": "1",
                }
            },
        )
        assert out["infcode"] == 0, out
        answers.append(out["output"]["stmtinfo"])
    return answers


def reconcile_details(p: B.Province, region: str, code: str, optins: str, *, leave_out: int | None = None) -> Any:
    """3202 for the month and one clearing agency, the institution's file missing ``leave_out``."""
    lines = [
        {
            "setl_id": str(r.id),
            "mdtrt_id": str(r.visit_id),
            "psn_no": str(r.person_id),
            "medfee_sumamt": r.medfee_fen,
            "fund_pay_sumamt": r.fund_pay_sumamt_fen,
            "acct_pay": r.acct_pay_fen,
            "refd_setl_flag": r.refd_setl_flag,
        }
        for r in rows(p, code)
        if r.insured_region == optins and r.id != leave_out
    ]
    content = R.build_detail_file(lines)
    his = p.his[region]
    up = his.call("9101", {"fsUploadIn": {"in": list(content), "filename": "detail.zip", "fixmedins_code": code}})
    assert up["infcode"] == 0, up
    out = his.call(
        "3202",
        {
            "data": {
                "setl_optins": optins,
                "file_qury_no": up["output"]["file_qury_no"],
                "stmt_begndate": "2026-11-01",
                "stmt_enddate": "2026-11-30",
                "medfee_sumamt": yuan(sum(x["medfee_sumamt"] for x in lines)),
                "fund_pay_sumamt": yuan(sum(x["fund_pay_sumamt"] for x in lines)),
                "cash_payamt": yuan(sum(x["medfee_sumamt"] - x["fund_pay_sumamt"] - x["acct_pay"] for x in lines)),
                "fixmedins_setl_cnt": len(lines),
                "clr_type": "11",
                "fixmedins_refd_setl_flag": "1",
            }
        },
    )
    assert out["infcode"] == 0, out
    return out["output"]


def call(p: B.Province, who: Any, fn: Any, *args: Any, **kw: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow, S.ctx(p.gj, who), *args, **kw)
        uow.commit()
        return getattr(out, "id", out)

    return p.gj.run(go)


def login_institution(p: B.Province, code: str = HZ_HOSPITAL) -> Any:
    """The principal of the hospital's own user (``his_<code>``, role institution)."""
    from gongji.adapters.db.models import AppUser
    from gongji.services import auth

    def go(uow: Any) -> Any:
        user = uow.session.scalars(select(AppUser).where(AppUser.username == f"his_{code}")).one()
        return auth.principal_of(uow, user)

    return p.gj.run(go)
