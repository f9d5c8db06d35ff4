"""就医费用报销"一件事": cases and their parts (seed 001; issue 14 §5)

Hand-written. ``onething_case`` holds one application (accepted when filed; its limits run in
working days from ``accepted_on``); ``onething_part`` each part routed to its office, linked to
the binding, registration or recognition it made. Both start empty; downgrade drops them.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "onething_case",
        sa.Column("id", BigId, nullable=False),
        sa.Column("serial", sa.String(length=24), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("insured_region", sa.String(length=6), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("agent_name", sa.String(length=50), nullable=True),
        sa.Column("agent_relation", sa.String(length=24), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("materials", sa.String(length=200), nullable=False),
        sa.Column("commitments", sa.Text(), nullable=False),
        sa.Column("commitment_sha256", sa.String(length=64), nullable=False),
        sa.Column("proofs_pending", sa.String(length=100), nullable=False),
        sa.Column("proofs_received", sa.Text(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("visit_reason", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_onething_case_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_case")),
        sa.UniqueConstraint("serial", name=op.f("uq_onething_case_serial")),
    )
    with op.batch_alter_table("onething_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_case_accepted_on"), ["accepted_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_case_insured_region"), ["insured_region"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_case_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_case_status"), ["status"], unique=False)

    op.create_table(
        "onething_part",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("office", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("result_code", sa.String(length=48), nullable=True),
        sa.Column("result_zh", sa.String(length=300), nullable=True),
        sa.Column("binding_id", BigId, nullable=True),
        sa.Column("registration_id", BigId, nullable=True),
        sa.Column("recognition_id", BigId, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["family_binding.id"], name=op.f("fk_onething_part_binding_id_family_binding")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["onething_case.id"], name=op.f("fk_onething_part_case_id_onething_case")),
        sa.ForeignKeyConstraint(
            ["recognition_id"],
            ["chronic_recognition.id"],
            name=op.f("fk_onething_part_recognition_id_chronic_recognition"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["offsite_registration.id"],
            name=op.f("fk_onething_part_registration_id_offsite_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_part")),
        sa.UniqueConstraint("case_id", "kind", name="uq_onething_part_case_kind"),
    )
    with op.batch_alter_table("onething_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_part_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_part_office"), ["office"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_part_recognition_id"), ["recognition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_part_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("onething_part")
    op.drop_table("onething_case")
