"""The offline model's scenario suite: utterances across every domain, each with the tool it
must call and the arguments it must fill, validated by the tool's own arguments model.

The model is offered what the agent offers it: the tools of the utterance's domain agent. The
clock is the FakeClock's Monday 5 January 2026, 09:00 in Los Angeles.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from convonet.agent.routing import TOOL_DOMAINS
from convonet.llm.base import ChatMessage, ChatResponse, ToolSpec, collect
from convonet.llm.offline import OfflineChatModel
from convonet.tools import get_registry

pytestmark = pytest.mark.usefixtures("clock")

SYSTEM = "You are Convonet. The local time is in the restaurant's time zone, America/Los_Angeles."
MILK = {"title": "buy milk"}

# (domain agent, utterance, tool, arguments that must be there with these values)
SCENARIOS: list[tuple[str, str, str, dict[str, Any]]] = [
    # Productivity: todos
    ("productivity", "add a todo to buy milk", "create_todo", MILK),
    ("productivity", "Add a to-do: buy milk.", "create_todo", MILK),
    ("productivity", "add buy milk to my todo list", "create_todo", MILK),
    (
        "productivity",
        "put call the plumber on my to do list",
        "create_todo",
        {"title": "call the plumber"},
    ),
    (
        "productivity",
        "add a todo to finish the report by friday with high priority",
        "create_todo",
        {"title": "finish the report", "priority": "high", "due_at": "2026-01-09T17:00:00-08:00"},
    ),
    (
        "productivity",
        "create a task to renew my passport tomorrow at 3 pm it's urgent",
        "create_todo",
        {"title": "renew my passport", "priority": "urgent", "due_at": "2026-01-06T15:00:00-08:00"},
    ),
    (
        "productivity",
        "add a todo for the marketing team to draft the newsletter",
        "create_team_todo",
        {"team": "marketing", "title": "draft the newsletter"},
    ),
    ("productivity", "what's on my todo list", "list_todos", {}),
    ("productivity", "show me my completed tasks", "list_todos", {"status": "completed"}),
    (
        "productivity",
        "what do i have to do today",
        "list_todos",
        {"due_before": "2026-01-05T23:59:00-08:00"},
    ),
    (
        "productivity",
        "mark buy milk as done",
        "list_todos",
        {"search": "buy milk", "status": "open"},
    ),
    (
        "productivity",
        "i finished the quarterly report",
        "list_todos",
        {"search": "quarterly report"},
    ),
    ("productivity", "delete the todo buy milk", "list_todos", {"search": "buy milk"}),
    # Productivity: reminders
    (
        "productivity",
        "remind me to call mom tomorrow at six pm",
        "create_reminder",
        {"text": "call mom", "remind_at": "2026-01-06T18:00:00-08:00"},
    ),
    (
        "productivity",
        "remind me to take my pills in 20 minutes",
        "create_reminder",
        {"text": "take my pills", "remind_at": "2026-01-05T09:20:00-08:00"},
    ),
    (
        "productivity",
        "set a reminder to pay rent on december 1st",
        "create_reminder",
        {"text": "pay rent", "remind_at": "2026-12-01T09:00:00-08:00"},
    ),
    (
        "productivity",
        "call me to remind me about the dentist at 4:30",
        "create_reminder",
        {"remind_at": "2026-01-05T16:30:00-08:00", "channel": "call"},
    ),
    ("productivity", "what are my reminders", "list_reminders", {}),
    ("productivity", "cancel the reminder about rent", "list_reminders", {"status": "pending"}),
    # Productivity: calendar and teams
    (
        "productivity",
        "schedule a meeting with dana on friday at 2 pm for 30 minutes",
        "create_calendar_event",
        {
            "title": "meeting with dana",
            "starts_at": "2026-01-09T14:00:00-08:00",
            "duration_minutes": 30,
        },
    ),
    (
        "productivity",
        "put dentist appointment on my calendar next tuesday at ten thirty am",
        "create_calendar_event",
        {"title": "dentist appointment", "starts_at": "2026-01-06T10:30:00-08:00"},
    ),
    (
        "productivity",
        "what's on my calendar tomorrow",
        "list_calendar_events",
        {"after": "2026-01-06T00:00:00-08:00", "before": "2026-01-07T00:00:00-08:00"},
    ),
    ("productivity", "sync my google calendar", "sync_google_calendar", {}),
    ("productivity", "which teams am i on", "list_my_teams", {}),
    ("productivity", "create a team called design", "create_team", {"name": "Design"}),
    ("productivity", "who is on the sales team", "list_team_members", {"team": "sales"}),
    # Restaurant
    (
        "restaurant",
        "book a table for four people at seven pm on friday under kim",
        "create_reservation",
        {"party_size": 4, "starts_at": "2026-01-09T19:00", "guest_name": "Kim"},
    ),
    (
        "restaurant",
        "Book a table for 4 people at 7:30pm on Friday, name is Ana Lee.",
        "create_reservation",
        {"party_size": 4, "starts_at": "2026-01-09T19:30", "guest_name": "Ana Lee"},
    ),
    (
        "restaurant",
        "a party of six next tuesday at seven in the evening for park",
        "create_reservation",
        {"party_size": 6, "starts_at": "2026-01-06T19:00", "guest_name": "Park"},
    ),
    (
        "restaurant",
        "can i get a table for two at noon on december 3rd under lee",
        "create_reservation",
        {"party_size": 2, "starts_at": "2026-12-03T12:00", "guest_name": "Lee"},
    ),
    (
        "restaurant",
        "reserve a table for 2 tomorrow at 7 under ana my number is four one five five five five "
        "zero one zero zero",
        "create_reservation",
        {
            "party_size": 2,
            "starts_at": "2026-01-06T19:00",
            "guest_name": "Ana",
            "guest_phone": "+14155550100",
        },
    ),
    (
        "restaurant",
        "book for 5 on 12/24 at 6 pm under kim it's a birthday",
        "create_reservation",
        {"party_size": 5, "starts_at": "2026-12-24T18:00", "special_requests": "birthday"},
    ),
    (
        "restaurant",
        "reserve a table tonight at 6 for 3 people name is jo and pre order 2 bulgogi and "
        "1 japchae",
        "create_reservation",
        {
            "starts_at": "2026-01-05T18:00",
            "preorder": [
                {"menu_item_id": "bulgogi", "quantity": 2},
                {"menu_item_id": "japchae", "quantity": 1},
            ],
        },
    ),
    (
        "restaurant",
        "do you have a table for six on saturday",
        "search_seating_availability",
        {"date": "2026-01-10", "party_size": 6},
    ),
    (
        "restaurant",
        "is there any availability for 4 tomorrow night",
        "search_seating_availability",
        {"date": "2026-01-06", "party_size": 4},
    ),
    ("restaurant", "when is my reservation", "get_reservation", {}),
    (
        "restaurant",
        "look up reservation h n k a b one two",
        "get_reservation_by_code",
        {"confirmation_code": "HNK-AB12"},
    ),
    (
        "restaurant",
        "check booking HNK-7KQ2",
        "get_reservation_by_code",
        {"confirmation_code": "HNK-7KQ2"},
    ),
    ("restaurant", "cancel my reservation", "get_reservation", {}),
    (
        "restaurant",
        "please cancel reservation hnk 7kq2",
        "get_reservation_by_code",
        {"confirmation_code": "HNK-7KQ2"},
    ),
    ("restaurant", "change my reservation to 8 pm", "get_reservation", {}),
    ("restaurant", "what's on the menu", "list_menu_items", {}),
    # Mortgage
    ("mortgage", "check on my mortgage application", "get_mortgage_application_status", {}),
    ("mortgage", "what's the status of my loan", "get_mortgage_application_status", {}),
    ("mortgage", "what's my debt to income ratio", "calculate_dti_ratio", {}),
    (
        "mortgage",
        "my credit score is 720 and my annual income is $95,000",
        "update_mortgage_financial_info",
        {"credit_score": 720, "annual_income": 95000},
    ),
    (
        "mortgage",
        "i make $8,000 a month and my savings are 40 thousand dollars",
        "update_mortgage_financial_info",
        {"monthly_income": 8000, "savings": 40000},
    ),
    (
        "mortgage",
        "i want to apply for a mortgage for a $500k house with $100k down",
        "create_mortgage_application",
        {"property_value": 500000, "down_payment": 100000},
    ),
    (
        "mortgage",
        "add a car loan of $350 a month",
        "add_mortgage_debt",
        {"debt_type": "auto_loan", "monthly_payment": 350},
    ),
    (
        "mortgage",
        "i pay three hundred twenty dollars a month on my credit card",
        "add_mortgage_debt",
        {"debt_type": "credit_card", "monthly_payment": 320},
    ),
    ("mortgage", "list my debts", "get_mortgage_debts", {}),
    ("mortgage", "what documents am i missing", "get_missing_documents", {}),
    ("mortgage", "which documents are required", "get_required_documents", {}),
    (
        "mortgage",
        "i uploaded my pay stub",
        "upload_mortgage_document",
        {"document_type": "pay_stub"},
    ),
    # Healthcare
    (
        "healthcare",
        "what's the status of claim CLM-000187",
        "get_claim_status",
        {"claim_number": "CLM-000187"},
    ),
    (
        "healthcare",
        "check claim number one eight seven",
        "get_claim_status",
        {"claim_number": "CLM-000187"},
    ),
    ("healthcare", "show my denied claims", "search_claims", {"status": "denied"}),
    (
        "healthcare",
        "appeal claim 187 because the visit was preventive",
        "file_claim_appeal",
        {"claim_number": "CLM-000187", "reason": "the visit was preventive"},
    ),
    (
        "healthcare",
        "send me the explanation of benefits for claim 203",
        "get_eob",
        {"claim_number": "CLM-000203"},
    ),
    ("healthcare", "how much of my deductible have i met", "get_deductible_status", {}),
    ("healthcare", "what's my out of pocket max", "get_out_of_pocket_status", {}),
    (
        "healthcare",
        "what's my copay for urgent care",
        "get_copay_info",
        {"service_type": "urgent_care"},
    ),
    (
        "healthcare",
        "is physical therapy covered",
        "check_benefit_coverage",
        {"service_type": "physical_therapy"},
    ),
    (
        "healthcare",
        "do i need prior authorization for an mri",
        "check_prior_auth_required",
        {"service_type": "advanced_imaging"},
    ),
    (
        "healthcare",
        "what's the status of prior auth PA-004512",
        "get_prior_auth_status",
        {"auth_number": "PA-004512"},
    ),
    (
        "healthcare",
        "find a cardiologist near 94110",
        "search_providers",
        {"specialty": "cardiology", "zip_code": "94110"},
    ),
    ("healthcare", "am i still covered", "check_eligibility", {}),
    ("healthcare", "when does my coverage end", "get_coverage_dates", {}),
    ("healthcare", "what care programs are there", "get_care_programs", {}),
    ("healthcare", "enroll me in the diabetes program", "get_care_programs", {}),
    ("healthcare", "am i due for a checkup", "get_preventive_care", {}),
    # CRM (the healthcare agent also records patient intake)
    (
        "crm",
        "register a new patient named ana lee phone 415 555 0100 born march 3 1980",
        "onboard_patient",
        {"first_name": "Ana", "last_name": "Lee", "phone": "+14155550100", "dob": "1980-03-03"},
    ),
    (
        "crm",
        "is the patient with phone (415) 555-0199 in the system",
        "check_patient_exists",
        {"phone": "+14155550199"},
    ),
    # Calls and knowledge (the general agent)
    ("general", "show my recent calls", "list_recent_calls", {}),
    ("general", "summarize my last call", "list_recent_calls", {"limit": 1}),
    (
        "general",
        "what are your opening hours",
        "search_knowledge_base",
        {"query": "what are your opening hours"},
    ),
    (
        "restaurant",
        "what's your policy on cancelling a table",
        "search_knowledge_base",
        {"domain": "restaurant"},
    ),
    # Transfer, from any domain agent
    ("general", "transfer me to billing", "transfer_to_agent", {"department": "billing"}),
    ("restaurant", "can i talk to a person", "transfer_to_agent", {}),
    ("mortgage", "transfer me to a human agent", "transfer_to_agent", {}),
    (
        "healthcare",
        "connect me with tech support please",
        "transfer_to_agent",
        {"department": "technical"},
    ),
    ("transfer", "i want to speak to a real person", "transfer_to_agent", {}),
    ("transfer", "which departments can i talk to", "get_available_departments", {}),
]


def toolset(domain: str) -> list[ToolSpec]:
    registry = get_registry()
    return [
        ToolSpec(t.name, t.description, t.json_schema())
        for t in registry.tools(TOOL_DOMAINS[domain])  # type: ignore[index]
    ]


def ask(domain: str, *messages: ChatMessage) -> ChatResponse:
    stream = OfflineChatModel().stream(list(messages), toolset(domain), system=SYSTEM)
    return asyncio.run(collect(stream))


def test_the_suite_covers_every_domain_agent() -> None:
    assert len(SCENARIOS) >= 60
    assert {domain for domain, *_ in SCENARIOS} == set(TOOL_DOMAINS)
    assert len({tool for *_, tool, _args in SCENARIOS}) >= 45


@pytest.mark.parametrize(
    ("domain", "utterance", "tool", "expected"),
    SCENARIOS,
    ids=[utterance[:48] for _d, utterance, _t, _a in SCENARIOS],
)
def test_scenario(domain: str, utterance: str, tool: str, expected: dict[str, Any]) -> None:
    response = ask(domain, ChatMessage("user", utterance))
    assert response.stop_reason == "tool_use", response.text
    assert [call.name for call in response.tool_calls] == [tool]
    arguments = response.tool_calls[0].arguments
    assert {k: arguments.get(k) for k in expected} == expected
    get_registry().get(tool).args_model.model_validate(arguments)


@pytest.mark.parametrize(
    ("domain", "utterance"),
    [
        ("general", "my travel agent called"),
        ("general", "the agent at the bank was rude"),
        ("productivity", "i spoke to a person yesterday about it"),
    ],
)
def test_mentioning_a_person_is_not_a_transfer(domain: str, utterance: str) -> None:
    response = ask(domain, ChatMessage("user", utterance))
    assert response.tool_calls == ()
    assert response.stop_reason == "end_turn" and response.text
