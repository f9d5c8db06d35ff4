"""Users, passwords (argon2), expiring opaque tokens, and who may see whom.

Roles: ``citizen`` (linked to one person), ``staff`` (agency/township staff, scoped to
region codes), ``institution`` (a designated hospital or pharmacy, by fixmedins_code),
``tax`` (the tax bureau's interface) and ``auditor`` (reads the audit log).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from gongji.adapters.db.models import AppUser, AuthToken, UserRegion
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    AuthError,
    BadCredentials,
    DuplicateRecord,
    Forbidden,
    InvalidRequest,
    OutOfRegion,
    TokenExpired,
)
from gongji.domain.registry import region_in_scope
from gongji.services import audit
from gongji.services.audit import Channel


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    INSTITUTION = "institution"
    TAX = "tax"
    AUDITOR = "auditor"


ROLE_ZH = {
    Role.CITIZEN: "参保人",
    Role.STAFF: "经办人员",
    Role.INSTITUTION: "定点医药机构",
    Role.TAX: "税务",
    Role.AUDITOR: "审计",
}

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    display_name: str
    person_id: int | None = None
    fixmedins_code: str | None = None
    regions: tuple[str, ...] = field(default_factory=tuple)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(required=[r.value for r in roles])

    def require_person_access(self, *, person_id: int, regions: list[str]) -> None:
        """Citizens see only themselves; staff only persons insured in their regions."""
        if self.role is Role.CITIZEN:
            if self.person_id != person_id:
                raise Forbidden()
            return
        if self.role is Role.STAFF:
            if not any(region_in_scope(r, list(self.regions)) for r in regions):
                raise OutOfRegion()
            return
        if self.role is Role.AUDITOR:
            return
        raise Forbidden()

    def require_region(self, region_code: str) -> None:
        if self.role is not Role.STAFF or not region_in_scope(region_code, list(self.regions)):
            raise OutOfRegion(region=region_code)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    person_id: int | None = None,
    fixmedins_code: str | None = None,
    regions: list[str] | None = None,
    password_hash: str | None = None,
) -> AppUser:
    if not (3 <= len(username) <= 50) or not (8 <= len(password) <= 128):
        raise InvalidRequest("用户名3-50个字符，密码8-128个字符", "Username 3-50 chars, password 8-128 chars")
    if uow.session.scalar(select(AppUser.id).where(AppUser.username == username)):
        raise DuplicateRecord("用户名已存在", "Username already exists", username=username)
    if role is Role.CITIZEN and person_id is None:
        raise InvalidRequest("参保人账号须关联人员", "A citizen user must be linked to a person")
    if role is Role.STAFF and not regions:
        raise InvalidRequest("经办人员须指定经办区域", "Staff users need at least one region")
    user = AppUser(
        username=username,
        password_hash=password_hash or hash_password(password),
        role=role.value,
        display_name=display_name,
        person_id=person_id,
        fixmedins_code=fixmedins_code,
        active=True,
    )
    uow.session.add(user)
    uow.session.flush()
    for code in sorted(set(regions or [])):
        uow.session.add(UserRegion(user_id=user.id, region_code=code))
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(
    uow: UnitOfWork, *, username: str, password: str, now: datetime, ttl_minutes: int, channel: Channel
) -> tuple[str, Principal]:
    """The login use case for every channel: throttle, check, issue a token, audit, commit.

    While the account or the client address is locked: LoginThrottled (429, when to retry),
    without looking at the password. A failure is counted (and committed) before BadCredentials
    is raised; the failure that starts a lock answers LoginThrottled already. A success clears
    the account's counter (issue 13 §4)."""
    from gongji.services.auth import throttle

    account, address = throttle.keys(username, channel.client_addr)
    throttle.check(uow, account=account, address=address, now=now)
    try:
        token, user = login(uow, username=username, password=password, now=now, ttl_minutes=ttl_minutes)
    except BadCredentials:
        locked_until = throttle.fail(uow, account=account, address=address, now=now)
        audit.record(
            uow,
            actor=None,
            action="auth.login_failed",
            entity="user",
            entity_id=None,
            now=now,
            channel=channel,
            detail={"locked_until": locked_until.isoformat() if locked_until else None},
        )
        uow.commit()
        if locked_until is not None:
            raise throttle.throttled(locked_until, now) from None
        raise
    throttle.clear(uow, account=account)
    principal = principal_of(uow, user)
    audit.record(uow, actor=principal, action="auth.login", entity="user", entity_id=user.id, now=now, channel=channel)
    uow.commit()
    return token, principal


def log_out(uow: UnitOfWork, *, token: str, principal: Principal, now: datetime, channel: Channel) -> None:
    """The logout use case for every channel: drop the token, audit, commit."""
    logout(uow, token=token)
    audit.record(
        uow, actor=principal, action="auth.logout", entity="user", entity_id=principal.user_id, now=now, channel=channel
    )
    uow.commit()


def login(uow: UnitOfWork, *, username: str, password: str, now: datetime, ttl_minutes: int) -> tuple[str, AppUser]:
    """Check the password and issue a token; the same error for unknown user or bad password."""
    user = uow.session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None or not user.active:
        _hasher_dummy_verify()
        raise BadCredentials()
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials() from None
    token = secrets.token_urlsafe(32)
    uow.session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at < now))
    uow.session.add(
        AuthToken(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=ttl_minutes),
        )
    )
    return token, user


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _hasher_dummy_verify() -> None:
    """Spend the same time on an unknown user as on a wrong password (no user enumeration)."""
    try:
        _hasher.verify(_DUMMY_HASH, "x")
    except VerificationError:
        pass


def logout(uow: UnitOfWork, *, token: str) -> None:
    uow.session.execute(delete(AuthToken).where(AuthToken.token_hash == token_digest(token)))


def principal_for_token(uow: UnitOfWork, *, token: str | None, now: datetime) -> Principal:
    if not token:
        raise AuthError()
    row = uow.session.get(AuthToken, token_digest(token))
    if row is None:
        raise AuthError()
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    if expires <= now:
        raise TokenExpired()
    user = uow.session.get(AppUser, row.user_id)
    if user is None or not user.active:
        raise AuthError()
    return principal_of(uow, user)


def principal_of(uow: UnitOfWork, user: AppUser) -> Principal:
    regions = tuple(uow.session.scalars(select(UserRegion.region_code).where(UserRegion.user_id == user.id)))
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        display_name=user.display_name,
        person_id=user.person_id,
        fixmedins_code=user.fixmedins_code,
        regions=regions,
    )
