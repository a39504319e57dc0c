"""Model token usage per user and provider, by calendar month (UTC), and the optional limit.

Counters are StateStore increments (exact on Firestore and locally, no transaction):
`llm_usage/<YYYY-MM>|<user>|<provider>` holds input and output tokens, and
`llm_usage/<YYYY-MM>|<user>` the user's total, which AGENT_MONTHLY_TOKEN_LIMIT is checked
against before the model is called.
"""

from __future__ import annotations

from datetime import datetime

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.llm.base import Usage
from convonet.state import StateStore, get_state_store

COLLECTION = "llm_usage"
# Kept a little over a year, so a year's figures can be read back.
RETENTION_S = 400 * 24 * 3600.0

LIMIT_MESSAGE = (
    "I'm sorry, you've reached this month's assistant usage limit, so I can't help with that "
    "right now. It resets at the start of next month, or I can transfer you to a person."
)


def month_bucket(moment: datetime | None = None) -> str:
    return (moment or get_clock().now()).strftime("%Y-%m")


def record_usage(
    user_id: str, provider: str, usage: Usage, store: StateStore | None = None
) -> None:
    if not (usage.input_tokens or usage.output_tokens):
        return
    store = store or get_state_store()
    month = month_bucket()
    per_provider = f"{month}|{user_id}|{provider}"
    store.increment(COLLECTION, per_provider, "input_tokens", usage.input_tokens, ttl_s=RETENTION_S)
    store.increment(COLLECTION, per_provider, "output_tokens", usage.output_tokens)
    total = usage.input_tokens + usage.output_tokens
    store.increment(COLLECTION, f"{month}|{user_id}", "total_tokens", total, ttl_s=RETENTION_S)


def tokens_this_month(user_id: str, store: StateStore | None = None) -> int:
    doc = (store or get_state_store()).get(COLLECTION, f"{month_bucket()}|{user_id}") or {}
    return int(doc.get("total_tokens") or 0)


def over_limit(user_id: str, store: StateStore | None = None) -> bool:
    """True when the user has used up AGENT_MONTHLY_TOKEN_LIMIT (0: no limit, no read)."""
    limit = get_settings().agent_monthly_token_limit
    return limit > 0 and tokens_this_month(user_id, store) >= limit
