"""off-site rules in settlement (issue 14 §4): the rule applied on each settlement and the
college students' school (seed 002 §五2)

Three nullable columns on ``settlement`` and one new table; downgrade removes them.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "student_status",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("school_name", sa.String(length=100), nullable=False),
        sa.Column("school_region", sa.String(length=6), nullable=False),
        sa.Column("admission_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_student_status_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_status")),
    )
    with op.batch_alter_table("student_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_status_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offsite_rule", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("offsite_points", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("offsite_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.drop_column("offsite_note")
        batch_op.drop_column("offsite_points")
        batch_op.drop_column("offsite_rule")
    with op.batch_alter_table("student_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_status_person_id"))
    op.drop_table("student_status")
