"""Healthcare payer: plans and benefits, members, claims, prior auths, providers, programmes.

A member is the payer's record of a covered person; `user_id` links the member to the
signed-in user, so the assistant takes the member from the session, never from the model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

PLAN_TYPES = ("hmo", "ppo", "epo", "pos", "hdhp")
MEMBER_RELATIONSHIPS = ("subscriber", "spouse", "dependent")
CLAIM_STATUSES = ("submitted", "in_review", "approved", "denied", "paid", "appealed")
PRIOR_AUTH_STATUSES = ("submitted", "pending_review", "approved", "denied", "cancelled", "expired")
ENROLLMENT_STATUSES = ("eligible", "enrolled", "completed", "withdrawn")


class HealthPlan(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "health_plans"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_type: Mapped[str] = mapped_column(str_enum("plan_type", *PLAN_TYPES))
    metal_tier: Mapped[str | None] = mapped_column(String(32))
    deductible_individual_cents: Mapped[int] = mapped_column(Integer)
    deductible_family_cents: Mapped[int] = mapped_column(Integer)
    oop_max_individual_cents: Mapped[int] = mapped_column(Integer)
    oop_max_family_cents: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    benefits: Mapped[list[PlanBenefit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True
    )


class PlanBenefit(UUIDPrimaryKey, Timestamps, Base):
    """Cost sharing for one service category (e.g. "specialist_visit") under a plan."""

    __tablename__ = "plan_benefits"
    __table_args__ = (UniqueConstraint("plan_id", "service_type"),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("health_plans.id", ondelete="CASCADE"))
    service_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    covered: Mapped[bool] = mapped_column(Boolean, default=True)
    in_network_copay_cents: Mapped[int | None] = mapped_column(Integer)
    in_network_coinsurance_pct: Mapped[int | None] = mapped_column(Integer)
    out_of_network_coinsurance_pct: Mapped[int | None] = mapped_column(Integer)
    deductible_applies: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_prior_auth: Mapped[bool] = mapped_column(Boolean, default=False)
    visit_limit_per_year: Mapped[int | None] = mapped_column(Integer)

    plan: Mapped[HealthPlan] = relationship(back_populates="benefits")


class Provider(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "providers"
    __table_args__ = (Index(None, "specialty", "postal_code"),)

    npi: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str | None] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    in_network: Mapped[bool] = mapped_column(Boolean, default=True)
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True)


class HealthMember(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "health_members"

    user_id: Mapped[str | None] = mapped_column(user_fk("SET NULL"), unique=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("health_plans.id", ondelete="RESTRICT"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    relationship_to_subscriber: Mapped[str] = mapped_column(
        str_enum("member_relationship", *MEMBER_RELATIONSHIPS), default="subscriber"
    )
    coverage_start: Mapped[date]
    coverage_end: Mapped[date | None]
    pcp_provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )

    plan: Mapped[HealthPlan] = relationship()
    pcp: Mapped[Provider | None] = relationship()
    claims: Mapped[list[Claim]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )
    accumulators: Mapped[list[MemberAccumulator]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )

    def is_covered_on(self, day: date) -> bool:
        return self.coverage_start <= day and (
            self.coverage_end is None or day <= self.coverage_end
        )


class Claim(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "claims"
    __table_args__ = (Index(None, "member_id", "service_date"),)

    claim_number: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("health_members.id", ondelete="CASCADE"))
    provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )
    service_date: Mapped[date]
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(
        str_enum("claim_status", *CLAIM_STATUSES), default="submitted"
    )
    diagnosis_codes: Mapped[list[str]] = mapped_column(default=list)
    billed_cents: Mapped[int] = mapped_column(BigInteger)
    allowed_cents: Mapped[int | None] = mapped_column(BigInteger)
    plan_paid_cents: Mapped[int | None] = mapped_column(BigInteger)
    member_responsibility_cents: Mapped[int | None] = mapped_column(BigInteger)
    denial_reason: Mapped[str | None] = mapped_column(Text)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]

    member: Mapped[HealthMember] = relationship(back_populates="claims")
    provider: Mapped[Provider | None] = relationship()
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ClaimLine.line_number",
    )


class ClaimLine(UUIDPrimaryKey, Base):
    __tablename__ = "claim_lines"
    __table_args__ = (UniqueConstraint("claim_id", "line_number"),)

    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    line_number: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    units: Mapped[int] = mapped_column(Integer, default=1)
    billed_cents: Mapped[int] = mapped_column(BigInteger)
    allowed_cents: Mapped[int | None] = mapped_column(BigInteger)
    plan_paid_cents: Mapped[int | None] = mapped_column(BigInteger)
    member_responsibility_cents: Mapped[int | None] = mapped_column(BigInteger)

    claim: Mapped[Claim] = relationship(back_populates="lines")


class PriorAuthorization(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "prior_authorizations"
    __table_args__ = (Index(None, "member_id", "status"),)

    auth_number: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("health_members.id", ondelete="CASCADE"))
    provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )
    procedure_code: Mapped[str] = mapped_column(String(16))
    procedure_description: Mapped[str | None] = mapped_column(String(300))
    diagnosis_code: Mapped[str | None] = mapped_column(String(16))
    clinical_notes: Mapped[str | None] = mapped_column(Text)
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(
        str_enum("prior_auth_status", *PRIOR_AUTH_STATUSES), default="submitted"
    )
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    approved_units: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]


class MemberAccumulator(UUIDPrimaryKey, Timestamps, Base):
    """What a member has paid toward the deductible and out-of-pocket maximum in a plan year."""

    __tablename__ = "member_accumulators"
    __table_args__ = (UniqueConstraint("member_id", "plan_year"),)

    member_id: Mapped[str] = mapped_column(ForeignKey("health_members.id", ondelete="CASCADE"))
    plan_year: Mapped[int] = mapped_column(Integer)
    deductible_met_cents: Mapped[int] = mapped_column(Integer, default=0)
    deductible_limit_cents: Mapped[int] = mapped_column(Integer)
    oop_met_cents: Mapped[int] = mapped_column(Integer, default=0)
    oop_limit_cents: Mapped[int] = mapped_column(Integer)

    member: Mapped[HealthMember] = relationship(back_populates="accumulators")


class CareProgram(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "care_programs"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    eligibility: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CareProgramEnrollment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "care_program_enrollments"
    __table_args__ = (UniqueConstraint("member_id", "program_id"),)

    member_id: Mapped[str] = mapped_column(ForeignKey("health_members.id", ondelete="CASCADE"))
    program_id: Mapped[str] = mapped_column(
        ForeignKey("care_programs.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(
        str_enum("enrollment_status", *ENROLLMENT_STATUSES), default="enrolled"
    )
    enrolled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    program: Mapped[CareProgram] = relationship()
