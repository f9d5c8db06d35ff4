"""Medical credentials API (issue 13 §1): the citizen's 医保码 token, the social-security card
number, and which institutions read a person (staff: any person of their regions; citizen:
themself)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from gongji.domain.errors import Forbidden
from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.auth import Role
from gongji.services.registry import cards
from gongji.services.settlement import credentials, person_reads

router = APIRouter(prefix="/api", tags=["credentials 就诊凭证"])


class CardIn(Body):
    ssc_no: str = Field(min_length=1, max_length=20, description="社会保障卡卡号")


def _citizen(ctx: Any) -> int:
    if ctx.principal.role is not Role.CITIZEN or ctx.principal.person_id is None:
        raise Forbidden("仅参保人可查看", "Citizens only")
    return int(ctx.principal.person_id)


@router.post("/me/ec-token", status_code=201)
def issue_ec_token(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """A new 医保码 token (医保电子凭证, ``mdtrt_cert_type`` 01); the earlier one stops working."""
    _citizen(ctx)

    def go(uow: Any) -> dict[str, Any]:
        issued = credentials.issue_token(uow, ctx, ttl_minutes=gj.settings.ec_token_ttl_minutes)
        uow.commit()
        return {
            "mdtrt_cert_type": "01",
            "token": issued.text,
            "expires_at": issued.expires_at.isoformat(),
            "ttl_minutes": issued.ttl_minutes,
        }

    return gj.run(go)


@router.get("/me/reads")
def my_reads(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Which institutions read my insurance information (1101), and refused uses of my credential."""
    person_id = _citizen(ctx)
    items = gj.run(lambda uow: person_reads.reads_of(uow, ctx, person_id=person_id, limit=100))
    return {"items": items, "count": len(items)}


@router.get("/persons/{person_id}/reads")
def person_reads_list(person_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Which institutions read this person (staff in scope or auditor; the list is audited)."""

    def go(uow: Any) -> dict[str, Any]:
        items = person_reads.reads_of(uow, ctx, person_id=person_id, limit=200)
        uow.commit()  # the audit row of the read
        return {"items": items, "count": len(items)}

    return gj.run(go)


@router.post("/persons/{person_id}/ssc-card")
def record_card(person_id: int, body: CardIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Record or replace the social-security card number (就诊凭证 03); answered masked."""

    def go(uow: Any) -> dict[str, Any]:
        person = cards.record_card(uow, ctx, person_id=person_id, ssc_no=body.ssc_no)
        uow.commit()
        return {"person_id": person.id, "ssc_no": cards.masked_card(person.ssc_no)}

    return gj.run(go)
