"""record_interaction: stores each agent interaction (topic `agent-interactions`) for the monitor
and adds it to the sharded hourly counters, and stores each step of a transfer to a human
(topic `transfer-events`) beside them, so supervisors see every transfer outcome. Idempotent:
a redelivered message is stored once.
"""

from __future__ import annotations

import functions_framework
from convonet.events import AgentInteractionEvent, TransferEvent
from convonet.events.handlers import idempotent_event
from convonet.monitor.records import store_interaction, store_transfer
from convonet.observability import start_component

start_component("record_interaction")


@functions_framework.cloud_event
@idempotent_event
def record_interaction(event: AgentInteractionEvent | TransferEvent) -> None:
    if isinstance(event, TransferEvent):
        store_transfer(event)
    else:
        store_interaction(event)
