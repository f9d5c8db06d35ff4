"""Issue 13 §4: the failed-login counter is shared by concurrent workers — on SQLite and
PostgreSQL, failures racing on one account are all counted (none lost, no 500 from the race)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gongji.adapters.db.models import LoginThrottle
from gongji.domain.errors import BadCredentials, LoginThrottled
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import throttle
from tests import support


def test_racing_failed_logins_are_all_counted(gj):
    support.staff(gj, ["620700"], username="clerk_race")

    def attempt(i: int) -> str:
        def go(uow):
            return auth.log_in(
                uow,
                username="clerk_race",
                password="wrong-password-1",
                now=gj.clock.now(),
                ttl_minutes=60,
                channel=Channel("api", f"192.0.2.{i}"),
            )

        try:
            gj.run(go)
        except (BadCredentials, LoginThrottled) as err:
            return err.code
        return "ok"

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(attempt, range(4)))
    assert codes == ["E_AUTH_INVALID"] * 4
    account, _ = throttle.keys("clerk_race", None)
    with gj.uow() as uow:
        row = uow.session.get(LoginThrottle, account)
        assert row is not None and row.failures == 4  # no lost update
    assert attempt(9) == "E_AUTH_THROTTLED"  # the fifth locks
