"""The reconciliation intermediate tables shared with the tax bureau (对账中间库, seed 003 附件三(二)5).

They live outside the platform's own tables so that the tax side can be given read/write access to
them and to nothing else: a schema ``tax_exchange`` on PostgreSQL (grant a tax role USAGE on the
schema and SELECT/INSERT/UPDATE on its tables), an attached database file on SQLite (next to the
main file: ``gongji.sqlite3`` → ``gongji.tax-exchange.sqlite3``, attached as ``tax_exchange``).
The layout is documented in ``docs/tax-reconciliation.md``; who writes which column is said there.

Both sides use the same table objects: the platform through its engine (schema-qualified), the
tax side (``entrypoints.tax_simulator``) through ``tax_side_engine`` — on SQLite the exchange file
alone, where the tables have no schema prefix (``schema_translate_map``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)

SCHEMA = "tax_exchange"
metadata = MetaData(schema=SCHEMA)

recon_batch = Table(
    "recon_batch",
    metadata,
    Column("batch_no", String(8), primary_key=True),  # ISO week 2026-W47 (医保 writes)
    Column("week_start", Date, nullable=False),
    Column("week_end", Date, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("state", String(10), nullable=False),  # published → compared → balanced (税务 writes)
    Column("compared_at", DateTime(timezone=True)),
    Column("diff_count", Integer),
    Column("tax_row_count", Integer),
    Column("tax_total_fen", BigInteger),
    Column("tax_paid_fen", BigInteger),
    Column("balanced_at", DateTime(timezone=True)),
)

recon_detail = Table(
    "recon_detail",
    metadata,
    Column("batch_no", String(8), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("request_id", String(64), nullable=False),  # the tax bureau's 请求流水号
    Column("movement", String(8), nullable=False),  # deduct / refund
    Column("mi_payment_id", BigInteger, nullable=False),
    Column("payer_cert_no", String(32), nullable=False),
    Column("relative_cert_no", String(32), nullable=False),
    Column("relative_region", String(6), nullable=False),
    Column("benefit_year", Integer, nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # a refund is negative
    Column("status", String(8), nullable=False),  # what the tax side records: paid / unpaid
    Column("event_at", DateTime(timezone=True), nullable=False),
)

recon_diff = Table(
    "recon_diff",
    metadata,
    Column("batch_no", String(8), primary_key=True),
    Column("diff_no", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),  # missing / amount / status / extra (税务 writes)
    Column("request_id", String(64), nullable=False),
    Column("movement", String(8), nullable=False),
    Column("relative_cert_no", String(32)),
    Column("relative_region", String(6)),
    Column("mi_amount_fen", BigInteger),
    Column("tax_amount_fen", BigInteger),
    Column("mi_status", String(8)),
    Column("tax_status", String(8)),
    Column("note", String(200)),
    Column("written_at", DateTime(timezone=True), nullable=False),
    Column("resolution", String(12)),  # accept_ours / reverse_ours (医保 writes)
    Column("final_amount_fen", BigInteger),
    Column("final_status", String(8)),
    Column("resolution_note", String(200)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("applied_at", DateTime(timezone=True)),  # 税务 applied the resolution
)


def sqlite_exchange_path(database: str | None) -> str:
    """The exchange file of a SQLite main file (``:memory:`` for an in-memory database)."""
    if not database or database == ":memory:":
        return ":memory:"
    path = Path(database)
    return str(path.with_name(path.stem + ".tax-exchange" + path.suffix))


def attach_sqlite(dbapi_connection: Any, database: str | None) -> None:
    """ATTACH the exchange file as ``tax_exchange`` (on every new connection, outside a transaction)."""
    cur = dbapi_connection.cursor()
    cur.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (sqlite_exchange_path(database),))
    cur.execute(f"PRAGMA {SCHEMA}.journal_mode=WAL")
    cur.close()


def ensure(conn: Connection) -> None:
    """Create the exchange tables in a new SQLite exchange file. On PostgreSQL migration 0022 made
    them (the application's role needs no CREATE right there)."""
    if conn.dialect.name == "sqlite":
        metadata.create_all(conn, checkfirst=True)


def tax_side_engine(database_url: str) -> Engine:
    """An engine as the tax side holds it: the exchange file alone (SQLite), or the database with
    the schema (PostgreSQL; in production a role granted the schema only)."""
    from gongji.adapters.db.engine import normalize_url

    url = normalize_url(database_url)
    if url.startswith("sqlite"):
        main = url.split(":///", 1)[1] if ":///" in url else None
        engine = create_engine(
            f"sqlite:///{sqlite_exchange_path(main)}",
            connect_args={"timeout": 30, "check_same_thread": False},
            execution_options={"schema_translate_map": {SCHEMA: None}},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        return engine
    return create_engine(url)
