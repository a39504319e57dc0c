"""record_interaction: stores each agent interaction (topic `agent-interactions`) for the monitor
and adds it to the sharded hourly counters. Idempotent: a redelivered message is stored once.
"""

from __future__ import annotations

import functions_framework
from convonet.events import AgentInteractionEvent
from convonet.events.handlers import idempotent_event
from convonet.monitor import store_interaction


@functions_framework.cloud_event
@idempotent_event
def record_interaction(event: AgentInteractionEvent) -> None:
    store_interaction(event)
