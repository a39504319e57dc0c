"""crm_sync: Pushes recorded CRM work to SuiteCRM. Not built yet: the local bus does not subscribe
it.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def crm_sync(cloud_event: CloudEvent) -> None:
    raise NotImplementedError("crm_sync is not built yet")
