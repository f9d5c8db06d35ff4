"""Password change by the user, and reset with a one-time code from staff (issue 13 §4).

- A user changes their password with the old one (wrong old passwords count as failed logins
  and are throttled alike); the new one must pass ``check_strength``; every other session
  (token) of the user ends, the current one stays.
- Staff issue a citizen of their regions a one-time reset code: shown once, stored as an
  argon2 hash, valid ``RESET_CODE_TTL``, single use; issuing a new one voids the old. The
  citizen sets a new password with user name + code; all sessions end. Both steps are audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from gongji.adapters.db.models import AppUser, AuthToken, PasswordResetCode
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import NotFound, OldPasswordWrong, ResetCodeInvalid, WeakPassword
from gongji.services import audit
from gongji.services.audit import Channel
from gongji.services.auth import Principal, Role, _hasher, hash_password, principal_of, throttle, token_digest
from gongji.services.registry.context import person_regions

RESET_CODE_TTL = timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at the counter


def check_strength(new: str, *, username: str, old: str | None = None) -> None:
    """8-128 characters, letters and digits, not containing the user name, not the old one."""
    if (
        not 8 <= len(new) <= 128
        or not any(c.isalpha() for c in new)
        or not any(c.isdigit() for c in new)
        or username.lower() in new.lower()
        or (old is not None and new == old)
    ):
        raise WeakPassword(field="new_password")


def _verify(hash_: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(hash_, password))
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    uow: UnitOfWork,
    *,
    principal: Principal,
    old_password: str,
    new_password: str,
    current_token: str | None,
    now: datetime,
    channel: Channel,
) -> int:
    """Change the own password; returns how many other sessions were ended."""
    account, address = throttle.keys(principal.username, channel.client_addr)
    throttle.check(uow, account=account, address=address, now=now)
    user = uow.session.get(AppUser, principal.user_id)
    if user is None or not _verify(user.password_hash, old_password):
        locked_until = throttle.fail(uow, account=account, address=address, now=now)
        uow.commit()
        if locked_until is not None:
            raise throttle.throttled(locked_until, now)
        raise OldPasswordWrong(field="old_password")
    check_strength(new_password, username=user.username, old=old_password)
    user.password_hash = hash_password(new_password)
    keep = token_digest(current_token) if current_token else ""
    ended = uow.session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.token_hash != keep))
    throttle.clear(uow, account=account)
    count = int(getattr(ended, "rowcount", 0) or 0)
    audit.record(
        uow,
        actor=principal,
        action="auth.password_changed",
        entity="user",
        entity_id=user.id,
        now=now,
        channel=channel,
        detail={"other_sessions_ended": count},
    )
    uow.commit()
    return count


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normal(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def issue_reset_code(
    uow: UnitOfWork, *, principal: Principal, person_id: int, now: datetime, channel: Channel
) -> dict[str, Any]:
    """Staff of the person's region issue a one-time code for the person's citizen account."""
    principal.require(Role.STAFF)
    principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    user = uow.session.scalar(
        select(AppUser).where(AppUser.person_id == person_id, AppUser.role == Role.CITIZEN.value, AppUser.active)
    )
    if user is None:
        raise NotFound("该人员尚未开通网上服务账号", "This person has no citizen account", person_id=person_id)
    for old in uow.session.scalars(
        select(PasswordResetCode).where(PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))
    ):
        old.used_at = now  # a new code voids the ones before it
    code = _new_code()
    expires = now + RESET_CODE_TTL
    uow.session.add(
        PasswordResetCode(
            user_id=user.id,
            code_hash=_hasher.hash(_normal(code)),
            issued_by=principal.user_id,
            created_at=now,
            expires_at=expires,
            used_at=None,
        )
    )
    audit.record(
        uow,
        actor=principal,
        action="auth.reset_code_issued",
        entity="user",
        entity_id=user.id,
        now=now,
        channel=channel,
        detail={"person_id": person_id, "expires_at": expires.isoformat()},
    )
    uow.commit()
    return {"username": user.username, "code": code, "expires_at": expires.isoformat(timespec="minutes")}


def reset_with_code(
    uow: UnitOfWork, *, username: str, code: str, new_password: str, now: datetime, channel: Channel
) -> None:
    """The citizen sets a new password with the code: throttled like a login; all sessions end."""
    account, address = throttle.keys(username, channel.client_addr)
    throttle.check(uow, account=account, address=address, now=now)
    user = uow.session.scalar(select(AppUser).where(AppUser.username == username.strip()))
    match = None
    if user is not None and user.active:
        for row in uow.session.scalars(
            select(PasswordResetCode).where(PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))
        ):
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
            if expires > now and _verify(row.code_hash, _normal(code)):
                match = row
    if user is None or match is None:
        locked_until = throttle.fail(uow, account=account, address=address, now=now)
        uow.commit()
        if locked_until is not None:
            raise throttle.throttled(locked_until, now)
        raise ResetCodeInvalid()
    check_strength(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    match.used_at = now
    uow.session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    throttle.clear(uow, account=account)
    audit.record(
        uow,
        actor=principal_of(uow, user),
        action="auth.password_reset",
        entity="user",
        entity_id=user.id,
        now=now,
        channel=channel,
        detail={"reset_code_id": match.id, "issued_by": match.issued_by},
    )
    uow.commit()
