"""Engines for the two supported databases.

SQLite (embedded default) runs in WAL mode with every transaction opened by
``BEGIN IMMEDIATE``: writers are serialized by the database file lock, so a conditional
debit cannot lose an update. PostgreSQL runs at READ COMMITTED through psycopg 3; its row
locks serialize updates of one account, and the ledger takes accounts in id order so
concurrent transactions do not deadlock.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        # A small pool: the PRAGMAs run once per connection, not once per unit of work.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine, engine.url.database)
        return engine
    # pool_pre_ping: a checkout tests the connection first and replaces a dead one, so after the
    # database restarts the pool does not hand out its dead connections one request at a time
    # (issue 13 §5: burst-free recovery). While the database is down a use case fails with
    # OperationalError, which the API answers 503 E_UNAVAILABLE.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, database: str | None) -> None:
    from gongji.adapters.db.tax_exchange import attach_sqlite

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        attach_sqlite(dbapi_connection, database)  # the tax side's intermediate tables (对账中间库)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_retryable(exc: BaseException) -> bool:
    """Serialization failure, deadlock, or SQLite busy: run the whole transaction again."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in {"40001", "40P01"}:
        return True
    return "database is locked" in str(orig or exc)
