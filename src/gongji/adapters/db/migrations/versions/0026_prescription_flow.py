"""external prescriptions through the electronic-prescription centre (issue 14 §6, seed 004)

Hand-written. ``prescription`` gets its source (``his`` for the rows 2204 made so far), the
centre's number, the diagnosis, the physician's medical-insurance code, the paper stamp, the
amount and its dispensing/closing facts; ``visit_id`` becomes optional (a paper prescription is
entered at the pharmacy, without the hospital's visit). New: ``prescription_line`` (the drugs),
``prescription_fetch`` (which pharmacy fetched which number) and ``prescription_doubt``
(存疑线索 for staff).

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("prescription", schema=None) as batch_op:
        batch_op.alter_column("visit_id", existing_type=BigId, nullable=True)
        batch_op.add_column(sa.Column("source", sa.String(length=8), server_default="his", nullable=False))
        batch_op.add_column(sa.Column("hi_rxno", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("insutype", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("dise_codg", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("dise_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("dr_codg", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("dr_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("stamp_present", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("amount_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("entered_by", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("dispensed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_prescription_hi_rxno"), ["hi_rxno"])

    op.create_table(
        "prescription_line",
        sa.Column("id", BigId, nullable=False),
        sa.Column("prescription_id", BigId, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("med_list_codg", sa.String(length=50), nullable=False),
        sa.Column("hilist_name", sa.String(length=100), nullable=False),
        sa.Column("cnt", sa.String(length=20), nullable=False),
        sa.Column("prd_days", sa.Integer(), nullable=False),
        sa.Column("sin_dos_dscr", sa.String(length=200), nullable=False),
        sa.Column("used_frqu_dscr", sa.String(length=200), nullable=False),
        sa.Column("medc_way_dscr", sa.String(length=200), nullable=False),
        sa.Column("pric", sa.String(length=24), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("dispensed_cnt", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescription.id"], name=op.f("fk_prescription_line_prescription_id_prescription")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_line")),
        sa.UniqueConstraint("prescription_id", "line_no", name="uq_prescription_line_no"),
    )
    with op.batch_alter_table("prescription_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prescription_line_prescription_id"), ["prescription_id"], unique=False)

    op.create_table(
        "prescription_fetch",
        sa.Column("id", BigId, nullable=False),
        sa.Column("prescription_id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescription.id"], name=op.f("fk_prescription_fetch_prescription_id_prescription")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_fetch")),
        sa.UniqueConstraint("prescription_id", "fixmedins_code", name="uq_prescription_fetch"),
    )
    with op.batch_alter_table("prescription_fetch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prescription_fetch_prescription_id"), ["prescription_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prescription_fetch_fixmedins_code"), ["fixmedins_code"], unique=False)

    op.create_table(
        "prescription_doubt",
        sa.Column("id", BigId, nullable=False),
        sa.Column("prescription_id", BigId, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by", sa.BigInteger(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handling_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["prescription_id"], ["prescription.id"], name=op.f("fk_prescription_doubt_prescription_id_prescription")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_doubt")),
    )
    with op.batch_alter_table("prescription_doubt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prescription_doubt_prescription_id"), ["prescription_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prescription_doubt_region"), ["region"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("prescription_doubt", ("ix_prescription_doubt_region", "ix_prescription_doubt_prescription_id")),
        ("prescription_fetch", ("ix_prescription_fetch_fixmedins_code", "ix_prescription_fetch_prescription_id")),
        ("prescription_line", ("ix_prescription_line_prescription_id",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(batch_op.f(name))
        op.drop_table(table)
    with op.batch_alter_table("prescription", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_prescription_hi_rxno"), type_="unique")
        for name in (
            "closed_reason",
            "closed_at",
            "dispensed_at",
            "entered_by",
            "amount_fen",
            "stamp_present",
            "dr_name",
            "dr_codg",
            "dise_name",
            "dise_codg",
            "insutype",
            "hi_rxno",
            "source",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column("visit_id", existing_type=BigId, nullable=False)
