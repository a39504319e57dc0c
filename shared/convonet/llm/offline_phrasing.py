"""How the offline model says what a tool did: one or two short sentences per result.

Results are what `ToolResult.for_model` gives every model (`{"ok": true, "result": ...}` or
`{"ok": false, "error": {"kind", "message"}}`). Common tools get a phrase of their own; any
other result is summarised from its shape (a list is counted and its first names read out,
money is read from its "formatted" text), so a new tool is never met with silence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from convonet.llm.offline_intents import QUESTIONS, spoken_clock

Local = Callable[[str], datetime]
Result = Any
Phraser = Callable[[Mapping[str, Any], Result, "Speech"], str]


class Speech:
    """Dates and times as a person says them, relative to today in the local zone."""

    def __init__(self, local: Local, today: date) -> None:
        self.local = local
        self.today = today

    def when(self, iso: str | None, *, on: bool = True) -> str:
        """'today at 7 pm', 'on Friday at 7 pm', 'on Friday January 9' ("on" left out if not
        `on`)."""
        if not iso:
            return ""
        if len(iso) == 10:
            return self.day(date.fromisoformat(iso), on=on)
        moment = self.local(iso)
        return f"{self.day(moment.date(), on=on)} at {spoken_clock(moment)}"

    def day(self, day: date, *, on: bool = True) -> str:
        delta = (day - self.today).days
        if delta == 0:
            return "today"
        if delta == 1:
            return "tomorrow"
        prefix = "on " if on else ""
        if 1 < delta < 7:
            return f"{prefix}{day:%A}"
        return f"{prefix}{day:%A} {day:%B} {day.day}"

    def clock(self, iso: str) -> str:
        return spoken_clock(self.local(iso))


def phrase(name: str, arguments: Mapping[str, Any], payload: Any, speech: Speech) -> str:
    """One tool result as speech."""
    if not isinstance(payload, dict):
        return "Done."
    if not payload.get("ok"):
        error = payload.get("error") or {}
        return _error(str(error.get("kind", "")), str(error.get("message", "")))
    result = payload.get("result")
    phraser = _PHRASERS.get(name)
    try:
        return phraser(arguments, result, speech) if phraser else _generic(result)
    except (KeyError, TypeError, ValueError, AttributeError):
        return _generic(result)


def _error(kind: str, message: str) -> str:
    if "retention" in message:
        return QUESTIONS["retention"]
    if "phone number" in message.lower() and message.startswith("Ask"):
        return QUESTIONS["phone"]
    if kind == "timeout":
        return "Sorry, that took too long. Please try again in a moment."
    if kind == "unavailable":
        return "Sorry, that service isn't available right now. Please try again in a little while."
    if kind == "interrupted":
        return "That request didn't finish. Would you like me to try again?"
    if kind == "invalid" and ": " in message.split(".")[0]:
        return "Sorry, I didn't get the details quite right for that. Could you say it again?"
    return f"Sorry, I couldn't do that. {message}".strip()


# Helpers ------------------------------------------------------------------------------------


def _money(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("formatted", ""))
    return "" if value is None else f"${value:,.2f}".replace(".00", "")


def _cents(cents: Any) -> str:
    return _money(cents / 100) if isinstance(cents, int | float) else ""


def _words(value: Any) -> str:
    return str(value or "").replace("_", " ")


def _names(items: Sequence[Any], key: str, limit: int = 3) -> str:
    names = [_words(i.get(key)) for i in items[:limit] if isinstance(i, dict) and i.get(key)]
    if len(items) > limit:
        names.append(f"{len(items) - limit} more")
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _page(result: Any) -> tuple[list[Any], int]:
    items = list(result.get("items") or [])
    return items, int(result.get("total", len(items)))


def _generic(result: Any) -> str:
    if isinstance(result, list):
        return f"I found {_count(len(result), 'result')}."
    if not isinstance(result, dict):
        return "Done." if result is None else f"The answer is {result}."
    for value in result.values():
        if isinstance(value, list):
            first = next((v for v in value if isinstance(v, dict)), {})
            key = next((k for k in ("name", "title", "text", "summary") if k in first), "")
            listed = f": {_names(value, key)}" if key and value else ""
            return f"I found {_count(len(value), 'item')}{listed}."
    if isinstance(result.get("message"), str):
        return str(result["message"])
    if isinstance(result.get("status"), str):
        return f"Done. The status is {_words(result['status'])}."
    return "Done."


# Productivity -------------------------------------------------------------------------------


def _todo_created(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    due = f", due {s.when(r['due_at'])}" if r.get("due_at") else ""
    return f"I added {r['title']} to your todo list{due}."


def _todos(a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    items, total = _page(r)
    kind = {"completed": "completed ", "all": ""}.get(str(a.get("status", "open")), "open ")
    if not total:
        return f"You have no {kind}todos."
    return f"You have {total} {kind}{'todo' if total == 1 else 'todos'}: {_names(items, 'title')}."


def _todo_done(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"I marked {r['title']} as done."


def _todo_deleted(_a: Mapping[str, Any], _r: Result, _s: Speech) -> str:
    return "Done, I deleted that todo."


def _reminder_created(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    how = " with a call" if r.get("channel") == "call" else ""
    return f"Okay, I'll remind you{how} {s.when(r['remind_at'])}: {r['text']}."


def _reminders(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    items, total = _page(r)
    if not total:
        return "You have no pending reminders."
    first = items[0]
    more = f" You have {total - 1} more." if total > 1 else ""
    return f"Your next reminder is {s.when(first['remind_at'])}: {first['text']}.{more}"


def _event_created(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    return f"I put {r['title']} on your calendar, {s.when(r['starts_at'])}."


def _events(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    items, total = _page(r)
    if not total:
        return "Your calendar is clear for then."
    first = items[0]
    more = f" and {_count(total - 1, 'other event')}" if total > 1 else ""
    return f"You have {first['title']} {s.when(first['starts_at'])}{more}."


def _teams(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    items, total = _page(r)
    if not total:
        return "You're not on any team yet."
    return f"You're on {_count(total, 'team')}: {_names(items, 'name')}."


def _team_created(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"I created the team {r['name']}."


# Calls, transfer, knowledge ----------------------------------------------------------------


def _calls(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    calls = r["calls"]
    if not calls:
        return "You don't have any recorded calls yet."
    last = calls[0]
    about = f" It was about: {last['summary']}" if last.get("summary") else ""
    return f"Your last call was {s.when(last['started_at'])}.{about}"


def _call_summary(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    if not r.get("summary"):
        return f"The call {s.when(r['started_at'])} has no summary."
    return f"Your call {s.when(r['started_at'])} was about this: {r['summary']}"


def _transcript(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    lines = r["lines"]
    if not lines:
        return "That call has no transcript."
    first = lines[0]
    lines_said = _count(r["total_lines"], "line")
    return f"The call has {lines_said}. It began with {first['speaker']}: {first['text']}"


def _transfer(a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    department = r["transfer"]["department"]
    if r.get("note"):
        asked = a.get("department")
        return (
            f"There's no {asked} department, so I'm transferring you to {department}. Please hold."
        )
    return f"I'm transferring you to {department} now. Please hold."


def _departments(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"I can connect you with {_names(r['departments'], 'name', 6)}."


def _knowledge(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    results = r["results"]
    if not results:
        return "I couldn't find anything about that in our help articles."
    answer = str(results[0]["answer"]).strip()
    sentences = answer.split(". ")
    return ". ".join(sentences[:2]).rstrip(".") + "."


# Mortgage -----------------------------------------------------------------------------------


_DECIDED = ("pre_approved", "approved", "rejected", "cancelled")


def _application(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    status = _words(r["status"])
    where = status if r["status"] in _DECIDED else f"at the {status} stage"
    text = f"Your mortgage application is {where}, {r['completion_percentage']} percent complete."
    missing = r.get("missing_documents") or []
    if missing:
        text += f" Still needed: {_names([{'n': m} for m in missing], 'n')}."
    return text


def _application_started(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return (
        f"I started your mortgage application. It's {r['completion_percentage']} percent complete."
    )


def _financials(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"I updated your application. It's {r['completion_percentage']} percent complete."


def _dti(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    ratio = f"{r['dti_ratio_pct']:g} percent"
    return f"Your debt-to-income ratio is {ratio}, which is {_words(r['band'])}."


def _debt_added(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return (
        f"I added your {_words(r['debt_type'])} payment of {_money(r['monthly_payment'])} a month. "
        f"Your monthly debt is now {_money(r['total_monthly_debt'])}."
    )


def _debts(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    debts = r["debts"]
    if not debts:
        return "You have no debts on your application."
    total = _money(r["total_monthly_debt"])
    kinds = _names(debts, "debt_type")
    return f"You have {_count(len(debts), 'debt')}, {total} a month in all: {kinds}."


def _doc_types(key: str, done: str) -> Phraser:
    def speak(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
        types = r[key]
        if not types:
            return done
        return f"You need {_names([{'n': t} for t in types], 'n', 6)}."

    return speak


def _document_added(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    left = len(r.get("still_missing") or [])
    rest = f" {_count(left, 'document')} still to go." if left else " That's every document."
    return f"I recorded your {_words(r['document_type'])}.{rest}"


# Healthcare ---------------------------------------------------------------------------------


def _eligibility(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    plan = r["plan"]["name"]
    if r["eligible"]:
        return f"Yes, you're covered under the {plan} plan."
    return f"Your coverage under the {plan} plan is {_words(r['coverage_status'])}."


def _coverage_dates(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    start = s.when(r["coverage_start"])
    if r.get("coverage_end"):
        return (
            f"Your coverage started {start} and runs until {s.when(r['coverage_end'], on=False)}."
        )
    return f"Your coverage started {start} and has no end date."


def _claim(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    text = (
        f"Claim {r['claim_number']} for care {s.when(r['service_date'])} is {_words(r['status'])}."
    )
    if r.get("denial_reason"):
        text += f" The reason: {r['denial_reason']}"
    elif r.get("you_owe"):
        text += f" You owe {_money(r['you_owe'])}."
    return text


def _claims(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    claims = r["claims"]
    if not claims:
        return "I didn't find any claims like that."
    latest = claims[0]
    return (
        f"You have {_count(r.get('total', len(claims)), 'claim')}. The latest, "
        f"{latest['claim_number']} for care {s.when(latest['service_date'])}, "
        f"is {_words(latest['status'])}."
    )


def _appeal(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    return (
        f"I filed your appeal for claim {r['claim_number']}. "
        f"Expect a decision by {s.when(r['decision_expected_by'], on=False)}."
    )


def _eob(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    if not r.get("available"):
        return str(r.get("message") or "The explanation of benefits isn't ready yet.")
    return (
        f"For claim {r['claim_number']}, the provider billed {_money(r['billed'])}, the plan paid "
        f"{_money(r['plan_paid'])} and you owe {_money(r['you_owe'])}."
    )


def _progress(label: str) -> Phraser:
    def speak(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
        if r.get("fully_met"):
            return f"You've met your full {label} of {_money(r['limit'])} this year."
        return (
            f"You've met {_money(r['met'])} of your {_money(r['limit'])} {label}, "
            f"so {_money(r['remaining'])} is left."
        )

    return speak


def _benefits(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return (
        f"You're on the {r['plan']} plan, with a {_money(r['deductible_individual'])} deductible "
        f"and a {_money(r['out_of_pocket_max_individual'])} out-of-pocket maximum."
    )


def _coverage(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    service = _words(r["service_type"])
    if not r["covered"]:
        return f"Sorry, {service} isn't covered by your plan."
    copay = _money(r.get("copay") or r.get("in_network_copay"))
    cost = f" with a {copay} copay" if copay else ""
    auth = " It needs prior authorization." if r.get("requires_prior_auth") else ""
    return f"Yes, {service} is covered{cost}.{auth}"


def _prior_auth_needed(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    if r.get("required") is None:
        return str(r.get("message") or "I can't tell whether that needs prior authorization.")
    if r["required"]:
        return "Yes, that needs prior authorization before you schedule it."
    return "No, that doesn't need prior authorization."


def _auth(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"Authorization {r['auth_number']} is {_words(r['status'])}."


def _auths(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    auths = r["prior_authorizations"]
    if not auths:
        return "You have no prior authorizations."
    latest = auths[0]
    return (
        f"You have {_count(len(auths), 'prior authorization')}. The latest, "
        f"{latest['auth_number']}, is {_words(latest['status'])}."
    )


def _providers(a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    providers = r["providers"]
    if not providers:
        return f"I couldn't find {_words(a.get('specialty'))} providers in your network there."
    found = _count(r.get("total", len(providers)), "provider")
    return f"I found {found}: {_names(providers, 'name')}."


def _network(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    where = "in" if r["in_network"] else "not in"
    return f"{r['name']} is {where} your network."


def _programs(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    programs = r["programs"]
    if not programs:
        return "There are no care programs right now."
    return f"The care programs are {_names(programs, 'name', 5)}."


def _enrolled(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    return f"You're enrolled in {r['name']}."


def _preventive(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    due = "Your yearly wellness visit is due." if r["wellness_visit_due"] else ""
    recommended = r.get("recommended") or []
    advice = (
        f" Recommended for you: {_names([{'n': x} for x in recommended], 'n')}."
        if recommended
        else ""
    )
    return (due + advice).strip() or "You're up to date on preventive care."


# CRM ----------------------------------------------------------------------------------------


def _patient(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    if r.get("found"):
        return f"Yes, {r.get('name') or 'that patient'} is on file."
    return "There's no patient with that number yet. I can register them."


def _onboarded(a: Mapping[str, Any], _r: Result, _s: Speech) -> str:
    return f"I registered {a.get('first_name')} {a.get('last_name')} as a new patient."


# Restaurant ---------------------------------------------------------------------------------


def _spell_code(code: str) -> str:
    return " ".join(code.replace("-", ""))


def _booking(r: Mapping[str, Any], s: Speech) -> str:
    size = int(r["party_size"])
    return f"{size} {'person' if size == 1 else 'people'} {s.when(r['starts_at'])}"


def _booked(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    if r.get("seating_status") == "waitlist":
        return (
            f"You're on the waitlist for {_booking(r, s)}. We'll let you know when a table opens."
        )
    return (
        f"You're booked, {r['guest_name']}: a table for {_booking(r, s)}. "
        f"Your confirmation code is {_spell_code(r['confirmation_code'])}."
    )


def _reservation(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    if "reservations" in r:
        bookings = r["reservations"]
        if len(bookings) > 1:
            first = _booking(bookings[0], s)
            return f"You have {len(bookings)} reservations. The next is for {first}."
        r = bookings[0]
    if r["status"] == "cancelled":
        return f"That reservation for {_booking(r, s)} was cancelled."
    return (
        f"Your reservation is for {_booking(r, s)}, under {r['guest_name']}. "
        f"The code is {_spell_code(r['confirmation_code'])}."
    )


def _changed(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    return f"Done, your reservation is now for {_booking(r, s)}."


def _cancelled(_a: Mapping[str, Any], r: Result, s: Speech) -> str:
    return f"Your reservation for {_booking(r, s)} is cancelled."


def _menu(_a: Mapping[str, Any], r: Result, _s: Speech) -> str:
    items = r["items"]
    dishes = [f"{i['name']} for {_cents(i['price_cents'])}" for i in items[:4]]
    more = f", and {len(items) - 4} more dishes" if len(items) > 4 else ""
    return f"On the menu we have {', '.join(dishes)}{more}."


def _availability(a: Mapping[str, Any], r: Result, s: Speech) -> str:
    day = s.when(r["date"])
    if r.get("closed"):
        reason = f" for {r['closure_reason']}" if r.get("closure_reason") else ""
        return f"Sorry, we're closed {day}{reason}."
    times = r["open_times"]
    if not times:
        return f"Sorry, we're fully booked {day} for {a.get('party_size')}."
    listed = [s.clock(t) for t in times[:4]]
    spoken = ", ".join(listed[:-1]) + " or " + listed[-1] if len(listed) > 1 else listed[0]
    party = a.get("party_size")
    return (
        f"{day[0].upper()}{day[1:]} I have a table for {party} at {spoken}. Which would you like?"
    )


_PHRASERS: Mapping[str, Phraser] = {
    "create_todo": _todo_created,
    "create_team_todo": _todo_created,
    "list_todos": _todos,
    "list_team_todos": _todos,
    "complete_todo": _todo_done,
    "delete_todo": _todo_deleted,
    "create_reminder": _reminder_created,
    "list_reminders": _reminders,
    "create_calendar_event": _event_created,
    "list_calendar_events": _events,
    "list_my_teams": _teams,
    "create_team": _team_created,
    "list_recent_calls": _calls,
    "get_call_summary": _call_summary,
    "get_call_transcript": _transcript,
    "transfer_to_agent": _transfer,
    "get_available_departments": _departments,
    "search_knowledge_base": _knowledge,
    "get_mortgage_application_status": _application,
    "create_mortgage_application": _application_started,
    "update_mortgage_financial_info": _financials,
    "calculate_dti_ratio": _dti,
    "add_mortgage_debt": _debt_added,
    "get_mortgage_debts": _debts,
    "get_required_documents": _doc_types("required_documents", "No documents are required."),
    "get_missing_documents": _doc_types("missing_documents", "You have every document we need."),
    "upload_mortgage_document": _document_added,
    "check_eligibility": _eligibility,
    "get_coverage_dates": _coverage_dates,
    "search_claims": _claims,
    "get_claim_status": _claim,
    "get_claim_details": _claim,
    "file_claim_appeal": _appeal,
    "get_eob": _eob,
    "get_benefits_summary": _benefits,
    "check_benefit_coverage": _coverage,
    "get_copay_info": _coverage,
    "get_deductible_status": _progress("deductible"),
    "get_out_of_pocket_status": _progress("out-of-pocket maximum"),
    "check_prior_auth_required": _prior_auth_needed,
    "get_prior_auth_status": _auth,
    "list_prior_auths": _auths,
    "search_providers": _providers,
    "check_provider_network": _network,
    "get_care_programs": _programs,
    "enroll_care_program": _enrolled,
    "get_preventive_care": _preventive,
    "check_patient_exists": _patient,
    "onboard_patient": _onboarded,
    "list_menu_items": _menu,
    "search_seating_availability": _availability,
    "create_reservation": _booked,
    "get_reservation": _reservation,
    "get_reservation_by_code": _reservation,
    "update_reservation_details": _changed,
    "cancel_reservation": _cancelled,
}
