"""System prompts per domain agent, with today's date and the restaurant's time zone.

The original hard-coded a date; here every prompt is built per turn from the injectable clock,
in the restaurant's time zone (the Hanok row's, else RESTAURANT_TIMEZONE), so "tomorrow at
seven" means the same thing to the model, the tools and the guest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convonet.clock import get_clock
from convonet.config import get_settings

log = logging.getLogger(__name__)

_BASE = (
    "You are Convonet, a voice assistant. Your answers are spoken aloud: reply in one to three "
    "short sentences, plain words, no lists, no markdown, no emoji. Use the tools to act; never "
    "invent records, ids, prices or times. The user is already signed in: never ask who they "
    "are and never ask for a user id. Confirm what a tool did in one sentence. If a tool fails, "
    "say so simply and offer another way or a transfer to a person. If the user wants a human, "
    "call transfer_to_agent."
)

_DOMAIN_INSTRUCTIONS: Mapping[str, str] = {
    "productivity": "You manage the user's todos, reminders, calendar events and teams.",
    "mortgage": (
        "You help with the user's mortgage application: financial details, debts, "
        "debt-to-income ratio and required documents."
    ),
    "healthcare": (
        "You help health plan members with eligibility, benefits, claims, prior "
        "authorisations, providers and care programmes, and record patient intake."
    ),
    "restaurant": (
        "You are the host of Hanok, a Korean restaurant: menu, availability, booking, changing "
        "and cancelling reservations and pre-orders. Times guests give are local to the "
        "restaurant."
    ),
    "crm": "You record patient intake, appointments and call summaries in the clinic's CRM.",
    "general": (
        "You answer general questions from the knowledge base and help with the user's call "
        "recordings and transcripts."
    ),
    "transfer": (
        "The user wants a person. Say you are transferring them, then call transfer_to_agent "
        "with the right department and a one-sentence reason."
    ),
}

_tz_lock = threading.Lock()
_tz_cache: dict[str, str] = {}


def system_prompt(domain: str, now: datetime | None = None, timezone: str | None = None) -> str:
    tz_name = timezone or restaurant_timezone()
    local = (now or get_clock().now()).astimezone(ZoneInfo(tz_name))
    today = local.strftime("%A %d %B %Y")
    return (
        f"{_BASE} {_DOMAIN_INSTRUCTIONS.get(domain, _DOMAIN_INSTRUCTIONS['general'])} "
        f"Today is {today} ({local.date().isoformat()}); the local time is "
        f"{local.strftime('%H:%M')} in the restaurant's time zone, {tz_name}."
    )


def restaurant_timezone() -> str:
    """The Hanok restaurant's time zone, read once per database, else the setting."""
    settings = get_settings()
    key = settings.resolved_database_url
    with _tz_lock:
        if key not in _tz_cache:
            _tz_cache[key] = _load_timezone() or settings.restaurant_timezone
        return _tz_cache[key]


def _load_timezone() -> str | None:
    try:
        from convonet.db.engine import session_scope
        from convonet.db.models import Restaurant
        from convonet.domain.reservations import HANOK_ID

        with session_scope() as session:
            restaurant = session.get(Restaurant, HANOK_ID)
            name = restaurant.timezone if restaurant is not None else None
        if name:
            ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("the restaurant's time zone is not a known zone; using the setting")
        return None
    except Exception as exc:  # noqa: BLE001 - no database must not stop the assistant answering
        log.warning("could not read the restaurant's time zone (%s); using the setting", exc)
        return None
