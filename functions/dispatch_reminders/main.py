"""dispatch_reminders: every minute (Cloud Scheduler -> `reminders-due`), sends the reminders
that have fallen due (SMS, or a short call that speaks them), reminds guests booked for
tomorrow of their code (once), and erases calls past their retention date.

A redelivered tick is skipped; overlapping ticks are harmless because every message claims its
own key before it is sent and a sent reminder leaves the pending queue.
"""

from __future__ import annotations

import logging

import functions_framework
from convonet.events import RemindersDueEvent
from convonet.events.handlers import idempotent_event
from convonet.observability import start_component
from convonet.telephony.notices import dispatch_due

start_component("dispatch_reminders")

log = logging.getLogger(__name__)


@functions_framework.cloud_event
@idempotent_event
def dispatch_reminders(event: RemindersDueEvent) -> None:
    report = dispatch_due()
    log.info(
        "tick %s: %d reminders, %d booking reminders, %d calls erased",
        event.event_id,
        report.reminders,
        report.bookings,
        report.calls_erased,
    )
