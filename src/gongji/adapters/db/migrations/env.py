"""Alembic environment: the metadata of gongji.adapters.db.models, batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gongji.adapters.db.engine import make_engine
from gongji.adapters.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _pragma(connection: Connection, sql: str) -> None:
    """Run a pragma on the DBAPI connection itself: through SQLAlchemy it would open a transaction
    first (our engine begins with BEGIN IMMEDIATE), where SQLite ignores foreign_keys."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql)
    cursor.close()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping a
            # table that others reference fails as soon as it holds rows. SQLite only honours this
            # pragma outside a transaction; the references are checked again below before commit.
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
