"""Collection: a per-district daily rollup of paid premiums (issue 16, Performance)

``collection_region_day`` holds, per district (区县), benefit year and Beijing day, the net premiums
paid, kept by the triggers on ``resident_premium`` in the payment's transaction next to
``collection_paid_day`` (the PL/pgSQL function is replaced; the SQLite triggers are recreated with
the second upsert). Backfilled from ``collection_paid_day``. Downgrade restores migration 0024's
triggers and drops the table.

Revision ID: 0028
Revises: 0027
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location("_collection_0024", Path(__file__).with_name("0024_collection.py"))
assert _spec is not None and _spec.loader is not None
_V24 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_V24)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION collection_paid_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := 0;
  d date;
  u bigint;
  r varchar(6);
BEGIN
  IF NEW.insutype <> '390' THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status = 'paid' THEN
      delta := 1; d := (NEW.paid_at AT TIME ZONE INTERVAL '+08:00')::date;
    END IF;
  ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
    IF NEW.status = 'paid' THEN
      delta := 1; d := (NEW.paid_at AT TIME ZONE INTERVAL '+08:00')::date;
    ELSIF OLD.status = 'paid' THEN
      delta := -1; d := (COALESCE(NEW.refunded_at, now()) AT TIME ZONE INTERVAL '+08:00')::date;
    END IF;
  END IF;
  IF delta = 0 OR d IS NULL THEN RETURN NULL; END IF;
  SELECT m.unit_id, cu.region_code INTO u, r
    FROM collection_member m JOIN collection_unit cu ON cu.id = m.unit_id WHERE m.person_id = NEW.person_id;
  IF u IS NULL THEN RETURN NULL; END IF;
  INSERT INTO collection_paid_day (unit_id, benefit_year, day, paid) VALUES (u, NEW.benefit_year, d, delta)
  ON CONFLICT (unit_id, benefit_year, day) DO UPDATE SET paid = collection_paid_day.paid + EXCLUDED.paid;
  INSERT INTO collection_region_day (region_code, benefit_year, day, paid) VALUES (r, NEW.benefit_year, d, delta)
  ON CONFLICT (region_code, benefit_year, day) DO UPDATE SET paid = collection_region_day.paid + EXCLUDED.paid;
  RETURN NULL;
END $$
"""


def _sqlite_trigger(name: str, event: str, when: str, day: str, delta: str) -> str:
    unit = "(SELECT unit_id FROM collection_member WHERE person_id = NEW.person_id)"
    region = f"(SELECT region_code FROM collection_unit WHERE id = {unit})"
    return f"""
CREATE TRIGGER {name} AFTER {event} ON resident_premium
WHEN NEW.insutype = '390' AND {when} AND {unit} IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO collection_paid_day (unit_id, benefit_year, day, paid)
  VALUES ({unit}, NEW.benefit_year, {day}, 0);
  UPDATE collection_paid_day SET paid = paid + ({delta})
  WHERE unit_id = {unit} AND benefit_year = NEW.benefit_year AND day = {day};
  INSERT OR IGNORE INTO collection_region_day (region_code, benefit_year, day, paid)
  VALUES ({region}, NEW.benefit_year, {day}, 0);
  UPDATE collection_region_day SET paid = paid + ({delta})
  WHERE region_code = {region} AND benefit_year = NEW.benefit_year AND day = {day};
END
"""


_SQLITE_TRIGGERS = {
    "collection_paid_insert": _sqlite_trigger(
        "collection_paid_insert", "INSERT", "NEW.status = 'paid'", "date(NEW.paid_at)", "1"
    ),
    "collection_paid_update": _sqlite_trigger(
        "collection_paid_update",
        "UPDATE OF status",
        "OLD.status IS NOT NEW.status AND NEW.status = 'paid'",
        "date(NEW.paid_at)",
        "1",
    ),
    "collection_refund_update": _sqlite_trigger(
        "collection_refund_update",
        "UPDATE OF status",
        "OLD.status = 'paid' AND NEW.status <> 'paid'",
        "date(COALESCE(NEW.refunded_at, datetime('now', '+8 hours')))",
        "-1",
    ),
}


def upgrade() -> None:
    op.create_table(
        "collection_region_day",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("benefit_year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "benefit_year", "day", name=op.f("pk_collection_region_day")),
    )
    op.execute(
        "INSERT INTO collection_region_day (region_code, benefit_year, day, paid) "
        "SELECT u.region_code, p.benefit_year, p.day, SUM(p.paid) FROM collection_paid_day p "
        "JOIN collection_unit u ON u.id = p.unit_id GROUP BY u.region_code, p.benefit_year, p.day"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    else:
        for name, sql in _SQLITE_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(sql)


def downgrade() -> None:
    _V24._drop_triggers()  # PostgreSQL: the trigger and the function; SQLite: the three triggers
    _V24._create_triggers()
    op.drop_table("collection_region_day")
