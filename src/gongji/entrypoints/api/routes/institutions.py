"""Staff API of designated institutions and gateway keys (issue 13 §3; docs/institution-keys.md).

A key's secret is in the answer to its issue or rotation only; lists show it masked. Staff act
on institutions of their regions; tax-bureau keys are for province staff. Every change audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field, StrictInt

from gongji.entrypoints.api.deps import CtxDep, GjDep
from gongji.entrypoints.api.schemas import Body
from gongji.services.institutions import keys, registry

router = APIRouter(prefix="/api", tags=["institutions 定点医药机构与接入密钥"])


class InstitutionIn(Body):
    fixmedins_code: str = Field(pattern=r"^[A-Z][0-9]{11}$", description="定点医药机构编号")
    name: str = Field(min_length=2, max_length=100)
    kind: str = Field(pattern=r"^(hospital|pharmacy)$")
    level: StrictInt = Field(ge=0, le=3, description="医院 1-3，药店 0")
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="统筹区（医保区划）")
    agreement_start: date
    agreement_end: date | None = None


class StatusIn(Body):
    status: str = Field(pattern=r"^(active|suspended|ended)$")
    reason: str = Field(min_length=2, max_length=200)


class ReasonIn(Body):
    reason: str = Field(min_length=2, max_length=200)


class TaxKeyIn(Body):
    username: str = Field(min_length=3, max_length=50, description="税务接口账号")


def _write(gj: Any, action: Any) -> Any:
    def go(uow: Any) -> Any:
        result = action(uow)
        uow.commit()
        return result

    return gj.run(go)


def _shown(pair: tuple[Any, str]) -> dict[str, Any]:
    key, secret = pair
    return keys.masked(key) | {"secret": secret, "secret_shown_once": True}


@router.get("/institutions")
def list_institutions(
    gj: GjDep, ctx: CtxDep, region: str | None = Query(None, pattern=r"^[0-9]{6}$")
) -> dict[str, Any]:
    items = gj.run(lambda uow: registry.listing(uow, ctx, region=region, limit=1000))
    return {"items": items, "count": len(items)}


@router.post("/institutions", status_code=201)
def register_institution(body: InstitutionIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _write(gj, lambda uow: registry.view(registry.register(uow, ctx, code=body.fixmedins_code,
        name=body.name, kind=body.kind, level=body.level, region_code=body.region_code,
        agreement_start=body.agreement_start, agreement_end=body.agreement_end)))  # fmt: skip


@router.post("/institutions/{code}/status")
def set_status(code: str, body: StatusIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """暂停 / 恢复 / 终止协议 with a reason; the gateway refuses a suspended or ended institution."""
    return _write(
        gj, lambda uow: registry.view(registry.set_status(uow, ctx, code=code, status=body.status, reason=body.reason))
    )


@router.get("/institutions/{code}/keys")
def list_keys(code: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    items = gj.run(lambda uow: keys.listing(uow, ctx, fixmedins_code=code))
    return {"items": items, "count": len(items)}


@router.post("/institutions/{code}/keys", status_code=201)
def issue_key(code: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """A new key; ``secret`` is in this answer only."""
    return _shown(_write(gj, lambda uow: keys.issue(uow, ctx, fixmedins_code=code)))


@router.get("/tax-keys")
def list_tax_keys(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    items = gj.run(lambda uow: keys.listing(uow, ctx, tax=True))
    return {"items": items, "count": len(items)}


@router.post("/tax-keys", status_code=201)
def issue_tax_key(body: TaxKeyIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return _shown(_write(gj, lambda uow: keys.issue(uow, ctx, tax_username=body.username)))


@router.post("/keys/{key_id}/rotate", status_code=201)
def rotate_key(key_id: str, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The new key (``secret`` shown once); the old one is revoked at once."""
    return _shown(_write(gj, lambda uow: keys.rotate(uow, ctx, key_id=key_id)))


@router.post("/keys/{key_id}/revoke")
def revoke_key(key_id: str, body: ReasonIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return keys.masked(_write(gj, lambda uow: keys.revoke(uow, ctx, key_id=key_id, reason=body.reason)))
