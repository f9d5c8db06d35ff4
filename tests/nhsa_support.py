"""Builders for the 两定 interface tests: a designated institution with a gateway key, and a
hospital-side client (adapters.nhsa.client.HisClient) that talks to the app in-process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from gongji.adapters.nhsa.client import HisClient, Key
from gongji.bootstrap import Gongji
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.institutions import keys, registry
from gongji.services.registry.context import Ctx
from tests import support as S


def setup_ctx(gj: Gongji, region: str) -> Ctx:
    """A province clerk for setting up tests (no user row: the audit shows user 0)."""
    clerk = auth.Principal(
        user_id=0, username="test_setup", role=Role.STAFF, display_name="测试", regions=(region[:2] + "0000",)
    )
    return Ctx(principal=clerk, channel=Channel("system"), clock=gj.clock)


def institution(
    gj: Gongji,
    code: str,
    *,
    region: str = "620702",
    kind: str = "hospital",
    level: int = 3,
    name: str | None = None,
) -> Key:
    """A designated institution registered and given a gateway key through the staff use cases;
    its system user ``his_<code>`` has the test password (some tests log in with it)."""
    ctx = setup_ctx(gj, region)

    def go(uow: Any) -> Key:
        registry.register(
            uow,
            ctx,
            code=code,
            name=name or f"测试{'医院' if kind == 'hospital' else '药房'}{code[-3:]}",
            kind=kind,
            level=level,
            region_code=region,
            agreement_start=date(2020, 1, 1),
        )
        auth.create_user(
            uow,
            username=f"his_{code}",
            password=S.PASSWORD,
            role=Role.INSTITUTION,
            display_name=code,
            fixmedins_code=code,
        )
        api_key, secret = keys.issue(uow, ctx, fixmedins_code=code)
        uow.commit()
        return Key(key_id=api_key.key_id, secret=secret)

    return gj.run(go)


def his(
    client: TestClient, gj: Gongji, code: str, key: Key, *, region: str = "620702", style: str = "body"
) -> HisClient:
    return HisClient(
        http=client,
        fixmedins_code=code,
        fixmedins_name=f"测试机构{code[-3:]}",
        region=region,
        key=key,
        style=style,  # type: ignore[arg-type]
        now=gj.clock.now,
    )


# --- helpers for tests/e2e/test_nhsa_interface.py ----------------------------------------------------


def yuan_text(fen: int) -> str:
    """Fen as the interface's decimal text (e.g. 452 → "4.52")."""
    from gongji.adapters.nhsa.client import yuan

    return yuan(fen)


def fee_row(
    *,
    psn_no: str,
    mdtrt_id: str,
    sn: str,
    code: str,
    cnt: int | str,
    pric_fen: int,
    chrg_bchno: str = "B1",
    rxno: str = "",
    rx_circ_flag: str = "0",
    fee_ocur_time: str = "2026-11-23 10:00:00",
) -> dict[str, Any]:
    """One 2204 feedetail row; det_item_fee_sumamt is ROUND_HALF_UP(cnt × pric) to the fen."""
    from decimal import ROUND_HALF_UP, Decimal

    amount = int((Decimal(str(cnt)) * pric_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": chrg_bchno,
        "rxno": rxno,
        "rx_circ_flag": rx_circ_flag,
        "fee_ocur_time": fee_ocur_time,
        "med_list_codg": code,
        "medins_list_codg": f"HIS-{code[-6:]}",
        "det_item_fee_sumamt": yuan_text(amount),
        "cnt": str(cnt),
        "pric": yuan_text(pric_fen),
        "bilg_dept_codg": "A03",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "李医生",
        "hosp_appr_flag": "1",
    }


def open_visit(his: HisClient, gj: Gongji, person_id: int, *, insutype: str = "310", ipt_otp_no: str = "") -> str:
    """1101 then 2201 for ``person_id``; returns the mdtrt_id."""
    certno = S.person_cert(gj, person_id)
    info = his.person_info(certno)
    assert info["infcode"] == 0, info
    psn_no = info["output"]["baseinfo"]["psn_no"]
    reg = his.register(
        psn_no, insutype, certno, S.person_name(gj, person_id), ipt_otp_no=ipt_otp_no or f"MZ{person_id}"
    )
    assert reg["infcode"] == 0, reg
    return str(reg["output"]["data"]["mdtrt_id"])


def snapshot(gj: Gongji, accounts: Sequence[str] = ()) -> dict[str, int]:
    """Row counts of everything a 两定 call may write, and the balances of ``accounts``."""
    from sqlalchemy import func, select

    from gongji.adapters.db import models as M
    from gongji.services import ledger

    tables = (
        M.Settlement,
        M.SettlementParty,
        M.Visit,
        M.FeeDetail,
        M.Prescription,
        M.NhsaMessage,
        M.LedgerTxn,
        M.LedgerPosting,
        M.FamilyPayment,
        M.FamilyDraw,
        M.BenefitAccumulator,
        M.AuditLog,
    )

    def go(uow: Any) -> dict[str, int]:
        counts = {t.__tablename__: int(uow.session.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
        balances = ledger.balances_of(uow, list(accounts)) if accounts else {}
        return counts | {f"balance:{code}": fen for code, fen in balances.items()}

    return gj.run(go)


def fen(value: Any) -> int:
    """A yuan amount of an answer (JSON number or text) in fen."""
    return int(Decimal(str(value)) * 100)


# --- 就诊凭证 (issue 13 §1) ----------------------------------------------------------------------


def ec_token(gj: Gongji, person_id: int, *, ttl_minutes: int = 5) -> str:
    """The text of a fresh 医保码 of ``person_id`` (as their page shows it); earlier ones retire."""
    from gongji.services.settlement import credentials

    who = S.citizen(gj, person_id)

    def go(uow: Any) -> str:
        issued = credentials.issue_token(uow, S.ctx(gj, who), ttl_minutes=ttl_minutes)
        uow.commit()
        return issued.text

    return gj.run(go)


def ssc_card(gj: Gongji, by: Any, person_id: int, number: str) -> str:
    """Record ``number`` as the person's social-security card (就诊凭证 03)."""
    from gongji.services.registry import cards

    def go(uow: Any) -> str:
        cards.record_card(uow, S.ctx(gj, by), person_id=person_id, ssc_no=number)
        uow.commit()
        return number

    return gj.run(go)


def reads(gj: Gongji, person_id: int) -> list[tuple[str, str, str | None]]:
    """(institution, outcome, credential type) of each recorded read of the person, oldest first."""
    from sqlalchemy import select

    from gongji.adapters.db.models import PersonRead

    def go(uow: Any) -> list[tuple[str, str, str | None]]:
        rows = uow.session.scalars(select(PersonRead).where(PersonRead.person_id == person_id).order_by(PersonRead.id))
        return [(r.fixmedins_code, r.outcome, r.mdtrt_cert_type) for r in rows]

    return gj.run(go)
