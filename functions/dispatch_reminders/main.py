"""dispatch_reminders: Sends reminders that have fallen due (Cloud Scheduler -> reminders-due). Not
built yet: the local bus does not subscribe it.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def dispatch_reminders(cloud_event: CloudEvent) -> None:
    raise NotImplementedError("dispatch_reminders is not built yet")
