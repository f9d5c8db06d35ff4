"""The set-based SQL of fund accounting [seed 003 附件四]: the database classifies every posting by
the mapping rules (a ``VALUES`` list in a CTE, first matching rule by priority) and sums the voucher
lines; Python sees one row per voucher line (region × day × kind × subject) or per subject of the
trial balance, never a posting. The same SQL runs on SQLite and PostgreSQL (only the day of a
timestamp differs: SQLite keeps the Beijing wall time it was given, PostgreSQL converts).

A voucher (记账凭证) is the postings of one kind of business event, in one pooling region, on one
day (Beijing time), booked by ``domain.accounting``'s rule: Dr cash / Cr subject for money reaching
the account, netted per subject. Numbers run per region and month in (day, kind) order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, TextClause, bindparam, text

from gongji.domain.accounting import Chart, glob_to_like

KIND_BASE = "CASE WHEN x.kind LIKE 'reversal.%' THEN substr(x.kind, 10) ELSE x.kind END"  # reversals as their original


def _day(dialect: str) -> str:
    if dialect == "postgresql":
        return "to_char(t.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
    return "substr(t.created_at, 1, 10)"


def _rules(chart: Chart) -> tuple[str, dict[str, Any]]:
    """``rules(prio, acct, kind, subject, cash)`` as a VALUES list with bound parameters."""
    rows: list[str] = []
    params: dict[str, Any] = {}
    for i, r in enumerate(chart.rules):
        rows.append(f"(CAST(:p{i} AS INTEGER), :a{i}, :k{i}, :s{i}, :c{i})")
        params |= {f"p{i}": i, f"a{i}": glob_to_like(r.account), f"k{i}": glob_to_like(r.kind)}
        params |= {f"s{i}": r.subject, f"c{i}": r.cash}
    return "rules(prio, acct, kind, subject, cash) AS (VALUES " + ", ".join(rows) + ")", params


def _booked(dialect: str, where: str) -> str:
    """``booked``: the postings of the period with their rule's subject and bank subject (rules
    matched once per distinct account and kind); ``lines``: (region, day, kind, subject, net) per
    voucher line, debit positive, zero dropped."""
    return f"""
    posted AS (
      SELECT a.region_code AS region, {_day(dialect)} AS day, t.kind AS kind, t.id AS txn_id,
             p.amount_fen AS amount, p.account_id AS account_id
        FROM ledger_posting p
        JOIN ledger_txn t ON t.id = p.txn_id
        JOIN ledger_account a ON a.id = p.account_id
       WHERE t.created_at < :end {where}
    ),
    pairs AS (SELECT DISTINCT account_id, kind FROM posted),
    ruled AS (
      SELECT x.account_id, x.kind,
             (SELECT r.prio FROM rules r
               WHERE a.code LIKE r.acct ESCAPE '\\' AND {KIND_BASE} LIKE r.kind ESCAPE '\\'
               ORDER BY r.prio LIMIT 1) AS prio
        FROM pairs x JOIN ledger_account a ON a.id = x.account_id
    ),
    booked AS (
      SELECT x.region, x.day, x.kind, x.txn_id, x.amount, r.subject, r.cash
        FROM posted x
        JOIN ruled u ON u.account_id = x.account_id AND u.kind = x.kind
        JOIN rules r ON r.prio = u.prio
       WHERE r.subject <> ''
    ),
    sides AS (
      SELECT region, day, kind, subject, -amount AS net FROM booked
      UNION ALL
      SELECT region, day, kind, cash, amount FROM booked
    ),
    lines AS (
      SELECT region, day, kind, subject, SUM(net) AS net FROM sides
       GROUP BY region, day, kind, subject HAVING SUM(net) <> 0
    )"""


def _bind(sql: str) -> TextClause:
    return text(sql).bindparams(
        bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True))
    )


def unmapped(conn: Connection, chart: Chart, *, end: datetime, limit: int = 20) -> list[tuple[str, str]]:
    """(account code, kind) of postings before ``end`` that no rule maps, or that a rule books
    but whose account has no pooling region — in every region: one is enough to refuse. Rules are
    matched once per distinct (account, kind), not per posting."""
    ctes, params = _rules(chart)
    sql = f"""
    WITH {ctes},
    pairs AS (
      SELECT DISTINCT p.account_id, t.kind FROM ledger_posting p JOIN ledger_txn t ON t.id = p.txn_id
       WHERE t.created_at < :end
    ),
    ruled AS (
      SELECT a.code, a.region_code AS region, x.kind,
             (SELECT r.prio FROM rules r
               WHERE a.code LIKE r.acct ESCAPE '\\' AND {KIND_BASE} LIKE r.kind ESCAPE '\\'
               ORDER BY r.prio LIMIT 1) AS prio
        FROM pairs x JOIN ledger_account a ON a.id = x.account_id
    )
    SELECT code, kind FROM ruled u
     WHERE u.prio IS NULL OR (u.region IS NULL AND (SELECT r.subject FROM rules r WHERE r.prio = u.prio) <> '')
     ORDER BY code, kind LIMIT {int(limit)}"""
    q = text(sql).bindparams(bindparam("end", type_=DateTime(timezone=True)))
    return [(str(c), str(k)) for c, k in conn.execute(q, params | {"end": end})]


def voucher_lines(conn: Connection, chart: Chart, *, start: datetime, end: datetime, region_like: str) -> list[Any]:
    """Every voucher line of the month in the regions ``LIKE region_like``, with its voucher number
    (per region, by day then kind) and the number of transactions behind the voucher."""
    ctes, params = _rules(chart)
    where = "AND t.created_at >= :start AND a.region_code LIKE :region"
    sql = f"""
    WITH {ctes}, {_booked(conn.dialect.name, where)},
    events AS (SELECT region, day, kind, COUNT(DISTINCT txn_id) AS txns FROM booked GROUP BY region, day, kind),
    numbered AS (
      SELECT region, day, kind, DENSE_RANK() OVER (PARTITION BY region ORDER BY day, kind) AS no
        FROM (SELECT DISTINCT region, day, kind FROM lines) v
    )
    SELECT l.region, n.no, l.day, l.kind, e.txns, l.subject, l.net
      FROM lines l
      JOIN numbered n ON n.region = l.region AND n.day = l.day AND n.kind = l.kind
      JOIN events e ON e.region = l.region AND e.day = l.day AND e.kind = l.kind
     ORDER BY l.region, n.no, CASE WHEN l.net > 0 THEN 0 ELSE 1 END, l.subject"""
    return list(conn.execute(_bind(sql), params | {"start": start, "end": end, "region": region_like}))


def trial_balance(conn: Connection, chart: Chart, *, start: datetime, end: datetime, region_like: str) -> list[Any]:
    """Per subject: the opening balance (every voucher before ``start``), the month's debits and
    credits (the voucher lines' sides), debit positive."""
    ctes, params = _rules(chart)
    first_day = start.date().isoformat()
    sql = f"""
    WITH {ctes}, {_booked(conn.dialect.name, "AND a.region_code LIKE :region")}
    SELECT subject,
           SUM(CASE WHEN day < :first_day THEN net ELSE 0 END) AS opening,
           SUM(CASE WHEN day >= :first_day AND net > 0 THEN net ELSE 0 END) AS debit,
           SUM(CASE WHEN day >= :first_day AND net < 0 THEN -net ELSE 0 END) AS credit
      FROM lines GROUP BY subject"""
    q = text(sql).bindparams(bindparam("end", type_=DateTime(timezone=True)))
    return list(conn.execute(q, params | {"end": end, "region": region_like, "first_day": first_day}))
