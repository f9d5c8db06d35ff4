"""Citizen documents and the message centre (issue 17, "Citizens (phone first)")

Hand-written: ``citizen_document`` (参保证明 and 个人账户对账单 by serial, for ``/verify``),
``family_notice_seen`` (what an authorizer has read of their money's uses) and
``family_use_report`` (a use the authorizer does not recognise, for staff).

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "citizen_document",
        sa.Column("id", BigId, nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("facts_json", sa.Text(), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_citizen_document_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_document")),
        sa.UniqueConstraint("serial", name=op.f("uq_citizen_document_serial")),
    )
    op.create_index(op.f("ix_citizen_document_person_id"), "citizen_document", ["person_id"])
    op.create_table(
        "family_notice_seen",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("last_draw_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_family_notice_seen_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_family_notice_seen")),
    )
    op.create_table(
        "family_use_report",
        sa.Column("id", BigId, nullable=False),
        sa.Column("draw_id", BigId, nullable=False),
        sa.Column("binding_id", BigId, nullable=False),
        sa.Column("authorizer_id", BigId, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_note", sa.String(length=200), nullable=True),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["draw_id"], ["family_draw.id"], name=op.f("fk_family_use_report_draw_id_family_draw")),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["family_binding.id"], name=op.f("fk_family_use_report_binding_id_family_binding")
        ),
        sa.ForeignKeyConstraint(
            ["authorizer_id"], ["person.id"], name=op.f("fk_family_use_report_authorizer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_use_report")),
        sa.UniqueConstraint("draw_id", name=op.f("uq_family_use_report_draw_id")),
    )
    for column in ("binding_id", "authorizer_id", "region_code", "status"):
        op.create_index(op.f(f"ix_family_use_report_{column}"), "family_use_report", [column])


def downgrade() -> None:
    op.drop_table("family_use_report")
    op.drop_table("family_notice_seen")
    op.drop_index(op.f("ix_citizen_document_person_id"), table_name="citizen_document")
    op.drop_table("citizen_document")
