"""Gateway keys of designated institutions and of the tax bureau (docs/institution-keys.md).

A key is a public ``key_id`` and a secret shown once, at issue or rotation. HMAC-signed
requests need the server to know the secret, so instead of storing it (in clear or hashed) the
server *derives* it::

    secret = "gjs_" + base64url(HMAC-SHA256(pepper, "gongji-gateway-key\\n" + key_id + "\\n" + salt))

with a random per-key ``salt`` and the server's key pepper (``$GONGJI_KEY_PEPPER``, kept outside
the database). The table holds the salt, the secret's SHA-256 (checked at every use, so a changed
pepper fails closed) and its first eight characters. A copy of the database alone yields no key.

Institution keys: staff of the institution's region. Tax keys: province staff only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import ApiKey, AppUser
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound, OutOfRegion
from gongji.domain.registry import scope_prefix
from gongji.services import auth
from gongji.services.auth import Role
from gongji.services.institutions import registry
from gongji.services.registry.context import Ctx, audit_event, require_reason

PEPPER_ENV = "GONGJI_KEY_PEPPER"
DEV_PEPPER = b"gongji-DEV-ONLY-key-pepper--set-GONGJI_KEY_PEPPER"
"""Used when ``GONGJI_KEY_PEPPER`` is unset: fine for a laptop, never for production."""
MIN_PEPPER_BYTES = 32
INSTITUTION, TAX = "institution", "tax"
HOLDERS = {INSTITUTION: "定点医药机构", TAX: "税务部门"}


def pepper() -> bytes:
    value = os.environ.get(PEPPER_ENV, "")
    if not value:
        return DEV_PEPPER
    if len(value.encode()) < MIN_PEPPER_BYTES:
        raise ValueError(f"{PEPPER_ENV} must be at least {MIN_PEPPER_BYTES} bytes")
    return value.encode()


def derive(key_id: str, salt: str) -> str:
    mac = hmac.new(pepper(), f"gongji-gateway-key\n{key_id}\n{salt}".encode(), hashlib.sha256).digest()
    return "gjs_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def secret_of(key: ApiKey) -> str | None:
    """The key's secret, re-derived; None when it no longer matches (the pepper changed)."""
    secret = derive(key.key_id, key.salt)
    return secret if hmac.compare_digest(sha256(secret), key.secret_sha256) else None


def masked(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "holder": key.holder,
        "fixmedins_code": key.fixmedins_code,
        "secret": key.secret_hint + "••••••••",
        "status": key.status,
        "status_name": "有效" if key.status == "active" else "已吊销",
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "replaced_by": key.replaced_by,
    }


def is_province_staff(ctx: Ctx) -> bool:
    return ctx.principal.role is Role.STAFF and any(len(scope_prefix(r)) == 2 for r in ctx.principal.regions)


def _require_tax_scope(ctx: Ctx) -> None:
    ctx.principal.require(Role.STAFF)
    if not is_province_staff(ctx):
        raise OutOfRegion("税务接口密钥由省级经办人员管理", "Tax-bureau keys are managed by province staff")


def _institution_user(uow: UnitOfWork, code: str, name: str) -> AppUser:
    """The institution's system user (whose principal a signed call acts as); created on first key,
    with a random password nobody knows: institutions call the interface with keys, not passwords."""
    user = uow.session.scalar(
        select(AppUser)
        .where(AppUser.role == Role.INSTITUTION.value, AppUser.fixmedins_code == code, AppUser.active.is_(True))
        .order_by(AppUser.id)
    )
    if user is not None:
        return user
    return auth.create_user(
        uow,
        username=f"his_{code}",
        password=secrets.token_urlsafe(24),
        role=Role.INSTITUTION,
        display_name=name[:50],
        fixmedins_code=code,
    )


def _tax_user(uow: UnitOfWork, username: str) -> AppUser:
    user = uow.session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None or user.role != Role.TAX.value or not user.active:
        raise NotFound("税务接口账号不存在", "No active tax-bureau account with this name", username=username)
    return user


def _new(
    uow: UnitOfWork, ctx: Ctx, *, holder: str, user: AppUser, code: str | None, now: datetime
) -> tuple[ApiKey, str]:
    key_id = f"{code or 'TAX'}-{secrets.token_hex(4).upper()}"
    salt = secrets.token_hex(16)
    secret = derive(key_id, salt)
    key = ApiKey(
        key_id=key_id,
        holder=holder,
        fixmedins_code=code,
        user_id=user.id,
        salt=salt,
        secret_sha256=sha256(secret),
        secret_hint=secret[:8],
        status="active",
        created_at=now,
        created_by=ctx.principal.user_id,
    )
    uow.session.add(key)
    uow.session.flush()
    return key, secret


def issue(
    uow: UnitOfWork, ctx: Ctx, *, fixmedins_code: str | None = None, tax_username: str | None = None
) -> tuple[ApiKey, str]:
    """A new key for an active institution (staff of its region) or a tax account (province
    staff); returns the key and its secret — the only time the secret is shown."""
    now = ctx.clock.now()
    if (fixmedins_code is None) == (tax_username is None):
        raise InvalidRequest("须指定定点机构或税务账号之一", "Give an institution or a tax account", field="holder")
    if fixmedins_code is not None:
        inst = registry.get(uow, fixmedins_code)
        registry.require_staff_scope(ctx, inst.region_code)
        if inst.status != "active":
            raise InvalidStateTransition(
                "协议暂停或终止的机构不能发放密钥", "The institution is not active", status=inst.status
            )
        user = _institution_user(uow, inst.fixmedins_code, inst.name)
        key, secret = _new(uow, ctx, holder=INSTITUTION, user=user, code=inst.fixmedins_code, now=now)
    else:
        _require_tax_scope(ctx)
        user = _tax_user(uow, str(tax_username))
        key, secret = _new(uow, ctx, holder=TAX, user=user, code=None, now=now)
    audit_event(uow, ctx, "apikey.issue", "api_key", key.key_id, holder=key.holder, fixmedins_code=key.fixmedins_code)
    return key, secret


def _get_in_scope(uow: UnitOfWork, ctx: Ctx, key_id: str) -> ApiKey:
    key = uow.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if key is None:
        raise NotFound("接入密钥不存在", "No such key", key_id=key_id)
    if key.holder == TAX:
        _require_tax_scope(ctx)
    else:
        registry.require_staff_scope(ctx, registry.get(uow, str(key.fixmedins_code)).region_code)
    return key


def revoke(uow: UnitOfWork, ctx: Ctx, *, key_id: str, reason: str) -> ApiKey:
    """吊销: the key is refused at the gateway from now on."""
    key = _get_in_scope(uow, ctx, key_id)
    why = require_reason(reason)
    if key.status != "active":
        raise InvalidStateTransition("该密钥已吊销", "The key is already revoked", key_id=key_id)
    key.status, key.revoked_at = "revoked", ctx.clock.now()
    audit_event(uow, ctx, "apikey.revoke", "api_key", key_id, holder=key.holder, reason=why)
    return key


def rotate(uow: UnitOfWork, ctx: Ctx, *, key_id: str) -> tuple[ApiKey, str]:
    """轮换: a new key for the same holder, the old one revoked at once; the new secret shown once."""
    old = _get_in_scope(uow, ctx, key_id)
    if old.status != "active":
        raise InvalidStateTransition("已吊销的密钥不能轮换", "A revoked key cannot be rotated", key_id=key_id)
    if old.holder == INSTITUTION and registry.get(uow, str(old.fixmedins_code)).status != "active":
        raise InvalidStateTransition("协议暂停或终止的机构不能发放密钥", "The institution is not active")
    user = uow.session.get(AppUser, old.user_id)
    assert user is not None
    key, secret = _new(uow, ctx, holder=old.holder, user=user, code=old.fixmedins_code, now=ctx.clock.now())
    old.status, old.revoked_at, old.replaced_by = "revoked", ctx.clock.now(), key.key_id
    audit_event(uow, ctx, "apikey.rotate", "api_key", old.key_id, holder=old.holder, new_key_id=key.key_id)
    return key, secret


def listing(uow: UnitOfWork, ctx: Ctx, *, fixmedins_code: str | None = None, tax: bool = False) -> list[dict[str, Any]]:
    """An institution's keys (staff of its region) or the tax keys (province staff), masked."""
    query = select(ApiKey).order_by(ApiKey.id)
    if tax:
        _require_tax_scope(ctx)
        query = query.where(ApiKey.holder == TAX)
    else:
        inst = registry.get(uow, str(fixmedins_code))
        registry.require_staff_scope(ctx, inst.region_code)
        query = query.where(ApiKey.holder == INSTITUTION, ApiKey.fixmedins_code == inst.fixmedins_code)
    return [masked(k) for k in uow.session.scalars(query)]
