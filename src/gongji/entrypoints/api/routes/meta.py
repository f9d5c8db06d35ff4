"""Health, the error-code list, the policy profile, and ledger checks for auditors."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from gongji.adapters.region_data import region_table
from gongji.domain.errors import InvalidRequest, UnknownCode, all_error_classes
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
def policy(
    gj: GjDep, province: str | None = None, benefit_year: int | None = None, region: str | None = None
) -> dict[str, Any]:
    """The policy profile this deployment runs (or another shipped one), with its demo figures.

    Figures not found in a source document are listed in ``demo_fields`` and must be shown as
    demo values (演示数据) wherever they are displayed. With ``benefit_year`` and ``region`` (a
    6-digit 医保区划), ``resident_terms`` gives the subsidy amounts, refund deadline, collection
    targets and remittance rule in force there and then, with their own ``demo_fields``.
    """
    code = province or gj.settings.province
    profile = gj.profiles.get(code)
    if profile is None:
        raise UnknownCode("策略配置不存在", "Unknown policy profile", field="province", value=code)
    answer: dict[str, Any] = {
        "code": profile.code,
        "name": profile.name,
        "active": code == gj.settings.province,
        "demo_fields": profile.demo_fields(),
        "profile": profile.model_dump(mode="json"),
    }
    if benefit_year is not None or region is not None:
        known = region is not None and region_table().is_known(region)
        if benefit_year is None or region is None or not known or not region.startswith(profile.profile.province_code):
            raise InvalidRequest(
                "请同时填写待遇年度和本省有效的6位区划代码",
                "benefit_year and a known 6-digit region of the province",
                field="region",
            )
        terms = profile.resident_terms(benefit_year, region)
        answer["resident_terms"] = {
            "benefit_year": terms.benefit_year,
            "region_code": terms.region_code,
            "subsidies": [s.model_dump(mode="json") for s in terms.subsidies],
            "refund": terms.refund.model_dump(mode="json"),
            "collection_target": [t.model_dump(mode="json") for t in terms.targets],
            "remittance": terms.remittance.model_dump(mode="json"),
            "demo_fields": terms.demo_fields(),
        }
    return answer
