"""Mortgage tools: the caller's own applications, finances, DTI, debts and documents.

Amounts arrive in dollars (how people say them and models write them) and become integer
cents at this edge. The application is always one the caller owns; with no id the caller's
most recent application is used, which is what "my application" means on a call.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from convonet.db.engine import session_scope
from convonet.domain import mortgage
from convonet.domain.mortgage import DebtType, DocumentType, EmploymentStatus, LoanTerm, LoanType
from convonet.tools.registry import Tool, ToolContext, ToolRegistry

DOMAIN = "mortgage"

Dollars = Annotated[float, Field(ge=0, le=mortgage.MAX_AMOUNT_CENTS / 100)]
MonthlyDollars = Annotated[float, Field(ge=0, le=mortgage.MAX_MONTHLY_CENTS / 100)]

# Argument name (dollars) -> application field (cents).
_DOLLAR_FIELDS = {
    "loan_amount": "loan_amount_cents",
    "property_value": "property_value_cents",
    "down_payment": "down_payment_cents",
    "annual_income": "annual_income_cents",
    "monthly_debt": "monthly_debt_cents",
    "closing_costs": "closing_costs_cents",
    "savings": "savings_cents",
}


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicationRef(_Args):
    application_id: str | None = Field(
        default=None,
        max_length=64,
        description="Id of one of the caller's applications. Leave empty for their most recent.",
    )


class FinancialDetails(_Args):
    loan_amount: Dollars | None = Field(None, description="Amount to borrow, in US dollars.")
    property_value: Dollars | None = Field(None, description="Purchase price or value, dollars.")
    down_payment: Dollars | None = Field(None, description="Down payment, in US dollars.")
    annual_income: Dollars | None = Field(None, description="Gross yearly income, dollars.")
    monthly_income: MonthlyDollars | None = Field(
        None, description="Gross monthly income in dollars (instead of annual_income)."
    )
    monthly_debt: MonthlyDollars | None = Field(
        None, description="Total monthly debt payments (cards, loans), in dollars."
    )
    closing_costs: Dollars | None = Field(None, description="Estimated closing costs, dollars.")
    savings: Dollars | None = Field(None, description="Total savings and liquid assets, dollars.")
    credit_score: int | None = Field(None, ge=300, le=850, description="FICO score, 300-850.")
    employment_status: EmploymentStatus | None = None
    loan_type: LoanType | None = None
    loan_term_years: LoanTerm | None = Field(None, description="Loan term in years.")
    property_address: str | None = Field(None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_income(self) -> FinancialDetails:
        if self.annual_income is not None and self.monthly_income is not None:
            raise ValueError("give either annual_income or monthly_income, not both")
        return self

    def application_fields(self) -> dict[str, Any]:
        """The given details as application fields, money in cents."""
        given = self.model_dump(exclude_none=True, exclude={"application_id"})
        fields: dict[str, Any] = {}
        for name, value in given.items():
            if name == "monthly_income":
                fields["annual_income_cents"] = _cents(value) * 12
            elif name in _DOLLAR_FIELDS:
                fields[_DOLLAR_FIELDS[name]] = _cents(value)
            else:
                fields[name] = value
        return fields


class UpdateFinancialsArgs(FinancialDetails, ApplicationRef):
    pass


class AddDebtArgs(ApplicationRef):
    debt_type: DebtType
    monthly_payment: MonthlyDollars = Field(description="Monthly payment, in US dollars.")
    creditor: str | None = Field(None, max_length=200, description="Who the debt is owed to.")
    balance: Dollars | None = Field(None, description="Outstanding balance, in US dollars.")
    interest_rate: float | None = Field(None, ge=0, le=100, description="APR in percent.")
    description: str | None = Field(None, max_length=500)


class UploadDocumentArgs(ApplicationRef):
    document_type: DocumentType
    document_name: str | None = Field(None, max_length=300, description="e.g. 'March pay stub'.")
    file_url: str | None = Field(
        None, max_length=2048, description="Where the uploaded file is stored, if known."
    )


def _cents(dollars: float) -> int:
    return int(Decimal(str(dollars)).quantize(Decimal("0.01")) * 100)


def _for_application(
    read: Callable[[Session, str, str | None], dict[str, Any]],
) -> Callable[[ToolContext, ApplicationRef], dict[str, Any]]:
    """A tool handler that runs `read` on the caller's chosen (or latest) application."""

    def handler(ctx: ToolContext, args: ApplicationRef) -> dict[str, Any]:
        with session_scope() as session:
            return read(session, ctx.user_id, args.application_id)

    return handler


def create_application(ctx: ToolContext, args: FinancialDetails) -> dict[str, Any]:
    with session_scope() as session:
        return mortgage.create_application(session, ctx.user_id, **args.application_fields())


def update_financial_info(ctx: ToolContext, args: UpdateFinancialsArgs) -> dict[str, Any]:
    with session_scope() as session:
        return mortgage.update_application(
            session, ctx.user_id, args.application_id, **args.application_fields()
        )


def add_debt(ctx: ToolContext, args: AddDebtArgs) -> dict[str, Any]:
    with session_scope() as session:
        return mortgage.add_debt(
            session,
            ctx.user_id,
            args.application_id,
            debt_type=args.debt_type,
            monthly_payment_cents=_cents(args.monthly_payment),
            creditor=args.creditor,
            balance_cents=None if args.balance is None else _cents(args.balance),
            interest_rate_pct=args.interest_rate,
            description=args.description,
        )


def upload_document(ctx: ToolContext, args: UploadDocumentArgs) -> dict[str, Any]:
    with session_scope() as session:
        return mortgage.add_document(
            session,
            ctx.user_id,
            args.application_id,
            doc_type=args.document_type,
            name=args.document_name,
            storage_uri=args.file_url,
        )


TOOLS = (
    Tool(
        "create_mortgage_application",
        "Start a new mortgage application for the caller. Include any details they have "
        "already given (loan amount, property value, income, credit score...); the rest can be "
        "added later with update_mortgage_financial_info. Returns the new application.",
        FinancialDetails,
        create_application,
        DOMAIN,
        side_effects=True,
    ),
    Tool(
        "get_mortgage_application_status",
        "Get where the caller's mortgage application stands: status, completion percentage, "
        "financial summary, missing documents and the next step. Use for 'how is my "
        "application going?'.",
        ApplicationRef,
        _for_application(mortgage.application_status),
        DOMAIN,
        side_effects=False,
    ),
    Tool(
        "update_mortgage_financial_info",
        "Update the financial details on the caller's mortgage application (income, debts, "
        "down payment, savings, credit score, loan amount, property value, employment, loan "
        "type). Only pass the details the caller just gave; amounts in US dollars.",
        UpdateFinancialsArgs,
        update_financial_info,
        DOMAIN,
        side_effects=True,
    ),
    Tool(
        "calculate_dti_ratio",
        "Calculate the caller's debt-to-income ratio from their application's monthly debt and "
        "income, with its band: under 36% excellent, under 43% good, under 50% acceptable, "
        "otherwise high.",
        ApplicationRef,
        _for_application(mortgage.calculate_dti),
        DOMAIN,
        side_effects=False,
    ),
    Tool(
        "add_mortgage_debt",
        "Add one of the caller's debts (credit card, car loan, student loan...) to their "
        "mortgage application. The application's total monthly debt becomes the sum of the "
        "debts added this way.",
        AddDebtArgs,
        add_debt,
        DOMAIN,
        side_effects=True,
    ),
    Tool(
        "get_mortgage_debts",
        "List the debts on the caller's mortgage application with the monthly total.",
        ApplicationRef,
        _for_application(mortgage.list_debts),
        DOMAIN,
        side_effects=False,
    ),
    Tool(
        "upload_mortgage_document",
        "Record that the caller has provided a document for their mortgage application "
        "(pay stub, W-2, bank statement, photo ID...). Returns what is still missing.",
        UploadDocumentArgs,
        upload_document,
        DOMAIN,
        side_effects=True,
    ),
    Tool(
        "get_mortgage_documents",
        "List the documents on the caller's mortgage application and their review status.",
        ApplicationRef,
        _for_application(mortgage.list_documents),
        DOMAIN,
        side_effects=False,
    ),
    Tool(
        "get_required_documents",
        "List every document type the caller's mortgage application needs, given their "
        "employment and purchase situation.",
        ApplicationRef,
        _for_application(mortgage.required_documents),
        DOMAIN,
        side_effects=False,
    ),
    Tool(
        "get_missing_documents",
        "List the required documents the caller has not yet provided (or that were rejected). "
        "Use for 'what do you still need from me?'.",
        ApplicationRef,
        _for_application(mortgage.missing_documents),
        DOMAIN,
        side_effects=False,
    ),
)


def register(registry: ToolRegistry) -> None:
    """Adds the ten mortgage tools."""
    for tool in TOOLS:
        registry.add(tool)
