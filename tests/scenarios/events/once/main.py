"""Scenario: an idempotent handler that counts how often its body really ran."""

import functions_framework
from convonet.events import ReservationEvent
from convonet.events.handlers import idempotent_event
from convonet.state import get_state_store


@functions_framework.cloud_event
@idempotent_event
def scenario_count_once(event: ReservationEvent) -> None:
    get_state_store().increment("scenario_counts", event.event_id, "handled")
