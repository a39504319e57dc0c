"""What people say to the assistant: the phrases and words the offline recogniser expects.

Written from the tool registry (shared/convonet/tools/*.py: every tool's purpose has phrases
here, and tests/integration/test_speech_offline.py checks that the words of every tool name
are in the vocabulary) and the demo data (menu, departments, service types). The offline STT
builds its language model from these at startup; Deepgram gets `KEY_TERMS` as key terms.
"""

from __future__ import annotations

from convonet.voice.text import NUMBER_WORDS

PRODUCTIVITY = (
    "add a todo to buy bread",
    "add a todo to buy milk tomorrow",
    "create a todo to call the bank",
    "create a high priority todo to finish the report by friday",
    "list my todos",
    "show my todos",
    "what are my todos for today",
    "get my todo list",
    "mark the todo buy bread as complete",
    "complete my todo",
    "delete the todo buy milk",
    "update my todo to urgent",
    "remind me to call mom tomorrow at nine am",
    "remind me to take my medicine at eight pm",
    "create a reminder to pay rent on monday",
    "list my reminders",
    "delete my reminder",
    "update my reminder to tomorrow",
    "what is on my calendar today",
    "list my calendar events for this week",
    "create a calendar event team meeting tomorrow at ten am",
    "schedule a meeting with my team on thursday at two pm",
    "move my meeting to three pm",
    "delete the calendar event",
    "sync my google calendar",
    "check my calendar connection",
    "create a team called marketing",
    "list my teams",
    "who are the members of my team",
    "list the team members",
    "add a team member",
    "remove a team member",
    "change the member role to admin",
    "create a team todo for the design team",
    "list the team todos",
    "search users named kim",
)

MORTGAGE = (
    "check the status of my mortgage application",
    "what is the status of my mortgage application",
    "create a mortgage application",
    "start a new mortgage application",
    "calculate my debt to income ratio",
    "what is my dti ratio",
    "update my monthly income to eight thousand dollars",
    "update my credit score",
    "update my mortgage financial info",
    "my down payment is fifty thousand dollars",
    "add a mortgage debt car loan of four hundred dollars a month",
    "list my mortgage debts",
    "what documents do i need",
    "what are the required documents",
    "what documents are missing",
    "get my missing documents",
    "upload my pay stub",
    "upload a mortgage document",
    "list my mortgage documents",
)

HEALTHCARE = (
    "what is my deductible",
    "how much of my deductible have i met",
    "check my deductible status",
    "what is my out of pocket maximum",
    "check my out of pocket status",
    "am i eligible for coverage",
    "check my eligibility",
    "what are my coverage dates",
    "what is the status of my claim",
    "get my claim status",
    "get the claim details",
    "search my claims",
    "show my recent claims",
    "i want to appeal my claim",
    "file a claim appeal",
    "get my explanation of benefits",
    "get my eob",
    "what are my benefits",
    "get my benefits summary",
    "is physical therapy covered",
    "check my benefit coverage for an mri",
    "what is my copay for a specialist visit",
    "get my copay info for urgent care",
    "do i need a prior authorization for an mri",
    "check if prior auth is required",
    "submit a prior authorization",
    "what is the status of my prior authorization",
    "list my prior authorizations",
    "find a cardiologist near me",
    "search providers for dermatology",
    "is my doctor in network",
    "check the provider network",
    "get the provider details",
    "what care programs are available",
    "get my care programs",
    "enroll me in the diabetes care program",
    "what preventive care do i need",
    "get my preventive care",
)

CRM = (
    "check if the patient exists",
    "onboard a new patient",
    "book an appointment for next tuesday",
    "book an appointment with the doctor",
    "log the clinical intake",
    "log my symptoms",
    "save the call summary",
)

RESTAURANT = (
    "book a table for four people at seven pm on friday",
    "book a table for two at six thirty tonight",
    "i would like to make a dinner reservation",
    "make a reservation for six people on saturday at eight pm",
    "reserve a table for three tomorrow at noon",
    "cancel my dinner reservation",
    "cancel my reservation",
    "change my reservation to eight pm",
    "update my reservation details",
    "move my reservation to sunday",
    "what time is my reservation",
    "get my reservation",
    "look up my reservation by confirmation code",
    "get reservation by code",
    "is there a table available on friday",
    "search seating availability for saturday",
    "what is on the menu",
    "list the menu items",
    "i want to preorder bulgogi and bibimbap",
    "add two kimchi jjigae to my order",
    "do you have vegetarian options",
    "set my reservation status to confirmed",
    "i am running late for my reservation",
)

CALLS_AND_KNOWLEDGE = (
    "list my recent calls",
    "get the call summary",
    "get the call transcript",
    "delete the call recording",
    "search the knowledge base",
    "how do i reset my pin",
    "what are your opening hours",
)

TRANSFER = (
    "transfer me to a human agent",
    "transfer me to a human",
    "i want to talk to a person",
    "let me speak to a representative",
    "connect me with a live agent",
    "transfer me to support",
    "transfer me to sales",
    "what departments are available",
    "get available departments",
)

CONVERSATION = (
    "yes",
    "no",
    "yes please",
    "no thank you",
    "thank you",
    "thanks",
    "okay",
    "sure",
    "hello",
    "hi",
    "goodbye",
    "bye",
    "that is all",
    "never mind",
    "stop",
    "cancel",
    "repeat that",
    "say that again",
    "what did you say",
    "help",
    "i need help",
    "something else",
)

EXAMPLE_PHRASES: tuple[str, ...] = (
    PRODUCTIVITY
    + MORTGAGE
    + HEALTHCARE
    + CRM
    + RESTAURANT
    + CALLS_AND_KNOWLEDGE
    + TRANSFER
    + CONVERSATION
)

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_WHEN = [
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "morning",
    "afternoon",
    "evening",
    "noon",
    "midnight",
]

# Words the assistant's tools deal in (statuses, priorities, menu, departments, services).
VOCABULARY: tuple[str, ...] = (
    *NUMBER_WORDS,
    *_DAYS,
    *_MONTHS,
    *_WHEN,
    *[
        "am",
        "pm",
        "o'clock",
        "half",
        "quarter",
        "past",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "next",
        "last",
        "week",
    ],
    *[
        "low",
        "medium",
        "high",
        "urgent",
        "priority",
        "pending",
        "completed",
        "cancelled",
        "confirmed",
        "seated",
    ],
    *["draft", "approved", "denied", "paid", "submitted", "review", "appealed", "waitlist", "vip"],
    *["support", "sales", "technical", "billing", "department", "extension"],
    *[
        "bibimbap",
        "bulgogi",
        "kimchi",
        "jjigae",
        "hanwoo",
        "pajeon",
        "naengmyeon",
        "korean",
        "hanok",
        "menu",
    ],
    *["lunch", "brunch", "dinner", "party", "guests", "table", "tables", "patio"],
    *[
        "emergency",
        "pharmacy",
        "prescription",
        "specialist",
        "primary",
        "lab",
        "xray",
        "surgery",
        "therapy",
    ],
    *["owner", "admin", "member", "viewer", "email", "phone", "number", "code", "pin", "name"],
    *[
        "income",
        "savings",
        "credit",
        "score",
        "loan",
        "property",
        "value",
        "closing",
        "costs",
        "debt",
    ],
    *[
        "get",
        "list",
        "create",
        "update",
        "delete",
        "add",
        "remove",
        "search",
        "check",
        "submit",
        "file",
        "enroll",
    ],
)

# Short phrases for keyword boosting in cloud STT (Deepgram `keyterm`).
KEY_TERMS: tuple[str, ...] = (
    "Hanok",
    "bibimbap",
    "bulgogi",
    "kimchi jjigae",
    "hanwoo",
    "pajeon",
    "naengmyeon",
    "todo",
    "deductible",
    "prior authorization",
    "DTI",
)


def _slot_phrases() -> tuple[str, ...]:
    """A few party sizes and evening times. Kept small on purpose: a large grid makes "at",
    "am" and "pm" so likely that the recogniser hears them in every noisy phone onset."""
    return tuple(f"for {n} people" for n in NUMBER_WORDS[2:9]) + tuple(
        f"at {hour} pm" for hour in NUMBER_WORDS[5:10]
    )


def training_sentences() -> tuple[str, ...]:
    return EXAMPLE_PHRASES + _slot_phrases()


# ARPAbet for words the bundled CMU dictionary lacks (alternates as "word(2)").
PRONUNCIATIONS: dict[str, str] = {
    "am(2)": "EY EH M",
    "bibimbap": "B IH B IH M B AA P",
    "bulgogi": "B UH L G OW G IY",
    "copay": "K OW P EY",
    "dti": "D IY T IY AY",
    "eob": "IY OW B IY",
    "hanok": "HH AA N OW K",
    "hanwoo": "HH AA N W UW",
    "jjigae": "JH IY G EY",
    "naengmyeon": "N AE NG M Y AH N",
    "pajeon": "P AA JH AH N",
    "todo(2)": "T OW D OW",
    "todos(2)": "T OW D OW Z",
    "preorder": "P R IY AO R D ER",
    "waitlist": "W EY T L IH S T",
    "xray": "EH K S R EY",
}
