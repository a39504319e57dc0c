"""crm_sync: pushes the CRM records the assistant recorded to SuiteCRM (topic crm-sync).

Pub/Sub delivers at least once; `idempotent_event` runs each message once, and an
already-synced record is never pushed twice. A CRM outage raises, so the message comes back.
"""

from __future__ import annotations

import functions_framework
from convonet.db.engine import session_scope
from convonet.domain import crm
from convonet.events import CrmSyncEvent
from convonet.events.handlers import idempotent_event
from convonet.observability import start_component

start_component("crm_sync")


@functions_framework.cloud_event
@idempotent_event
def crm_sync(event: CrmSyncEvent) -> None:
    with session_scope() as session:
        crm.sync_record(session, event.record_id)
