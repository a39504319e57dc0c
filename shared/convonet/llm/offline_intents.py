"""What the offline model understands: one intent per tool, tried in order.

An intent is the tool it calls, a trigger pattern on the normalised utterance, and a builder
that fills the tool's arguments from the words (or says which slot is missing, so the model
asks for it). Some tools need an id the caller never says (a todo id, a reservation id): their
intent first calls a lookup tool ("list_todos" searching the words, "get_reservation"), then
`follow_up` picks the one record from its result. Intents are keyed on tool names, so a domain
agent offered only its own tools only ever calls those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from convonet.llm import offline_parsing as p

Args = dict[str, Any]

_AFFIRM = re.compile(
    r"^(?:yes|yeah|yep|sure|ok|okay|please do|go ahead|do it|confirm|correct|that's right)\b"
    r"|\b(?:anyway|still cancel|cancel it anyway|yes cancel|i'm sure|go ahead)\b"
)
_DECLINE = re.compile(
    r"^(?:no|nope|nah|never ?mind|forget (?:it|that)|don't|do not|not now|stop)\b"
)


@dataclass(frozen=True)
class Utterance:
    """What the caller said, normalised, and when (`now` is in the local time zone).

    When the caller has been answering the model's questions, `text` is the original request
    followed by the answers, and `answers` holds each answer by the slot it was asked for."""

    text: str
    now: datetime
    answers: tuple[tuple[str, str], ...] = ()

    @property
    def today(self) -> date:
        return self.now.date()

    def answer_to(self, slot: str) -> str | None:
        """The caller's latest answer to the question about `slot`."""
        return next((said for asked, said in reversed(self.answers) if asked == slot), None)

    def with_answer(self, slot: str, said: str, now: datetime) -> Utterance:
        return Utterance(f"{self.text} {said}", now, (*self.answers, (slot, said)))


@dataclass(frozen=True)
class Draft:
    """A builder's result: the arguments, the slots still missing, and a lookup to run first."""

    args: Args
    missing: tuple[str, ...] = ()
    lookup: tuple[str, Args] | None = None


@dataclass(frozen=True)
class Intent:
    tool: str
    domain: str
    pattern: re.Pattern[str]
    build: Callable[[Utterance], Draft | None]
    lookup_tool: str | None = None
    unless: re.Pattern[str] | None = None

    def tools(self) -> tuple[str, ...]:
        return (self.tool, self.lookup_tool) if self.lookup_tool else (self.tool,)


@dataclass(frozen=True)
class Plan:
    intent: Intent
    draft: Draft
    utterance: Utterance = field(repr=False)

    @property
    def tool(self) -> str:
        return self.intent.tool

    @property
    def missing(self) -> tuple[str, ...]:
        return self.draft.missing


# The question asked for each missing slot; the model recognises its own questions by these.
QUESTIONS: Mapping[str, str] = {
    "party_size": "For how many people?",
    "when": "What day and time would you like?",
    "time": "What time would you like?",
    "guest_name": "What name should I put the reservation under?",
    "change": "What would you like to change, the time or the number of people?",
    "retention": "This booking has a large pre-order, so I can move it to another time "
    "instead of cancelling. Would you still like to cancel?",
    "title": "What should the todo say?",
    "todo_ref": "Which todo do you mean?",
    "remind_at": "When should I remind you?",
    "reminder_text": "What should I remind you about?",
    "reminder_ref": "Which reminder do you mean?",
    "event_when": "What day and time is it?",
    "event_time": "What time does it start?",
    "team": "Which team?",
    "claim_number": "What's the claim number?",
    "auth_number": "What's the authorization number?",
    "appeal_reason": "Why do you disagree with the claim?",
    "service_type": "What kind of care is it, for example a specialist visit or urgent care?",
    "specialty": "What kind of doctor are you looking for?",
    "program": "Which care program would you like to join?",
    "monthly_payment": "How much is the monthly payment?",
    "financials": "Which detail should I update, and to what amount?",
    "document_type": "Which document did you upload?",
    "phone": "What's the phone number?",
    "patient_name": "What's the patient's first and last name?",
}
SLOT_OF_QUESTION = {question: slot for slot, question in QUESTIONS.items()}


def is_decline(text: str) -> bool:
    return _DECLINE.search(text) is not None


# Times --------------------------------------------------------------------------------------

_PHONE_SPAN = re.compile(r"\+?\(?\d[\d\s().-]{8,22}\d")


def _without_phone(text: str) -> str:
    return _PHONE_SPAN.sub(" ", text)


def _day_clock(spoken: p.SpokenTime) -> time:
    """A time for a todo, reminder or meeting: 1-7 without am/pm is afternoon, 8-11 morning."""
    hour, minute = spoken.resolve("pm" if 1 <= spoken.hour <= 7 else "am")
    return time(hour, minute)


def _dinner_clock(spoken: p.SpokenTime) -> time:
    """A table time: without am/pm, 11 and 12 are lunch, anything else is the evening."""
    hour, minute = spoken.resolve("am" if spoken.hour == 11 else "pm")
    return time(hour, minute)


@dataclass(frozen=True)
class When:
    day: date | None
    clock: time | None

    def at(self, now: datetime, default_clock: time | None = None) -> datetime | None:
        """The moment in `now`'s zone; a bare time is today's, or tomorrow's once passed; a bare
        day is at `default_clock`, if there is one."""
        clock = self.clock or (default_clock if self.day else None)
        if clock is None:
            return None
        day = self.day or now.date()
        moment = datetime.combine(day, clock, tzinfo=now.tzinfo)
        if self.day is None and moment < now:
            moment += timedelta(days=1)
        return moment


def _when(u: Utterance, clock: Callable[[p.SpokenTime], time] = _day_clock) -> When:
    text = _without_phone(u.text)
    spoken = p.parse_time(text)
    return When(p.parse_date(text, u.today), clock(spoken) if spoken else None)


def _moment(u: Utterance, default_clock: time | None = None) -> datetime | None:
    """A moment for a reminder or due date: "in 20 minutes", or a day and/or a time."""
    if span := p.parse_from_now(u.text):
        return (u.now + span).replace(second=0, microsecond=0)
    return _when(u).at(u.now, default_clock)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Titles -------------------------------------------------------------------------------------

_SLOT_TAIL = re.compile(
    r"\s(?:(?:due|by|before|on|at|for|this|next|coming|in|until|from) )*(?:"
    r"today|tonight|tomorrow|day after tomorrow|next week|(?:the )?weekend|"
    rf"{p._WEEKDAY_NAMES}|(?:{p._MONTH_NAMES}) \d|\d{{1,2}}(?:st|nd|rd|th)|"
    r"\d{1,2}/\d{1,2}|\d{1,2}(?::\d{2})? ?(?:a ?m|p ?m)\b|\d{1,2}:\d{2}|noon|midnight|"
    r"\d+ (?:minutes?|hours?|days?|weeks?)\b|an? (?:hour|minute|week)|\d{1,2} o'?clock|"
    r"(?:the |my )?\w+ team\b|(?:(?:with|as|at|of) )?(?:a )?(?:high|low|medium|top|normal) "
    r"priority|urgent|important|asap|please)"
)
_LEADING_FILLER = re.compile(r"^(?:to |that i (?:need|have) to |i need to |i have to |about |:)+")


def _title(text: str) -> str:
    """The words of a todo, reminder or event, without the when and the priority."""
    cut = _SLOT_TAIL.search(" " + text)
    title = (" " + text)[: cut.start()] if cut else " " + text
    title = _LEADING_FILLER.sub("", title.strip())
    return title.strip()[:200]


def _after(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return next((g.strip() for g in m.groups() if g), None) if m else None


# Productivity -------------------------------------------------------------------------------

_TODO = r"(?:to ?dos?|to do(?: list)?|to-do|tasks?|task list)"
_TODO_ITEM_AFTER = re.compile(
    rf"\b{_TODO}(?: item)? (?:to |for |called |named |that says |saying |about )?(.+)"
)
_TODO_ITEM_BEFORE = re.compile(
    rf"\b(?:add|put|write|save|jot down|note) (.+?) (?:to|on|in) (?:my |the |our )?{_TODO}\b"
)
_TEAM_NAME = re.compile(r"\bfor (?:the |my |our )?([a-z0-9]+) team\b|\bteam ([a-z0-9]+)\b")


def _todo_title(u: Utterance) -> str:
    if (said := u.answer_to("title")) is not None:
        return _title(said)
    before = _TODO_ITEM_BEFORE.search(u.text)
    if before and not re.match(r"^(?:a |an |new )", before[1]):
        return _title(before[1])
    return _title(_after(_TODO_ITEM_AFTER, u.text) or "")


def _todo_fields(u: Utterance) -> Args:
    args: Args = {}
    if priority := p.parse_priority(u.text):
        args["priority"] = priority
    due = _moment(u, default_clock=time(17, 0))
    if due is not None:
        args["due_at"] = _iso(due)
    return args


def _create_todo(u: Utterance) -> Draft:
    title = _todo_title(u)
    args = {"title": title, **_todo_fields(u)} if title else {}
    return Draft(args, () if title else ("title",))


def _create_team_todo(u: Utterance) -> Draft | None:
    team = _after(_TEAM_NAME, u.text)
    if team is None:
        return None
    draft = _create_todo(replace(u, text=_TEAM_NAME.sub(" ", u.text, count=1)))
    return replace(draft, args={**draft.args, "team": team})


_TODO_REF = (
    re.compile(
        rf"\bmark (?:the |my )?(?:{_TODO} )?(?:called |named |to )?(.+?) (?:as )?"
        r"(?:done|complete|completed|finished)\b"
    ),
    re.compile(
        rf"\b(?:complete|finish|check off|tick off|close|delete|remove|get rid of|drop) "
        rf"(?:the |my )?(?:{_TODO} )?(?:called |named |to |for )?(.+?)"
        rf"(?: (?:from|off|on) (?:my |the )?{_TODO}(?: list)?)?$"
    ),
    re.compile(rf"\bi (?:finished|completed|did|am done with) (?:the |my )?(?:{_TODO} )?(.+)"),
)


def _todo_ref(u: Utterance) -> str | None:
    if (said := u.answer_to("todo_ref")) is not None:
        return _title(said) or None
    for pattern in _TODO_REF:
        if m := pattern.search(u.text):
            ref = _title(m[1])
            if len(ref) >= 2 and not re.fullmatch(rf"(?:it|that|this|the|my )?{_TODO}?", ref):
                return ref
    return None


def _find_todo(u: Utterance) -> Draft:
    ref = _todo_ref(u)
    if ref is None:
        return Draft({}, ("todo_ref",))
    return Draft({}, lookup=("list_todos", {"search": ref, "status": "open"}))


def _list_todos(u: Utterance) -> Draft:
    args: Args = {}
    if re.search(r"\b(?:completed|done|finished)\b", u.text):
        args["status"] = "completed"
    elif re.search(r"\ball (?:of )?my\b|\beverything\b", u.text):
        args["status"] = "all"
    if priority := p.parse_priority(u.text):
        args["priority"] = priority
    if re.search(r"\bteam\b", u.text):
        args["scope"] = "team"
    elif re.search(r"\bassigned to me\b", u.text):
        args["scope"] = "assigned_to_me"
    when = _when(u)
    if when.day is not None:
        end = datetime.combine(when.day, time(23, 59), tzinfo=u.now.tzinfo)
        args["due_before"] = _iso(end)
    return Draft(args)


_REMINDER_TEXT = re.compile(
    r"\bremind me (?:to |about |that |of )?(.+)|\breminder (?:to |for |about |that )(.+)"
    r"|\breminder (.+)"
)


def _create_reminder(u: Utterance) -> Draft:
    text = _title(u.answer_to("reminder_text") or _after(_REMINDER_TEXT, u.text) or "")
    args: Args = {}
    if text:
        args["text"] = text
    if priority := p.parse_priority(u.text):
        args["importance"] = priority
    if re.search(r"\b(?:call me|by (?:phone )?call|phone call|ring me)\b", u.text):
        args["channel"] = "call"
    moment = _moment(u, default_clock=time(9, 0))
    if moment is not None:
        args["remind_at"] = _iso(moment)
    missing = tuple(
        slot
        for slot, key in (("reminder_text", "text"), ("remind_at", "remind_at"))
        if key not in args
    )
    return Draft(args, missing)


_REMINDER_REF = re.compile(
    r"\b(?:cancel|delete|remove|stop) (?:the |my )?reminder (?:to |about |for |that )?(.+)"
)


def _delete_reminder(u: Utterance) -> Draft:
    ref = _title(u.answer_to("reminder_ref") or _after(_REMINDER_REF, u.text) or "")
    if len(ref) < 2:
        return Draft({}, ("reminder_ref",))
    return Draft({"_match": ref}, lookup=("list_reminders", {"status": "pending"}))


_EVENT_TITLE = re.compile(
    r"\b(?:schedule|set up|add|put|create|plan|book) (?:a |an |the |my |new )*"
    r"(?:calendar )?(?:event )?(?:called |named |titled |for )?(.+?)"
    r"(?: (?:on|to|in) (?:my |the )?calendar\b.*)?$"
)


def _create_event(u: Utterance) -> Draft:
    source = _after(_EVENT_TITLE, u.text) or ""
    title = _title(re.sub(r"\b(?:for )?(?:an?|\d+|half an?) (?:hours?|minutes?)\b.*", "", source))
    when = _when(u)
    args: Args = {"title": title or "Meeting"}
    if minutes := p.parse_duration_minutes(u.text):
        args["duration_minutes"] = min(minutes, 1440)
    start = when.at(u.now)
    if start is not None:
        args["starts_at"] = _iso(start)
        return Draft(args)
    return Draft(args, ("event_time",) if when.day else ("event_when",))


def _list_events(u: Utterance) -> Draft:
    when = _when(u)
    if re.search(r"\bthis week\b", u.text):
        end = u.now + timedelta(days=7 - u.now.weekday())
        return Draft({"before": _iso(end.replace(hour=0, minute=0, second=0, microsecond=0))})
    if when.day is None:
        return Draft({})
    start = datetime.combine(when.day, time(0, 0), tzinfo=u.now.tzinfo)
    return Draft({"after": _iso(max(start, u.now)), "before": _iso(start + timedelta(days=1))})


def _create_team(u: Utterance) -> Draft | None:
    name = _after(re.compile(r"\bteam (?:called |named )?(.+)"), u.text)
    if not name:
        return None
    return Draft({"name": _title(name).title()})


def _team_members(u: Utterance) -> Draft | None:
    team = _after(
        re.compile(r"\b(?:in|on|of) (?:the |my |our )?([a-z0-9]+) team\b|\bteam ([a-z0-9]+)\b"),
        u.text,
    )
    return Draft({"team": team}) if team else None


def _nothing(_u: Utterance) -> Draft:
    return Draft({})


# Calls --------------------------------------------------------------------------------------


def _last_call(_u: Utterance) -> Draft:
    return Draft({}, lookup=("list_recent_calls", {"limit": 1}))


def _recent_calls(u: Utterance) -> Draft:
    count = p.bare_number(u.text)
    return Draft({"limit": count} if count and 1 <= count <= 20 else {})


# Transfer and knowledge ---------------------------------------------------------------------


def _transfer(u: Utterance) -> Draft:
    department = p.parse_department(u.text)
    reason = f"The caller asked for a person: {u.text}"[:280]
    return Draft({"department": department, "reason": reason} if department else {"reason": reason})


_KNOWLEDGE_AREAS = (
    ("restaurant", re.compile(r"\b(?:hanok|restaurant|menu|table|reservation|dietary|parking)\b")),
    ("mortgage", re.compile(r"\b(?:mortgage|loan|dti|down payment|closing)\b")),
    ("healthcare", re.compile(r"\b(?:deductible|claim|plan|coverage|prior auth|copay)\b")),
)


def _knowledge(u: Utterance) -> Draft:
    args: Args = {"query": u.text[:300]}
    area = next((name for name, pattern in _KNOWLEDGE_AREAS if pattern.search(u.text)), None)
    if area:
        args["domain"] = area
    return Draft(args)


# Mortgage -----------------------------------------------------------------------------------

_MONEY_FIELDS = (
    (
        re.compile(
            r"\b(?:credit card|car|auto|student|personal) (?:loan|payment|debt)s?\b|\bdebts?\b|"
            r"\bpayments\b"
        ),
        "monthly_debt",
    ),
    (re.compile(r"\bdown ?payment\b|\bput down\b|\bdown\b"), "down_payment"),
    (re.compile(r"\bclosing costs?\b"), "closing_costs"),
    (re.compile(r"\bsavings\b|\bsaved\b|\bin the bank\b"), "savings"),
    (re.compile(r"\b(?:income|salary|make|earn|paid)\b"), "income"),
    (re.compile(r"\b(?:house|home|property|price|worth|value|costs?)\b"), "property_value"),
    (re.compile(r"\b(?:loan|borrow|mortgage|financ)"), "loan_amount"),
)
_BARE_AMOUNT = re.compile(
    r"\b(?:income|salary|savings|down payment|loan amount|closing costs|property value|"
    r"debt|borrow|make|earn)(?: is| are| of| will be| about| around)* "
    r"(\d[\d,]*(?:\.\d+)?)(?: ?(k|thousand|million)\b)?(?: (?:a|per) (month|year))?"
)
_CREDIT_SCORE = re.compile(
    r"\b(?:credit score|fico(?: score)?)(?: is| of| around| about)* (\d{3})\b"
)


def _amounts(u: Utterance) -> list[p.Money]:
    found = p.parse_money(u.text)
    if found:
        return found
    amounts = []
    for m in _BARE_AMOUNT.finditer(u.text):
        scale = {"k": 1_000, "thousand": 1_000, "million": 1_000_000}.get(m[2] or "", 1)
        period: p.Period | None = "month" if m[3] == "month" else ("year" if m[3] else None)
        amounts.append(p.Money(float(m[1].replace(",", "")) * scale, period, m.start(1), m.end()))
    return amounts


_NAMED_AFTER = (
    (re.compile(r"^ (?:down|as (?:a )?down ?payment)\b"), "down_payment"),
    (re.compile(r"^ (?:house|home|property|condo|place)\b"), "property_value"),
    (re.compile(r"^ (?:loan|mortgage)\b"), "loan_amount"),
    (re.compile(r"^ (?:in savings|saved)\b"), "savings"),
)


def _money_field(text: str, money: p.Money) -> str | None:
    """The field an amount is for: named right after it ("$100k down"), else the nearest
    field named before it ("my savings are $40,000")."""
    after = text[money.end : money.end + 24]
    named = next((name for rx, name in _NAMED_AFTER if rx.search(after)), None)
    if named is None:
        before = text[max(0, money.start - 40) : money.start]
        nearest = [(m.end(), name) for rx, name in _MONEY_FIELDS for m in rx.finditer(before)]
        named = max(nearest)[1] if nearest else None
    if named == "income":
        return "monthly_income" if money.period == "month" else "annual_income"
    return named


def _money_fields(u: Utterance) -> Args:
    args: Args = {}
    for money in _amounts(u):
        name = _money_field(u.text, money)
        if name:
            args.setdefault(name, money.amount)
    if m := _CREDIT_SCORE.search(u.text):
        score = int(m[1])
        if 300 <= score <= 850:
            args["credit_score"] = score
    return args


def _update_financials(u: Utterance) -> Draft | None:
    args = _money_fields(u)
    return Draft(args) if args else None


def _create_application(u: Utterance) -> Draft:
    return Draft(_money_fields(u))


_DEBT_TYPES = (
    ("credit_card", re.compile(r"\bcredit cards?\b|\bcard\b")),
    ("auto_loan", re.compile(r"\b(?:car|auto|vehicle|truck)\b")),
    ("student_loan", re.compile(r"\bstudent\b")),
    ("personal_loan", re.compile(r"\bpersonal loan\b")),
    ("mortgage", re.compile(r"\bmortgage\b")),
)


def _add_debt(u: Utterance) -> Draft:
    debt_type = next((name for name, pattern in _DEBT_TYPES if pattern.search(u.text)), "other")
    args: Args = {"debt_type": debt_type}
    amounts = _amounts(u)
    monthly = next((a for a in amounts if a.period == "month"), amounts[0] if amounts else None)
    if monthly is not None:
        args["monthly_payment"] = monthly.amount
    balance = next(
        (
            a
            for a in amounts
            if re.search(r"\b(?:balance|owe)\b", u.text[max(0, a.start - 30) : a.start])
        ),
        None,
    )
    if balance is not None and balance is not monthly:
        args["balance"] = balance.amount
    return Draft(args, () if monthly else ("monthly_payment",))


_DOCUMENTS = (
    ("pay_stub", r"pay ?stubs?|pay slips?"),
    ("w2", r"w ?2s?"),
    ("tax_return", r"tax returns?"),
    ("bank_statement", r"bank statements?"),
    ("employment_verification", r"employment (?:verification|letter)"),
    ("photo_id", r"photo id|driver'?s licen[cs]e|passport|\bid\b"),
    ("credit_report", r"credit report"),
    ("purchase_agreement", r"purchase (?:agreement|contract)"),
    ("appraisal", r"appraisal"),
    ("homeowners_insurance", r"(?:homeowners? )?insurance"),
    ("gift_letter", r"gift letter"),
    ("asset_statement", r"asset statements?|brokerage statement"),
)
_DOCUMENT_PATTERNS = tuple((name, re.compile(rf"\b(?:{rx})\b")) for name, rx in _DOCUMENTS)


def _upload_document(u: Utterance) -> Draft:
    found = next((name for name, rx in _DOCUMENT_PATTERNS if rx.search(u.text)), None)
    if found is None:
        return Draft({}, ("document_type",))
    return Draft({"document_type": found})


# Healthcare ---------------------------------------------------------------------------------

_SERVICE_TYPES = (
    ("specialist_visit", r"specialists?|cardiologists?|dermatologists?|orthopedists?"),
    ("urgent_care", r"urgent care"),
    ("emergency_room", r"emergency(?: room)?|\ber\b"),
    ("advanced_imaging", r"mri|ct scans?|cat scans?|pet scans?|imaging|scans?"),
    ("physical_therapy", r"physical therapy|physio(?:therapy)?|\bpt\b"),
    ("mental_health", r"mental health|therapy|therapist|counsel(?:l)?ing|psychiatr\w*"),
    ("primary_care", r"primary care|family doctor|doctor'?s visit|office visit|pcp|checkup"),
    ("preventive_care", r"preventive|annual physical|wellness visit|vaccin\w*|screening"),
    ("generic_drugs", r"generic (?:drugs?|medications?|prescriptions?)|prescriptions?"),
)
_SERVICE_PATTERNS = tuple((name, re.compile(rf"\b(?:{rx})\b")) for name, rx in _SERVICE_TYPES)
_SPECIALTIES = (
    ("cardiology", r"cardiolog\w*|heart doctor"),
    ("orthopedics", r"orthop(?:a)?edi\w*|bone doctor"),
    ("dermatology", r"dermatolog\w*|skin doctor"),
    ("radiology", r"radiolog\w*"),
    ("pediatrics", r"pediatric\w*|children'?s doctor|kids? doctor"),
    ("primary care", r"primary care|family (?:doctor|medicine|physician)|general practitioner|gp"),
    ("neurology", r"neurolog\w*"),
    ("psychiatry", r"psychiatr\w*"),
    ("physical therapy", r"physical therap\w*"),
)
_SPECIALTY_PATTERNS = tuple((name, re.compile(rf"\b(?:{rx})\b")) for name, rx in _SPECIALTIES)
_ZIP = re.compile(r"\b(?:near|in|around|zip(?: code)?|close to)(?: zip| code)* (\d{5})\b")
_NPI = re.compile(r"\b(\d{10})\b")
_PROCEDURE = re.compile(r"\b(?:code|procedure|cpt)(?: code)?(?: number)? ([a-z]?\d{4,5})\b")


def _first(patterns: Sequence[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    return next((name for name, rx in patterns if rx.search(text)), None)


def _claim_number(u: Utterance) -> str | None:
    code = p.parse_code(u.text, "CLM", 6, digits_only=True)
    if code is None:
        digits = p.parse_number_after(u.text, "claim", 6)
        if digits is None and (said := u.answer_to("claim_number")):
            digits = p.parse_number_after("claim " + said, "claim", 6)
        code = f"CLM-{int(digits):06d}" if digits else None
    return code


def _auth_number(u: Utterance) -> str | None:
    code = p.parse_code(u.text, "PA", 6, digits_only=True)
    if code is None:
        words = "prior auth(?:orization)?|pre ?auth(?:orization)?|authorization|auth"
        digits = p.parse_number_after(u.text, words, 6)
        if digits is None and (said := u.answer_to("auth_number")):
            digits = p.parse_number_after("auth " + said, "auth", 6)
        code = f"PA-{int(digits):06d}" if digits else None
    return code


def _claim(u: Utterance) -> Draft:
    claim = _claim_number(u)
    return Draft({"claim_number": claim}) if claim else Draft({}, ("claim_number",))


def _claim_status(u: Utterance) -> Draft | None:
    claim = _claim_number(u)
    return Draft({"claim_number": claim}) if claim else None


_CLAIM_STATUS_WORDS = (
    ("denied", r"denied|rejected"),
    ("paid", r"paid"),
    ("approved", r"approved"),
    ("appealed", r"appealed"),
    ("in_review", r"pending|in review|processing|being processed"),
)
_CLAIM_STATUS_PATTERNS = tuple(
    (name, re.compile(rf"\b(?:{rx})\b")) for name, rx in _CLAIM_STATUS_WORDS
)


def _search_claims(u: Utterance) -> Draft:
    args: Args = {}
    if status := _first(_CLAIM_STATUS_PATTERNS, u.text):
        args["status"] = status
    if re.search(r"\bthis year\b", u.text):
        args["date_from"] = date(u.today.year, 1, 1).isoformat()
    elif m := re.search(r"\bsince (.+)", u.text):
        since = p.parse_date(m[1], u.today)
        if since is not None and since > u.today:
            since = (
                since.replace(year=since.year - 1) if since.month != 2 or since.day != 29 else None
            )
        if since is not None:
            args["date_from"] = since.isoformat()
    return Draft(args)


def _appeal(u: Utterance) -> Draft:
    claim = _claim_number(u)
    reason = _after(re.compile(r"\b(?:because|since|as|the reason is|reason) (.+)"), u.text)
    reason = u.answer_to("appeal_reason") or reason
    args: Args = {}
    if claim:
        args["claim_number"] = claim
    if reason and len(reason) >= 5:
        args["reason"] = reason[:2000]
    missing = tuple(
        slot
        for slot, key in (("claim_number", "claim_number"), ("appeal_reason", "reason"))
        if key not in args
    )
    return Draft(args, missing)


def _service(u: Utterance) -> Draft:
    service = _first(_SERVICE_PATTERNS, u.text)
    return Draft({"service_type": service}) if service else Draft({}, ("service_type",))


def _prior_auth_required(u: Utterance) -> Draft:
    args: Args = {}
    if (m := _PROCEDURE.search(u.text)) and len(m[1]) == 5:
        args["procedure_code"] = m[1].upper()
    if service := _first(_SERVICE_PATTERNS, u.text):
        args["service_type"] = service
    return Draft(args) if args else Draft({}, ("service_type",))


def _auth_status(u: Utterance) -> Draft | None:
    auth = _auth_number(u)
    return Draft({"auth_number": auth}) if auth else None


def _list_auths(u: Utterance) -> Draft:
    status = _first(
        (
            ("approved", re.compile(r"\bapproved\b")),
            ("denied", re.compile(r"\bdenied\b")),
            ("pending_review", re.compile(r"\bpending\b")),
        ),
        u.text,
    )
    return Draft({"status": status} if status else {})


def _providers(u: Utterance) -> Draft:
    specialty = _first(_SPECIALTY_PATTERNS, u.text)
    if specialty is None:
        return Draft({}, ("specialty",))
    args: Args = {"specialty": specialty}
    if m := _ZIP.search(u.text):
        args["zip_code"] = m[1]
    if re.search(r"\b(?:out of network|any network|not just in network)\b", u.text):
        args["in_network_only"] = False
    return Draft(args)


def _npi(u: Utterance) -> Draft | None:
    m = _NPI.search(u.text)
    return Draft({"npi": m[1]}) if m else None


def _enroll(u: Utterance) -> Draft:
    words = _after(
        re.compile(
            r"\b(?:enroll|sign|join|register|put)(?: me)?(?: up)?(?: for| in| into| to)? "
            r"(?:the |a )?(.+?)(?: care)?(?: program(?:me)?)?$"
        ),
        u.answer_to("program") or u.text,
    )
    if not words or len(words) < 3:
        return Draft({}, ("program",))
    return Draft({"_match": words}, lookup=("get_care_programs", {}))


# CRM ----------------------------------------------------------------------------------------

_PATIENT_NAME = re.compile(r"\b(?:named|name is|called|patient|for)\s+")
_DOB = re.compile(r"\b(?:born(?: on)?|date of birth(?: is)?|dob(?: is)?|birthday(?: is)?) (.+)")


def _patient_phone(u: Utterance) -> Draft:
    phone = p.parse_phone(u.text)
    return Draft({"phone": phone}) if phone else Draft({}, ("phone",))


def _onboard(u: Utterance) -> Draft:
    args: Args = {}
    name = p.names_after(_PATIENT_NAME, u.text, limit=2)
    if said := u.answer_to("patient_name"):
        name = p.name_words(said, limit=2) or name
    if name and " " in name:
        first, last = name.split(" ", 1)
        args.update(first_name=first, last_name=last)
    if phone := p.parse_phone(u.text):
        args["phone"] = phone
    if m := _DOB.search(u.text):
        born = _birth_date(m[1])
        if born:
            args["dob"] = born.isoformat()
    missing = tuple(
        slot
        for slot, key in (("patient_name", "first_name"), ("phone", "phone"))
        if key not in args
    )
    return Draft(args, missing)


def _birth_date(text: str) -> date | None:
    """A date of birth must name its year; no "next occurrence" rule applies."""
    m = re.search(r"\b\d{4}\b", text)
    if m is None:
        return None
    return p.parse_date(text, date(int(m[0]), 1, 1))


# Restaurant ---------------------------------------------------------------------------------

_REQUESTS = re.compile(
    r"\b(birthday|anniversary|high ?chair|wheelchair(?: access)?|window (?:seat|table)|booth|"
    r"quiet (?:table|corner)|patio|outside|stroller|allerg\w+(?: to \w+)?|vegetarian|vegan|"
    r"gluten free)\b"
)
_PREORDER = re.compile(r"\bpre ?order (.+)")
_DISH = re.compile(r"(?:^|\band |, )(\d{1,2}|an?) ([a-z][a-z ]+?)(?= and \d| and an? |,|$)")


def _preorder(text: str) -> list[Args]:
    m = _PREORDER.search(text)
    if m is None:
        return []
    lines = []
    for dish in _DISH.finditer(m[1]):
        quantity = p.to_int(dish[1]) or 1
        slug = "-".join(dish[2].split())
        if 1 <= quantity <= 99 and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
            lines.append({"menu_item_id": slug, "quantity": quantity})
    return lines


def _booking_when(u: Utterance) -> tuple[str | None, str | None]:
    """starts_at as restaurant wall time ("2026-01-09T19:00"), else the slot to ask for."""
    when = _when(u, _dinner_clock)
    start = when.at(u.now)
    if start is None:
        return None, "time" if when.day else "when"
    return start.strftime("%Y-%m-%dT%H:%M"), None


def _party(u: Utterance) -> int | None:
    size = p.parse_party_size(u.text)
    if size is None and (said := u.answer_to("party_size")):
        size = p.bare_number(said)
    return size if size is not None and 1 <= size <= 20 else None


def _guest_name(u: Utterance) -> str | None:
    if said := u.answer_to("guest_name"):
        return p.parse_name(said, allow_for=True) or p.name_words(said)
    return p.parse_name(u.text, allow_for=True)


def _create_reservation(u: Utterance) -> Draft:
    args: Args = {}
    missing: list[str] = []
    size = _party(u)
    if size is None:
        missing.append("party_size")
    else:
        args["party_size"] = size
    starts_at, ask = _booking_when(u)
    if starts_at:
        args["starts_at"] = starts_at
    else:
        missing.append(ask or "when")
    name = _guest_name(u)
    if name:
        args["guest_name"] = name
    else:
        missing.append("guest_name")
    if phone := p.parse_phone(u.text):
        args["guest_phone"] = phone
    requests = sorted({m[1] for m in _REQUESTS.finditer(u.text)})
    if requests:
        args["special_requests"] = ", ".join(requests)
    if preorder := _preorder(u.text):
        args["preorder"] = preorder
    if re.search(r"\bwait ?list\b", u.text):
        args["waitlist_if_full"] = True
    return Draft(args, tuple(missing))


def _availability(u: Utterance) -> Draft:
    args: Args = {}
    missing = []
    day = _when(u, _dinner_clock).day or (u.today if re.search(r"\btonight\b", u.text) else None)
    if day is None:
        missing.append("when")
    else:
        args["date"] = day.isoformat()
    size = _party(u)
    if size is None:
        missing.append("party_size")
    else:
        args["party_size"] = size
    return Draft(args, tuple(missing))


def _reservation_lookup(u: Utterance) -> tuple[str, Args]:
    code = p.parse_code(u.text, "HNK", 4)
    if code:
        return "get_reservation_by_code", {"confirmation_code": code}
    name = p.parse_name(u.text)
    return "get_reservation", {"guest_name": name} if name else {}


def _cancel_reservation(u: Utterance) -> Draft:
    args: Args = {}
    said = u.answer_to("retention") or ""
    if _AFFIRM.search(said) or re.search(r"\bcancel\b", said):
        args["retention_offer_acknowledged"] = True
    return Draft(args, lookup=_reservation_lookup(u))


_CHANGE_TIME = re.compile(r"\b(?:to|at|for) (?:\d|noon|half|quarter)|\b(?:earlier|later)\b")


def _update_reservation(u: Utterance) -> Draft:
    args: Args = {}
    size = p.parse_party_size(u.text)
    if size is None and (
        m := re.search(r"\bmake it (?:for )?(\d{1,2})\b(?! ?(?:am|pm|:|o'?clock))", u.text)
    ):
        size = int(m[1])
    if size is not None and 1 <= size <= 20:
        args["party_size"] = size
    when = _when(u, _dinner_clock)
    if when.day is not None:
        args["_day"] = when.day.isoformat()
    if when.clock is not None:
        args["_clock"] = when.clock.strftime("%H:%M")
    if name := p.parse_name(u.text):
        args["guest_name"] = name
    requests = sorted({m[1] for m in _REQUESTS.finditer(u.text)})
    if requests:
        args["special_requests"] = ", ".join(requests)
    if not args:
        return Draft({}, ("change",))
    return Draft(args, lookup=_reservation_lookup(u))


def _reservation_by_code(u: Utterance) -> Draft | None:
    code = p.parse_code(u.text, "HNK", 4)
    return Draft({"confirmation_code": code}) if code else None


def _find_reservation(u: Utterance) -> Draft:
    name = p.parse_name(u.text)
    return Draft({"guest_name": name} if name else {})


# The intents, most specific first ----------------------------------------------------------


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_PERSON = (
    r"(?:a |an |the |some |real |live |actual )*(?:human|person|agent|representative|rep|"
    r"operator|somebody|someone|manager|supervisor|staff member)"
)
_RESERVATION = r"(?:reservation|booking|table)"

INTENTS: tuple[Intent, ...] = (
    # Transfer: a request for a person, never a mention of one ("my travel agent called").
    Intent(
        "transfer_to_agent",
        "transfer",
        _rx(
            r"\btransfer (?:me|us|this call|my call)\b"
            rf"|\b(?:speak|talk|chat) (?:to|with) {_PERSON}\b"
            rf"|\b(?:connect|put) me (?:through )?(?:to|with)\b|\b(?:get|give) me {_PERSON}\b"
            r"|\b(?:human|live|real) (?:agent|person|representative|being)\b"
            r"|^(?:a |an )?(?:representative|operator|agent|human)(?: please)?$"
        ),
        _transfer,
    ),
    Intent(
        "get_available_departments",
        "transfer",
        _rx(r"\b(?:what|which|list)(?: the)? departments\b|\bdepartments (?:can|do)\b"),
        _nothing,
    ),
    # Restaurant.
    Intent(
        "cancel_reservation",
        "restaurant",
        _rx(rf"\bcancel\b.*\b(?:{_RESERVATION}|it|hnk)\b|\bcancel my\b"),
        _cancel_reservation,
        lookup_tool="get_reservation",
        unless=_rx(r"\b(?:reminder|to ?do|task|meeting|event|appointment|claim)\b"),
    ),
    Intent(
        "update_reservation_details",
        "restaurant",
        _rx(
            rf"\b(?:change|move|modify|update|reschedule|push|switch|add)\b.*\b(?:{_RESERVATION}|"
            r"it|hnk)\b|\bmake it (?:for )?\d|\bactually (?:make it|we are|we're|there will be)\b"
        ),
        _update_reservation,
        lookup_tool="get_reservation",
        unless=_rx(r"\b(?:reminder|to ?do|task|meeting|event|calendar)\b"),
    ),
    Intent("get_reservation_by_code", "restaurant", _rx(r"\bh ?-?n ?-?k\b"), _reservation_by_code),
    Intent(
        "search_seating_availability",
        "restaurant",
        _rx(
            r"\b(?:availab\w*|any (?:tables?|room|space|openings)|(?:is|are) (?:there|you) "
            r"(?:a |any )?(?:tables?|room|space|open)|do you have (?:a |any )?(?:tables?|room|"
            r"space|anything)|what times?)\b"
        ),
        _availability,
    ),
    Intent(
        "create_reservation",
        "restaurant",
        _rx(
            rf"\b(?:book|reserve|make a reservation|get a table|table for|party of|"
            rf"reservation for|{_RESERVATION} at hanok)\b"
        ),
        _create_reservation,
        unless=_rx(r"\b(?:meeting|appointment|calendar|flight|hotel)\b"),
    ),
    Intent(
        "get_reservation",
        "restaurant",
        _rx(
            rf"\b(?:my|our) {_RESERVATION}s?\b|\b(?:a|the) (?:reservation|booking)s?\b"
            r"|\bam i booked\b|\bwhen (?:is|are) (?:we|i) (?:booked|coming)\b"
        ),
        _find_reservation,
        unless=_rx(r"\bpolic(?:y|ies)\b|\bhow (?:do|can|does)\b"),
    ),
    Intent(
        "list_menu_items",
        "restaurant",
        _rx(r"\bmenu\b|\bwhat (?:do you|dishes do you|food do you) (?:serve|have|offer)\b"),
        _nothing,
    ),
    # Productivity.
    Intent(
        "delete_reminder",
        "productivity",
        _rx(r"\b(?:cancel|delete|remove|stop) (?:the |my )?reminder\b"),
        _delete_reminder,
        lookup_tool="list_reminders",
    ),
    Intent(
        "list_reminders",
        "productivity",
        _rx(r"\b(?:what|which|show|list|read|check|any|my)\b.*\breminders\b"),
        _nothing,
    ),
    Intent(
        "create_reminder",
        "productivity",
        _rx(r"\bremind me\b|\b(?:set|create|add|make|new) (?:a |an |me a )?(?:new )?reminder\b"),
        _create_reminder,
    ),
    Intent(
        "complete_todo",
        "productivity",
        _rx(
            r"\bmark\b.*\b(?:done|complete|completed|finished)\b|\b(?:check|tick) off\b"
            rf"|\b(?:complete|finish|close) (?:the |my )?{_TODO}\b|\bi (?:finished|completed)\b"
        ),
        _find_todo,
        lookup_tool="list_todos",
    ),
    Intent(
        "delete_todo",
        "productivity",
        _rx(rf"\b(?:delete|remove|get rid of|drop)\b.*\b{_TODO}\b"),
        _find_todo,
        lookup_tool="list_todos",
    ),
    Intent(
        "create_team_todo",
        "productivity",
        _rx(rf"\b(?:add|create|make|new|put)\b.*\b{_TODO}\b.*\bteam\b"),
        _create_team_todo,
    ),
    Intent(
        "create_todo",
        "productivity",
        _rx(
            rf"\b(?:add|create|make|put|new|save|write|jot down|note)\b.*\b{_TODO}\b"
            rf"|^{_TODO}\b|\bi need to remember to\b"
        ),
        _create_todo,
        unless=_rx(r"^(?:what|show|list|read)\b"),
    ),
    Intent(
        "list_todos",
        "productivity",
        _rx(
            rf"\b(?:what|show|list|read|tell me|check|get|give me|any|how many|my)\b.*\b{_TODO}\b"
            r"|\bwhat do i (?:have|need) to do\b"
        ),
        _list_todos,
    ),
    Intent(
        "sync_google_calendar",
        "productivity",
        _rx(r"\bsync\b.*\bcalendar\b"),
        _nothing,
    ),
    Intent(
        "check_calendar_connection",
        "productivity",
        _rx(r"\bcalendar\b.*\bconnect(?:ed|ion)\b|\bconnect(?:ed|ion)\b.*\bcalendar\b"),
        _nothing,
    ),
    Intent(
        "create_calendar_event",
        "productivity",
        _rx(
            r"\b(?:schedule|set up|add|put|create|plan|book)\b.*\b(?:meeting|appointment|event|"
            r"call|lunch|dinner|session|interview|sync|standup|review|on my calendar)\b"
        ),
        _create_event,
    ),
    Intent(
        "list_calendar_events",
        "productivity",
        _rx(
            r"\b(?:what|show|list|check|read|any|my)\b.*\b(?:calendar|schedule|agenda|meetings|"
            r"events|appointments)\b|\bam i free\b|\bwhat do i have (?:on |going on )?"
            r"(?:today|tomorrow|this week|on \w+)\b"
        ),
        _list_events,
    ),
    Intent(
        "create_team",
        "productivity",
        _rx(r"\b(?:create|make|start|set up|new) (?:a )?(?:new )?team\b"),
        _create_team,
    ),
    Intent(
        "list_team_members",
        "productivity",
        _rx(r"\bwho(?:'s| is| are)? (?:in|on)\b.*\bteam\b|\bmembers of\b|\bteam members\b"),
        _team_members,
    ),
    Intent(
        "list_my_teams",
        "productivity",
        _rx(r"\b(?:what|which|list|show|my) teams\b|\bteams (?:am i|i'm) (?:in|on)\b"),
        _nothing,
    ),
    # Calls.
    Intent(
        "get_call_transcript",
        "general",
        _rx(r"\btranscript\b|\bwhat (?:was said|did i say)\b"),
        _last_call,
        lookup_tool="list_recent_calls",
    ),
    Intent(
        "get_call_summary",
        "general",
        _rx(r"\bsummar\w*\b.*\bcall\b|\b(?:last|latest|previous) call\b.*\b(?:about|summar\w*)\b"),
        _last_call,
        lookup_tool="list_recent_calls",
    ),
    Intent(
        "list_recent_calls",
        "general",
        _rx(r"\b(?:recent|last|past|my|previous) \d* ?calls\b|\bcall history\b|\bwho called\b"),
        _recent_calls,
    ),
    # Mortgage.
    Intent(
        "calculate_dti_ratio",
        "mortgage",
        _rx(r"\bdti\b|\bdebt to income\b"),
        _nothing,
    ),
    Intent(
        "add_mortgage_debt",
        "mortgage",
        _rx(
            r"\b(?:add|i have|i pay|there's|include|record)\b.*"
            r"\b(?:debt|loan|credit card|car payment|card)\b"
        ),
        _add_debt,
        unless=_rx(r"\b(?:what|list|show)\b.*\bdebts\b|\bapply\b|\bapplication\b"),
    ),
    Intent(
        "get_mortgage_debts",
        "mortgage",
        _rx(r"\b(?:what|list|show|my|which)\b.*\bdebts\b"),
        _nothing,
    ),
    Intent(
        "get_missing_documents",
        "mortgage",
        _rx(
            r"\b(?:missing|still need|outstanding|left to)\b.*\bdocuments?\b"
            r"|\bdocuments?\b.*\b(?:missing|still need|outstanding)\b"
            r"|\bwhat (?:else )?do i (?:still )?need to (?:upload|send|submit)\b"
        ),
        _nothing,
    ),
    Intent(
        "get_required_documents",
        "mortgage",
        _rx(
            r"\b(?:what|which)\b.*\bdocuments?\b.*\b(?:need|required|require)\b"
            r"|\brequired documents\b"
        ),
        _nothing,
    ),
    Intent(
        "upload_mortgage_document",
        "mortgage",
        _rx(
            r"\b(?:uploaded|sent|submitted|upload|attached|sending|add)\b.*\b(?:pay ?stub|w ?2|"
            r"tax return|statement|id|licen[cs]e|passport|report|agreement|appraisal|insurance|"
            r"letter|document)s?\b"
        ),
        _upload_document,
    ),
    Intent(
        "get_mortgage_documents",
        "mortgage",
        _rx(r"\b(?:what|which|my|list|show)\b.*\bdocuments\b"),
        _nothing,
    ),
    Intent(
        "update_mortgage_financial_info",
        "mortgage",
        _rx(
            r"\b(?:credit score|fico|income|salary|savings|saved|down payment|property value|"
            r"loan amount|closing costs|monthly debt|i make|i earn|borrow)\b"
        ),
        _update_financials,
        unless=_rx(r"\b(?:start|apply|new|open|begin)\b.*\bapplication\b|\bapply for\b"),
    ),
    Intent(
        "create_mortgage_application",
        "mortgage",
        _rx(
            r"\b(?:start|open|begin|create|new|apply for|file|submit)\b.*\b(?:mortgage|home loan|"
            r"loan|application)\b|\bapply\b"
        ),
        _create_application,
        unless=_rx(r"\bstatus\b"),
    ),
    Intent(
        "get_mortgage_application_status",
        "mortgage",
        _rx(r"\b(?:mortgage|loan|application|pre ?approv\w*|approved)\b"),
        _nothing,
    ),
    # Healthcare.
    Intent(
        "file_claim_appeal",
        "healthcare",
        _rx(r"\bappeal\b"),
        _appeal,
    ),
    Intent(
        "get_eob",
        "healthcare",
        _rx(r"\beob\b|\bexplanation of benefits\b"),
        _claim,
    ),
    Intent(
        "get_claim_details",
        "healthcare",
        _rx(
            r"\b(?:details|breakdown|line items|itemi[sz]ed)\b.*\bclaim\b"
            r"|\bclaim\b.*\b(?:details|breakdown)\b"
        ),
        _claim,
    ),
    Intent("get_claim_status", "healthcare", _rx(r"\bclaim\b|\bclm\b|\bc l m\b"), _claim_status),
    Intent("search_claims", "healthcare", _rx(r"\bclaims?\b"), _search_claims),
    Intent("get_deductible_status", "healthcare", _rx(r"\bdeductible\b"), _nothing),
    Intent("get_out_of_pocket_status", "healthcare", _rx(r"\bout of pocket\b"), _nothing),
    Intent(
        "check_prior_auth_required",
        "healthcare",
        _rx(
            r"\b(?:need|require|required|requires|necessary)\b.*\b(?:prior auth\w*|pre ?auth\w*|"
            r"authori[sz]ation|approval)\b"
        ),
        _prior_auth_required,
    ),
    Intent(
        "get_prior_auth_status",
        "healthcare",
        _rx(r"\b(?:prior auth\w*|pre ?auth\w*|authori[sz]ation|p ?a)\b"),
        _auth_status,
    ),
    Intent(
        "list_prior_auths",
        "healthcare",
        _rx(r"\b(?:prior auth\w*|pre ?auth\w*|authori[sz]ations)\b"),
        _list_auths,
    ),
    Intent(
        "get_copay_info",
        "healthcare",
        _rx(r"\bco ?pays?\b|\bcopayment\b|\bhow much (?:is|does|will|would) (?:a |an |it |the )"),
        _service,
    ),
    Intent(
        "check_benefit_coverage",
        "healthcare",
        _rx(r"\b(?:is|are|does|do|will)\b.*\b(?:covered|cover)\b"),
        _service,
        unless=_rx(r"\bam i (?:still )?covered\b|\bmy coverage\b"),
    ),
    Intent(
        "get_coverage_dates",
        "healthcare",
        _rx(r"\bwhen\b.*\b(?:coverage|plan|insurance)\b.*\b(?:start|end|expire|renew)\w*\b"),
        _nothing,
    ),
    Intent(
        "check_eligibility",
        "healthcare",
        _rx(
            r"\beligib\w*|\bam i (?:still )?(?:covered|insured|active)\b"
            r"|\b(?:insurance|coverage|plan) active\b"
        ),
        _nothing,
    ),
    Intent(
        "check_provider_network",
        "healthcare",
        _rx(r"\bnetwork\b.*\b\d{10}\b|\b\d{10}\b.*\bnetwork\b"),
        _npi,
    ),
    Intent("get_provider_details", "healthcare", _rx(r"\bnpi\b|\b\d{10}\b"), _npi),
    Intent(
        "search_providers",
        "healthcare",
        _rx(
            r"\b(?:find|search|looking for|need|recommend|any|who)\b.*\b(?:doctors?|providers?|"
            r"specialists?|physicians?|\w+ologists?|pediatricians?|orthopedists?|therapists?)\b"
        ),
        _providers,
    ),
    Intent(
        "enroll_care_program",
        "healthcare",
        _rx(r"\b(?:enroll|sign me up|join|register)\b.*\bprogram\w*\b"),
        _enroll,
        lookup_tool="get_care_programs",
    ),
    Intent("get_care_programs", "healthcare", _rx(r"\bprograms?\b|\bprogrammes?\b"), _nothing),
    Intent(
        "get_preventive_care",
        "healthcare",
        _rx(r"\bpreventive\b|\b(?:checkup|check up|wellness visit|annual physical|screenings?)\b"),
        _nothing,
    ),
    Intent("get_benefits_summary", "healthcare", _rx(r"\bbenefits\b|\bmy plan\b"), _nothing),
    # CRM.
    Intent(
        "onboard_patient",
        "crm",
        _rx(r"\bnew patient\b|\b(?:onboard|register|add|create)\b.*\bpatient\b"),
        _onboard,
    ),
    Intent(
        "check_patient_exists",
        "crm",
        _rx(
            r"\bpatient\b.*\b(?:exist|on file|in the system|registered)\b"
            r"|\b(?:look up|find|search|check)\b.*\bpatient\b"
        ),
        _patient_phone,
    ),
    # Knowledge: questions nothing above answers.
    Intent(
        "search_knowledge_base",
        "general",
        _rx(
            r"^(?:what|when|where|how|why|which|do you|does|can i|can you tell me|is there|"
            r"are there|are you|is it)\b|\b(?:policy|hours|open|close|parking|allerg\w*|"
            r"vegetarian|vegan|gluten|dress code|corkage)\b"
        ),
        _knowledge,
    ),
)


def understand(u: Utterance, offered: frozenset[str] | None) -> Plan | None:
    """The first intent whose tools are offered and whose trigger and builder both match."""
    for intent in INTENTS:
        if offered is not None and not all(t in offered for t in intent.tools()):
            continue
        if not intent.pattern.search(u.text):
            continue
        if intent.unless is not None and intent.unless.search(u.text):
            continue
        draft = intent.build(u)
        if draft is not None:
            return Plan(intent, draft, u)
    return None


def answer(plan: Plan, said: str, now: datetime, asked: str) -> Plan | None:
    """The plan again, with the caller's answer to the model's question about `asked` (a
    missing slot, or a confirmation such as the retention offer) folded in."""
    u = plan.utterance.with_answer(asked, said, now)
    draft = plan.intent.build(u)
    return Plan(plan.intent, draft, u) if draft is not None else None


# Follow-ups: the second call of a two-step intent -------------------------------------------

FollowUp = tuple[str, Args] | str


def follow_up(plan: Plan, result: Any, local: Callable[[str], datetime]) -> FollowUp:
    """The call that finishes `plan` given its lookup's result, or what to say instead."""
    picker = _PICKERS[plan.tool]
    return picker(plan, result, local)


def _public(args: Args) -> Args:
    return {k: v for k, v in args.items() if not k.startswith("_")}


def _pick_todo(plan: Plan, result: Any, _local: Callable[[str], datetime]) -> FollowUp:
    items = result.get("items", []) if isinstance(result, dict) else []
    search = (plan.draft.lookup or ("", {}))[1].get("search", "")
    exact = [t for t in items if str(t.get("title", "")).lower() == search]
    chosen = exact if len(exact) == 1 else items
    if not chosen:
        return f"I couldn't find an open todo matching {search}."
    if len(chosen) > 1:
        titles = _spoken_list([str(t.get("title")) for t in chosen[:3]])
        return f"I found {len(chosen)} todos like that: {titles}. Which one do you mean?"
    return plan.tool, {**_public(plan.draft.args), "todo_id": chosen[0]["id"]}


def _pick_reminder(plan: Plan, result: Any, _local: Callable[[str], datetime]) -> FollowUp:
    items = result.get("items", []) if isinstance(result, dict) else []
    wanted = str(plan.draft.args.get("_match", ""))
    matches = [r for r in items if wanted in str(r.get("text", "")).lower()]
    if len(matches) != 1:
        found = "no" if not matches else str(len(matches))
        return f"I found {found} pending reminders about {wanted}."
    return plan.tool, {"reminder_id": matches[0]["id"]}


def _pick_call(plan: Plan, result: Any, _local: Callable[[str], datetime]) -> FollowUp:
    calls = result.get("calls", []) if isinstance(result, dict) else []
    if not calls:
        return "You don't have any recorded calls yet."
    return plan.tool, {"call_id": calls[0]["call_id"]}


def _pick_program(plan: Plan, result: Any, _local: Callable[[str], datetime]) -> FollowUp:
    programs = result.get("programs", []) if isinstance(result, dict) else []
    words = set(str(plan.draft.args.get("_match", "")).split()) - {"program", "care", "the", "my"}
    scored = [
        (
            len(
                words
                & set(
                    f"{pr.get('name', '')} {pr.get('program_id', '')}".lower()
                    .replace("-", " ")
                    .split()
                )
            ),
            pr,
        )
        for pr in programs
    ]
    best = max((score for score, _ in scored), default=0)
    winners = [pr for score, pr in scored if score == best and best > 0]
    if len(winners) != 1:
        names = _spoken_list([str(pr.get("name")) for pr in programs[:4]])
        return f"The programs are {names}. Which one would you like to join?"
    return plan.tool, {"program_id": winners[0]["program_id"]}


def _pick_reservation(plan: Plan, result: Any, local: Callable[[str], datetime]) -> FollowUp:
    if isinstance(result, dict) and "reservations" in result:
        found = [r for r in result["reservations"] if r.get("status") != "cancelled"]
    else:
        found = [result] if isinstance(result, dict) and result.get("reservation_id") else []
    if not found:
        return "I couldn't find an upcoming reservation for you."
    if len(found) > 1:
        times = _spoken_list([_spoken_booking(r, local) for r in found[:3]])
        return f"You have {len(found)} reservations: {times}. Which one do you mean?"
    booking = found[0]
    args = {**_public(plan.draft.args), "reservation_id": booking["reservation_id"]}
    if plan.tool == "update_reservation_details":
        starts_at = _moved_start(plan.draft.args, local(booking["starts_at"]))
        if starts_at:
            args["starts_at"] = starts_at
    return plan.tool, args


def _moved_start(change: Args, current: datetime) -> str | None:
    """A new start from a new day and/or time, keeping what the caller did not change."""
    if "_day" not in change and "_clock" not in change:
        return None
    day = date.fromisoformat(change["_day"]) if "_day" in change else current.date()
    clock = time.fromisoformat(change["_clock"]) if "_clock" in change else current.time()
    return datetime.combine(day, clock).strftime("%Y-%m-%dT%H:%M")


def _spoken_booking(booking: Mapping[str, Any], local: Callable[[str], datetime]) -> str:
    start = local(str(booking.get("starts_at")))
    return (
        f"{booking.get('party_size')} people on {start:%A %B} {start.day} at {spoken_clock(start)}"
    )


_PICKERS: Mapping[str, Callable[[Plan, Any, Callable[[str], datetime]], FollowUp]] = {
    "complete_todo": _pick_todo,
    "delete_todo": _pick_todo,
    "delete_reminder": _pick_reminder,
    "get_call_summary": _pick_call,
    "get_call_transcript": _pick_call,
    "enroll_care_program": _pick_program,
    "cancel_reservation": _pick_reservation,
    "update_reservation_details": _pick_reservation,
}


def spoken_clock(moment: datetime) -> str:
    """'7 pm', '7:30 am', 'noon'."""
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour} {suffix}"


def _spoken_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
