"""Scenario: a handler that always fails, so its messages end as dead letters."""

import functions_framework


@functions_framework.cloud_event
def scenario_always_fails(cloud_event):  # type: ignore[no-untyped-def]
    raise RuntimeError(f"cannot handle {cloud_event['id']}")
