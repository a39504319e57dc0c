"""notify: texts guests about their bookings (`reservation-events`) and callers whose transfer
to a person was missed (`transfer-events`), through Twilio Messaging.

Idempotent twice over: `idempotent_event` runs each Pub/Sub message once, and every text claims
its own key before it is sent, so a redelivery sends nothing again. Numbers that replied STOP
get nothing.
"""

from __future__ import annotations

import functions_framework
from convonet.events import ReservationEvent, TransferEvent
from convonet.events.handlers import idempotent_event
from convonet.observability import start_component
from convonet.telephony.notices import reservation_notice, transfer_notice

start_component("notify")


@functions_framework.cloud_event
@idempotent_event
def notify(event: ReservationEvent | TransferEvent) -> None:
    if isinstance(event, ReservationEvent):
        reservation_notice(event)
    else:
        transfer_notice(event)
