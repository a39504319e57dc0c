"""notify: SMS for reservation changes and missed transfers. Not built yet: the local bus does not
subscribe it.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def notify(cloud_event: CloudEvent) -> None:
    raise NotImplementedError("notify is not built yet")
