"""record_interaction: Stores each agent interaction and keeps the monitor's counters. Not built
yet: the local bus does not subscribe it.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def record_interaction(cloud_event: CloudEvent) -> None:
    raise NotImplementedError("record_interaction is not built yet")
