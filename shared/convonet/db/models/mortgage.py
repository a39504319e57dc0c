"""Mortgage applications with their debts, documents and notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

MORTGAGE_STATUSES = (
    "draft",
    "financial_review",
    "document_collection",
    "document_verification",
    "under_review",
    "pre_approved",
    "approved",
    "rejected",
    "cancelled",
)
EMPLOYMENT_STATUSES = ("employed", "self_employed", "unemployed", "retired", "other")
LOAN_TYPES = ("conventional", "fha", "va", "usda", "jumbo")
DEBT_TYPES = ("credit_card", "auto_loan", "student_loan", "personal_loan", "mortgage", "other")
DOCUMENT_TYPES = (
    "pay_stub",
    "w2",
    "tax_return",
    "bank_statement",
    "employment_verification",
    "photo_id",
    "credit_report",
    "purchase_agreement",
    "appraisal",
    "homeowners_insurance",
    "gift_letter",
    "asset_statement",
)
DOCUMENT_STATUSES = ("pending", "uploaded", "verified", "rejected")


class MortgageApplication(UUIDPrimaryKey, Timestamps, Base):
    """An application; money in integer cents (BigInteger: property values pass $21M)."""

    __tablename__ = "mortgage_applications"

    owner_id: Mapped[str] = mapped_column(user_fk(), index=True)
    status: Mapped[str] = mapped_column(
        str_enum("mortgage_status", *MORTGAGE_STATUSES), default="draft", index=True
    )
    loan_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    property_value_cents: Mapped[int | None] = mapped_column(BigInteger)
    down_payment_cents: Mapped[int | None] = mapped_column(BigInteger)
    annual_income_cents: Mapped[int | None] = mapped_column(BigInteger)
    monthly_debt_cents: Mapped[int | None] = mapped_column(BigInteger)
    closing_costs_cents: Mapped[int | None] = mapped_column(BigInteger)
    savings_cents: Mapped[int | None] = mapped_column(BigInteger)
    credit_score: Mapped[int | None] = mapped_column(Integer)
    employment_status: Mapped[str | None] = mapped_column(
        str_enum("employment_status", *EMPLOYMENT_STATUSES)
    )
    loan_type: Mapped[str | None] = mapped_column(str_enum("loan_type", *LOAN_TYPES))
    loan_term_years: Mapped[int] = mapped_column(Integer, default=30)
    property_address: Mapped[str | None] = mapped_column(String(500))
    financial_info_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    documents_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    review_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None]

    debts: Mapped[list[MortgageDebt]] = relationship(
        back_populates="application", cascade="all, delete-orphan", passive_deletes=True
    )
    documents: Mapped[list[MortgageDocument]] = relationship(
        back_populates="application", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[MortgageNote]] = relationship(
        back_populates="application", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def completion_percentage(self) -> int:
        """Share of the three stages done, as the original dashboard reports it."""
        done = [self.financial_info_complete, self.documents_complete, self.review_complete]
        return round(100 * sum(done) / len(done))


class MortgageDebt(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "mortgage_debts"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("mortgage_applications.id", ondelete="CASCADE"), index=True
    )
    debt_type: Mapped[str] = mapped_column(str_enum("debt_type", *DEBT_TYPES))
    creditor: Mapped[str | None] = mapped_column(String(200))
    monthly_payment_cents: Mapped[int] = mapped_column(BigInteger)
    balance_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Annual percentage rate, e.g. 6.875; exact decimal so it round-trips on both backends.
    interest_rate_pct: Mapped[float | None] = mapped_column(Numeric(6, 3, asdecimal=False))
    description: Mapped[str | None] = mapped_column(Text)

    application: Mapped[MortgageApplication] = relationship(back_populates="debts")


class MortgageDocument(UUIDPrimaryKey, Timestamps, Base):
    """Document metadata; the file itself lives in object storage at `storage_uri`."""

    __tablename__ = "mortgage_documents"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("mortgage_applications.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[str] = mapped_column(str_enum("mortgage_doc_type", *DOCUMENT_TYPES))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        str_enum("mortgage_doc_status", *DOCUMENT_STATUSES), default="pending"
    )
    storage_uri: Mapped[str | None] = mapped_column(String(2048))
    uploaded_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    application: Mapped[MortgageApplication] = relationship(back_populates="documents")


class MortgageNote(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "mortgage_notes"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("mortgage_applications.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str | None] = mapped_column(user_fk("SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)

    application: Mapped[MortgageApplication] = relationship(back_populates="notes")
