"""Tables of the monthly payment of institutions (拨付, issue 15 §2; seed 003 附件 二(一)(二)2).

Kept apart from ``models.py`` (imported at its end, so the tables are in ``Base.metadata``):
the institutions' 3201/3202 results as the centre recorded them, and the monthly statement per
pooling region with its lines, differences and payment lines. Migration 0033.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongji.adapters.db.models import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")  # as in models.py


class NhsaStatement(Base):
    """One 3201 (对总账) or 3202 (对明细账) call of an institution, as answered: the period
    [``period_start``, ``period_stop``) in Beijing wall time, the institution's declared figures,
    the centre's at the time and the result (``stmt_rslt`` "0" 平 / "1" 不平)."""

    __tablename__ = "nhsa_statement"
    __table_args__ = (Index("ix_nhsa_statement_institution_period", "fixmedins_code", "period_start"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    infno: Mapped[str] = mapped_column(String(4))  # 3201 / 3202
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str | None] = mapped_column(String(6))  # 3201 only
    clr_type: Mapped[str] = mapped_column(String(6))
    setl_optins: Mapped[str] = mapped_column(String(6))
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_stop: Mapped[datetime] = mapped_column(DateTime)
    includes_refunds: Mapped[bool] = mapped_column(Boolean)
    declared_medfee_fen: Mapped[int] = mapped_column(BigInteger)
    declared_fund_fen: Mapped[int] = mapped_column(BigInteger)
    declared_acct_fen: Mapped[int | None] = mapped_column(BigInteger)  # 3202 declares no account total
    declared_count: Mapped[int] = mapped_column(Integer)
    stmt_rslt: Mapped[str] = mapped_column(String(1))
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NhsaStatementLine(Base):
    """A settlement a 3202 found different (a line of its result file)."""

    __tablename__ = "nhsa_statement_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("nhsa_statement.id"), index=True)
    setl_id: Mapped[str] = mapped_column(String(30))
    settlement_id: Mapped[int | None] = mapped_column(BigId)  # the centre's row, when it has one
    memo: Mapped[str] = mapped_column(String(500))
    inst_medfee_fen: Mapped[int | None] = mapped_column(BigInteger)
    inst_fund_fen: Mapped[int | None] = mapped_column(BigInteger)
    inst_acct_fen: Mapped[int | None] = mapped_column(BigInteger)


class InstitutionPaymentRun(Base):
    """The monthly settlement with the institutions of one pooling region (拨付): prepared by one
    clerk, approved by another, then a payment order (支付单) and the bank's confirmations."""

    __tablename__ = "institution_payment_run"
    __table_args__ = (UniqueConstraint("region_code", "month"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    month: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(10))  # prepared / approved / ordered / closed
    institutions: Mapped[int] = mapped_column(Integer)
    settlements: Mapped[int] = mapped_column(BigInteger)
    fund_fen: Mapped[int] = mapped_column(BigInteger)
    own_acct_fen: Mapped[int] = mapped_column(BigInteger)
    family_fen: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    prepared_by_user_id: Mapped[int | None] = mapped_column(Integer)
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    order_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    ordered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InstitutionPaymentLine(Base):
    """What the region owes one institution for the month (SQL aggregate of its settlements, net
    of reversals) and the payment of it: ``pending`` → ``ordered`` → ``paid`` or ``rejected``
    (stays owed; ordered again later); ``offset`` when the month nets to nothing or less."""

    __tablename__ = "institution_payment_line"
    __table_args__ = (UniqueConstraint("run_id", "fixmedins_code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("institution_payment_run.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    settlements: Mapped[int] = mapped_column(BigInteger)
    reversals: Mapped[int] = mapped_column(BigInteger)
    medfee_fen: Mapped[int] = mapped_column(BigInteger)
    fund_fen: Mapped[int] = mapped_column(BigInteger)
    own_acct_fen: Mapped[int] = mapped_column(BigInteger)
    family_fen: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    bank_ref: Mapped[str | None] = mapped_column(String(60))
    request_key: Mapped[str | None] = mapped_column(String(100))  # of the bank confirmation (replays)
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    txn_id: Mapped[int | None] = mapped_column(BigId)
    confirmed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InstitutionPaymentDiff(Base):
    """A difference between the centre's month and an institution's reconciliation: at the
    institution (3201 totals, or no 3201 at all) or at one settlement (a 3202 line). Blocks approval
    while ``open``; a clerk may accept it with a reason (``accepted``)."""

    __tablename__ = "institution_payment_diff"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("institution_payment_run.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))  # 3201 / 3202 / none
    setl_id: Mapped[str | None] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    inst_fen: Mapped[int | None] = mapped_column(BigInteger)  # the institution's figure (total or line)
    centre_fen: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10))  # open / accepted
    note: Mapped[str | None] = mapped_column(String(200))
    resolved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
