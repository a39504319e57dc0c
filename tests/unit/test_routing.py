"""Domain routing: whole-word scoring, the sticky domain and when the model must break a tie."""

from __future__ import annotations

import pytest
from convonet.agent import routing
from convonet.agent.routing import route


@pytest.mark.parametrize(
    ("prompt", "domain"),
    [
        ("cancel my dinner reservation", "restaurant"),
        ("book a table for four at seven on friday", "restaurant"),
        ("what's on the menu at Hanok tonight", "restaurant"),
        ("can I pre-order bulgogi for my booking", "restaurant"),
        ("add a todo to buy milk", "productivity"),
        ("remind me to call mom tomorrow at noon", "productivity"),
        ("what's on my calendar next week", "productivity"),
        ("create a team called design and add Bo", "productivity"),
        ("what is my debt-to-income ratio", "mortgage"),
        ("I want to start a mortgage application", "mortgage"),
        ("update my down payment to forty thousand", "mortgage"),
        ("which documents are still missing for my home loan", "mortgage"),
        ("how much of my deductible have I met", "healthcare"),
        ("what's the status of my claim from march", "healthcare"),
        ("is an MRI covered or do I need prior authorization", "healthcare"),
        ("find me an in-network cardiologist", "healthcare"),
        ("what's my copay for a specialist visit", "healthcare"),
        ("onboard a new patient named Lee", "crm"),
        ("log a clinical intake with her symptoms", "crm"),
        ("show me the transcript of my last call", "general"),
        ("search the knowledge base for the refund policy", "general"),
        ("transfer me to a human please", "transfer"),
        ("I want to speak to a real person", "transfer"),
        ("can I talk with someone from customer service", "transfer"),
        ("connect me to an agent", "transfer"),
    ],
)
def test_routes_each_domain(prompt: str, domain: str) -> None:
    assert route(prompt).domain == domain


@pytest.mark.parametrize(
    "prompt",
    [
        "my travel agent called about the trip",
        "the real estate agent sent the listing",
        "an agent of change, that's me",
        "I'm a human after all",
    ],
)
def test_agent_or_human_alone_is_no_transfer(prompt: str) -> None:
    assert route(prompt).domain != "transfer"


def test_substrings_do_not_count() -> None:
    # "claims" inside "reclaims", "menu" inside "menus" of another word, "loan" in "loaned"...
    assert routing.score("he reclaimed the loaned tablecloth") == {}


def test_sticky_domain_keeps_vague_follow_ups() -> None:
    decision = route("and what about next friday", sticky="restaurant")
    assert (decision.domain, decision.reason) == ("restaurant", "sticky")


def test_weak_cue_for_another_domain_does_not_steal_the_turn() -> None:
    assert route("what does the schedule look like", sticky="mortgage").domain == "mortgage"


def test_a_todo_in_a_mortgage_conversation_goes_to_productivity() -> None:
    decision = route("add a todo to send my pay stubs to the lender", sticky="mortgage")
    assert (decision.domain, decision.reason) == ("productivity", "score")


def test_transfer_wins_over_a_sticky_domain() -> None:
    assert route("let me talk to a human", sticky="healthcare").domain == "transfer"


def test_topic_change_releases_the_sticky_domain() -> None:
    assert route("something else: any news", sticky="mortgage").domain == "general"
    assert route("never mind, what's the weather", sticky="restaurant").reason == "default"


def test_no_cue_and_no_history_is_general() -> None:
    decision = route("hello there")
    assert (decision.domain, decision.reason) == ("general", "default")


def test_ties_go_to_the_model_with_the_tied_domains() -> None:
    decision = route("I need to schedule a meeting about my claims")  # 3+1 vs 4
    assert decision.needs_model
    assert set(decision.candidates) == {"productivity", "healthcare"}


def test_a_tie_involving_the_sticky_domain_stays_sticky() -> None:
    decision = route("I need to schedule a meeting about my claims", sticky="healthcare")
    assert (decision.domain, decision.reason) == ("healthcare", "sticky")


def test_parse_decision_accepts_one_named_candidate_only() -> None:
    candidates = ("productivity", "healthcare")
    assert routing.parse_decision("Healthcare.", candidates) == "healthcare"
    assert routing.parse_decision("productivity or healthcare", candidates) is None
    assert routing.parse_decision("mortgage", candidates) is None


def test_every_domain_has_tools_and_transfer_everywhere() -> None:
    assert set(routing.TOOL_DOMAINS) == set(routing.DOMAINS)
    assert all("transfer" in domains for domains in routing.TOOL_DOMAINS.values())
