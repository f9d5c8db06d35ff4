"""monthly clearing between pooling regions (issue 15 §3, seed 003 附件二(二)3, (三)3)

Hand-written. ``clearing_run`` (one per province and data month), ``clearing_line`` (what one
region advanced for another, aggregated from the detail rows), ``clearing_city`` (the balance
table and each city's steps), ``clearing_difference`` (differences raised item by item). Plus an
index on ``settlement.setl_time`` for the month's scan. Downgrade drops them.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "clearing_run",
        sa.Column("id", BigId, nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("generated_on", sa.Date(), nullable=False),
        sa.Column("tables_on", sa.Date(), nullable=True),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("checked_ok", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_run")),
        sa.UniqueConstraint("province_code", "month", name=op.f("uq_clearing_run_province_code")),
    )
    op.create_table(
        "clearing_line",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("advancing_region", sa.String(length=6), nullable=False),
        sa.Column("owing_region", sa.String(length=6), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["clearing_run.id"], name=op.f("fk_clearing_line_run_id_clearing_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_line")),
    )
    op.create_table(
        "clearing_city",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("owed_to_others_fen", sa.BigInteger(), nullable=False),
        sa.Column("owed_by_others_fen", sa.BigInteger(), nullable=False),
        sa.Column("net_fen", sa.BigInteger(), nullable=False),
        sa.Column("has_local", sa.Boolean(), nullable=False),
        sa.Column("has_offsite", sa.Boolean(), nullable=False),
        sa.Column("local_confirmed_on", sa.Date(), nullable=True),
        sa.Column("offsite_confirmed_on", sa.Date(), nullable=True),
        sa.Column("remitted_on", sa.Date(), nullable=True),
        sa.Column("transferred_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["clearing_run.id"], name=op.f("fk_clearing_city_run_id_clearing_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_city")),
        sa.UniqueConstraint("run_id", "city_code", name=op.f("uq_clearing_city_run_id")),
    )
    op.create_table(
        "clearing_difference",
        sa.Column("id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("settlement_id", BigId, nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("raised_by_user_id", sa.Integer(), nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["clearing_run.id"], name=op.f("fk_clearing_difference_run_id_clearing_run")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlement.id"], name=op.f("fk_clearing_difference_settlement_id_settlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_difference")),
    )
    for table, column in (
        ("clearing_line", "run_id"),
        ("clearing_city", "run_id"),
        ("clearing_difference", "run_id"),
        ("clearing_difference", "settlement_id"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)
    with op.batch_alter_table("settlement") as batch:
        batch.create_index(batch.f("ix_settlement_setl_time"), ["setl_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settlement") as batch:
        batch.drop_index(batch.f("ix_settlement_setl_time"))
    op.drop_table("clearing_difference")
    op.drop_table("clearing_city")
    op.drop_table("clearing_line")
    op.drop_table("clearing_run")
