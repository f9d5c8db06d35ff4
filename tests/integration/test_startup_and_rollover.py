"""Start-up refuses an invalid profile (issue 2 §4); year-end rollover (SPEC §2)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from gongji.bootstrap import bootstrap
from gongji.policy import ProfileError, default_profiles_dir
from gongji.services.registry import accounts
from gongji.services.registry import persons as registry
from tests import support


def test_an_invalid_profile_stops_start_up_naming_file_and_field(gj, tmp_path: Path):
    for f in default_profiles_dir().glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    broken = tmp_path / "zhejiang.toml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace('funding_model = "direct"', 'funding_model = "magic"'),
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as err:
        bootstrap(replace(gj.settings, profiles_dir=tmp_path))
    assert err.value.file == "zhejiang.toml"
    assert err.value.field == "family.funding_model"


def test_year_end_rollover_moves_current_into_past_years_once(gj):
    staff = support.staff(gj, ["620700"])
    pid = support.employee(gj, staff, income_fen=80_000)
    ctx = support.ctx(gj, staff)

    def roll(uow):
        n = accounts.year_end_rollover(uow, ctx, year=2026, person_ids=[pid])
        uow.commit()
        return n

    assert gj.run(roll) == 1
    assert gj.run(roll) == 0  # nothing left to move; the first run is not repeated
    with gj.uow() as uow:
        assert accounts.account_balances(uow, pid) == {"current_fen": 0, "past_years_fen": 80_000, "total_fen": 80_000}


def test_enrollment_start_date_check_works_on_29_february(gj):
    """The "at most a year ahead" check must not crash on a leap day (it once used date.replace)."""
    from datetime import date, datetime

    from gongji.domain.clock import SHANGHAI
    from gongji.domain.errors import InvalidRequest

    gj.clock.at = datetime(2028, 2, 29, 9, 0, tzinfo=SHANGHAI)
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff)
    ctx = support.ctx(gj, staff)

    def enroll_far_ahead(uow):
        registry.enroll(
            uow, ctx, person_id=pid, insutype="392", region_code="620702", psn_type="15", start_date=date(2029, 6, 1)
        )

    with pytest.raises(InvalidRequest):
        gj.run(enroll_far_ahead)
