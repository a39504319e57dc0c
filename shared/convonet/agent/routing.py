"""Which domain agent answers a prompt: word-boundary scoring, a sticky domain, a model tie-break.

The original matched substrings ("agent" in "my travel agent called" meant a transfer). Here
every cue is a whole-word regular expression with a weight; each domain's score is the sum of
the weights of its cues found in the prompt (each cue counted once). The conversation's current
domain is sticky: it keeps the turn unless another domain scores at least `SWITCH_SCORE` (a
clear, different request, such as a todo in the middle of a mortgage conversation) or the user
changes the topic. When the best scores tie, the model picks among the tied domains.

Pure and fast (precompiled patterns, no I/O): it runs on every turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Domain = Literal[
    "productivity", "mortgage", "healthcare", "restaurant", "crm", "general", "transfer"
]
DOMAINS: tuple[Domain, ...] = (
    "productivity",
    "mortgage",
    "healthcare",
    "restaurant",
    "crm",
    "general",
    "transfer",
)
DEFAULT_DOMAIN: Domain = "general"
# A different domain scoring this much takes the turn from the sticky one.
SWITCH_SCORE = 3

# The registry domains whose tools each agent gets; every agent can also transfer.
TOOL_DOMAINS: Mapping[Domain, tuple[str, ...]] = {
    "productivity": ("productivity", "knowledge", "transfer"),
    "mortgage": ("mortgage", "knowledge", "transfer"),
    "healthcare": ("healthcare", "crm", "knowledge", "transfer"),
    "restaurant": ("restaurant", "knowledge", "transfer"),
    "crm": ("crm", "healthcare", "knowledge", "transfer"),
    "general": ("calls", "knowledge", "transfer"),
    "transfer": ("transfer",),
}

_PERSON = (
    r"(?:a |an |the |some |real |live )*"
    r"(?:human|person|agent|representative|rep|operator|somebody|someone|manager|supervisor|staff)"
)

# (pattern, weight) per domain; patterns are matched case-insensitively on word boundaries.
_CUES: Mapping[Domain, Sequence[tuple[str, int]]] = {
    "transfer": (
        (r"transfer (?:me|this call|my call)", 6),
        (rf"(?:speak|talk|chat) (?:to|with) {_PERSON}", 6),
        (rf"connect me (?:to|with) {_PERSON}", 6),
        (r"(?:human|live|real) (?:agent|person|representative|being)", 5),
        (r"(?:customer service|customer support) (?:agent|representative|rep)", 5),
        (r"representative", 3),
        (r"operator", 3),
    ),
    "productivity": (
        (r"to-?dos?", 5),
        (r"to do list", 5),
        (r"reminders?|remind me", 5),
        (r"calendar", 5),
        (r"tasks?", 3),
        (r"meetings?", 3),
        (r"deadlines?", 2),
        (r"agenda", 2),
        (r"teams?|teammates?", 2),
        (r"schedule", 1),
        (r"events?", 1),
        (r"due", 1),
    ),
    "mortgage": (
        (r"mortgages?", 5),
        (r"refinanc(?:e|ing)", 5),
        (r"pre-?approv(?:al|ed)", 5),
        (r"home loan", 5),
        (r"dti|debt[- ]to[- ]income", 5),
        (r"down payment", 4),
        (r"closing costs?", 4),
        (r"loans?", 3),
        (r"lender", 2),
        (r"credit score", 3),
        (r"property value", 3),
        (r"escrow|appraisal", 3),
        (r"pay ?stubs?|w-?2s?|tax returns?|bank statements?", 2),
        (r"debts?", 1),
        (r"income|savings", 1),
    ),
    "healthcare": (
        (r"claims?", 4),
        (r"eob|explanation of benefits", 5),
        (r"deductibles?", 5),
        (r"co-?pays?|co-?insurance", 5),
        (r"out[- ]of[- ]pocket", 4),
        (r"prior auth(?:orization)?s?|pre-?authorization", 5),
        (r"in[- ]network|out of network", 5),
        (r"health (?:plan|insurance)|medical", 4),
        (r"eligib(?:le|ility)", 3),
        (r"coverage|covered", 3),
        (r"benefits?", 2),
        (r"insurance", 2),
        (r"doctors?|physicians?|specialists?|cardiologists?|dermatologists?|pediatricians?", 3),
        (r"care programs?|preventive care", 4),
        (r"npi|mri|x-?ray|procedure code|diagnosis", 3),
        (r"prescriptions?", 2),
        (r"appeal", 2),
    ),
    "restaurant": (
        (r"hanok", 6),
        (r"restaurant", 4),
        (r"book a table|table for", 5),
        (r"reservations?|reserve", 2),
        (r"dinner|lunch|brunch", 3),
        (r"menu", 4),
        (r"bibimbap|bulgogi|kimchi|jjigae|hanwoo|pajeon|naengmyeon", 4),
        (r"pre-?orders?", 3),
        (r"party of \w+", 3),
        (r"hnk-\w+|confirmation code", 3),
        (r"waitlist|seating", 2),
        (r"tables?", 1),
    ),
    "crm": (
        (r"suitecrm|crm", 6),
        (r"new patient|onboard(?:ing)?", 5),
        (r"patients?", 3),
        (r"intake|triage", 5),
        (r"symptoms?", 3),
        (r"call summary", 4),
        (r"clinical", 2),
    ),
    "general": (
        (r"call recordings?|recordings?", 4),
        (r"transcripts?", 4),
        (r"call history|my calls|last call|recent calls", 4),
        (r"voicemails?", 3),
        (r"knowledge base|faq", 4),
        (r"help articles?|how do i", 2),
    ),
}

_TOPIC_CHANGE = re.compile(
    r"\b(?:something else|another (?:question|thing|topic)|different (?:question|topic|thing)|"
    r"change (?:the )?(?:subject|topic)|new (?:question|topic)|switch(?:ing)? topics?|"
    r"never ?mind|forget (?:that|it))\b",
    re.IGNORECASE,
)

_COMPILED: tuple[tuple[Domain, re.Pattern[str], int], ...] = tuple(
    (domain, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), weight)
    for domain, cues in _CUES.items()
    for pattern, weight in cues
)


@dataclass(frozen=True)
class RouteDecision:
    domain: Domain
    reason: Literal["score", "sticky", "tie", "default"]
    scores: Mapping[Domain, int]
    candidates: tuple[Domain, ...] = ()

    @property
    def needs_model(self) -> bool:
        """The scores tie between domains: the model should pick among `candidates`."""
        return self.reason == "tie"


def score(prompt: str) -> dict[Domain, int]:
    """Each domain's score for the prompt (domains with no cue are left out)."""
    scores: dict[Domain, int] = {}
    for domain, pattern, weight in _COMPILED:
        if pattern.search(prompt):
            scores[domain] = scores.get(domain, 0) + weight
    return scores


def changes_topic(prompt: str) -> bool:
    return _TOPIC_CHANGE.search(prompt) is not None


@lru_cache(maxsize=1024)
def route(prompt: str, sticky: str | None = None) -> RouteDecision:
    """Decide the domain for `prompt` given the conversation's current domain.

    A tie without a sticky winner comes back with reason "tie", the tied domains as
    `candidates` and the first of them (by DOMAINS order) as a provisional domain.

    Cached (it is pure): a turn routes its prompt twice, once for the model request sent
    before the graph starts and once in the graph's node, and scoring runs some 80 regular
    expressions (~50 us).
    """
    scores = score(prompt)
    current = _as_domain(None if changes_topic(prompt) else sticky)
    if not scores:
        if current is not None:
            return RouteDecision(current, "sticky", scores)
        return RouteDecision(DEFAULT_DOMAIN, "default", scores)
    best = max(scores.values())
    leaders = tuple(d for d in DOMAINS if scores.get(d) == best)
    if current is not None and (current in leaders or best < SWITCH_SCORE):
        return RouteDecision(current, "sticky", scores)
    if len(leaders) == 1:
        return RouteDecision(leaders[0], "score", scores)
    if "transfer" in leaders:
        return RouteDecision("transfer", "score", scores)
    return RouteDecision(leaders[0], "tie", scores, leaders)


def decision_prompt(candidates: Sequence[str]) -> str:
    """The system prompt for the model's tie-break: answer with one domain name."""
    options = ", ".join(candidates)
    return (
        "You route a user's request to the one assistant that can handle it. "
        f"Answer with exactly one word, one of: {options}."
    )


def parse_decision(answer: str, candidates: Sequence[Domain]) -> Domain | None:
    """The candidate the model named, if it named exactly one."""
    named = [d for d in candidates if re.search(rf"\b{d}\b", answer, re.IGNORECASE)]
    return named[0] if len(named) == 1 else None


def _as_domain(value: str | None) -> Domain | None:
    for domain in DOMAINS:
        if domain == value:
            return domain
    return None
