"""Settings from the environment (12-factor); defaults suit `make run` on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gongji.domain.clock import parse_clock_start


@dataclass(frozen=True)
class Settings:
    database_url: str
    log_file: Path
    token_ttl_minutes: int
    province: str  # the policy profile this deployment runs: gansu / zhejiang / henan
    profiles_dir: Path | None
    ec_token_ttl_minutes: int = 5
    """How long a 医保码 (医保电子凭证 token) on the citizen's page stays valid (1–60)."""
    clock_start: datetime | None = None
    """``GONGJI_CLOCK``: the business clock starts there and runs (demo, training); None = real time."""

    @classmethod
    def from_env(cls) -> Settings:
        var = Path(os.environ.get("GONGJI_VAR_DIR", "var"))
        profiles = os.environ.get("GONGJI_PROFILES_DIR")
        clock = os.environ.get("GONGJI_CLOCK", "").strip()
        return cls(
            database_url=os.environ.get("GONGJI_DATABASE_URL", f"sqlite:///{var}/gongji.sqlite3"),
            log_file=Path(os.environ.get("GONGJI_LOG_FILE", str(var / "log" / "gongji.log"))),
            token_ttl_minutes=int(os.environ.get("GONGJI_TOKEN_TTL_MINUTES", "120")),
            province=os.environ.get("GONGJI_PROVINCE", "gansu"),
            profiles_dir=Path(profiles) if profiles else None,
            ec_token_ttl_minutes=int(os.environ.get("GONGJI_EC_TOKEN_TTL_MINUTES", "5")),
            clock_start=parse_clock_start(clock) if clock else None,
        )
