"""Token usage on both StateStore adapters: one document per user and month, which a turn adds
to in one write, and the monthly limit read from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from convonet.agent import usage
from convonet.clock import FakeClock
from convonet.config import Settings
from convonet.llm.base import Usage
from convonet.state import StateStore
from convonet.state.base import EXPIRES_FIELD


def test_a_users_month_is_one_document_with_a_total_and_per_provider_figures(
    state_store: StateStore, clock: FakeClock
) -> None:
    created = clock.now()
    usage.record_usage("u1", "openai", Usage(7, 3), state_store)
    clock.advance(60)
    usage.record_usage("u1", "anthropic", Usage(2, 1), state_store)
    usage.record_usage("u1", "openai", Usage(1, 1), state_store)
    usage.record_usage("u2", "openai", Usage(5, 5), state_store)

    assert state_store.get(usage.COLLECTION, usage.month_key("u1")) == {
        "openai_input_tokens": 8,
        "openai_output_tokens": 4,
        "anthropic_input_tokens": 2,
        "anthropic_output_tokens": 1,
        "total_tokens": 15,
        EXPIRES_FIELD: created + timedelta(seconds=usage.RETENTION_S),
    }
    assert {key for key, _ in state_store.query(usage.COLLECTION)} == {
        "2026-01|u1",
        "2026-01|u2",
    }
    assert usage.tokens_this_month("u1", state_store) == 15
    assert usage.tokens_this_month("u2", state_store) == 10


def test_a_new_month_starts_a_new_document(state_store: StateStore, clock: FakeClock) -> None:
    usage.record_usage("u1", "openai", Usage(7, 3), state_store)
    clock.advance(27 * 24 * 3600)  # 2026-01-05 17:00 -> 2026-02-01 17:00
    assert usage.tokens_this_month("u1", state_store) == 0
    usage.record_usage("u1", "openai", Usage(1, 1), state_store)
    assert usage.tokens_this_month("u1", state_store) == 2
    january = state_store.get(usage.COLLECTION, "2026-01|u1")
    assert january is not None and january["total_tokens"] == 10


def test_a_turn_without_tokens_writes_nothing(state_store: StateStore) -> None:
    usage.record_usage("u1", "openai", Usage(0, 0), state_store)
    assert state_store.query(usage.COLLECTION) == []


def test_the_limit_is_reached_at_the_total(
    state_store: StateStore, configure: Callable[..., Settings]
) -> None:
    configure(AGENT_MONTHLY_TOKEN_LIMIT=20)
    usage.record_usage("u1", "openai", Usage(10, 5), state_store)
    assert not asyncio.run(usage.over_limit("u1", state_store))
    usage.record_usage("u1", "anthropic", Usage(3, 2), state_store)
    assert asyncio.run(usage.over_limit("u1", state_store))
    assert not asyncio.run(usage.over_limit("u2", state_store))
