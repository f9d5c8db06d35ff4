"""The gateway check of a signed request (docs/his-signing.md), for the 两定 interface and the
tax bureau's interface alike.

In order: the headers, the timestamp (±5 minutes), the key (known, of the right holder, not
revoked, its user active), the signature over method, path, timestamp, nonce, key, ``_api_name``
and the body's SHA-256, the holder (an institution must be in an active agreement), the expected
``_api_name`` (the body's ``infno``), and last the nonce: inserted under a unique constraint and
committed by :func:`admit` in its own transaction, so it is spent even when the call it carried
is refused later, and a second use fails whatever the concurrency. Expired nonces of the key are
deleted on the way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from gongji.adapters.db.models import ApiKey, AppUser, GatewayNonce, Institution
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.nhsa import gateway_auth
from gongji.domain.errors import (
    GatewayApiName,
    GatewayHolderInactive,
    GatewayKeyRevoked,
    GatewayNonceReused,
    GatewayRefusal,
    GatewayUnknownKey,
)
from gongji.services import auth
from gongji.services.institutions import keys

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Admitted:
    """Who signed an admitted request (plain values: it crosses transactions)."""

    key_id: str
    holder: str
    fixmedins_code: str | None
    principal: auth.Principal


@dataclass(frozen=True)
class Request:
    headers: Mapping[str, str]
    method: str
    path: str  # with ``?query`` when there is one, exactly as sent
    body: bytes


def refusal_body(err: GatewayRefusal) -> dict[str, Any]:
    """The gateway's answer: the national ``{"code", "message"}`` plus our code and English text."""
    return {"code": err.http_status, "message": err.message_zh, "error_code": err.code, "message_en": err.message_en}


def institution_active(inst: Institution, today: date) -> bool:
    in_term = (inst.agreement_start is None or inst.agreement_start <= today) and (
        inst.agreement_end is None or today <= inst.agreement_end
    )
    return inst.status == "active" and in_term


def check(
    uow: UnitOfWork, request: Request, *, holder: str, api_name: str | None, now: datetime, today: date
) -> Admitted:
    """Every check but the nonce; raises a GatewayRefusal."""
    claim = gateway_auth.parse_headers(request.headers)
    gateway_auth.check_time(claim, now)
    row = uow.session.execute(
        select(ApiKey, AppUser).join(AppUser, AppUser.id == ApiKey.user_id).where(ApiKey.key_id == claim.key_id)
    ).first()
    if row is None or row[0].holder != holder or not row[1].active:
        raise GatewayUnknownKey()
    key, user = row
    if key.status != "active":
        raise GatewayKeyRevoked(key_id=key.key_id, replaced_by=key.replaced_by)
    secret = keys.secret_of(key)
    if secret is None:
        log.error("gateway key %s no longer matches the key pepper (was GONGJI_KEY_PEPPER changed?)", key.key_id)
        raise GatewayUnknownKey()
    gateway_auth.verify(claim, secret=secret, method=request.method, path=request.path, body=request.body)
    if key.holder == keys.INSTITUTION:
        inst = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == key.fixmedins_code))
        if inst is None or not institution_active(inst, today):
            raise GatewayHolderInactive(fixmedins_code=key.fixmedins_code)
    if api_name is not None and claim.api_name != api_name:
        raise GatewayApiName(api_name=claim.api_name, expected=api_name)
    principal = auth.principal_of(uow, user)
    return Admitted(key_id=key.key_id, holder=key.holder, fixmedins_code=key.fixmedins_code, principal=principal)


def spend_nonce(uow: UnitOfWork, *, key_id: str, nonce: str, signed_at: datetime, now: datetime) -> None:
    """Insert the nonce (kept until the signed timestamp leaves the window); a second use → refused.
    Times are stored in UTC (SQLite compares them as text)."""
    now, signed_at = now.astimezone(UTC), signed_at.astimezone(UTC)
    uow.session.execute(delete(GatewayNonce).where(GatewayNonce.key_id == key_id, GatewayNonce.expires_at < now))
    uow.session.add(GatewayNonce(key_id=key_id, nonce=nonce, expires_at=signed_at + gateway_auth.WINDOW))
    try:
        uow.session.flush()
    except IntegrityError:
        uow.session.rollback()
        raise GatewayNonceReused() from None


def admit(
    run: Callable[[Callable[[UnitOfWork], Admitted]], Admitted],
    request: Request,
    *,
    holder: str,
    api_name: str | None,
    clock: Any,
) -> Admitted:
    """Check the request and spend its nonce in one committed transaction of its own."""

    def go(uow: UnitOfWork) -> Admitted:
        now = clock.now()
        admitted = check(uow, request, holder=holder, api_name=api_name, now=now, today=clock.today())
        claim = gateway_auth.parse_headers(request.headers)
        spend_nonce(uow, key_id=admitted.key_id, nonce=claim.nonce, signed_at=claim.timestamp, now=now)
        uow.commit()
        return admitted

    return run(go)
