"""The set-based SQL of the monthly clearing (issue 15 §7): every figure is an aggregate computed
by the database; Python sees aggregates (a row per region pair or city), never the detail rows —
except the detail tables, which are streamed to the writer.

A detail row (明细) is an authorizer party of a settlement row (``settlement_party``, role
``authorizer``) whose pooling region lies in another city than the settlement's insured region:
the relative's region advanced ``amount_fen`` for the authorizer's. Cancellation rows carry
negative amounts in the month of the cancellation. A paid 零星报销 (``reimbursement_claim``) drawing
on an authorizer of another city is a detail row too, of the month it was paid, kind ``local``
("按跨统筹区本地就医直接结算资金管理规则", seed 003 附件二(四)); its ``claim_id`` is set and its
``settlement_id`` NULL. The same SQL runs on SQLite and PostgreSQL,
and would run unchanged on Citus with ``settlement`` and ``settlement_party`` distributed by
insured region (docs/backoffice.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from gongji.adapters.db.models import (
    ClearingCity,
    ClearingDifference,
    ClearingLine,
    ReimbursementClaim,
    ReimbursementDraw,
    Settlement,
    SettlementParty,
)

S = Settlement.__table__.c
P = SettlementParty.__table__.c
LINE: Table = ClearingLine.__table__  # type: ignore[assignment]
CITY: Table = ClearingCity.__table__  # type: ignore[assignment]
DIFF = ClearingDifference.__table__.c
RC = ReimbursementClaim.__table__.c
RD = ReimbursementDraw.__table__.c

LOCAL, OFFSITE = "local", "offsite"


def city_of(column: ColumnElement[str]) -> ColumnElement[str]:
    """``330106`` → ``330100``: the city a pooling region belongs to (GB/T 2260)."""
    return func.substr(column, 1, 4).concat("00")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


def first_day_after(month: str) -> date:
    return month_bounds(month)[1].date()


def items(province: str, month: str, *, run_id: int | None, previous_run_id: int | None, narrow: bool = False) -> Any:
    """The detail rows of the run of ``month``: settled or cancelled in the month and not deferred
    by a resolved difference of this run, plus the rows the previous month's run deferred.
    ``narrow``: only the columns the aggregates read (kind, both regions, amount)."""
    start, end = month_bounds(month)
    in_month: ColumnElement[bool] = and_(S.setl_time >= start, S.setl_time < end)
    # the deferred rows are tested on the party's settlement_id (= settlement.id): the authorizer
    # parties are a fraction of the month's settlements
    if run_id is not None:
        deferred_here = select(DIFF.settlement_id).where(DIFF.run_id == run_id, DIFF.resolution == "deferred")
        in_month = and_(in_month, P.settlement_id.not_in(deferred_here))
    cond: ColumnElement[bool] = in_month
    if previous_run_id is not None:
        carried = select(DIFF.settlement_id).where(DIFF.run_id == previous_run_id, DIFF.resolution == "deferred")
        cond = or_(in_month, P.settlement_id.in_(carried))
    kind = case((S.treatment_region == S.insured_region, literal(LOCAL)), else_=literal(OFFSITE))
    keep = {"kind", "advancing_region", "owing_region", "amount_fen"}
    settlement_cols = [
        c
        for c in (
            S.id.label("settlement_id"),
            cast(literal(None), BigInteger).label("claim_id"),
            S.setl_time,
            S.status,
            S.fixmedins_code,
            S.treatment_region,
            S.insured_region.label("advancing_region"),
            P.region_code.label("owing_region"),
            kind.label("kind"),
            P.amount_fen,
        )
        if not narrow or c.name in keep
    ]
    settlements = (
        select(*settlement_cols)
        .select_from(SettlementParty.__table__.join(Settlement.__table__, S.id == P.settlement_id))
        .where(
            P.role == "authorizer",
            S.insured_region.startswith(province),
            P.region_code.startswith(province),
            func.substr(S.insured_region, 1, 4) != func.substr(P.region_code, 1, 4),
            cond,
        )
    )
    claim_cols = [
        c
        for c in (
            cast(literal(None), BigInteger).label("settlement_id"),
            RC.id.label("claim_id"),
            RC.paid_time.label("setl_time"),
            literal("reimbursed").label("status"),
            cast(literal(None), String).label("fixmedins_code"),
            RC.treatment_region,
            RC.region_code.label("advancing_region"),
            RD.region_code.label("owing_region"),
            literal(LOCAL).label("kind"),
            RD.amount_fen,
        )
        if not narrow or c.name in keep
    ]
    claims = (
        select(*claim_cols)
        .select_from(ReimbursementDraw.__table__.join(ReimbursementClaim.__table__, RC.id == RD.claim_id))
        .where(
            RC.state == "paid",
            RC.paid_time >= start,
            RC.paid_time < end,
            RC.region_code.startswith(province),
            RD.region_code.startswith(province),
            func.substr(RC.region_code, 1, 4) != func.substr(RD.region_code, 1, 4),
        )
    )
    return union_all(settlements, claims)  # type: ignore[return-value]


LINE_ROW, NET_ROW = "line", "net"


def one_pass(detail: Select) -> Select:  # type: ignore[type-arg]
    """One scan of the detail rows (``WITH d AS MATERIALIZED``; PostgreSQL ≥ 12, SQLite ≥ 3.35) giving
    both the region-pair lines and, independently of them, each city's net recomputed from the rows
    (Σ advanced − Σ owed). Rows: (``line``, kind, advancing, owing, items, fen) and
    (``net``, NULL, city, NULL, items, fen). The lines are written from the first kind; the balance
    table is then built from the stored lines and compared with the second kind."""
    d = detail.cte("d").prefix_with("MATERIALIZED")
    lines = select(
        literal(LINE_ROW).label("what"),
        d.c.kind,
        d.c.advancing_region.label("region"),
        d.c.owing_region.label("other"),
        func.count().label("n"),
        func.sum(d.c.amount_fen).label("fen"),
    ).group_by(d.c.kind, d.c.advancing_region, d.c.owing_region)
    # the rows summed per region they were advanced by and per region they are owed by (no kind,
    # no pair: not the lines' grouping), then per city
    signed = union_all(
        select(
            city_of(d.c.advancing_region).label("city"),
            func.count().label("n"),
            func.sum(d.c.amount_fen).label("fen"),
        ).group_by(d.c.advancing_region),
        select(
            city_of(d.c.owing_region).label("city"),
            func.count().label("n"),
            (-func.sum(d.c.amount_fen)).label("fen"),
        ).group_by(d.c.owing_region),
    ).subquery()
    nets = select(
        literal(NET_ROW),
        cast(literal(None), String),
        signed.c.city,
        cast(literal(None), String),
        func.sum(signed.c.n),
        func.sum(signed.c.fen),
    ).group_by(signed.c.city)
    return union_all(lines, nets)  # type: ignore[return-value]


def insert_lines(conn, run_id: int, pairs: list[tuple[str, str, str, int, int]]) -> None:  # type: ignore[no-untyped-def]
    """Replace the run's lines by ``pairs`` (kind, advancing, owing, items, fen): aggregates, a row
    per region pair, never detail rows."""
    conn.execute(delete(LINE).where(LINE.c.run_id == run_id))
    if pairs:
        keys = ("kind", "advancing_region", "owing_region", "items", "amount_fen")
        conn.execute(insert(LINE), [{"run_id": run_id, **dict(zip(keys, p, strict=True))} for p in pairs])


def _city_sides(run_id: int) -> Select:  # type: ignore[type-arg]
    """Each line twice: as owed by others to the advancing city, as owed to others by the owing city."""
    line = LINE.c
    zero = literal(0)
    return union_all(
        select(
            city_of(line.advancing_region).label("city"),
            zero.label("owed_to"),
            line.amount_fen.label("owed_by"),
            line.kind,
        ).where(line.run_id == run_id),
        select(
            city_of(line.owing_region).label("city"),
            line.amount_fen.label("owed_to"),
            zero.label("owed_by"),
            line.kind,
        ).where(line.run_id == run_id),
    ).subquery()  # type: ignore[return-value]


def write_cities(conn, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """INSERT … SELECT the balance table (per city: owed to others, owed by others, net)."""
    sides = _city_sides(run_id)
    owed_to, owed_by = func.sum(sides.c.owed_to), func.sum(sides.c.owed_by)  # type: ignore[attr-defined]
    conn.execute(delete(CITY).where(CITY.c.run_id == run_id))
    conn.execute(
        insert(CITY).from_select(
            ["run_id", "city_code", "owed_to_others_fen", "owed_by_others_fen", "net_fen", "has_local", "has_offsite"],
            select(
                literal(run_id),
                sides.c.city,  # type: ignore[attr-defined]
                owed_to,
                owed_by,
                owed_by - owed_to,
                func.sum(case((sides.c.kind == LOCAL, 1), else_=0)) > 0,  # type: ignore[attr-defined]
                func.sum(case((sides.c.kind == OFFSITE, 1), else_=0)) > 0,  # type: ignore[attr-defined]
            ).group_by(sides.c.city),  # type: ignore[attr-defined]
        )
    )


def nets_from_detail(detail: Select) -> Select:  # type: ignore[type-arg]
    """Per city, Σ of the detail rows it advanced − Σ of those it owes: what its net must equal."""
    d = detail.subquery()
    signed = union_all(
        select(city_of(d.c.advancing_region).label("city"), d.c.amount_fen.label("fen")),
        select(city_of(d.c.owing_region).label("city"), (-d.c.amount_fen).label("fen")),
    ).subquery()
    return select(signed.c.city, func.sum(signed.c.fen), func.count()).group_by(signed.c.city)


def totals(run_id: int) -> Select:  # type: ignore[type-arg]
    """Detail rows and their sum, from the lines (the check recomputes the nets from the rows)."""
    return select(func.coalesce(func.sum(LINE.c["items"]), 0), func.coalesce(func.sum(LINE.c.amount_fen), 0)).where(
        LINE.c.run_id == run_id
    )
