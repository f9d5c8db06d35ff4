"""A Zhejiang province with two cities for the back-office tests (issue 15): employees of
杭州市西湖区 and 宁波市海曙区 with past-years balances (the funds family members draw on in
Zhejiang, seed 003), a level-1 hospital in each city, settlements through the 两定 interface."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import Settlement
from gongji.bootstrap import Gongji, bootstrap
from gongji.entrypoints.api.app import create_app
from gongji.services.registry import accounts
from tests import nhsa_support as N
from tests import support as S

HANGZHOU = "330106"  # 杭州市西湖区
NINGBO = "330203"  # 宁波市海曙区
WENZHOU = "330302"  # 温州市鹿城区
HOSPITALS = {HANGZHOU: "H33010600001", NINGBO: "H33020300001", WENZHOU: "H33030200001"}


@dataclasses.dataclass
class Province:
    gj: Gongji
    client: TestClient
    office: Any
    his: dict[str, Any]


def zhejiang(gj: Gongji, clock: Any) -> Iterator[Province]:
    zj = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=clock)
    with TestClient(create_app(zj), raise_server_exceptions=False) as c:
        office = S.staff(zj, ["330000"], username="staff_zj_province")
        his = {}
        for region, code in HOSPITALS.items():
            key = N.institution(zj, code, region=region, level=1)
            his[region] = N.his(c, zj, code, key, region=region)
        yield Province(zj, c, office, his)
    zj.engine.dispose()


def giver(p: Province, region: str, name: str, past_fen: int) -> int:
    """An employee of ``region`` with ``past_fen`` in the past-years account (rolled over from 2025)."""
    person = S.employee(p.gj, p.office, region=region, name=name, birth=date(1960, 1, 1), income_fen=past_fen)

    def rollover(uow: Any) -> None:
        accounts.year_end_rollover(uow, S.ctx(p.gj, p.office), year=2025, person_ids=[person])
        uow.commit()

    p.gj.run(rollover)
    return person


def relative_of(p: Province, authorizer: int, region: str, name: str) -> int:
    """An employee of ``region`` with nothing of their own, bound to ``authorizer``."""
    person = S.employee(p.gj, p.office, region=region, name=name, birth=date(1990, 1, 1))
    S.bind(p.gj, S.citizen(p.gj, authorizer), person, "child")
    return person


def settle(p: Province, at_region: str, person_id: int, fee_fen: int) -> dict[str, Any]:
    """2206 + 2207 of ``fee_fen`` in-policy self-pay at the hospital of ``at_region`` (level 1:
    the deductible of 200.00 leaves the fund nothing below it), paid with family funds (flag 2)."""
    his = p.his[at_region]
    mdtrt_id = N.open_visit(his, p.gj, person_id)
    args = dict(
        psn_no=str(person_id),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=S.person_cert(p.gj, person_id),
        medfee_fen=fee_fen,
        acct_used_flag="2",
        parts={"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": fee_fen},
    )
    pre = his.call("2206", his.settle_input(**args))
    assert pre["infcode"] == 0, pre
    done = his.call("2207", his.settle_input(**args))
    assert done["infcode"] == 0, done
    return dict(done["output"]["setlinfo"])


def cancel(p: Province, at_region: str, info: dict[str, Any]) -> None:
    out = p.his[at_region].call(
        "2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"]}}
    )
    assert out["infcode"] == 0, out


def settlement_ids(p: Province) -> list[int]:
    return p.gj.run(lambda uow: list(uow.session.scalars(select(Settlement.id).order_by(Settlement.id))))
