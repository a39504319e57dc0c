"""Mortgage applications: the owner's own applications, their finances, debts and documents.

Every function takes the SQLAlchemy `session` and the acting user's id first and only ever
touches that user's applications; another user's application id is reported as not found,
so its existence is never revealed. Results are plain JSON-ready dicts, money as integer cents
beside a formatted string, times ISO 8601, so tools and HTTP routes can return them as they are.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.db.models import MortgageApplication, MortgageDebt, MortgageDocument
from convonet.domain.errors import Invalid, NotFound

# Lifetime amounts stay below $1B and monthly ones below $100M: far above any real
# application, low enough that a misheard number is refused instead of stored.
MAX_AMOUNT_CENTS = 100_000_000_000
MAX_MONTHLY_CENTS = 10_000_000_000

# Back-end debt-to-income bands (percent), upper bounds exclusive, as lenders quote them.
DTI_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(36), "excellent"),
    (Decimal(43), "good"),
    (Decimal(50), "acceptable"),
)
DTI_HIGH = "high"

# Stages the applicant moves through; review and decisions belong to the lender.
_APPLICANT_STAGES = ("draft", "financial_review", "document_collection", "document_verification")
_CLOSED_STATUSES = ("approved", "rejected", "cancelled")
_FINANCIAL_FIELDS = (
    "loan_amount_cents",
    "property_value_cents",
    "down_payment_cents",
    "annual_income_cents",
    "monthly_debt_cents",
    "credit_score",
)
_PROVIDED_DOCUMENT = ("uploaded", "verified")

_BASE_DOCUMENTS = ("photo_id", "bank_statement", "credit_report")
_INCOME_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "employed": ("pay_stub", "w2", "employment_verification"),
    "self_employed": ("tax_return", "asset_statement"),
    "retired": ("tax_return", "asset_statement"),
    "unemployed": ("asset_statement",),
    "other": ("tax_return", "asset_statement"),
}
_PROPERTY_DOCUMENTS = ("purchase_agreement", "appraisal", "homeowners_insurance")

NO_APPLICATION = "You don't have a mortgage application yet. I can start one for you if you'd like."
UNKNOWN_APPLICATION = "I couldn't find that mortgage application on your account."

EmploymentStatus = Literal["employed", "self_employed", "unemployed", "retired", "other"]
LoanType = Literal["conventional", "fha", "va", "usda", "jumbo"]
LoanTerm = Literal[10, 15, 20, 25, 30, 40]
DebtType = Literal["credit_card", "auto_loan", "student_loan", "personal_loan", "mortgage", "other"]
DocumentType = Literal[
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
]

Cents = Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)]


class ApplicationFields(BaseModel):
    """What an applicant may set on their application (the lender sets stages and decisions)."""

    model_config = ConfigDict(extra="forbid")

    loan_amount_cents: Cents | None = None
    property_value_cents: Cents | None = None
    down_payment_cents: Cents | None = None
    annual_income_cents: Cents | None = None
    monthly_debt_cents: int | None = Field(default=None, ge=0, le=MAX_MONTHLY_CENTS)
    closing_costs_cents: Cents | None = None
    savings_cents: Cents | None = None
    credit_score: int | None = Field(default=None, ge=300, le=850)
    employment_status: EmploymentStatus | None = None
    loan_type: LoanType | None = None
    loan_term_years: LoanTerm | None = None
    property_address: str | None = Field(
        default=None, min_length=1, max_length=500, pattern=r"^[^\x00]*$"
    )
    status: Literal["cancelled"] | None = None


def format_usd(cents: int) -> str:
    """Dollars as a person would say them: "$1,250" for whole dollars, else "$1,250.50"."""
    dollars, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}${dollars:,}" if rest == 0 else f"{sign}${dollars:,}.{rest:02d}"


def money(cents: int | None) -> dict[str, Any] | None:
    """Money for a result: exact cents for programs, a formatted string to speak."""
    return None if cents is None else {"cents": cents, "formatted": format_usd(cents)}


def debt_to_income_pct(monthly_debt_cents: int, monthly_income_cents: int) -> Decimal:
    """Monthly debt payments as a percentage of gross monthly income, to two decimals."""
    if monthly_income_cents <= 0:
        raise Invalid(
            "I can't work out a debt-to-income ratio without a monthly income above zero. "
            "What is your gross monthly or annual income?",
            code="income_required",
        )
    ratio = Decimal(monthly_debt_cents) * 100 / Decimal(monthly_income_cents)
    return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def dti_band(dti_pct: Decimal) -> str:
    """The band lenders use: below 36 excellent, below 43 good, below 50 acceptable, else high."""
    for upper, band in DTI_BANDS:
        if dti_pct < upper:
            return band
    return DTI_HIGH


def required_document_types(application: MortgageApplication) -> list[str]:
    """Documents an underwriter needs for this applicant's income and purchase situation."""
    required = [*_BASE_DOCUMENTS, *_INCOME_DOCUMENTS[application.employment_status or "employed"]]
    if application.property_address:
        required.extend(_PROPERTY_DOCUMENTS)
    down_payment = application.down_payment_cents or 0
    if application.savings_cents is not None and down_payment > application.savings_cents:
        required.append("gift_letter")
    return list(dict.fromkeys(required))


def missing_document_types(application: MortgageApplication) -> list[str]:
    provided = {d.doc_type for d in application.documents if d.status in _PROVIDED_DOCUMENT}
    return [t for t in required_document_types(application) if t not in provided]


def create_application(session: Session, user_id: str, **fields: Any) -> dict[str, Any]:
    values = _validated(fields)
    if values.get("status") == "cancelled":
        raise Invalid("A new application can't start out cancelled.", code="invalid_status")
    application = MortgageApplication(owner_id=user_id, status="draft", **values)
    _refresh_progress(application)
    session.add(application)
    session.flush()
    return application_summary(application)


def list_applications(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(MortgageApplication)
        .where(MortgageApplication.owner_id == user_id)
        .order_by(MortgageApplication.created_at.desc(), MortgageApplication.id)
    )
    return [application_summary(a) for a in rows]


def get_application(session: Session, user_id: str, application_id: str) -> dict[str, Any]:
    """The application with its debts and documents itemised."""
    application = owned_application(session, user_id, application_id)
    return {
        **application_summary(application),
        "debts": [_debt_dict(d) for d in application.debts],
        "documents": [_document_dict(d) for d in application.documents],
    }


def update_application(
    session: Session, user_id: str, application_id: str | None, **fields: Any
) -> dict[str, Any]:
    """Sets the given fields; `status="cancelled"` withdraws an application still in progress."""
    application = owned_application(session, user_id, application_id)
    values = _validated(fields)
    if not values:
        raise Invalid("Tell me at least one detail to update.", code="nothing_to_update")
    if application.status in _CLOSED_STATUSES:
        raise Invalid(
            f"This application is {application.status} and can no longer be changed.",
            code="application_closed",
        )
    for name, value in values.items():
        setattr(application, name, value)
    _refresh_progress(application)
    session.flush()
    return application_summary(application)


def delete_application(session: Session, user_id: str, application_id: str) -> None:
    session.delete(owned_application(session, user_id, application_id))
    session.flush()


def owned_application(
    session: Session, user_id: str, application_id: str | None
) -> MortgageApplication:
    """The caller's application by id, or their latest one when no id is given."""
    if application_id is not None and not _is_uuid(application_id):
        raise NotFound(UNKNOWN_APPLICATION, code="application_not_found")
    query = select(MortgageApplication).where(MortgageApplication.owner_id == user_id)
    if application_id is None:
        query = query.order_by(MortgageApplication.created_at.desc(), MortgageApplication.id)
        message = NO_APPLICATION
    else:
        query = query.where(MortgageApplication.id == application_id)
        message = UNKNOWN_APPLICATION
    application = session.scalars(query.limit(1)).first()
    if application is None:
        raise NotFound(message, code="application_not_found")
    return application


def application_status(
    session: Session, user_id: str, application_id: str | None = None
) -> dict[str, Any]:
    """Where the application stands and what the applicant should do next."""
    application = owned_application(session, user_id, application_id)
    missing = missing_document_types(application)
    return {
        **application_summary(application),
        "missing_documents": missing,
        "next_step": _next_step(application, missing),
    }


def calculate_dti(
    session: Session, user_id: str, application_id: str | None = None
) -> dict[str, Any]:
    application = owned_application(session, user_id, application_id)
    monthly_income = _monthly(application.annual_income_cents or 0)
    monthly_debt = application.monthly_debt_cents or 0
    dti = debt_to_income_pct(monthly_debt, monthly_income)
    return {
        "application_id": application.id,
        "dti_ratio_pct": float(dti),
        "band": dti_band(dti),
        "monthly_debt": money(monthly_debt),
        "monthly_income": money(monthly_income),
    }


def add_debt(
    session: Session,
    user_id: str,
    application_id: str | None,
    *,
    debt_type: str,
    monthly_payment_cents: int,
    creditor: str | None = None,
    balance_cents: int | None = None,
    interest_rate_pct: float | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """Itemises a debt; the application's monthly debt becomes the sum of the itemised ones."""
    application = _open_application(session, user_id, application_id)
    debt = MortgageDebt(
        debt_type=debt_type,
        monthly_payment_cents=monthly_payment_cents,
        creditor=creditor,
        balance_cents=balance_cents,
        interest_rate_pct=interest_rate_pct,
        description=description,
    )
    application.debts.append(debt)
    application.monthly_debt_cents = sum(d.monthly_payment_cents for d in application.debts)
    _refresh_progress(application)
    session.flush()
    return {
        **_debt_dict(debt),
        "application_id": application.id,
        "total_monthly_debt": money(application.monthly_debt_cents),
    }


def list_debts(session: Session, user_id: str, application_id: str | None = None) -> dict[str, Any]:
    application = owned_application(session, user_id, application_id)
    return {
        "application_id": application.id,
        "debts": [_debt_dict(d) for d in application.debts],
        "total_monthly_debt": money(sum(d.monthly_payment_cents for d in application.debts)),
    }


def add_document(
    session: Session,
    user_id: str,
    application_id: str | None,
    *,
    doc_type: str,
    name: str | None = None,
    storage_uri: str | None = None,
) -> dict[str, Any]:
    """Records that the applicant provided a document (metadata; the file is in storage)."""
    application = _open_application(session, user_id, application_id)
    document = MortgageDocument(
        doc_type=doc_type,
        name=name or doc_type.replace("_", " ").capitalize(),
        status="uploaded",
        storage_uri=storage_uri,
        uploaded_at=get_clock().now(),
    )
    application.documents.append(document)
    _refresh_progress(application)
    session.flush()
    return {
        **_document_dict(document),
        "application_id": application.id,
        "still_missing": missing_document_types(application),
    }


def list_documents(
    session: Session, user_id: str, application_id: str | None = None
) -> dict[str, Any]:
    application = owned_application(session, user_id, application_id)
    return {
        "application_id": application.id,
        "documents": [_document_dict(d) for d in application.documents],
    }


def required_documents(
    session: Session, user_id: str, application_id: str | None = None
) -> dict[str, Any]:
    application = owned_application(session, user_id, application_id)
    return {
        "application_id": application.id,
        "required_documents": required_document_types(application),
    }


def missing_documents(
    session: Session, user_id: str, application_id: str | None = None
) -> dict[str, Any]:
    application = owned_application(session, user_id, application_id)
    missing = missing_document_types(application)
    rejected = {
        d.doc_type: d.rejection_reason
        for d in application.documents
        if d.status == "rejected" and d.doc_type in missing
    }
    return {
        "application_id": application.id,
        "missing_documents": missing,
        "rejected": rejected,
        "documents_complete": not missing,
    }


def application_summary(application: MortgageApplication) -> dict[str, Any]:
    """The application's financials and progress, without its itemised debts and documents."""
    return {
        "id": application.id,
        "status": application.status,
        "completion_percentage": application.completion_percentage,
        "stages": {
            "financial_info_complete": application.financial_info_complete,
            "documents_complete": application.documents_complete,
            "review_complete": application.review_complete,
        },
        "loan_amount": money(application.loan_amount_cents),
        "property_value": money(application.property_value_cents),
        "down_payment": money(application.down_payment_cents),
        "annual_income": money(application.annual_income_cents),
        "monthly_debt": money(application.monthly_debt_cents),
        "closing_costs": money(application.closing_costs_cents),
        "savings": money(application.savings_cents),
        "credit_score": application.credit_score,
        "employment_status": application.employment_status,
        "loan_type": application.loan_type,
        "loan_term_years": application.loan_term_years,
        "property_address": application.property_address,
        "debt_count": len(application.debts),
        "document_count": len(application.documents),
        "created_at": application.created_at.isoformat(),
        "updated_at": application.updated_at.isoformat(),
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = ApplicationFields.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "fields"
        raise Invalid(f"{where}: {first['msg']}", code="invalid_field") from exc
    values = parsed.model_dump(exclude_unset=True)
    if values.get("status") is None:
        values.pop("status", None)
    return values


def _open_application(
    session: Session, user_id: str, application_id: str | None
) -> MortgageApplication:
    application = owned_application(session, user_id, application_id)
    if application.status in _CLOSED_STATUSES:
        raise Invalid(
            f"This application is {application.status}, so nothing more can be added to it.",
            code="application_closed",
        )
    return application


def _refresh_progress(application: MortgageApplication) -> None:
    """Derives the applicant-side stage flags and status from what has been provided."""
    application.financial_info_complete = all(
        getattr(application, name) is not None for name in _FINANCIAL_FIELDS
    )
    application.documents_complete = not missing_document_types(application)
    if application.status not in _APPLICANT_STAGES:
        return
    application.status = _applicant_stage(application)


def _applicant_stage(application: MortgageApplication) -> str:
    if application.financial_info_complete and application.documents_complete:
        return "document_verification"
    if application.financial_info_complete:
        return "document_collection"
    if any(getattr(application, name) is not None for name in _FINANCIAL_FIELDS):
        return "financial_review"
    return "draft"


def _next_step(application: MortgageApplication, missing: list[str]) -> str:
    if application.status in _CLOSED_STATUSES:
        return f"The application is {application.status}."
    if not application.financial_info_complete:
        absent = [
            name.removesuffix("_cents").replace("_", " ")
            for name in _FINANCIAL_FIELDS
            if getattr(application, name) is None
        ]
        return "Provide your " + ", ".join(absent) + "."
    if missing:
        return "Upload these documents: " + ", ".join(t.replace("_", " ") for t in missing) + "."
    return "Everything is in; the lender is reviewing your application."


def _monthly(annual_cents: int) -> int:
    return int((Decimal(annual_cents) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _debt_dict(debt: MortgageDebt) -> dict[str, Any]:
    return {
        "id": debt.id,
        "debt_type": debt.debt_type,
        "creditor": debt.creditor,
        "monthly_payment": money(debt.monthly_payment_cents),
        "balance": money(debt.balance_cents),
        "interest_rate_pct": debt.interest_rate_pct,
        "description": debt.description,
    }


def _document_dict(document: MortgageDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "document_type": document.doc_type,
        "name": document.name,
        "status": document.status,
        "uploaded_at": _iso(document.uploaded_at),
        "verified_at": _iso(document.verified_at),
        "rejection_reason": document.rejection_reason,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
