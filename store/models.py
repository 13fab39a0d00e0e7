"""SQLAlchemy models. The schema itself is created only by the Alembic migrations.

Why this is one module of 351 lines: these are the shared tables, the ones several areas read
and write (places, organisations, persons, users and their tokens, the policy year, the cases
with their history, evidence and lists); an area's own tables sit in its ``models.py``. Every
area imports them from here, and the import rules (``tests/test_layering.py``) name it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Money


class Township(Base):
    __tablename__ = "township"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    county_code: Mapped[str] = mapped_column(String(6), default="533422")


class Village(Base):
    __tablename__ = "village"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    township: Mapped[Township] = relationship()


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    recognised: Mapped[bool] = mapped_column(Boolean, default=False)
    # A recognised base or workshop counts from the day of its 认定文件, never before.
    recognition_doc_no: Mapped[str | None] = mapped_column(String(60))
    recognised_on: Mapped[date | None] = mapped_column(Date)
    first_business: Mapped[bool] = mapped_column(Boolean, default=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    bank_account_enc: Mapped[str | None] = mapped_column(Text)
    bank_last4: Mapped[str | None] = mapped_column(String(4))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    # The ID number is never stored in plain text: encrypted, plus a keyed hash for look-ups,
    # and a keyed hash of its last four digits to search by them (the digits are shown by
    # decrypting: with the birth date and village here, plain digits would complete the number).
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_tail_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(20))
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    household_no: Mapped[str | None] = mapped_column(String(30))
    bank_account_enc: Mapped[str | None] = mapped_column(Text)
    bank_last4: Mapped[str | None] = mapped_column(String(4))
    target_groups: Mapped[str] = mapped_column(String(80), default="")  # comma-separated codes
    labour_capacity: Mapped[str] = mapped_column(String(10), default="full")
    # Counted as labour force although outside the working-age range (see workflow.labour).
    labour_force_override: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    graduate_left_school: Mapped[date | None] = mapped_column(Date)
    # The organisation that registered the person: agents see the people they registered
    # or filed claims for, and nobody else.
    registered_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    village: Mapped[Village] = relationship()

    @property
    def target_group_set(self) -> frozenset[str]:
        return frozenset(g for g in self.target_groups.split(",") if g)


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(Text)
    roles: Mapped[str] = mapped_column(String(80))  # comma-separated role codes
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Sign-in throttling: consecutive failures, and until when the account is locked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=false())
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default="zh_CN")
    email: Mapped[str | None] = mapped_column(String(120))  # notices are e-mailed here


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "staff_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserVillage(Base):
    """The villages a village verifier answers for."""

    __tablename__ = "user_village"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class PolicyYear(Base):
    """One year's parameters in force (``workflow.rules.PolicyParams`` as a record): a copy of
    its current version (``policy_models.PolicyParamsVersion``), which claims point at."""

    __tablename__ = "policy_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_params_version.id", use_alter=True)
    )


class CalendarOverride(Base):
    """A holiday or make-up working day the admin adds where the official calendar is silent."""

    __tablename__ = "calendar_override"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")


class CaseMixin:
    """Columns every workflow case has: its state, version, the people who acted, its deadline."""

    # Indexed per table below, state first in composites (a lone state index misleads planners).
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # User ids of who acted (0 is the system); no foreign key, as the system has no user row.
    submitted_by: Mapped[int] = mapped_column(Integer)
    verified_by: Mapped[int | None] = mapped_column(Integer)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Claim(CaseMixin, Base):
    __tablename__ = "claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    subsidy_type: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # ix_claim_person_state_due
    claimant_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))  # ix_claim_claimant
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    payee_kind: Mapped[str] = mapped_column(String(10))
    policy_year: Mapped[int] = mapped_column(ForeignKey("policy_year.year"))
    # The parameter set the amount was computed with (a later edit of the year leaves it).
    params_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_params_version.id"), index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    amount: Mapped[Decimal] = mapped_column(Money)
    rule: Mapped[str] = mapped_column(String(60))
    rule_explanation: Mapped[str] = mapped_column(Text)
    # One live claim per key; emptied when the claim is rejected, withdrawn or expires.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    exclusion_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    batch_ref: Mapped[str | None] = mapped_column(String(40))  # ix_claim_batch
    paid_by: Mapped[int | None] = mapped_column(Integer)
    # The second HR reviewer of an amount above its type's ordinary range (``countersign``).
    countersigned_by: Mapped[int | None] = mapped_column(Integer)
    # Who holds the claim (认领, or assigned by the head: ``assigned_by``) and at which version:
    # the hold lapses once the claim moves on (``workflow.review``). Not a step: no history row.
    holder_id: Mapped[int | None] = mapped_column(Integer)  # a user id, as ``verified_by``
    held_at: Mapped[datetime | None] = mapped_column(DateTime)
    held_version: Mapped[int | None] = mapped_column(Integer)
    assigned_by: Mapped[int | None] = mapped_column(Integer)

    person: Mapped[Person] = relationship()
    claimant: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": CaseMixin.version}
    # The inbox: a role's states in due order (county staff), or within villages (verifiers),
    # or of one subsidy type (both), or of the persons a search found (which also serves every
    # look-up of a person's claims), each ending in the keyset order (due_at, id).
    __table_args__ = (
        Index("ix_claim_state_due", "state", "due_at", "id"),
        Index("ix_claim_person_state_due", "person_id", "state", "due_at", "id"),
        Index("ix_claim_village_state_due", "village_id", "state", "due_at", "id"),
        Index("ix_claim_type_state_due", "subsidy_type", "state", "due_at", "id"),
        Index("ix_claim_village_state_type_due", "village_id", "state", "subsidy_type", "due_at", "id"),
        # A reviewer's own cases in the inbox (我认领的); the search's claimant and list, newest first.
        Index("ix_claim_holder_state_due", "holder_id", "state", "due_at", "id"),
        Index("ix_claim_claimant", "claimant_org_id", "id"),
        Index("ix_claim_batch", "batch_ref", "id"),
    )


class Post(Base):
    __tablename__ = "post"
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(50))
    monthly_subsidy: Mapped[Decimal] = mapped_column(Money)
    places: Mapped[int] = mapped_column(Integer, default=1)
    graduate_post: Mapped[bool] = mapped_column(Boolean, default=False)  # 大学生公岗
    village: Mapped[Village] = relationship()


class Contract(CaseMixin, Base):
    """A person on a post for a term of at most one year (CHECK in the migration)."""

    __tablename__ = "contract"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="service_agreement")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, index=True)
    monthly_subsidy: Mapped[Decimal] = mapped_column(Money)
    insurance_policy_no: Mapped[str | None] = mapped_column(String(40))
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # 有序退岗: the last day on the post; days after it are never paid.
    terminated_on: Mapped[date | None] = mapped_column(Date)
    # The last day for which a monthly post-subsidy claim has been opened (the sweep's mark).
    subsidy_through: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship()
    post: Mapped[Post] = relationship()

    __mapper_args__ = {"version_id_col": CaseMixin.version}
    __table_args__ = (
        UniqueConstraint("predecessor_id", name="uq_contract_predecessor_id"),
        Index("ix_contract_state", "state"),
    )

    # The engine reads the claimant organisation on every case; contracts have none.
    claimant_org_id = None


class HistoryMixin:
    """One immutable row per accepted step (UPDATE and DELETE are refused by a trigger)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(DateTime)
    comment: Mapped[str | None] = mapped_column(Text)


class ClaimHistory(HistoryMixin, Base):
    __tablename__ = "claim_history"
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    # "我办理的": the claims a staff member acted on, each by their last step on it.
    __table_args__ = (Index("ix_claim_history_actor_claim", "actor_id", "claim_id", "id"),)


class ContractHistory(HistoryMixin, Base):
    __tablename__ = "contract_history"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)


class Evidence(Base):
    """A proof filed with a claim (list, income proof, contract, wage slips). The file lives
    outside the database under its SHA-256; the row keeps what is needed to serve it."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)


class ClaimList(Base):
    """A bulk list (申报清单) an agent uploaded: every row's outcome is kept for the result file."""

    __tablename__ = "claim_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10))  # xlsx / csv / json
    sha256: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_refused: Mapped[int] = mapped_column(Integer, default=0)
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"rows": [...]} per row
    created_at: Mapped[datetime] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    """The first response to a POST with an Idempotency-Key, replayed for the same key and body."""

    __tablename__ = "idempotency_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_idempotency_record_org_key"),)
