"""A throwaway PostgreSQL 15 cluster on loopback, for tests and benchmarks.

Follows the recipe proven on this machine kind: ``initdb`` as the ``postgres`` user in a
directory under /tmp that it owns, started on a free port, removed on stop. By default fsync, synchronous_commit and
full_page_writes are off (fast tests; a benchmark's baseline shares the settings, so ratios stay
fair but absolute figures are not durable-commit figures). ``durable=True`` keeps PostgreSQL's
production defaults (all three on, and an fsync'd initdb): what a benchmark headline must use.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("GONGJI_PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = list(args)
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


@dataclass
class PgCluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


UNSAFE_SETTINGS = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
DURABLE_SETTINGS = ("-c fsync=on", "-c synchronous_commit=on", "-c full_page_writes=on")


def start(*, extra_settings: tuple[str, ...] = (), durable: bool = False) -> PgCluster:
    """initdb + start a cluster; the caller must ``stop()`` it. ``durable``: see the module doc."""
    if not available():
        raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN}; run `make services`")
    directory = Path(tempfile.mkdtemp(prefix="gongji-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(directory, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    data = directory / "data"
    _as_postgres(
        str(PG_BIN / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        *(() if durable else ("--no-sync",)),
        "--no-instructions",
    )
    options = [
        "-c listen_addresses=127.0.0.1",
        f"-p {port}",
        f"-k {directory}",
        *(DURABLE_SETTINGS if durable else UNSAFE_SETTINGS),
        "-c max_connections=200",
        *extra_settings,
    ]
    _as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(directory / "pg.log"),
        "-w",
        "-t",
        "30",
        "start",
        "-o",
        " ".join(options),
    )
    return PgCluster(directory=directory, port=port)
