"""Model token usage per user by calendar month (UTC), and the optional limit.

One document per user and month, `llm_usage/<YYYY-MM>|<user>`, holds `total_tokens`, which
AGENT_MONTHLY_TOKEN_LIMIT is checked against before the model is called, and per provider
`<provider>_input_tokens` and `<provider>_output_tokens`. A turn adds to all three with one
StateStore `increment_many`: one atomic write (one Firestore commit), exact on Firestore and
locally without a transaction.
"""

from __future__ import annotations

from datetime import datetime

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.llm.base import Usage
from convonet.state import StateStore, get_state_store, read_off_loop

COLLECTION = "llm_usage"
# Kept a little over a year, so a year's figures can be read back.
RETENTION_S = 400 * 24 * 3600.0

LIMIT_MESSAGE = (
    "I'm sorry, you've reached this month's assistant usage limit, so I can't help with that "
    "right now. It resets at the start of next month, or I can transfer you to a person."
)


def month_bucket(moment: datetime | None = None) -> str:
    return (moment or get_clock().now()).strftime("%Y-%m")


def month_key(user_id: str) -> str:
    """The key of the user's usage document for this month."""
    return f"{month_bucket()}|{user_id}"


def record_usage(
    user_id: str, provider: str, usage: Usage, store: StateStore | None = None
) -> None:
    if not (usage.input_tokens or usage.output_tokens):
        return
    amounts = {
        f"{provider}_input_tokens": usage.input_tokens,
        f"{provider}_output_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
    (store or get_state_store()).increment_many(
        COLLECTION, month_key(user_id), amounts, ttl_s=RETENTION_S
    )


def tokens_this_month(user_id: str, store: StateStore | None = None) -> int:
    doc = (store or get_state_store()).get(COLLECTION, month_key(user_id)) or {}
    return int(doc.get("total_tokens") or 0)


async def over_limit(user_id: str, store: StateStore | None = None) -> bool:
    """True when the user has used up AGENT_MONTHLY_TOKEN_LIMIT (0: no limit, no read). Read
    from the turn's event loop, so off it where the store's reads block."""
    limit = get_settings().agent_monthly_token_limit
    if limit <= 0:
        return False
    chosen = store or get_state_store()
    return await read_off_loop(chosen, lambda: tokens_this_month(user_id, chosen)) >= limit
