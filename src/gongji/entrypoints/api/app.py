"""The FastAPI application: JSON API under /api, pages for citizens and staff, /docs, /healthz."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gongji import __version__
from gongji.bootstrap import Gongji, bootstrap
from gongji.entrypoints.api import docs, errors
from gongji.entrypoints.api.routes import accounting as accounting_api
from gongji.entrypoints.api.routes import (
    auth,
    credentials,
    family,
    meta,
    nhsa,
    offsite,
    onething,
    registry,
    resident,
    subsidies,
    tax,
)
from gongji.entrypoints.api.routes import calendar as calendar_api
from gongji.entrypoints.api.routes import clearing as clearing_api
from gongji.entrypoints.api.routes import collection as collection_api
from gongji.entrypoints.api.routes import collection_followup as collection_followup_api
from gongji.entrypoints.api.routes import institution_payments as institution_payments_api
from gongji.entrypoints.api.routes import institutions as institutions_api
from gongji.entrypoints.api.routes import month_end as month_end_api
from gongji.entrypoints.api.routes import premium_clearing as premium_clearing_api
from gongji.entrypoints.api.routes import prescriptions as prescriptions_api
from gongji.entrypoints.api.routes import reimbursement as reimbursement_api
from gongji.entrypoints.api.schemas import ERROR_RESPONSES

WEB = Path(__file__).parent.parent / "web"


def create_app(gj: Gongji | None = None) -> FastAPI:
    gj = gj or bootstrap()
    app = FastAPI(
        docs_url=None,  # /docs and /redoc: entrypoints/api/docs.py, assets from a package, no CDN
        redoc_url=None,
        title="共济 Gongji API",
        version=__version__,
        description="基本医疗保险：个人账户家庭共济、居民参保缴费、两定结算、后台清算。错误码列表见 /api/errors。",
        responses=ERROR_RESPONSES,
    )
    app.state.gj = gj
    errors.install(app)
    docs.install(app)
    for module in (
        meta,
        auth,
        registry,
        credentials,
        family,
        nhsa,
        tax,
        resident,
        subsidies,
        offsite,
        onething,
        calendar_api,
        institutions_api,
        premium_clearing_api,
        clearing_api,
        accounting_api,
        month_end_api,
        reimbursement_api,
        institution_payments_api,
        prescriptions_api,
        collection_followup_api,
        collection_api,
    ):
        app.include_router(module.router)
    from gongji.entrypoints.web import (
        account_pages,
        credential_pages,
        family_fraud_pages,
        family_pages,
        income_pages,
        pages,
        resident_pages,
        subsidy_recovery_pages,
    )

    app.include_router(account_pages.router)
    app.include_router(pages.router)
    from gongji.entrypoints.web import (
        audit_pages,
        person_list_pages,
        region_picker,
        roster_excel_pages,
        settlement_pages,
    )

    app.include_router(roster_excel_pages.router)  # before /staff/resident/{kind}/{id}
    from gongji.entrypoints.web import registration_list_pages

    app.include_router(registration_list_pages.router)
    from gongji.entrypoints.web import staff_list_pages

    app.include_router(staff_list_pages.router)  # before offsite_pages' /staff/offsite/{rid}

    app.include_router(audit_pages.router)
    app.include_router(settlement_pages.router)
    app.include_router(person_list_pages.router)
    app.include_router(region_picker.router)
    app.include_router(income_pages.router)
    from gongji.entrypoints.web import institution_pages

    app.include_router(institution_pages.router)
    app.include_router(credential_pages.router)
    app.include_router(family_pages.router)
    app.include_router(family_fraud_pages.router)
    app.include_router(subsidy_recovery_pages.router)
    app.include_router(resident_pages.router)
    from gongji.entrypoints.web import offsite_pages, premium_pages, refund_pages, roster_pages

    app.include_router(premium_pages.router)
    app.include_router(refund_pages.router)
    app.include_router(roster_pages.router)
    app.include_router(offsite_pages.router)
    from gongji.entrypoints.web import prescription_pages

    app.include_router(prescription_pages.router)
    from gongji.entrypoints.web import onething_pages

    app.include_router(onething_pages.router)
    from gongji.entrypoints.web import calendar_pages

    app.include_router(calendar_pages.router)
    from gongji.entrypoints.web import premium_clearing_pages

    app.include_router(premium_clearing_pages.router)
    from gongji.entrypoints.web import clearing_pages

    app.include_router(clearing_pages.router)
    from gongji.entrypoints.web import accounting_pages

    app.include_router(accounting_pages.router)
    from gongji.entrypoints.web import reimbursement_pages

    app.include_router(reimbursement_pages.router)
    from gongji.entrypoints.web import institution_payment_pages

    app.include_router(institution_payment_pages.router)
    from gongji.entrypoints.web import collection_followup_pages

    app.include_router(collection_followup_pages.router)
    from gongji.entrypoints.web import collection_work_pages

    app.include_router(collection_work_pages.router)
    from gongji.entrypoints.web import month_end_pages

    app.include_router(month_end_pages.router)
    from gongji.entrypoints.web import collection_pages

    app.include_router(collection_pages.router)
    from gongji.entrypoints.web import document_pages, message_pages

    app.include_router(message_pages.router)
    app.include_router(document_pages.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    return app
