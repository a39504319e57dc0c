"""Process tuning for the long-lived, latency-bound servers (agent_turn, the voice gateway).

What a server imports and builds at startup (LangGraph, the SDKs, the ORM, the compiled graph
and tool schemas: over 200,000 objects) lives as long as the process. Left in the cyclic
garbage collector's view, every full collection walks all of it and stalls whichever turn is
running by tens of milliseconds. Freezing the startup heap moves it out of that view, so the
collector only scans what turns allocate.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once, then move every surviving object out of the collector's view; call it
    when startup is done (it is cheap again afterwards). Returns the frozen object count."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
