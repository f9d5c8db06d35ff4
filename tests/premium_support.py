"""Builders for the back office's premium tests: family-account premiums (代缴) paid through the
tax interface at chosen moments, by authorizers and relatives of chosen pooling regions (Gansu
profile: 390 individual premium 400.00 for 2027, collected 2026-09-01…12-31)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.services import auth
from gongji.services.auth import Principal, Role
from gongji.services.resident import premiums
from tests import support as S

DUE = 40_000
ZHANGYE, LANZHOU = "620702", "620102"  # 甘州区 (张掖市 620700), 城关区 (兰州市 620100)


@dataclass
class Pair:
    authorizer: Principal
    relative_id: int
    binding_id: int


def tax_user(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username=f"tax_{uuid.uuid4().hex[:8]}", password=S.PASSWORD, role=Role.TAX, display_name="税务"
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def pair(gj: Gongji, office: Principal, *, authorizer_region: str, relative_region: str) -> Pair:
    """An employee of ``authorizer_region`` who bound a child insured (390) in ``relative_region``
    and put one premium into the family account."""
    a = S.employee_citizen(gj, office, region=authorizer_region, income=100_000)
    child = S.resident(gj, office, region=relative_region, name="王小明")
    b = S.bind(gj, a, child, "child")
    S.allocate(gj, a, b["binding_id"], DUE)
    return Pair(a, child, b["binding_id"])


def pay(gj: Gongji, tax: Principal, p: Pair, at: datetime) -> dict:
    """The tax bureau forwards the relative's 2027 premium at ``at`` (Beijing time); paid."""
    gj.clock.at = at.replace(tzinfo=SHANGHAI)  # type: ignore[attr-defined]
    req = premiums.TaxPremiumRequest(
        request_id=f"TAX-{uuid.uuid4().hex[:20]}",
        payer_cert_no=S.person_cert(gj, p.authorizer.person_id),  # type: ignore[arg-type]
        relative_cert_no=S.person_cert(gj, p.relative_id),
        benefit_year=2027,
        amount_fen=DUE,
        insutype="390",
    )

    def go(uow: Any) -> dict:
        answer = premiums.tax_family_payment(uow, S.ctx(gj, tax), gj.profile, req)
        uow.commit()
        return answer

    answer = gj.run(go)
    assert answer["status"] == "paid", answer
    return answer
