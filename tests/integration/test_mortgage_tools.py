"""The ten mortgage tools through the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import MortgageApplication, MortgageDebt, MortgageDocument, User
from convonet.domain.mortgage import NO_APPLICATION, UNKNOWN_APPLICATION
from convonet.state.local import LocalStateStore
from convonet.tools import ToolContext, ToolResult, get_registry
from sqlalchemy import func, select

# Not a real hash: these users never sign in, and hashing would cost ~50 ms each.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$placeholder"

MORTGAGE_TOOLS = {
    "create_mortgage_application",
    "get_mortgage_application_status",
    "update_mortgage_financial_info",
    "calculate_dti_ratio",
    "add_mortgage_debt",
    "get_mortgage_debts",
    "upload_mortgage_document",
    "get_mortgage_documents",
    "get_required_documents",
    "get_missing_documents",
}
SIDE_EFFECTS = {
    "create_mortgage_application",
    "update_mortgage_financial_info",
    "add_mortgage_debt",
    "upload_mortgage_document",
}
# Arguments that are valid for each tool on an existing application (the id is added).
SAMPLE_ARGS: dict[str, dict[str, Any]] = {
    "get_mortgage_application_status": {},
    "update_mortgage_financial_info": {"credit_score": 640},
    "calculate_dti_ratio": {},
    "add_mortgage_debt": {"debt_type": "credit_card", "monthly_payment": 90},
    "get_mortgage_debts": {},
    "upload_mortgage_document": {"document_type": "photo_id"},
    "get_mortgage_documents": {},
    "get_required_documents": {},
    "get_missing_documents": {},
}


@pytest.fixture
def users(migrated_db: str, clock: FakeClock, use_local_state: LocalStateStore) -> dict[str, str]:
    with session_scope() as session:
        people = {
            name: User(email=f"{name}@example.com", password_hash=PASSWORD_HASH, display_name=name)
            for name in ("alice", "bob")
        }
        session.add_all(people.values())
        session.flush()
        return {name: user.id for name, user in people.items()}


def call(user_id: str, tool: str, args: dict[str, Any]) -> ToolResult:
    return get_registry().call(ToolContext(user_id=user_id), tool, args)


def ok(user_id: str, tool: str, args: dict[str, Any]) -> Any:
    outcome = call(user_id, tool, args)
    assert outcome.status == "ok", outcome.error
    return outcome.result


def error(user_id: str, tool: str, args: dict[str, Any]) -> dict[str, str]:
    outcome = call(user_id, tool, args)
    assert outcome.status == "error", outcome.result
    assert outcome.error is not None
    return outcome.error


def test_registry_holds_the_ten_tools_with_side_effects_marked() -> None:
    tools = {t.name: t for t in get_registry().tools(["mortgage"])}
    assert set(tools) == MORTGAGE_TOOLS
    assert {n for n, t in tools.items() if t.side_effects} == SIDE_EFFECTS
    for tool in tools.values():
        schema = tool.json_schema()
        assert schema["additionalProperties"] is False
        assert not {"user_id", "owner_id"} & set(schema["properties"])
        assert len(tool.description) > 40


def test_application_journey(users: dict[str, str], clock: FakeClock) -> None:
    alice = users["alice"]
    created = ok(
        alice,
        "create_mortgage_application",
        {"loan_type": "conventional", "loan_amount": 400_000, "property_value": 500_000},
    )
    assert created["status"] == "financial_review"
    assert created["loan_amount"] == {"cents": 40_000_000, "formatted": "$400,000"}

    updated = ok(
        alice,
        "update_mortgage_financial_info",
        {
            "monthly_income": 10_000,
            "monthly_debt": 0,
            "down_payment": 100_000.5,
            "credit_score": 735,
            "employment_status": "employed",
        },
    )
    assert updated["annual_income"]["formatted"] == "$120,000"
    assert updated["down_payment"] == {"cents": 10_000_050, "formatted": "$100,000.50"}
    assert updated["status"] == "document_collection"
    assert updated["completion_percentage"] == 33

    debt = ok(
        alice,
        "add_mortgage_debt",
        {
            "debt_type": "auto_loan",
            "monthly_payment": 450,
            "creditor": "Bay Auto",
            "balance": 18_000,
        },
    )
    ok(alice, "add_mortgage_debt", {"debt_type": "student_loan", "monthly_payment": 320})
    assert debt["total_monthly_debt"]["formatted"] == "$450"
    debts = ok(alice, "get_mortgage_debts", {})
    assert [d["creditor"] for d in debts["debts"]] == ["Bay Auto", None]
    assert debts["total_monthly_debt"] == {"cents": 77_000, "formatted": "$770"}

    dti = ok(alice, "calculate_dti_ratio", {})
    assert (dti["dti_ratio_pct"], dti["band"]) == (7.7, "excellent")

    required = ok(alice, "get_required_documents", {})["required_documents"]
    assert required[:3] == ["photo_id", "bank_statement", "credit_report"]
    uploaded = ok(
        alice,
        "upload_mortgage_document",
        {"document_type": "pay_stub", "document_name": "March pay stub"},
    )
    assert uploaded["status"] == "uploaded"
    assert uploaded["uploaded_at"] == clock.now().isoformat()
    assert "pay_stub" not in uploaded["still_missing"]
    documents = ok(alice, "get_mortgage_documents", {})["documents"]
    assert [d["name"] for d in documents] == ["March pay stub"]

    for doc_type in required:
        if doc_type != "pay_stub":
            ok(alice, "upload_mortgage_document", {"document_type": doc_type})
    missing = ok(alice, "get_missing_documents", {})
    assert missing == {
        "application_id": created["id"],
        "missing_documents": [],
        "rejected": {},
        "documents_complete": True,
    }
    status = ok(alice, "get_mortgage_application_status", {"application_id": created["id"]})
    assert status["status"] == "document_verification"
    assert status["completion_percentage"] == 67
    assert status["document_count"] == len(required)
    assert status["next_step"].startswith("Everything is in")


def test_latest_application_is_the_default(users: dict[str, str], clock: FakeClock) -> None:
    alice = users["alice"]
    first = ok(alice, "create_mortgage_application", {"loan_type": "fha"})
    clock.advance(60)
    second = ok(alice, "create_mortgage_application", {"loan_type": "va"})
    assert ok(alice, "get_mortgage_application_status", {})["id"] == second["id"]
    named = ok(alice, "get_mortgage_application_status", {"application_id": first["id"]})
    assert named["loan_type"] == "fha"


DTI_BOUNDARIES = [
    (3_599, 35.99, "excellent"),
    (3_600, 36.0, "good"),
    (4_299, 42.99, "good"),
    (4_300, 43.0, "acceptable"),
    (4_999, 49.99, "acceptable"),
    (5_000, 50.0, "high"),
]


def test_dti_bands_through_the_tool(users: dict[str, str]) -> None:
    alice = users["alice"]
    ok(alice, "create_mortgage_application", {"annual_income": 120_000})
    for monthly_debt, dti, band in DTI_BOUNDARIES:
        ok(alice, "update_mortgage_financial_info", {"monthly_debt": monthly_debt})
        result = ok(alice, "calculate_dti_ratio", {})
        assert (result["dti_ratio_pct"], result["band"]) == (dti, band)
        assert result["monthly_income"]["formatted"] == "$10,000"


def test_dti_without_income_is_a_clear_invalid(users: dict[str, str]) -> None:
    alice = users["alice"]
    ok(alice, "create_mortgage_application", {"monthly_debt": 500})
    problem = error(alice, "calculate_dti_ratio", {})
    assert problem["kind"] == "invalid"
    assert "income" in problem["message"]
    ok(alice, "update_mortgage_financial_info", {"annual_income": 0})
    assert error(alice, "calculate_dti_ratio", {})["kind"] == "invalid"


def test_caller_without_application_is_told_so(users: dict[str, str]) -> None:
    for tool, args in SAMPLE_ARGS.items():
        assert error(users["bob"], tool, args) == {
            "kind": "not_found",
            "message": NO_APPLICATION,
        }, tool


def test_another_users_application_cannot_be_seen_or_changed(users: dict[str, str]) -> None:
    alice, bob = users["alice"], users["bob"]
    app_id = ok(alice, "create_mortgage_application", {"credit_score": 700})["id"]
    ok(alice, "add_mortgage_debt", {"debt_type": "auto_loan", "monthly_payment": 300})
    ok(alice, "upload_mortgage_document", {"document_type": "w2"})
    ok(bob, "create_mortgage_application", {})

    for tool, args in SAMPLE_ARGS.items():
        problem = error(bob, tool, {**args, "application_id": app_id})
        assert problem == {"kind": "not_found", "message": UNKNOWN_APPLICATION}, tool
    assert error(bob, "get_mortgage_debts", {"user_id": alice})["kind"] == "invalid"

    with session_scope() as session:
        application = session.get(MortgageApplication, app_id)
        assert application is not None
        assert (application.owner_id, application.credit_score) == (alice, 700)
        assert [d.monthly_payment_cents for d in application.debts] == [30_000]
        assert [d.doc_type for d in application.documents] == ["w2"]


def test_repeated_side_effect_returns_the_first_result(users: dict[str, str]) -> None:
    alice = users["alice"]
    args = {"loan_type": "jumbo", "loan_amount": 1_500_000}
    first = call(alice, "create_mortgage_application", args)
    again = call(alice, "create_mortgage_application", args)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.result == first.result

    debt = {"debt_type": "credit_card", "monthly_payment": 120.25}
    assert (
        call(alice, "add_mortgage_debt", debt).result
        == call(alice, "add_mortgage_debt", debt).result
    )
    document = {"document_type": "bank_statement"}
    ok(alice, "upload_mortgage_document", document)
    ok(alice, "upload_mortgage_document", document)

    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(MortgageApplication)) == 1
        assert session.scalar(select(func.count()).select_from(MortgageDebt)) == 1
        assert session.scalar(select(func.count()).select_from(MortgageDocument)) == 1


@pytest.mark.parametrize(
    ("tool", "args", "where"),
    [
        ("create_mortgage_application", {"loan_amount": -5}, "loan_amount"),
        ("create_mortgage_application", {"credit_score": 900}, "credit_score"),
        ("create_mortgage_application", {"loan_term_years": 12}, "loan_term_years"),
        ("create_mortgage_application", {"annual_income": 1, "monthly_income": 1}, "arguments"),
        ("add_mortgage_debt", {"debt_type": "payday", "monthly_payment": 1}, "debt_type"),
        ("add_mortgage_debt", {"debt_type": "other"}, "monthly_payment"),
        ("upload_mortgage_document", {"document_type": "selfie"}, "document_type"),
        ("get_mortgage_debts", {"application_id": "x" * 65}, "application_id"),
    ],
)
def test_malformed_arguments_are_refused(
    tool: str, args: dict[str, Any], where: str, use_local_state: LocalStateStore
) -> None:
    problem = error("nobody", tool, args)
    assert problem["kind"] == "invalid"
    assert problem["message"].startswith(where)
