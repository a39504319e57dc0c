"""Scenario: an idempotent handler whose first attempt at each event fails."""

import functions_framework
from convonet.events import TransferEvent
from convonet.events.handlers import idempotent_event
from convonet.state import get_state_store


@functions_framework.cloud_event
@idempotent_event
def scenario_flaky_once(event: TransferEvent) -> None:
    store = get_state_store()
    if store.increment("scenario_counts", event.event_id, "attempts") == 1:
        raise RuntimeError("first attempt fails")
    store.increment("scenario_counts", event.event_id, "handled")
