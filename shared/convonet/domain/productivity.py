"""What the productivity domains share: input vocabulary, time rules, paging, preferences.

Times: every stored time is UTC. An input with an offset is taken as given; a naive input is
read in the IANA `timezone` passed with it, or in UTC when none is (the user model has no time
zone, so the caller - the model or the web client - says which wall clock it means). Output
is ISO 8601 with offset. Text is refused if it holds NUL or unencodable characters (PostgreSQL
cannot store them), ids must be UUIDs, and lists are pages of at most MAX_PAGE items.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from convonet.config import Settings, get_settings
from convonet.db.models import User
from convonet.domain.errors import Invalid, NotFound

MAX_PAGE = 100
DEFAULT_PAGE = 50
MAX_OFFSET = 10_000
EARLIEST_YEAR = 1970
LATEST_YEAR = 2199

Priority = Literal["low", "medium", "high", "urgent"]
Page = dict[str, Any]
RowT = TypeVar("RowT")


def _clean(value: str) -> str:
    value = value.strip()
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return value


_CLEAN = AfterValidator(_clean)

Title = Annotated[str, _CLEAN, Field(min_length=1, max_length=500, description="A short title.")]
Description = Annotated[str, _CLEAN, Field(max_length=4000, description="Optional details.")]
Location = Annotated[str, _CLEAN, Field(max_length=500, description="Where it takes place.")]
TeamName = Annotated[str, _CLEAN, Field(min_length=1, max_length=200, description="Team name.")]
ReminderText = Annotated[
    str, _CLEAN, Field(min_length=1, max_length=2000, description="What to remind about.")
]
Email = Annotated[str, _CLEAN, Field(min_length=3, max_length=320, description="Email address.")]
SearchTerm = Annotated[
    str, _CLEAN, Field(min_length=2, max_length=200, description="Part of a name or email.")
]
TimeZoneName = Annotated[
    str,
    Field(
        max_length=64,
        description="IANA time zone (e.g. America/Los_Angeles) for times given without offset; "
        "UTC when omitted.",
    ),
    AfterValidator(_zone),
]


def to_utc(value: datetime, timezone: str | None, what: str = "time") -> datetime:
    """`value` in UTC; a naive value is wall-clock time in `timezone` (UTC when None)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone) if timezone else UTC)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise Invalid(f"The {what} must be between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"The {what} is out of range.") from None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def check_id(value: str, what: str) -> str:
    """`value` if it is a UUID; otherwise the thing cannot exist (NotFound, not a crash)."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"There is no {what} with id {value[:40]!r}.") from None


def paged(
    session: Session,
    stmt: Select[RowT],
    render: Callable[[RowT], dict[str, Any]],
    limit: int,
    offset: int,
) -> Page:
    """One page of `stmt`: {"items", "total", "next_offset"} (next_offset None on the last)."""
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, min(offset, MAX_OFFSET))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows: Sequence[RowT] = session.scalars(stmt.limit(limit).offset(offset)).all()
    end = offset + len(rows)
    return {
        "items": [render(r) for r in rows],
        "total": total,
        "next_offset": end if end < total else None,
    }


# Preferences -------------------------------------------------------------------------------

LLM_PROVIDERS = ("offline", "anthropic", "openai", "gemini")
_PROVIDER_KEYS = {
    "anthropic": "anthropic_api_key",
    "openai": "openai_api_key",
    "gemini": "google_api_key",
}
_PROVIDER_NAMES = {
    "offline": "Offline (built in)",
    "anthropic": "Anthropic Claude",
    "openai": "OpenAI",
    "gemini": "Google Gemini",
}


def configured_llm_providers(settings: Settings | None = None) -> list[str]:
    """The offline model always; a cloud provider only when its API key is set."""
    settings = settings or get_settings()
    return [
        p for p in LLM_PROVIDERS if p not in _PROVIDER_KEYS or getattr(settings, _PROVIDER_KEYS[p])
    ]


def list_llm_providers() -> list[dict[str, Any]]:
    available = set(configured_llm_providers())
    return [
        {"id": p, "name": _PROVIDER_NAMES[p], "available": p in available} for p in LLM_PROVIDERS
    ]


def get_llm_provider(session: Session, user_id: str) -> dict[str, Any]:
    chosen = _user(session, user_id).llm_provider
    if chosen:
        return {"provider": chosen, "source": "user"}
    return {"provider": get_settings().llm_provider, "source": "default"}


def set_llm_provider(session: Session, user_id: str, provider: str | None) -> dict[str, Any]:
    """Store the user's choice (None: back to the configured default)."""
    if provider is not None and provider not in configured_llm_providers():
        available = ", ".join(configured_llm_providers())
        raise Invalid(
            f"{provider} is not configured here; choose one of: {available}.",
            "provider_unavailable",
        )
    _user(session, user_id).llm_provider = provider
    session.flush()
    return get_llm_provider(session, user_id)


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("Your account no longer exists.")
    return user
