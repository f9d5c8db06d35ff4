"""Wiring: settings → engine, unit-of-work factory, clock, policy profile, logging."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine

from gongji.adapters.db.engine import make_engine
from gongji.adapters.db.unit_of_work import UnitOfWork, run
from gongji.config import Settings
from gongji.domain.clock import Clock, SystemClock
from gongji.domain.masking import mask_text

T = TypeVar("T")


class MaskingFilter(logging.Filter):
    """Every log record passes the masking helper: no whole ID number reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = mask_text(message)
        record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("gongji")
    if any(getattr(h, "_gongji", False) for h in root.handlers):
        return
    handler = logging.FileHandler(settings.log_file, encoding="utf-8")
    handler._gongji = True  # type: ignore[attr-defined]
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
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

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def run(self, use_case: Callable[[UnitOfWork], T]) -> T:
        return run(self.uow, use_case)

    @property
    def profile(self):  # type: ignore[no-untyped-def]
        from gongji.policy.loader import load_profiles

        return load_profiles(self.settings.profiles_dir)[self.settings.province]


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Gongji:
    settings = settings or Settings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    configure_logging(settings)
    return Gongji(settings=settings, engine=make_engine(settings.database_url), clock=clock or SystemClock())
