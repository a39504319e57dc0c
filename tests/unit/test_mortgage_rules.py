"""Pure mortgage rules: DTI and its bands, money formatting, required documents."""

from __future__ import annotations

from decimal import Decimal
from typing import get_args

import pytest
from convonet.db.models import MortgageApplication
from convonet.db.models import mortgage as models
from convonet.domain import mortgage
from convonet.domain.errors import Invalid


@pytest.mark.parametrize(
    ("dti", "band"),
    [
        ("0", "excellent"),
        ("35.99", "excellent"),
        ("36", "good"),
        ("42.99", "good"),
        ("43", "acceptable"),
        ("49.99", "acceptable"),
        ("50", "high"),
        ("120", "high"),
    ],
)
def test_dti_band_boundaries(dti: str, band: str) -> None:
    assert mortgage.dti_band(Decimal(dti)) == band


@pytest.mark.parametrize(
    ("debt", "income", "expected"),
    [(3_599_00, 10_000_00, "35.99"), (3_600_00, 10_000_00, "36.00"), (1, 3, "33.33"), (0, 5, "0")],
)
def test_debt_to_income_pct(debt: int, income: int, expected: str) -> None:
    assert mortgage.debt_to_income_pct(debt, income) == Decimal(expected)


def test_dti_rounds_half_up_before_banding() -> None:
    # 35.995% rounds to 36.00, the figure the caller hears, so the band is "good".
    dti = mortgage.debt_to_income_pct(35_995, 100_000)
    assert (dti, mortgage.dti_band(dti)) == (Decimal("36.00"), "good")


@pytest.mark.parametrize("income", [0, -100])
def test_dti_without_income_is_invalid(income: int) -> None:
    with pytest.raises(Invalid) as raised:
        mortgage.debt_to_income_pct(50_000, income)
    assert raised.value.code == "income_required"
    assert "income" in raised.value.message


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0"), (5, "$0.05"), (125_000, "$1,250"), (125_050, "$1,250.50"), (-2_500, "-$25")],
)
def test_format_usd(cents: int, text: str) -> None:
    assert mortgage.format_usd(cents) == text
    assert mortgage.money(cents) == {"cents": cents, "formatted": text}
    assert mortgage.money(None) is None


def test_required_documents_follow_employment_and_purchase() -> None:
    employed = MortgageApplication(employment_status="employed")
    assert mortgage.required_document_types(employed) == [
        "photo_id",
        "bank_statement",
        "credit_report",
        "pay_stub",
        "w2",
        "employment_verification",
    ]
    buying = MortgageApplication(
        employment_status="self_employed",
        property_address="1 Main St",
        down_payment_cents=5_000_000,
        savings_cents=2_000_000,
    )
    required = mortgage.required_document_types(buying)
    assert "tax_return" in required and "pay_stub" not in required
    assert {"purchase_agreement", "appraisal", "homeowners_insurance"} <= set(required)
    assert required[-1] == "gift_letter"  # the down payment exceeds savings


def test_literal_types_match_the_models() -> None:
    assert get_args(mortgage.DocumentType) == models.DOCUMENT_TYPES
    assert get_args(mortgage.DebtType) == models.DEBT_TYPES
    assert get_args(mortgage.LoanType) == models.LOAN_TYPES
    assert get_args(mortgage.EmploymentStatus) == models.EMPLOYMENT_STATUSES
