"""resident enrollment forms (附件1 参保登记表, 附件2 信息变更登记表, 附件3 停保或流出登记表)

Hand-written: the tables of ``ResidentRegistration``, ``ResidentChange``, ``ResidentChangeItem``,
``ResidentStop`` and ``ResidentAddress`` (seed 002 §五; docs/resident.md).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", BigId, nullable=False)


def _intake() -> list[sa.Column]:
    """The idempotency key of the submission and its request digest."""
    return [
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
    ]


def _created() -> list[sa.Column]:
    return [
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=50), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_unit", sa.String(length=100), nullable=True),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "resident_registration",
        _id(),
        *_intake(),
        sa.Column("enroll_region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("cert_type", sa.String(length=6), nullable=False),
        sa.Column("cert_no", sa.String(length=50), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("household_kind", sa.String(length=10), nullable=False),
        sa.Column("hukou_region", sa.String(length=6), nullable=False),
        sa.Column("hukou_village", sa.String(length=100), nullable=True),
        sa.Column("township", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("applicant_identity", sa.String(length=12), nullable=False),
        sa.Column("psn_type", sa.String(length=10), nullable=False),
        sa.Column("subsidy_codes", sa.String(length=300), nullable=False),
        sa.Column("school_name", sa.String(length=100), nullable=True),
        sa.Column("school_region", sa.String(length=6), nullable=True),
        sa.Column("no_waiting_period", sa.Boolean(), nullable=False),
        sa.Column("signer_name", sa.String(length=50), nullable=False),
        sa.Column("signer_role", sa.String(length=10), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("declaration_version", sa.String(length=20), nullable=False),
        *_created(),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("enrollment_id", BigId, nullable=True),
        _fk("resident_registration", "enrollment_id", "enrollment"),
        _fk("resident_registration", "person_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_registration")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_resident_registration_idempotency_key")),
    )
    _indexes("resident_registration", "cert_no", "person_id", "region_code", "status")

    op.create_table(
        "resident_change",
        _id(),
        *_intake(),
        sa.Column("filler_name", sa.String(length=50), nullable=False),
        sa.Column("filler_phone", sa.String(length=20), nullable=False),
        sa.Column("filled_on", sa.Date(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        *_created(),
        sa.Column("opinion", sa.String(length=200), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_change")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_resident_change_idempotency_key")),
    )
    _indexes("resident_change", "region_code", "status")

    op.create_table(
        "resident_change_item",
        _id(),
        sa.Column("change_id", BigId, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("cert_no", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("before_value", sa.String(length=200), nullable=True),
        sa.Column("after_value", sa.String(length=200), nullable=False),
        sa.Column("signed_by", sa.String(length=50), nullable=False),
        sa.Column("remark", sa.String(length=200), nullable=True),
        sa.Column("derived", sa.Boolean(), nullable=False),
        _fk("resident_change_item", "change_id", "resident_change"),
        _fk("resident_change_item", "person_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_change_item")),
    )
    _indexes("resident_change_item", "change_id", "person_id")

    op.create_table(
        "resident_stop",
        _id(),
        *_intake(),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("enrollment_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("reason_note", sa.String(length=200), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("destination_region", sa.String(length=6), nullable=True),
        sa.Column("transfer", sa.Boolean(), nullable=False),
        sa.Column("graduated_on", sa.Date(), nullable=True),
        sa.Column("applicant_name", sa.String(length=50), nullable=False),
        sa.Column("applicant_role", sa.String(length=10), nullable=False),
        sa.Column("applicant_phone", sa.String(length=20), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        *_created(),
        sa.Column("opinion", sa.String(length=200), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        _fk("resident_stop", "enrollment_id", "enrollment"),
        _fk("resident_stop", "person_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_stop")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_resident_stop_idempotency_key")),
    )
    _indexes("resident_stop", "enrollment_id", "person_id", "region_code", "status")

    op.create_table(
        "resident_address",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("hukou_village", sa.String(length=100), nullable=True),
        sa.Column("township", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("resident_address", "person_id", "person"),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_resident_address")),
    )


def downgrade() -> None:
    op.drop_table("resident_address")
    for table, columns in (
        ("resident_stop", ("enrollment_id", "person_id", "region_code", "status")),
        ("resident_change_item", ("change_id", "person_id")),
        ("resident_change", ("region_code", "status")),
        ("resident_registration", ("cert_no", "person_id", "region_code", "status")),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
