"""Scenario: record every CloudEvent exactly as functions-framework handed it over."""

import functions_framework
from convonet.state import get_state_store


@functions_framework.cloud_event
def scenario_capture_envelope(cloud_event):  # type: ignore[no-untyped-def]
    get_state_store().set(
        "scenario_envelopes",
        cloud_event["id"],
        {"attributes": dict(cloud_event.get_attributes()), "data": cloud_event.data},
    )
