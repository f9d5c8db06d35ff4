"""partial covering index on authorizer parties for the monthly clearing (issue 15 §7)

Hand-written. ``ix_settlement_party_authorizer``: ``settlement_party (settlement_id)`` WHERE
role = 'authorizer', INCLUDE (region_code, amount_fen) on PostgreSQL, so the clearing's join
reads only the authorizer parties. Downgrade drops it.

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_settlement_party_authorizer",
        "settlement_party",
        ["settlement_id"],
        postgresql_include=["region_code", "amount_fen"],
        sqlite_where=sa.text("role = 'authorizer'"),
        postgresql_where=sa.text("role = 'authorizer'"),
    )


def downgrade() -> None:
    op.drop_index("ix_settlement_party_authorizer", table_name="settlement_party")
