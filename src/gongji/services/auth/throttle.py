"""Failed-login throttling per account and per client address (issue 13 §4).

Counters live in the database (``login_throttle``), so every worker sees the same lock, on
SQLite and PostgreSQL alike. An account gets ``ACCOUNT_FREE`` failures, then each further
failure locks it for 1, 2, 4, … minutes (at most ``MAX_LOCK``); an address gets more room
(many citizens may share one). A success clears the account's counter, not the address's (one
good account must not open the door for guessing others). Failures older than ``FORGET`` are
forgotten.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gongji.adapters.db.models import LoginThrottle
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import LoginThrottled

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
MAX_LOCK = timedelta(minutes=60)
FORGET = timedelta(hours=24)


def keys(username: str, client_addr: str | None) -> tuple[str, str | None]:
    """The account key (a hash: user names may be ID numbers) and the address key."""
    account = "acct:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:64]
    return account, (f"addr:{client_addr[:70]}" if client_addr else None)


def _aware(value: datetime, now: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


def check(uow: UnitOfWork, *, account: str, address: str | None, now: datetime) -> None:
    """Raise LoginThrottled while the account or the address is locked."""
    wanted = [k for k in (account, address) if k]
    until = [
        _aware(row.locked_until, now)
        for row in uow.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(wanted)))
        if row.locked_until is not None
    ]
    locked = [u for u in until if u > now]
    if locked:
        raise throttled(max(locked), now)


def fail(uow: UnitOfWork, *, account: str, address: str | None, now: datetime) -> datetime | None:
    """Count one failure on both keys; the end of the lock it started, if any."""
    ends = [_fail_one(uow, account, ACCOUNT_FREE, now)]
    if address:
        ends.append(_fail_one(uow, address, ADDRESS_FREE, now))
    locked = [e for e in ends if e is not None]
    return max(locked) if locked else None


def _fail_one(uow: UnitOfWork, key: str, free: int, now: datetime) -> datetime | None:
    row = uow.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is None:
        try:
            with uow.session.begin_nested():  # a twin worker may insert the same key first
                uow.session.add(LoginThrottle(key=key, failures=0, last_failed_at=now, locked_until=None))
        except IntegrityError:
            pass
        row = uow.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
        assert row is not None
    elif _aware(row.last_failed_at, now) < now - FORGET:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= free:
        row.locked_until = now + min(timedelta(minutes=2 ** (row.failures - free)), MAX_LOCK)
        uow.session.flush()
        return row.locked_until
    uow.session.flush()
    return None


def clear(uow: UnitOfWork, *, account: str) -> None:
    row = uow.session.get(LoginThrottle, account)
    if row is not None:
        uow.session.delete(row)


def throttled(until: datetime, now: datetime) -> LoginThrottled:
    """The 429 refusal saying when to retry (Beijing time) and in how many seconds."""
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    at = until.astimezone(SHANGHAI).strftime("%H:%M")
    minutes = (seconds + 59) // 60
    return LoginThrottled(
        f"登录失败次数过多，已暂时锁定。请于{at}（北京时间，约{minutes}分钟后）再试",
        f"Too many failed logins; locked for now. Try again after {at} Beijing time (in about {minutes} min)",
        retry_after_seconds=seconds,
        retry_at=until.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    )
