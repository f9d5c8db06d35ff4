"""The Alembic migrations build exactly the tables the models declare, on SQLite and PostgreSQL
(a column added to a model but not to a migration would otherwise pass every ORM test on a
database built some other way)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gongji.adapters.db.models import Base


def test_migrated_database_has_no_difference_from_the_models(gj):
    with gj.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
