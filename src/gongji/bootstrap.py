"""Wiring: settings → engine, unit-of-work factory, clock, policy profile, logging."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine

from gongji.adapters.db.engine import make_engine
from gongji.adapters.db.unit_of_work import UnitOfWork, run, session_factory
from gongji.adapters.logsafe import MaskingFilter, MaskingFormatter
from gongji.config import Settings
from gongji.domain.clock import Clock, OffsetClock, SystemClock
from gongji.policy import Profile, ProfileError, load_profiles

T = TypeVar("T")


def configure_logging(settings: Settings) -> None:
    """The log file: every line masked at the formatter (ID numbers, names; issue 13 §6).
    uvicorn's own handlers get the masking filter (message, arguments, exception text)."""
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("gongji")
    if any(getattr(h, "_gongji", False) for h in root.handlers):
        return
    handler = logging.FileHandler(settings.log_file, encoding="utf-8")
    handler._gongji = True  # type: ignore[attr-defined]
    handler.addFilter(MaskingFilter())
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(MaskingFilter())


@dataclass
class Gongji:
    """The application's collaborators, built once per process (or per test)."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def run(self, use_case: Callable[[UnitOfWork], T]) -> T:
        return run(self.uow, use_case)

    profiles: dict[str, Profile] = field(default_factory=dict)

    @property
    def profile(self) -> Profile:
        """The policy profile of the province this deployment runs."""
        return self.profiles[self.settings.province]


def business_clock(settings: Settings) -> Clock:
    """Real time, or the simulated clock ``GONGJI_CLOCK`` starts (every deadline reads it)."""
    if settings.clock_start is not None:
        return OffsetClock(settings.clock_start)
    return SystemClock()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Gongji:
    settings = settings or Settings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    configure_logging(settings)
    # Every shipped profile is validated at start: an invalid one stops start-up (ProfileError
    # names the file and the field).
    profiles = load_profiles(settings.profiles_dir)
    if settings.province not in profiles:
        raise ProfileError(
            f"{settings.province}.toml", [("<file>", f"no profile {settings.province!r}; have {sorted(profiles)}")]
        )
    return Gongji(
        settings=settings,
        engine=make_engine(settings.database_url),
        clock=clock or business_clock(settings),
        profiles=profiles,
    )
