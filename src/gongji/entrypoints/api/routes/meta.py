"""Health, the error-code list, and ledger checks for auditors."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from gongji.domain.errors import UnknownCode, all_error_classes
from gongji.entrypoints.api.deps import CurrentPrincipal, GjDep
from gongji.services import ledger
from gongji.services.auth import Role

router = APIRouter(tags=["meta 系统"])


@router.get("/healthz")
def healthz(gj: GjDep) -> dict[str, str]:
    with gj.engine.connect() as c:
        c.execute(text("SELECT 1"))
    return {"status": "ok", "database": gj.engine.dialect.name, "province": gj.settings.province}


@router.get("/api/errors")
def error_codes() -> list[dict[str, Any]]:
    """Every error code a client can get, with HTTP status and Chinese / English messages."""
    return [
        {
            "code": c.code,
            "http_status": c.http_status,
            "message": c.message_zh,
            "message_en": c.message_en,
            "class": c.__name__,
        }
        for c in all_error_classes()
    ]


@router.get("/api/ledger/check")
def check_ledger(gj: GjDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Σ postings = 0, balance = opening + postings, none negative (auditors)."""
    principal.require(Role.AUDITOR)
    with gj.uow() as uow:
        result = ledger.check_ledger(uow)
    return asdict(result) | {"ok": result.ok}


@router.get("/api/policy")
def policy(gj: GjDep, province: str | None = None) -> dict[str, Any]:
    """The policy profile this deployment runs (or another shipped one), with its demo figures.

    Figures not found in a source document are listed in ``demo_fields`` and must be shown as
    demo values (演示数据) wherever they are displayed.
    """
    code = province or gj.settings.province
    profile = gj.profiles.get(code)
    if profile is None:
        raise UnknownCode("策略配置不存在", "Unknown policy profile", field="province", value=code)
    return {
        "code": profile.code,
        "name": profile.name,
        "active": code == gj.settings.province,
        "demo_fields": profile.demo_fields(),
        "profile": profile.model_dump(mode="json"),
    }
