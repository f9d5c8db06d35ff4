"""The set-based SQL of the monthly payment of institutions (issue 15 §2, §7): the month's amounts
per institution are aggregates computed by the database (``INSERT … SELECT … GROUP BY``), the
3201 totals are recomputed against the centre's rows by one grouped join, the 3202 differences
are copied by ``INSERT … SELECT``. Python sees a row per institution or per difference, never a
settlement row. Same SQL on SQLite and PostgreSQL; on Citus it is local to a shard when
``settlement`` is distributed by the region of care (docs/backoffice.md)."""

from __future__ import annotations

from sqlalchemy import Connection, Select, Table, and_, case, delete, func, insert, literal, or_, select

from gongji.adapters.db.models import (
    InstitutionPaymentDiff,
    InstitutionPaymentLine,
    NhsaStatement,
    NhsaStatementLine,
    Settlement,
)
from gongji.services.backoffice.clearing_sql import month_bounds

S = Settlement.__table__.c
ST = NhsaStatement.__table__.c
SL = NhsaStatementLine.__table__.c
LINE: Table = InstitutionPaymentLine.__table__  # type: ignore[assignment]
DIFF: Table = InstitutionPaymentDiff.__table__  # type: ignore[assignment]


def write_lines(conn: Connection, run_id: int, region: str, month: str) -> None:
    """Per institution of the region of care: the month's settlements net of reversals (a
    cancellation row carries negative amounts in the month it was made), split into the fund
    share, the own-account share and the family share (``acct_pay`` includes ``acct_mulaid_pay``)."""
    start, end = month_bounds(month)
    forward = case((S.refd_setl_flag == "0", 1), else_=0)
    own = S.acct_pay_fen - S.acct_mulaid_pay_fen
    conn.execute(delete(LINE).where(LINE.c.run_id == run_id))
    conn.execute(
        insert(LINE).from_select(
            [
                "run_id",
                "fixmedins_code",
                "settlements",
                "reversals",
                "medfee_fen",
                "fund_fen",
                "own_acct_fen",
                "family_fen",
                "total_fen",
                "state",
                "attempt",
            ],  # fmt: skip
            select(
                literal(run_id),
                S.fixmedins_code,
                func.sum(forward),
                func.sum(1 - forward),
                func.sum(S.medfee_fen),
                func.sum(S.fund_pay_sumamt_fen),
                func.sum(own),
                func.sum(S.acct_mulaid_pay_fen),
                func.sum(S.fund_pay_sumamt_fen + S.acct_pay_fen),
                literal("pending"),
                literal(0),
            )
            .where(S.treatment_region == region, S.setl_time >= start, S.setl_time < end)
            .group_by(S.fixmedins_code),
        )
    )


def totals(run_id: int) -> Select:  # type: ignore[type-arg]
    c = LINE.c
    return select(
        func.count(),
        func.coalesce(func.sum(c.settlements + c.reversals), 0),
        func.coalesce(func.sum(c.fund_fen), 0),
        func.coalesce(func.sum(c.own_acct_fen), 0),
        func.coalesce(func.sum(c.family_fen), 0),
        func.coalesce(func.sum(c.total_fen), 0),
    ).where(c.run_id == run_id)


def _latest(run_id: int, month: str, infno: str) -> Select:  # type: ignore[type-arg]
    """The latest call per institution × insutype × clr_type × agency × period, for periods
    within the month, of the institutions on the statement (a later call supersedes)."""
    start, end = month_bounds(month)
    return (
        select(func.max(ST.id))
        .where(
            ST.infno == infno,
            ST.fixmedins_code.in_(select(LINE.c.fixmedins_code).where(LINE.c.run_id == run_id)),
            ST.period_start >= start,
            ST.period_stop <= end,
        )
        .group_by(ST.fixmedins_code, ST.insutype, ST.clr_type, ST.setl_optins, ST.period_start, ST.period_stop)
    )


def totals_now(run_id: int, month: str) -> Select:  # type: ignore[type-arg]
    """Each latest 3201 with the centre's figures recomputed now (same rows as 3201 takes)."""
    joined = NhsaStatement.__table__.outerjoin(
        Settlement.__table__,
        and_(
            S.fixmedins_code == ST.fixmedins_code,
            S.setl_time >= ST.period_start,
            S.setl_time < ST.period_stop,
            S.insutype == ST.insutype,
            S.clr_type == ST.clr_type,
            S.insured_region == ST.setl_optins,
            or_(ST.includes_refunds, and_(S.refd_setl_flag == "0", S.status == "settled")),
        ),
    )
    return (
        select(
            ST.id,
            ST.fixmedins_code,
            ST.period_start,
            ST.period_stop,
            ST.declared_medfee_fen,
            ST.declared_fund_fen,
            ST.declared_acct_fen,
            ST.declared_count,
            func.count(S.id).label("centre_count"),
            func.coalesce(func.sum(S.medfee_fen), 0).label("medfee"),
            func.coalesce(func.sum(S.fund_pay_sumamt_fen), 0).label("fund"),
            func.coalesce(func.sum(S.acct_pay_fen), 0).label("acct"),
        )
        .select_from(joined)
        .where(ST.id.in_(_latest(run_id, month, "3201")))
        .group_by(
            ST.id,
            ST.fixmedins_code,
            ST.period_start,
            ST.period_stop,
            ST.declared_medfee_fen,
            ST.declared_fund_fen,
            ST.declared_acct_fen,
            ST.declared_count,
        )
        .order_by(ST.fixmedins_code, ST.period_start, ST.id)
    )


def write_detail_differences(conn: Connection, run_id: int, month: str) -> None:
    """Every settlement a latest 3202 of the month found different: one difference each."""
    inst = SL.inst_fund_fen + SL.inst_acct_fen
    centre = S.fund_pay_sumamt_fen + S.acct_pay_fen
    conn.execute(
        insert(DIFF).from_select(
            ["run_id", "fixmedins_code", "source", "setl_id", "description", "inst_fen", "centre_fen", "state"],
            select(
                literal(run_id),
                ST.fixmedins_code,
                literal("3202"),
                SL.setl_id,
                SL.memo,
                inst,
                centre,
                literal("open"),
            )
            .select_from(
                NhsaStatementLine.__table__.join(NhsaStatement.__table__, ST.id == SL.statement_id).outerjoin(
                    Settlement.__table__, S.id == SL.settlement_id
                )
            )
            .where(SL.statement_id.in_(_latest(run_id, month, "3202")))
            .order_by(ST.fixmedins_code, SL.id),
        )
    )


def write_unreconciled(conn: Connection, run_id: int, month: str) -> None:
    """An institution on the statement with no 3201 for a period within the month."""
    start, end = month_bounds(month)
    reconciled = select(ST.fixmedins_code).where(ST.infno == "3201", ST.period_start >= start, ST.period_stop <= end)
    conn.execute(
        insert(DIFF).from_select(
            ["run_id", "fixmedins_code", "source", "description", "state"],
            select(
                literal(run_id),
                LINE.c.fixmedins_code,
                literal("none"),
                literal("本月未对总账（3201），机构尚未确认本月结算数据"),
                literal("open"),
            ).where(LINE.c.run_id == run_id, LINE.c.fixmedins_code.not_in(reconciled)),
        )
    )
