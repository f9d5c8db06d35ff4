"""Tables (SQLAlchemy 2 declarative), the same on SQLite and PostgreSQL.

Money columns are BIGINT fen. The ledger tables are append-only: ``ledger_txn`` and
``ledger_posting`` rows are never updated or deleted; only ``ledger_account.balance_fen`` is
updated, by the ledger service, under a CHECK that non-negative accounts stay ≥ 0.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Employer(Base):
    """单位: employees enroll through their employer."""

    __tablename__ = "employer"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6), index=True)


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("cert_type", "cert_no", name="cert"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cert_type: Mapped[str] = mapped_column(String(6), default="01")
    cert_no: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str] = mapped_column(String(1))  # 1 male, 2 female, 9 not stated
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    hukou_region: Mapped[str | None] = mapped_column(String(6))
    ssc_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    """社会保障卡卡号: the card a HIS reads as 就诊凭证 03 (recorded at enrollment)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The last 4 characters of cert_no / phone / ssc_no, kept by ``_tails`` below: the indexed
    # key of a search by the end of a number (a clerk types "尾号1234"); see docs/registry.md.
    cert_tail: Mapped[str | None] = mapped_column(String(4), index=True)
    phone_tail: Mapped[str | None] = mapped_column(String(4), index=True)
    ssc_tail: Mapped[str | None] = mapped_column(String(4), index=True)

    @validates("cert_no", "phone", "ssc_no")
    def _tails(self, key: str, value: str | None) -> str | None:
        tail = value[-4:] if value else None
        setattr(self, {"cert_no": "cert_tail", "phone": "phone_tail", "ssc_no": "ssc_tail"}[key], tail)
        return value


class Enrollment(Base):
    """参保: one insurance type in one pooling region."""

    __tablename__ = "enrollment"
    __table_args__ = (
        # At most one live enrollment per person and insurance type.
        Index(
            "uq_enrollment_live",
            "person_id",
            "insutype",
            unique=True,
            sqlite_where=text("status <> 'terminated'"),
            postgresql_where=text("status <> 'terminated'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    insutype: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(12))
    psn_type: Mapped[str] = mapped_column(String(10))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class EnrollmentEvent(Base):
    """Append-only history of every enrollment change."""

    __tablename__ = "enrollment_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    from_region: Mapped[str | None] = mapped_column(String(6))
    to_region: Mapped[str] = mapped_column(String(6))
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonalAccount(Base):
    """个人账户 (employees only); its money lives in two ledger accounts (current, past years)."""

    __tablename__ = "personal_account"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="normal")  # normal / frozen
    opened_on: Mapped[date] = mapped_column(Date)


class AccountIncome(Base):
    """A month's personal-account income entered by staff (经办录入), with its maker–checker
    state: pending (waits for a second clerk) → posted (``txn_id``) or rejected; a posted entry
    undone by 冲正 becomes reversed. One live entry per person, month and kind."""

    __tablename__ = "account_income"
    __table_args__ = (
        Index(
            "uq_account_income_live",
            "person_id",
            "month",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('pending', 'posted')"),
            postgresql_where=text("status IN ('pending', 'posted')"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kind: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # pending / posted / rejected / reversed
    entered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by_user_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"), unique=True)


class Household(Base):
    __tablename__ = "household"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))


class HouseholdMember(Base):
    """Who lives together in the demo registry, and their relation to the head (户主)."""

    __tablename__ = "household_member"
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True, index=True)
    relation: Mapped[str] = mapped_column(String(24))


class Institution(Base):
    """定点医药机构: designated hospitals and pharmacies."""

    __tablename__ = "institution"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # hospital / pharmacy
    level: Mapped[int] = mapped_column(Integer)  # 1..3 for hospitals, 0 for pharmacies
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # 统筹区 (pooling region)
    # 协议状态: active (在协议期), suspended (暂停), ended (终止); only active may call the gateway.
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    agreement_start: Mapped[date | None] = mapped_column(Date)
    agreement_end: Mapped[date | None] = mapped_column(Date)


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (CheckConstraint("NOT non_negative OR balance_fen >= 0", name="non_negative"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    non_negative: Mapped[bool] = mapped_column(Boolean)
    opening_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerTxn(Base):
    __tablename__ = "ledger_txn"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    narration: Mapped[str] = mapped_column(String(200))
    reverses_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result_json: Mapped[str] = mapped_column(Text)


class LedgerPosting(Base):
    __tablename__ = "ledger_posting"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_after_fen: Mapped[int] = mapped_column(BigInteger)


class AppUser(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))  # citizen/staff/institution/tax/auditor
    display_name: Mapped[str] = mapped_column(String(50))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    fixmedins_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserRegion(Base):
    __tablename__ = "user_region"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)


class AuthToken(Base):
    """Opaque bearer tokens; only their SHA-256 is stored."""

    __tablename__ = "auth_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed logins per account (``acct:`` + hash of the user name) or client address
    (``addr:``), and until when that key is locked (issue 13 §4)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordResetCode(Base):
    """A one-time password reset code staff issued to a citizen: hash only, expires, single use."""

    __tablename__ = "password_reset_code"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("app_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    issued_by: Mapped[int] = mapped_column(BigId, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditLog(Base):
    """Who did what, when, from which channel; details are masked before they get here."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str | None] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # api / web / cli / system
    client_addr: Mapped[str | None] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column(Text, default="{}")


# --- family mutual aid (家庭共济, SPEC §4) ------------------------------------------------------


class FamilyAgreementAcceptance(Base):
    """The first-use confirmation of the agreement (承诺协议) and Q&A (seed 000 第二步)."""

    __tablename__ = "family_agreement_acceptance"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))
    client_addr: Mapped[str | None] = mapped_column(String(64))


class FamilyBinding(Base):
    """A binding between an authorizer and a relative, made on a signed commitment (承诺书).

    Rows are not deleted: unbinding or revoking sets ``status`` and the ``ended_*`` columns.
    """

    __tablename__ = "family_binding"
    __table_args__ = (
        Index(
            "uq_family_binding_active",
            "authorizer_id",
            "relative_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relation: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10))  # active / ended / revoked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the signed commitment: which text, its digest, when, where from, and the signature's digest
    commitment_version: Mapped[str] = mapped_column(String(20))
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    signature_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(200))
    ended_by_user_id: Mapped[int | None] = mapped_column(Integer)


class FamilyPayment(Base):
    """One payment for a relative (own account → family funds → cash), idempotent by key.

    A payment paid wholly in cash has no ledger transaction; this row still answers replays.
    """

    __tablename__ = "family_payment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    use_kind: Mapped[str] = mapped_column(String(24))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    own_fen: Mapped[int] = mapped_column(BigInteger)
    family_fen: Mapped[int] = mapped_column(BigInteger)
    cash_fen: Mapped[int] = mapped_column(BigInteger)
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result_json: Mapped[str] = mapped_column(Text)


class FamilyDraw(Base):
    """What one payment drew through one binding (append-only): the basis of recovery."""

    __tablename__ = "family_draw"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("family_payment.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("family_binding.id"), index=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), index=True)
    account_code: Mapped[str] = mapped_column(String(80))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FamilyMatchFailure(Base):
    """A failed name/ID-number match by an authorizer, for rate limiting (no names stored)."""

    __tablename__ = "family_match_failure"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CreditRecord(Base):
    """医保信用管理: an entry against a person, e.g. a fraudulent family binding (seed 003)."""

    __tablename__ = "credit_record"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("family_binding.id"))
    reason: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("family_fraud_case.id"), index=True)


class FamilyFraudCase(Base):
    """A fraud case on a binding (seed 003 四(四)) and its receivable (追回应收): what was paid
    through the pair's bindings, owed by the parties staff hold liable. Nothing is booked at
    opening; each collection is its own ledger transaction (``FamilyFraudCollection``). While
    the case is open (``open`` / ``part_collected``) neither party may be bound again."""

    __tablename__ = "family_fraud_case"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("family_binding.id"), unique=True)
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # owed to (authorizer's region)
    liable: Mapped[str] = mapped_column(String(10))  # authorizer / relative / both
    reason: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(14), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_user_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_off_reason: Mapped[str | None] = mapped_column(String(200))
    write_off_requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    write_off_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_off_approved_by_user_id: Mapped[int | None] = mapped_column(Integer)


class FamilyFraudCollection(Base):
    """One amount actually collected on a fraud case, with the ledger transaction that
    returned it to the authorizer's past-years account (append-only)."""

    __tablename__ = "family_fraud_collection"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("family_fraud_case.id"), index=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- settlement through the national 两定 interface (SPEC §5) ------------------------------------


class ApiKey(Base):
    """A gateway key (docs/institution-keys.md): of a designated institution (``holder``
    ``institution``) or of the tax bureau's interface (``tax``). The secret itself is never
    stored: it is derived from the server's key pepper, ``key_id`` and ``salt``; the table keeps
    its SHA-256 (checked on every use) and four characters to tell keys apart."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    holder: Mapped[str] = mapped_column(String(12))  # institution / tax
    fixmedins_code: Mapped[str | None] = mapped_column(String(20), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # whose principal a signed call gets
    salt: Mapped[str] = mapped_column(String(64))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    secret_hint: Mapped[str] = mapped_column(String(8))  # the secret's first four characters
    status: Mapped[str] = mapped_column(String(10), default="active")  # active / revoked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[str | None] = mapped_column(String(64))  # the key_id a rotation issued


class GatewayNonce(Base):
    """A nonce seen with a key, kept until ``expires_at`` (the signature window): a unique
    constraint, not a read-then-write, makes a second use fail under any concurrency."""

    __tablename__ = "gateway_nonce"
    __table_args__ = (UniqueConstraint("key_id", "nonce", name="uq_gateway_nonce_key_nonce"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class NhsaMessage(Base):
    """The first answer to each (institution, msgid): a repeated msgid gets it back unchanged."""

    __tablename__ = "nhsa_message"
    __table_args__ = (UniqueConstraint("fixmedins_code", "msgid", name="uq_nhsa_message_msgid"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    msgid: Mapped[str] = mapped_column(String(64))
    infno: Mapped[str] = mapped_column(String(8))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NhsaSignIn(Base):
    """9001 签到: one row per sign-in; ``sign_no`` is returned to the institution."""

    __tablename__ = "nhsa_sign_in"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    opter_no: Mapped[str] = mapped_column(String(30))
    sign_no: Mapped[str] = mapped_column(String(30), unique=True)
    sign_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Visit(Base):
    """就诊 (2201 挂号 / pharmacy sale): ``mdtrt_id`` is the id as a string."""

    __tablename__ = "visit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str | None] = mapped_column(String(6))
    psn_type: Mapped[str | None] = mapped_column(String(10))
    ipt_otp_no: Mapped[str] = mapped_column(String(30))
    dept_code: Mapped[str | None] = mapped_column(String(30))
    begntime: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10))  # open / cancelled
    treatment_region: Mapped[str] = mapped_column(String(6))
    insured_region: Mapped[str] = mapped_column(String(6))
    msgid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mdtrt_cert_type: Mapped[str | None] = mapped_column(String(3))
    """The 就诊凭证类型 the visit was opened with (01 医保码 / 02 身份证 / 03 社保卡)."""


class EcToken(Base):
    """医保电子凭证 token (医保码): shown on the citizen's page, short-lived, one visit.

    ``nonce`` is the token's public part; the text a HIS scans is ``ec1.<nonce>.<signature>``
    (``domain.credentials``). ``status``: live → used (bound to ``visit_id`` by 2201, 2206 or
    2207) or replaced (the citizen asked for a new code)."""

    __tablename__ = "ec_token"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fixmedins_code: Mapped[str | None] = mapped_column(String(20))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))


class PersonRead(Base):
    """Which institution read (1101) or tried to use (refused credential) whom, when, with
    which kind of credential. The credential's number is never stored."""

    __tablename__ = "person_read"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    infno: Mapped[str] = mapped_column(String(6))
    mdtrt_cert_type: Mapped[str | None] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(10))  # read / refused
    opter: Mapped[str | None] = mapped_column(String(30))
    msgid: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeeDetail(Base):
    """2204 费用明细: one line, classified against the catalogue when uploaded (append-only;
    2205 withdraws a batch by setting ``status``)."""

    __tablename__ = "fee_detail"
    __table_args__ = (UniqueConstraint("visit_id", "feedetl_sn", name="uq_fee_detail_sn"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    chrg_bchno: Mapped[str] = mapped_column(String(30))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    item_code: Mapped[str] = mapped_column(String(50))
    item_kind: Mapped[str] = mapped_column(String(12))
    prescription: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[str] = mapped_column(String(20))  # decimal as text: exact on both databases
    price: Mapped[str] = mapped_column(String(24))  # unit price in yuan as sent (up to 6 decimals)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fulamt_ownpay_fen: Mapped[int] = mapped_column(BigInteger)
    overlmt_selfpay_fen: Mapped[int] = mapped_column(BigInteger)
    preselfpay_fen: Mapped[int] = mapped_column(BigInteger)
    inscp_fen: Mapped[int] = mapped_column(BigInteger)
    chrgitm_lv: Mapped[str] = mapped_column(String(3))
    selfpay_prop_permille: Mapped[int] = mapped_column(Integer)
    rxno: Mapped[str | None] = mapped_column(String(40))
    rx_circ_flag: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))  # active / withdrawn / settled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Prescription(Base):
    """外配处方 (seed 004): issued by a designated institution for use at a pharmacy of the same
    pooling region; kept at least two years (never deleted by the system).

    ``source``: ``his`` (a hospital's 2204 line marked 外购处方), ``center`` (uploaded to the
    electronic-prescription centre, numbered ``hi_rxno``), ``paper`` (a signed and stamped paper
    prescription entered by the pharmacy that holds it). ``status``: valid → dispensed (a centre or
    paper prescription when the pharmacy reports it dispensed; a ``his`` one when settled), or
    revoked / refused (the pharmacy refused to dispense it)."""

    __tablename__ = "prescription"
    __table_args__ = (UniqueConstraint("issuer_code", "rxno", name="uq_prescription_rxno"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rxno: Mapped[str] = mapped_column(String(40), index=True)
    issuer_code: Mapped[str] = mapped_column(String(20))
    issuer_region: Mapped[str] = mapped_column(String(6))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    keep_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # valid / dispensed / revoked / refused
    dispensed_by: Mapped[str | None] = mapped_column(String(20))
    dispensed_setl_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(8), server_default="his")
    hi_rxno: Mapped[str | None] = mapped_column(String(40), unique=True)
    insutype: Mapped[str | None] = mapped_column(String(6))
    dise_codg: Mapped[str | None] = mapped_column(String(30))
    dise_name: Mapped[str | None] = mapped_column(String(100))
    dr_codg: Mapped[str | None] = mapped_column(String(30))  # 医保医师代码 (bilg_dr_codg)
    dr_name: Mapped[str | None] = mapped_column(String(50))
    stamp_present: Mapped[bool | None] = mapped_column(Boolean)  # paper: 外配处方专用章 seen when entered
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # Σ lines at the issuer's prices
    entered_by: Mapped[str | None] = mapped_column(String(20))  # paper: the pharmacy that entered it
    dispensed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # revoked / refused
    closed_reason: Mapped[str | None] = mapped_column(String(200))


class PrescriptionLine(Base):
    """One drug of a centre or paper prescription (national 2204 names: med_list_codg, cnt,
    prd_days, sin_dos_dscr, used_frqu_dscr, medc_way_dscr, pric)."""

    __tablename__ = "prescription_line"
    __table_args__ = (UniqueConstraint("prescription_id", "line_no", name="uq_prescription_line_no"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescription.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    med_list_codg: Mapped[str] = mapped_column(String(50))
    hilist_name: Mapped[str] = mapped_column(String(100))
    cnt: Mapped[str] = mapped_column(String(20))  # decimal as text: exact on both databases
    prd_days: Mapped[int] = mapped_column(Integer)
    sin_dos_dscr: Mapped[str] = mapped_column(String(200))
    used_frqu_dscr: Mapped[str] = mapped_column(String(200))
    medc_way_dscr: Mapped[str] = mapped_column(String(200))
    pric: Mapped[str | None] = mapped_column(String(24))  # yuan as sent (up to 6 decimals)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    dispensed_cnt: Mapped[str | None] = mapped_column(String(20))


class PrescriptionFetch(Base):
    """A pharmacy fetched a centre prescription by its number (or entered a paper one): what it
    may see and dispense."""

    __tablename__ = "prescription_fetch"
    __table_args__ = (UniqueConstraint("prescription_id", "fixmedins_code", name="uq_prescription_fetch"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescription.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrescriptionDoubt(Base):
    """存疑外配处方线索 (seed 004): a pharmacy reports a doubtful prescription to staff."""

    __tablename__ = "prescription_doubt"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescription.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(6), index=True)  # the reporting pharmacy's
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))  # open / closed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    handled_by: Mapped[int | None] = mapped_column(BigInteger)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handling_note: Mapped[str | None] = mapped_column(String(500))


class Settlement(Base):
    """结算 (2207) and its cancellation row (2208/2601, ``refd_setl_flag`` 1, negative amounts).

    Rows are not updated except ``status`` of the original when it is cancelled."""

    __tablename__ = "settlement"
    __table_args__ = (
        Index("ix_settlement_institution_time", "fixmedins_code", "setl_time"),
        Index(
            "uq_settlement_in_force",
            "visit_id",
            "chrg_bchno",
            unique=True,
            sqlite_where=text("status = 'settled'"),
            postgresql_where=text("status = 'settled'"),
        ),
        Index(
            "uq_settlement_cancel",
            "reverses_id",
            unique=True,
            sqlite_where=text("reverses_id IS NOT NULL"),
            postgresql_where=text("reverses_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    msgid: Mapped[str] = mapped_column(String(64))
    chrg_bchno: Mapped[str] = mapped_column(String(30))  # "0" when none was sent
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str] = mapped_column(String(6))
    clr_type: Mapped[str] = mapped_column(String(6))
    use_kind: Mapped[str] = mapped_column(String(24))
    institution_level: Mapped[int] = mapped_column(Integer)
    acct_used_flag: Mapped[str] = mapped_column(String(1))
    year: Mapped[int] = mapped_column(Integer)
    setl_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(10))  # settled / cancelled / reversal
    refd_setl_flag: Mapped[str] = mapped_column(String(1))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("settlement.id"))
    medfee_fen: Mapped[int] = mapped_column(BigInteger)
    fulamt_ownpay_fen: Mapped[int] = mapped_column(BigInteger)
    overlmt_selfpay_fen: Mapped[int] = mapped_column(BigInteger)
    preselfpay_fen: Mapped[int] = mapped_column(BigInteger)
    inscp_fen: Mapped[int] = mapped_column(BigInteger)
    act_pay_dedc_fen: Mapped[int] = mapped_column(BigInteger)
    hifp_pay_fen: Mapped[int] = mapped_column(BigInteger)
    fund_pay_sumamt_fen: Mapped[int] = mapped_column(BigInteger)
    psn_part_amt_fen: Mapped[int] = mapped_column(BigInteger)
    acct_pay_fen: Mapped[int] = mapped_column(BigInteger)
    acct_mulaid_pay_fen: Mapped[int] = mapped_column(BigInteger)
    psn_cash_pay_fen: Mapped[int] = mapped_column(BigInteger)
    hosp_part_amt_fen: Mapped[int] = mapped_column(BigInteger)
    balc_fen: Mapped[int] = mapped_column(BigInteger)
    pool_ratio_permille: Mapped[int] = mapped_column(Integer)
    year_deductible_fen: Mapped[int] = mapped_column(BigInteger)
    """What this row added to the yearly deductible accumulator (0 under a per-admission deductible)."""
    fund_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    account_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    family_payment_id: Mapped[int | None] = mapped_column(ForeignKey("family_payment.id"))
    treatment_region: Mapped[str] = mapped_column(String(6))
    insured_region: Mapped[str] = mapped_column(String(6))
    out_type: Mapped[str] = mapped_column(String(1))  # 0 local, 1 in-province off-site, 2 cross-province
    # the off-site rule applied (issue 14 §4; domain.offsite_settlement): local / registered /
    # student / referral_emergency / unregistered, the points taken off the fund's ratio, and the
    # explanation shown as setl_proc_info. NULL on rows settled before the rule was kept.
    offsite_rule: Mapped[str | None] = mapped_column(String(20))
    offsite_points: Mapped[int | None] = mapped_column(Integer)
    offsite_note: Mapped[str | None] = mapped_column(String(500))
    # 个人负担 by part and source (seed 000: family funds pay at hospitals only the in-policy
    # self-pay); cash is the part less both. NULL on rows settled before the split was kept.
    own_in_scope_fen: Mapped[int | None] = mapped_column(BigInteger)
    own_preselfpay_fen: Mapped[int | None] = mapped_column(BigInteger)
    own_overlmt_fen: Mapped[int | None] = mapped_column(BigInteger)
    own_fulamt_fen: Mapped[int | None] = mapped_column(BigInteger)
    family_in_scope_fen: Mapped[int | None] = mapped_column(BigInteger)
    family_preselfpay_fen: Mapped[int | None] = mapped_column(BigInteger)
    family_overlmt_fen: Mapped[int | None] = mapped_column(BigInteger)
    family_fulamt_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SettlementParty(Base):
    """Who paid a settlement from which insured place (for clearing): the insured person's own
    account and each authorizer whose family funds paid (SPEC §5, §7)."""

    __tablename__ = "settlement_party"
    __table_args__ = (
        # the monthly clearing reads only authorizer parties (issue 15 §7): a partial covering index
        # (INCLUDE on PostgreSQL) so the join need not read the insured parties or the table
        Index(
            "ix_settlement_party_authorizer",
            "settlement_id",
            postgresql_include=["region_code", "amount_fen"],
            sqlite_where=text("role = 'authorizer'"),
            postgresql_where=text("role = 'authorizer'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # insured / authorizer
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("family_binding.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class BenefitAccumulator(Base):
    """Yearly totals per person × insutype × med_type: deductible met and fund paid (for the cap)."""

    __tablename__ = "benefit_accumulator"
    __table_args__ = (UniqueConstraint("person_id", "year", "insutype", "med_type", name="uq_benefit_accumulator"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    year: Mapped[int] = mapped_column(Integer)
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str] = mapped_column(String(6))
    deductible_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    fund_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NhsaFile(Base):
    """Files moved by 9101 (upload) and 9102 (download): 3202 detail files and their results."""

    __tablename__ = "nhsa_file"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_qury_no: Mapped[str] = mapped_column(String(30), unique=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # upload / result
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dld_endtime: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- resident premiums (城乡居民参保缴费, SPEC §6; seeds 003 附件三, 004) ----------------------------


class ResidentPremium(Base):
    """One person's resident premium for one benefit year and insurance type (390, 392).

    ``status``: unpaid / paid / refunded (the tax bureau reads refunded as unpaid). The row is
    made when a payment is first accepted; ``individual_fen`` is the standard due then."""

    __tablename__ = "resident_premium"
    __table_args__ = (UniqueConstraint("person_id", "benefit_year", "insutype", name="uq_resident_premium"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    benefit_year: Mapped[int] = mapped_column(Integer)
    insutype: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the insured place when first paid
    status: Mapped[str] = mapped_column(String(10))
    individual_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    channel: Mapped[str | None] = mapped_column(String(16))  # of the payment in force
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # 待遇等待期 (notes §1.2): set when a payment is accepted; the fund pays from benefit_start.
    benefit_start: Mapped[date | None] = mapped_column(Date)
    waiting_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    years_broken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bought_back_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PremiumCommitment(Base):
    """承诺书 signed inside the tax bureau's payment flow (Henan, seed 004): no prior binding."""

    __tablename__ = "premium_commitment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(24))
    phone: Mapped[str] = mapped_column(String(20))
    commitment_version: Mapped[str] = mapped_column(String(20))
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    signature_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(16))
    tax_request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PremiumPayment(Base):
    """Each payment or refund of a resident premium (append-only but for ``status``).

    ``channel``: bank / tax_app / batch / family_account; a refund has a negative amount and
    ``reverses_id``; ``payer_person_id`` is the authorizer for family_account."""

    __tablename__ = "premium_payment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    premium_id: Mapped[int] = mapped_column(ForeignKey("resident_premium.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("family_binding.id"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("premium_commitment.id"))
    family_payment_id: Mapped[int | None] = mapped_column(ForeignKey("family_payment.id"))
    ledger_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    tax_request_id: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("premium_payment.id"))
    status: Mapped[str] = mapped_column(String(10))  # paid / refunded; a refund row: refund
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PremiumRefund(Base):
    """退费核销 of a premium paid from the family account (seed 003 附件三(二)4): the authorizer
    asks, staff review; an approved refund waits in the outbox until the tax bureau acks it."""

    __tablename__ = "premium_refund"
    __table_args__ = (
        # one request in progress or done per payment; a rejected one may be asked again
        Index(
            "uq_premium_refund_open",
            "premium_payment_id",
            unique=True,
            sqlite_where=text("status <> 'rejected'"),
            postgresql_where=text("status <> 'rejected'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    premium_payment_id: Mapped[int] = mapped_column(ForeignKey("premium_payment.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))  # requested / approved / rejected
    requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    review_note: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refund_payment_id: Mapped[int | None] = mapped_column(ForeignKey("premium_payment.id"))
    # decided at approval (domain.resident.check_refund): to the payer by the original route,
    # and the subsidy part withheld back to the medical-assistance fund
    refund_fen: Mapped[int | None] = mapped_column(BigInteger)
    withheld_fen: Mapped[int | None] = mapped_column(BigInteger)
    # what staff entered for a reason the system cannot see (跨省重复缴费: the other province's record)
    evidence: Mapped[str | None] = mapped_column(String(200))
    evidence_by_user_id: Mapped[int | None] = mapped_column(Integer)
    tax_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TaxRequest(Base):
    """The first answer to each of the tax bureau's request ids: a repeat gets it back."""

    __tablename__ = "tax_request"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # paid / refused
    answer_json: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- resident enrollment forms (城乡居民参保登记, SPEC §6; seed 002 §五, 附件1–3) ------------------


class ResidentRegistration(Base):
    """附件1 《城乡居民基本医疗保险参保登记表》 as filled at the township window, and its review
    (收件审核). Never deleted: ``status`` pending → approved (person + 390 enrollment made) or
    rejected (nothing written to the registry)."""

    __tablename__ = "resident_registration"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending / approved / rejected
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # 受理统筹区 (the window's)
    enroll_region: Mapped[str] = mapped_column(String(6))  # where the 390 enrollment is made
    name: Mapped[str] = mapped_column(String(50))
    cert_type: Mapped[str] = mapped_column(String(6))
    cert_no: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    household_kind: Mapped[str] = mapped_column(String(10))  # hukou 户籍 / permit 居住证
    hukou_region: Mapped[str] = mapped_column(String(6))  # 省/市/区(县) as a county code
    hukou_village: Mapped[str | None] = mapped_column(String(100))  # 村(社区)
    township: Mapped[str] = mapped_column(String(100))  # 通讯地址 乡/镇(街道)
    address: Mapped[str | None] = mapped_column(String(200))
    applicant_identity: Mapped[str] = mapped_column(String(12))  # 申请人身份
    psn_type: Mapped[str] = mapped_column(String(10))
    subsidy_codes: Mapped[str] = mapped_column(String(300), default="")  # profile codes, comma-separated
    school_name: Mapped[str | None] = mapped_column(String(100))
    school_region: Mapped[str | None] = mapped_column(String(6))
    no_waiting_period: Mapped[bool] = mapped_column(Boolean)  # newborns (002 §五4)
    signer_name: Mapped[str] = mapped_column(String(50))
    signer_role: Mapped[str] = mapped_column(String(10))  # self / guardian
    signed_on: Mapped[date] = mapped_column(Date)
    declaration_version: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_unit: Mapped[str | None] = mapped_column(String(100))
    review_reason: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id"))


class ResidentChange(Base):
    """附件2 《参保信息变更登记表》: one form, several rows (``ResidentChangeItem``); applied to the
    persons when approved. ``status``: pending / applied / rejected."""

    __tablename__ = "resident_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    filler_name: Mapped[str] = mapped_column(String(50))  # 填报人
    filler_phone: Mapped[str] = mapped_column(String(20))
    filled_on: Mapped[date] = mapped_column(Date)
    is_key: Mapped[bool] = mapped_column(Boolean)  # 关键信息 (else 非关键信息)
    channel: Mapped[str] = mapped_column(String(10))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_unit: Mapped[str | None] = mapped_column(String(100))
    opinion: Mapped[str | None] = mapped_column(String(200))  # 经办机构意见
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ResidentChangeItem(Base):
    """One row of 附件2: 序号, the person (身份证件号码, 姓名 as registered), 变更项目, 变更前, 变更后,
    签字, 备注. ``derived`` rows are added by the system (sex and birth date of a new ID number)."""

    __tablename__ = "resident_change_item"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("resident_change.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    cert_no: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(50))
    item: Mapped[str] = mapped_column(String(20))
    is_key: Mapped[bool] = mapped_column(Boolean)
    before_value: Mapped[str | None] = mapped_column(String(200))
    after_value: Mapped[str] = mapped_column(String(200))
    signed_by: Mapped[str] = mapped_column(String(50))
    remark: Mapped[str | None] = mapped_column(String(200))
    derived: Mapped[bool] = mapped_column(Boolean, default=False)


class ResidentStop(Base):
    """附件3 《停保或流出登记表》 (only its title is in seed 002; fields in docs/resident.md).
    Approving it ends (or transfers out) the 390 enrollment. ``status``: pending / approved /
    rejected."""

    __tablename__ = "resident_stop"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the enrollment's region
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # outflow / employee / death / graduated / other
    reason_note: Mapped[str | None] = mapped_column(String(200))
    effective_date: Mapped[date] = mapped_column(Date)
    destination_region: Mapped[str | None] = mapped_column(String(6))
    transfer: Mapped[bool] = mapped_column(Boolean)  # move the enrollment instead of ending it
    graduated_on: Mapped[date | None] = mapped_column(Date)
    applicant_name: Mapped[str] = mapped_column(String(50))
    applicant_role: Mapped[str] = mapped_column(String(10))  # self / guardian / family
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    signed_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(10))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_unit: Mapped[str | None] = mapped_column(String(100))
    opinion: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ResidentAddress(Base):
    """A resident's 村(社区) of household registration and mailing address (通讯地址), which the
    person table does not hold: set by an approved 附件1, changed by 附件2."""

    __tablename__ = "resident_address"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    hukou_village: Mapped[str | None] = mapped_column(String(100))
    township: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- premium payment certificates (缴费证明, seed 000 第五步) ------------------------------------------


class PremiumCertificate(Base):
    """A payment certificate (缴费证明) issued for one premium payment: the facts printed on it,
    as the canonical JSON the verification code (HMAC, ``domain.certificates``) is computed
    over. ``/verify/{serial}`` recomputes the code from these facts; they are never changed."""

    __tablename__ = "premium_certificate"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("premium_payment.id"), unique=True)
    facts_json: Mapped[str] = mapped_column(Text)
    issued_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- subsidies (参保资助, SPEC §6; seed 002 §四) --------------------------------------------------------


class PersonSubsidy(Base):
    """The subsidy categories a person is recognized in now (身份类别), when staff changed them after
    registration; without a row the approved 附件1 registration's ``subsidy_codes`` count."""

    __tablename__ = "person_subsidy"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    subsidy_codes: Mapped[str] = mapped_column(String(300), default="")  # profile codes, comma-separated
    reason: Mapped[str] = mapped_column(String(200))
    updated_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubsidyRoster(Base):
    """A full-subsidy roster (《全额资助对象花名册》, 002 §四(二)1) uploaded by one clerk and approved
    or rejected by another (separation of duties): money moves only at approval. ``rows_json``
    keeps the rows as uploaded ([row number, ID number, name]); ``scope`` the uploader's regions;
    ``result_json`` the report of the approval."""

    __tablename__ = "subsidy_roster"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    category_code: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))  # all_or_nothing / valid_only
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending / approved / rejected
    scope: Mapped[str] = mapped_column(String(300))
    row_count: Mapped[int] = mapped_column(Integer)
    rows_json: Mapped[str] = mapped_column(Text)
    uploaded_by_user_id: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    review_note: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_json: Mapped[str | None] = mapped_column(Text)


class SubsidyGrant(Base):
    """One subsidy movement for a person and benefit year (002 §四(二)): ``kind`` roster_pay (the
    full-subsidy batch paid the premium), roster_payout (already paid: paid out to the person),
    fixed (先缴后补 payout), topup (category raised). ``idempotency_key`` is the ledger's."""

    __tablename__ = "subsidy_grant"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    category_code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    premium_id: Mapped[int | None] = mapped_column(ForeignKey("resident_premium.id"))
    ledger_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- off-site care registration and chronic diseases (异地就医备案, 门诊慢特病; seed 001 二、三) ------------


class OffsiteRegistration(Base):
    """An off-site care registration (异地就医备案), accepted at once (即办件). Never deleted: a
    change ends this row (``changed``, ``end_date`` the day before) and starts a new one that
    ``replaces_id`` it; a cancellation sets ``cancelled`` and the last valid day."""

    __tablename__ = "offsite_registration"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    insutype: Mapped[str] = mapped_column(String(6))
    insured_region: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    category: Mapped[str] = mapped_column(String(10))  # long_term / temporary
    destination_code: Mapped[str] = mapped_column(String(6))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # None: indefinite (long-term)
    status: Mapped[str] = mapped_column(String(10), index=True)  # active / changed / cancelled
    channel: Mapped[str] = mapped_column(String(16))
    materials: Mapped[str] = mapped_column(String(200))  # material codes, comma-separated
    commitment_version: Mapped[str | None] = mapped_column(String(20))
    applicant_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # a bound relative
    agent_name: Mapped[str | None] = mapped_column(String(50))  # 代办人 at the window
    agent_relation: Mapped[str | None] = mapped_column(String(24))
    address: Mapped[str | None] = mapped_column(String(200))  # 异地居住/就医地址
    phone: Mapped[str | None] = mapped_column(String(20))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    admission_date: Mapped[date | None] = mapped_column(Date)
    hospital: Mapped[str | None] = mapped_column(String(100))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("offsite_registration.id"))
    end_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_by_user_id: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChronicRecognition(Base):
    """A recognition (认定) of one outpatient chronic/special disease for one person: applied for
    (pending until a clerk other than the one who entered it approves) or recorded at a designated
    institution (主动服务, approved at once). Rejected and revoked rows stay."""

    __tablename__ = "chronic_recognition"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    insured_region: Mapped[str] = mapped_column(String(6), index=True)
    disease: Mapped[str] = mapped_column(String(32), index=True)
    organ: Mapped[str | None] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(12))  # application / institution
    channel: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending / approved / rejected / revoked
    fixmedins_code: Mapped[str | None] = mapped_column(String(20))
    physician: Mapped[str | None] = mapped_column(String(50))
    diagnosis: Mapped[str | None] = mapped_column(String(200))
    entered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(String(200))


class StudentStatus(Base):
    """A college student's school (大中专学生学籍, seed 002 §五2) as the settlement's student rule
    needs it: the school, its place (学籍地) and the admission day (入学日期). A first-year
    student is still insured at home; treated at the school's place in the year they enter, they
    settle off-site without the reduced ratio. Entered by staff from the admission notice."""

    __tablename__ = "student_status"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    school_name: Mapped[str] = mapped_column(String(100))
    school_region: Mapped[str] = mapped_column(String(6))
    admission_date: Mapped[date] = mapped_column(Date)
    recorded_by_user_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubsidyRecovery(Base):
    """A subsidy paid out to a person in cash (先缴后补, top-up, roster payout) that is no longer
    theirs, owed back to the medical-assistance fund (应收, seed 002 §七 / §四(二)3 就高不重复):
    opened when a family-paid premium of the person is refunded (the family account gets its whole
    代缴 back, ``origin`` refund) or when the full-subsidy roster pays the premium a family account
    had paid (``origin`` full_subsidy). Nothing is booked at opening; each collection is a ledger
    transaction recovery → assistance; what cannot be collected is written off by a second clerk."""

    __tablename__ = "subsidy_recovery"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the assistance fund owed
    benefit_year: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))  # refund / full_subsidy
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("premium_refund.id"))
    premium_id: Mapped[int | None] = mapped_column(ForeignKey("resident_premium.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(14), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_user_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_off_reason: Mapped[str | None] = mapped_column(String(200))
    write_off_requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    write_off_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    write_off_approved_by_user_id: Mapped[int | None] = mapped_column(Integer)


class CalendarOverride(Base):
    """A day staff set against the official schedule (issue 14 §1): made a holiday or a working
    day (调休上班), with the name shown and the notice it follows. Beats the schedule."""

    __tablename__ = "calendar_override"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(String(200))
    updated_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarYear(Base):
    """A year staff confirmed once the State Council's schedule for it is out: its days no
    override names are no longer provisional."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    confirmed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- 就医费用报销"一件事" (seed 001; issue 14 §5) ---------------------------------------------------


class OneThingCase(Base):
    """One application of the one-thing service (多表合一, 一表申报), accepted when it is filed:
    its time limits run in working days from ``accepted_on``; it closes when every part ends.
    ``commitments`` records what the applicant committed to (承诺件), ``proofs_pending`` the
    proofs the commitment stands in for until they are handed in (``proofs_received``)."""

    __tablename__ = "onething_case"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    insured_region: Mapped[str] = mapped_column(String(6), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # online / window / window_agent
    agent_name: Mapped[str | None] = mapped_column(String(50))
    agent_relation: Mapped[str | None] = mapped_column(String(24))
    phone: Mapped[str | None] = mapped_column(String(20))
    materials: Mapped[str] = mapped_column(String(200))  # material codes, comma-separated
    commitments: Mapped[str] = mapped_column(Text)  # JSON: what was committed to, with versions
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    proofs_pending: Mapped[str] = mapped_column(String(100), default="")  # comma-separated
    proofs_received: Mapped[str] = mapped_column(Text, default="[]")  # JSON: material, at, by
    visits: Mapped[int] = mapped_column(Integer, default=0)
    visit_reason: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), index=True)  # reviewing / done
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_on: Mapped[date] = mapped_column(Date, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)


class OneThingPart(Base):
    """One part of a case, routed to the office that handles it (串并联办理): done or refused at
    once (即办件), waiting for a review, or waiting for the parts it follows. ``request`` keeps
    what was asked (personal data masked); the record it made is linked."""

    __tablename__ = "onething_part"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_onething_part_case_kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("onething_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    office: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)  # waiting / processing / done / refused
    request: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    result_code: Mapped[str | None] = mapped_column(String(48))
    result_zh: Mapped[str | None] = mapped_column(String(300))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("family_binding.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("offsite_registration.id"))
    recognition_id: Mapped[int | None] = mapped_column(ForeignKey("chronic_recognition.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by_user_id: Mapped[int | None] = mapped_column(Integer)


# --- premium clearing and reconciliation with tax (issue 15 §4; seed 003 附件三) -----------------


class PremiumClearingMonth(Base):
    """保险费划扣明细表 of one month (seed 003 附件三(三)): generated once the month is over from
    every premium paid (or refunded) from a family account in it; totals within / across regions."""

    __tablename__ = "premium_clearing_month"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    line_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    within_fen: Mapped[int] = mapped_column(BigInteger)
    across_fen: Mapped[int] = mapped_column(BigInteger)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    generated_by_user_id: Mapped[int | None] = mapped_column(Integer)


class PremiumClearingLine(Base):
    """One row of the 明细表: a premium movement (deduction, or refund with a negative amount)
    with the authorizer's and the relative's pooling regions as they stood when generated."""

    __tablename__ = "premium_clearing_line"
    __table_args__ = (UniqueConstraint("month_id", "premium_payment_id", name="uq_premium_clearing_line"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("premium_clearing_month.id"), index=True)
    premium_payment_id: Mapped[int] = mapped_column(ForeignKey("premium_payment.id"))
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    movement: Mapped[str] = mapped_column(String(8))  # deduct / refund
    benefit_year: Mapped[int] = mapped_column(Integer)
    insutype: Mapped[str] = mapped_column(String(6))
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    authorizer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    relative_region: Mapped[str] = mapped_column(String(6), index=True)  # pooling region (city)
    authorizer_region: Mapped[str] = mapped_column(String(6), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    across: Mapped[bool] = mapped_column(Boolean)


class PremiumClearingRegion(Base):
    """One pooling region's part of a month: within-region transfer, what it pays across (as the
    authorizer's region) and receives; its confirmation (by the 5th) and 用款计划."""

    __tablename__ = "premium_clearing_region"
    __table_args__ = (UniqueConstraint("month_id", "region_code", name="uq_premium_clearing_region"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("premium_clearing_month.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    within_count: Mapped[int] = mapped_column(Integer)
    within_fen: Mapped[int] = mapped_column(BigInteger)
    pay_count: Mapped[int] = mapped_column(Integer)
    pay_fen: Mapped[int] = mapped_column(BigInteger)
    receive_count: Mapped[int] = mapped_column(Integer)
    receive_fen: Mapped[int] = mapped_column(BigInteger)
    confirm_due: Mapped[date] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    plan_fen: Mapped[int | None] = mapped_column(BigInteger)
    plan_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan_by_user_id: Mapped[int | None] = mapped_column(Integer)


class PremiumClearingTransfer(Base):
    """全额清算: the authorizer's region pays the relative's region's finance the full amount of
    the month's premiums between them (no netting), by month end."""

    __tablename__ = "premium_clearing_transfer"
    __table_args__ = (
        UniqueConstraint("month_id", "payer_region", "payee_region", name="uq_premium_clearing_transfer"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("premium_clearing_month.id"), index=True)
    payer_region: Mapped[str] = mapped_column(String(6))
    payee_region: Mapped[str] = mapped_column(String(6))
    line_count: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    bank_ref: Mapped[str | None] = mapped_column(String(60))
    recorded_by_user_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TaxReconWeek(Base):
    """A week's 共济账户代缴划扣明细 published to the tax side's intermediate table (seed 003
    附件三(二)5), with the totals medical insurance published."""

    __tablename__ = "tax_recon_week"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    week: Mapped[str] = mapped_column(String(8), unique=True)  # ISO week, 2026-W47
    week_start: Mapped[date] = mapped_column(Date)
    week_end: Mapped[date] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by_user_id: Mapped[int | None] = mapped_column(Integer)


class TaxReconDifference(Base):
    """A difference the tax side wrote back, as staff see and settle it: accept_ours (tax aligns
    its record) or reverse_ours (the deduction is reversed through the ledger), with a reason."""

    __tablename__ = "tax_recon_difference"
    __table_args__ = (UniqueConstraint("week_id", "diff_no", name="uq_tax_recon_difference"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("tax_recon_week.id"), index=True)
    diff_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # missing / amount / status / extra
    request_id: Mapped[str] = mapped_column(String(64))
    movement: Mapped[str] = mapped_column(String(8))
    premium_payment_id: Mapped[int | None] = mapped_column(ForeignKey("premium_payment.id"))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    relative_cert_no: Mapped[str | None] = mapped_column(String(32))
    mi_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    tax_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    mi_status: Mapped[str | None] = mapped_column(String(8))
    tax_status: Mapped[str | None] = mapped_column(String(8))
    tax_note: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(8), index=True)  # open / proposed / settled
    resolution: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(200))
    reversal_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_by_user_id: Mapped[int | None] = mapped_column(Integer)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proposed_resolution: Mapped[str | None] = mapped_column(String(12))  # four-eyes: the first clerk's
    proposed_reason: Mapped[str | None] = mapped_column(String(200))
    proposed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- 个人账户家庭共济资金清算 between pooling regions (seed 003 附件二; issue 15 §3) ------------------


class ClearingRun(Base):
    """The monthly clearing of one province for one data month (``month`` YYYY-MM): pre-generated
    data, confirmations, the balance and detail tables, the payment notice. Steps' dates are
    kept; their deadlines are computed on the working-day calendar (services.backoffice.clearing)."""

    __tablename__ = "clearing_run"
    __table_args__ = (UniqueConstraint("province_code", "month"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6))
    month: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(12))  # generated / tables / noticed / closed
    generated_on: Mapped[date] = mapped_column(Date)
    tables_on: Mapped[date | None] = mapped_column(Date)
    notice_on: Mapped[date | None] = mapped_column(Date)
    items: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    checked_ok: Mapped[bool] = mapped_column(Boolean)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClearingLine(Base):
    """What one pooling region advanced for another in the run (set-based aggregate of the detail
    rows): ``advancing_region`` (the relative's) is owed ``amount_fen`` by ``owing_region``."""

    __tablename__ = "clearing_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # local / offsite
    advancing_region: Mapped[str] = mapped_column(String(6))
    owing_region: Mapped[str] = mapped_column(String(6))
    items: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class ClearingCity(Base):
    """One city's row of the balance table (清算平衡表) and its steps: confirmation of the local and
    off-site figures, remittance of a net owed, the province's transfer of a net due."""

    __tablename__ = "clearing_city"
    __table_args__ = (UniqueConstraint("run_id", "city_code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    city_code: Mapped[str] = mapped_column(String(6))
    owed_to_others_fen: Mapped[int] = mapped_column(BigInteger)
    owed_by_others_fen: Mapped[int] = mapped_column(BigInteger)
    net_fen: Mapped[int] = mapped_column(BigInteger)  # owed_by_others − owed_to_others: > 0 receives
    has_local: Mapped[bool] = mapped_column(Boolean)
    has_offsite: Mapped[bool] = mapped_column(Boolean)
    local_confirmed_on: Mapped[date | None] = mapped_column(Date)
    offsite_confirmed_on: Mapped[date | None] = mapped_column(Date)
    remitted_on: Mapped[date | None] = mapped_column(Date)
    transferred_on: Mapped[date | None] = mapped_column(Date)


class ClearingDifference(Base):
    """A difference a city raised against one detail row (one settlement) of the run, resolved by
    staff: ``kept`` (the figure stands) or ``deferred`` (left out of this month, cleared with the
    next month's run)."""

    __tablename__ = "clearing_difference"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), index=True)
    city_code: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))  # open / resolved
    resolution: Mapped[str | None] = mapped_column(String(10))  # kept / deferred
    note: Mapped[str | None] = mapped_column(String(200))
    raised_by_user_id: Mapped[int | None] = mapped_column(Integer)
    raised_on: Mapped[date] = mapped_column(Date)
    resolved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    resolved_on: Mapped[date | None] = mapped_column(Date)


# --- collection (征缴) units, the year's task and its aggregates (issue 16 §1–§2, seed 002 §八) -------


class CollectionUnit(Base):
    """A collection unit (征缴单位), two levels under a district (区县, ``region_code``): a 乡镇,
    街道 or 大中专院校 (``parent_id`` None) and under it the 行政村, 社区 or 学校 residents belong to
    (seed 002 §八1). ``code``: 9 digits for the upper level (区县 + 3), 12 for the lower (+ 3)."""

    __tablename__ = "collection_unit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # town/township/street/college · village/community/school
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("collection_unit.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the district (区县)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionMember(Base):
    """Which lower unit a person belongs to (by household or residence; students by school)."""

    __tablename__ = "collection_member"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"), index=True)
    basis: Mapped[str] = mapped_column(String(10))  # household / residence / school
    since: Mapped[date] = mapped_column(Date)


class CollectionMemberMove(Base):
    """Append-only record of each assignment and move between units."""

    __tablename__ = "collection_member_move"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("collection_unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"))
    reason: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionStaffScope(Base):
    """A staff user limited to one township-level unit (乡镇医保专干); their ``user_region`` rows
    still name the district."""

    __tablename__ = "collection_staff_scope"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"), index=True)


class CollectionTaskYear(Base):
    """A district's task (参保任务) for one benefit year: when it was computed and frozen."""

    __tablename__ = "collection_task_year"
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    frozen_on: Mapped[date | None] = mapped_column(Date)
    frozen_by_user_id: Mapped[int | None] = mapped_column(Integer)


class CollectionTask(Base):
    """One person in a benefit year's task, in one lower unit. ``status`` in / out; ``source``
    computed (from the registry), gap (参保空档期: employee insurance ended, no resident
    enrollment) or manual; a person who leaves keeps the row with ``left_reason``."""

    __tablename__ = "collection_task"
    __table_args__ = (
        UniqueConstraint("benefit_year", "person_id", name="uq_collection_task"),
        Index("ix_collection_task_unit", "benefit_year", "unit_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"))
    status: Mapped[str] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(10))
    gap_since: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(String(20))  # moved / employee / dead / manual
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionTaskChange(Base):
    """Append-only record of every change to a task after it was computed (adjustment with a
    reason, a move, a person joining employee insurance or dying)."""

    __tablename__ = "collection_task_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # add / remove / move / leave
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("collection_unit.id"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("collection_unit.id"))
    reason: Mapped[str] = mapped_column(String(200))
    after_freeze: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionUnitStat(Base):
    """The task size of a lower unit for a benefit year, kept with every task change (the
    dashboard never counts ``collection_task``)."""

    __tablename__ = "collection_unit_stat"
    unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"), primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_count: Mapped[int] = mapped_column(Integer, default=0)


class CollectionPaidDay(Base):
    """Net number of premiums paid on one day by members of a lower unit, for a benefit year
    (refunds count −1 on their day). Kept by database triggers on ``resident_premium`` in the
    transaction that records the payment (migration 0024), so every way a premium is paid or
    refunded counts without scanning payments when the dashboard is asked."""

    __tablename__ = "collection_paid_day"
    unit_id: Mapped[int] = mapped_column(ForeignKey("collection_unit.id"), primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    paid: Mapped[int] = mapped_column(Integer, default=0)


# --- collection follow-up: township cash, 双限报解, failed online payments, contacts (issue 16 §3–§4) ---


class TownshipRemittance(Base):
    """A township's remittance of collected cash to its 待报解社会保险费 account (seed 002 §六3
    双限报解), then its transfer to the treasury (tips deduction or bank query): ``status``
    remitted → in_treasury."""

    __tablename__ = "township_remittance"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    receipt_count: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # the bank's voucher number
    status: Mapped[str] = mapped_column(String(12))
    ledger_txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"))
    remitted_by_user_id: Mapped[int | None] = mapped_column(Integer)
    remitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    treasury_method: Mapped[str | None] = mapped_column(String(12))  # tips / bank_query
    treasury_reference: Mapped[str | None] = mapped_column(String(64))
    treasury_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    treasury_by_user_id: Mapped[int | None] = mapped_column(Integer)
    treasury_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TownshipCashReceipt(Base):
    """One premium a township collected in cash at its counter; unremitted while ``remittance_id``
    is empty."""

    __tablename__ = "township_cash_receipt"
    __table_args__ = (Index("ix_township_cash_open", "township_code", "remittance_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12))
    region_code: Mapped[str] = mapped_column(String(6))
    receipt_no: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[int] = mapped_column(ForeignKey("premium_payment.id"))
    ledger_txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"))
    received_on: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(Integer)
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("township_remittance.id"))


class FailedPaymentReport(Base):
    """A citizen's report of an online payment that failed (seed 002 §六1: 保留未成功缴费提示截图，
    及时与所在乡镇、街道医保工作人员联系); the township checks and resolves it."""

    __tablename__ = "failed_payment_report"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    township_code: Mapped[str | None] = mapped_column(String(12), index=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    order_no: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    screenshot: Mapped[bytes | None] = mapped_column(LargeBinary)
    screenshot_type: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # open / resolved
    resolution: Mapped[str | None] = mapped_column(String(12))  # paid_late / duplicate / refunded
    resolution_note: Mapped[str | None] = mapped_column(String(200))
    checked_json: Mapped[str | None] = mapped_column(Text)  # what the registry said when resolved
    resolved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionContact(Base):
    """A township clerk's contact with a not-yet-paid resident (催缴, seed 002 §八3): called, visited,
    refused, moved, or will pay by ``promised_on``. Append-only."""

    __tablename__ = "collection_contact"
    __table_args__ = (Index("ix_collection_contact_person", "benefit_year", "person_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    promised_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionRegionDay(Base):
    """``collection_paid_day`` rolled up per district (区县) and day, kept by the same triggers
    (migration 0028): the province and city views read districts × days, not villages × days."""

    __tablename__ = "collection_region_day"
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    benefit_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    paid: Mapped[int] = mapped_column(Integer, default=0)


# --- the citizen's documents and message centre (issue 17, "Citizens (phone first)") ------------------


class CitizenDocument(Base):
    """A 参保证明 or 个人账户对账单 issued to a person: the facts printed on it, as the canonical JSON
    the verification code (HMAC, ``domain.certificates``) is computed over, kept by serial for
    ``/verify/{serial}`` next to ``premium_certificate``. Never changed."""

    __tablename__ = "citizen_document"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    facts_json: Mapped[str] = mapped_column(Text)
    issued_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FamilyNoticeSeen(Base):
    """How far an authorizer has read the notices of their money's use (the newest ``family_draw``
    id seen): everything after it counts as unread in the message centre."""

    __tablename__ = "family_notice_seen"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    last_draw_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FamilyUseReport(Base):
    """An authorizer's report of a use of their money they do not recognise (不认可的共济使用):
    staff see it beside the binding and either open a fraud case on it (seed 003 四(四),
    ``family_fraud_case``) or close it with a note. One report per draw."""

    __tablename__ = "family_use_report"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("family_draw.id"), unique=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("family_binding.id"), index=True)
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the authorizer's insured region
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), index=True)  # open / closed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_note: Mapped[str | None] = mapped_column(String(200))
    closed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReimbursementClaim(Base):
    """零星报销: a person who paid in cash (off-site without direct settlement, emergency, …) claims
    with invoices and a fee list (seed 003 附件二(四)). registered → computed (figures by the
    settlement engine) → paid (a second clerk approves; payment to the bank card), or rejected.
    Amounts in fen; the figures are NULL until computed."""

    __tablename__ = "reimbursement_claim"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the claimant's insured region
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str] = mapped_column(String(10))
    institution_kind: Mapped[str] = mapped_column(String(12))  # hospital / pharmacy
    institution_level: Mapped[int] = mapped_column(Integer)
    treatment_region: Mapped[str] = mapped_column(String(6))
    begin_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(24))
    acct_used_flag: Mapped[str] = mapped_column(String(1))
    state: Mapped[str] = mapped_column(String(12), index=True)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    hifp_pay_fen: Mapped[int | None] = mapped_column(BigInteger)
    own_fen: Mapped[int | None] = mapped_column(BigInteger)
    family_fen: Mapped[int | None] = mapped_column(BigInteger)
    cash_fen: Mapped[int | None] = mapped_column(BigInteger)
    figures_json: Mapped[str | None] = mapped_column(Text)
    registered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    computed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    approve_key: Mapped[str | None] = mapped_column(String(255))
    paid_time: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # Beijing time, as setl_time
    fund_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    account_txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReimbursementInvoice(Base):
    """One invoice of a claim. A number is claimed once: unique among live invoices (a rejected
    claim's invoices are no longer live and may be claimed again)."""

    __tablename__ = "reimbursement_invoice"
    __table_args__ = (
        Index(
            "uq_reimbursement_invoice_live",
            "invoice_no",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("reimbursement_claim.id"), index=True)
    invoice_no: Mapped[str] = mapped_column(String(40))
    institution_name: Mapped[str] = mapped_column(String(100))
    institution_code: Mapped[str | None] = mapped_column(String(30))
    invoice_date: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    live: Mapped[bool] = mapped_column(Boolean)


class ReimbursementFee(Base):
    """One line of a claim's fee list: a catalogue item, quantity, unit price (yuan as text)."""

    __tablename__ = "reimbursement_fee"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("reimbursement_claim.id"), index=True)
    sn: Mapped[str] = mapped_column(String(10))
    item_code: Mapped[str] = mapped_column(String(50))
    count: Mapped[str] = mapped_column(String(20))
    price: Mapped[str] = mapped_column(String(24))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class ReimbursementDraw(Base):
    """What a paid claim drew through one binding, with the authorizer's insured region at
    payment: the basis of the 垫付资金清算表 and of the monthly clearing's detail rows."""

    __tablename__ = "reimbursement_draw"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("reimbursement_claim.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("family_binding.id"))
    authorizer_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


# The monthly payment of institutions (拨付) keeps its tables in their own module.
from gongji.adapters.db.models_payments import (  # noqa: E402, F401
    InstitutionPaymentDiff,
    InstitutionPaymentLine,
    InstitutionPaymentRun,
    NhsaStatement,
    NhsaStatementLine,
)
