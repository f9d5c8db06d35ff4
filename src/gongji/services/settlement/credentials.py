"""The person at the counter is the person charged (issue 13 §1): 就诊凭证 → person.

1101, 2201, 2206 and 2207 name the person by the credential the HIS read
(``mdtrt_cert_type`` / ``mdtrt_cert_no``, ``domain.credentials``): 01 the 医保码 token the
citizen's page shows, 02 the ID card, 03 the social-security card. A ``psn_no`` or ``certno``
of anyone else is refused with :class:`CredentialMismatch`, which says nothing about either
person; the interface then records the refused attempt (``refusal_rows``).

A 医保码 token lives for minutes (``Settings.ec_token_ttl_minutes``) and serves one visit:
1101 reads with a live token (or one this institution has used, before it expires); 2201 uses
it, binding it to the visit it opens; 2206/2207 accept the token bound to their visit even
after it expired — the visit was opened with it — or a live one of the same person, which they
bind to the visit. A new code replaces the person's live ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from gongji.adapters.db.models import EcToken, Institution, Person, PersonRead, Visit
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import credentials as C
from gongji.domain.errors import (
    CredentialInvalid,
    CredentialMismatch,
    Forbidden,
    InvalidRequest,
    PersonUnknown,
    UnknownCode,
)
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event

EC_SECRET_ENV = "GONGJI_EC_SECRET"
DEV_EC_SECRET = b"gongji-DEV-ONLY-ec-token-secret--set-GONGJI_EC_SECRET"
"""Used when ``GONGJI_EC_SECRET`` is unset: fine for a laptop, never for production."""

LIVE, USED, REPLACED = "live", "used", "replaced"
READ, REFUSED = "read", "refused"


def ec_secret() -> bytes:
    value = os.environ.get(EC_SECRET_ENV, "")
    if not value:
        return DEV_EC_SECRET
    secret = value.encode("utf-8")
    if len(secret) < C.MIN_SECRET_BYTES:
        raise ValueError(f"{EC_SECRET_ENV} must be at least {C.MIN_SECRET_BYTES} bytes")
    return secret


def _aware(value: datetime, now: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


# --- the citizen's 医保码 ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    text: str
    expires_at: datetime
    ttl_minutes: int


def issue_token(uow: UnitOfWork, ctx: Ctx, *, ttl_minutes: int) -> IssuedToken:
    """A new 医保码 for the signed-in citizen; their earlier live codes stop working."""
    ctx.principal.require(Role.CITIZEN)
    person_id = ctx.principal.person_id
    if person_id is None:
        raise Forbidden("该账号未关联参保人员", "No person linked to this account")
    if not 1 <= ttl_minutes <= 60:
        raise ValueError("ec_token_ttl_minutes must be 1..60")
    now = ctx.clock.now()
    uow.session.execute(
        update(EcToken).where(EcToken.person_id == person_id, EcToken.status == LIVE).values(status=REPLACED)
    )
    nonce = C.new_nonce()
    expires = now + timedelta(minutes=ttl_minutes)
    uow.session.add(EcToken(nonce=nonce, person_id=person_id, issued_at=now, expires_at=expires, status=LIVE))
    uow.session.flush()
    audit_event(uow, ctx, "ec_token.issue", "person", person_id, expires_at=expires.isoformat())
    return IssuedToken(text=C.token_text(nonce, ec_secret()), expires_at=expires, ttl_minutes=ttl_minutes)


# --- identifying the person ------------------------------------------------------------------


@dataclass(frozen=True)
class Presented:
    """The credential a HIS sent and whose it is."""

    cert_type: str
    person: Person
    token: EcToken | None = None


def _token(uow: UnitOfWork, number: str) -> EcToken:
    nonce = C.token_nonce(number, ec_secret())
    token = uow.session.scalar(select(EcToken).where(EcToken.nonce == nonce)) if nonce else None
    if token is None:
        raise CredentialInvalid("医保码无效，请患者出示本人的医保码", "Not a valid 医保码 token", field="mdtrt_cert_no")
    return token


def identify(uow: UnitOfWork, data: dict[str, Any]) -> Presented:
    """The person of ``mdtrt_cert_type`` / ``mdtrt_cert_no``; unknown credentials all get the
    same PersonUnknown (no enumeration), a bad 医保码 CredentialInvalid."""
    cert_type = str(data.get("mdtrt_cert_type") or "").strip()
    number = str(data.get("mdtrt_cert_no") or "").strip()
    if cert_type not in C.CERT_TYPES:
        raise UnknownCode(
            "就诊凭证类型须为01医保电子凭证、02居民身份证或03社会保障卡",
            "mdtrt_cert_type must be 01, 02 or 03",
            field="mdtrt_cert_type",
        )
    if not number:
        raise InvalidRequest("请提供就诊凭证编号", "mdtrt_cert_no is required", field="mdtrt_cert_no")
    token = None
    if cert_type == C.EC_TOKEN:
        token = _token(uow, number)
        person = uow.session.get(Person, token.person_id)
    elif cert_type == C.ID_CARD:
        person = uow.session.scalar(select(Person).where(Person.cert_type == "01", Person.cert_no == number.upper()))
    else:
        person = uow.session.scalar(select(Person).where(Person.ssc_no == number.upper()))
    if person is None:
        raise PersonUnknown(field="mdtrt_cert_no")
    return Presented(cert_type=cert_type, person=person, token=token)


def require_same_person(presented: Presented, data: dict[str, Any]) -> None:
    """``psn_no`` and ``certno``, when sent, must be the credential's person's."""
    person = presented.person
    psn_no = data.get("psn_no")
    claimed: int | None = None
    if psn_no not in (None, ""):
        text = str(psn_no).strip()
        claimed = int(text) if text.isdigit() and len(text) <= 18 else -1
    certno = data.get("certno")
    wrong_cert = certno not in (None, "") and str(certno).strip().upper() != person.cert_no
    if (claimed is not None and claimed != person.id) or wrong_cert:
        others = (claimed,) if claimed is not None and claimed > 0 and claimed != person.id else ()
        raise CredentialMismatch(field="mdtrt_cert_no", attempts=(person.id, *others), cert_type=presented.cert_type)


def _expired(token: EcToken, now: datetime) -> bool:
    return _aware(token.expires_at, now) <= now


def _refuse_token(why: str) -> CredentialInvalid:
    return CredentialInvalid(
        f"医保码{why}，请患者刷新医保码后重新扫码", f"The 医保码 token is {why}", field="mdtrt_cert_no"
    )


def for_reading(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> Presented:
    """1101: the credential's person; a token must be live, or used here and not yet expired."""
    presented = identify(uow, data)
    require_same_person(presented, data)
    token = presented.token
    if token is not None:
        if _expired(token, ctx.clock.now()):
            raise _refuse_token("已过期")
        if token.status == REPLACED or (token.status == USED and token.fixmedins_code != institution.fixmedins_code):
            raise _refuse_token("已失效")
    return presented


def for_new_visit(uow: UnitOfWork, ctx: Ctx, institution: Institution, data: dict[str, Any]) -> Presented:
    """2201: the credential must be ``psn_no``'s; a token must be live (it is used by the visit)."""
    presented = identify(uow, data)
    require_same_person(presented, data)
    token = presented.token
    if token is not None:
        if _expired(token, ctx.clock.now()):
            raise _refuse_token("已过期")
        if token.status != LIVE:
            raise _refuse_token("已使用" if token.status == USED else "已失效")
    return presented


def for_settlement(
    uow: UnitOfWork, ctx: Ctx, institution: Institution, visit: Visit, data: dict[str, Any], *, bind: bool
) -> None:
    """2206/2207: the credential must be the visit's person's; a token must be the one that
    opened this visit, or a live one of the same person (2207 binds it to this visit)."""
    presented = identify(uow, data)
    require_same_person(presented, data)
    if presented.person.id != visit.person_id:
        raise CredentialMismatch(
            field="mdtrt_cert_no", attempts=(presented.person.id, visit.person_id), cert_type=presented.cert_type
        )
    token = presented.token
    if token is None or token.visit_id == visit.id:
        return
    if _expired(token, ctx.clock.now()) or token.status != LIVE:
        raise _refuse_token("已过期" if _expired(token, ctx.clock.now()) else "已使用")
    if bind:
        use_token(uow, ctx, institution, token, visit)


def use_token(uow: UnitOfWork, ctx: Ctx, institution: Institution, token: EcToken, visit: Visit) -> None:
    """Bind a live token to ``visit``; a conditional UPDATE, so of two calls racing with the
    same token one wins and the other is refused (one visit per token)."""
    result = uow.session.execute(
        update(EcToken)
        .where(EcToken.id == token.id, EcToken.status == LIVE)
        .values(status=USED, used_at=ctx.clock.now(), fixmedins_code=institution.fixmedins_code, visit_id=visit.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        raise _refuse_token("已使用")
    uow.session.refresh(token)


# --- the read history ------------------------------------------------------------------------


def record(
    uow: UnitOfWork,
    *,
    person_id: int,
    institution_code: str,
    infno: str,
    cert_type: str | None,
    outcome: str,
    opter: object,
    msgid: str,
    at: datetime,
) -> None:
    uow.session.add(
        PersonRead(
            person_id=person_id,
            fixmedins_code=institution_code,
            infno=infno,
            mdtrt_cert_type=cert_type if cert_type in C.CERT_TYPES else None,
            outcome=outcome,
            opter=str(opter)[:30] if opter not in (None, "") else None,
            msgid=msgid[:64],
            at=at,
        )
    )


def record_refusal(
    uow: UnitOfWork,
    err: CredentialMismatch,
    *,
    institution_code: str,
    infno: str,
    opter: object,
    msgid: str,
    at: datetime,
) -> None:
    """After the refused call was rolled back: one ``refused`` row per person concerned (the
    credential's holder and the person it was used for), so both see the attempt."""
    for person_id in dict.fromkeys(err.attempts):
        if uow.session.get(Person, person_id) is not None:
            record(
                uow,
                person_id=person_id,
                institution_code=institution_code,
                infno=infno,
                cert_type=err.cert_type,
                outcome=REFUSED,
                opter=opter,
                msgid=msgid,
                at=at,
            )
