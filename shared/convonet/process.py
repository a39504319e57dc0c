"""Process tuning for startup: the cyclic garbage collector versus what startup builds.

What a process imports and builds at startup (modules, classes, ORM mappers, pydantic
validators; for the long-lived servers also LangGraph, the SDKs and the compiled graph: over
200,000 objects) lives as long as the process. Left in the cyclic garbage collector's view,
it costs twice: while it is being built, every few hundred allocations trigger a collection
that walks it again; afterwards, every full collection walks all of it and stalls whichever
request or turn is running. Freezing the startup heap moves it out of that view, so the
collector only scans what requests allocate.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> int:
    """Collect once, then move every surviving object out of the collector's view; call it
    when startup is done (it is cheap again afterwards). Returns the frozen object count.

    A long-lived server then collects with GC_SERVING_THRESHOLDS: what its sessions keep
    (connections, conversations) is walked by every full collection, a stall of tens of
    milliseconds for every turn running at the time once hundreds of sessions are open, so
    full collections are made rarer than CPython's default; short-lived garbage is still
    collected young."""
    from convonet.config import get_settings

    gc.collect()
    gc.freeze()
    gc.set_threshold(*get_settings().gc_serving_thresholds)
    return gc.get_freeze_count()


@contextmanager
def function_imports() -> Iterator[None]:
    """Run a function's imports with the collector paused, then freeze what they built.

    For a function's `main.py`, whose imports are most of its cold start: the collections
    they trigger found nothing to free and cost a light function some 40 ms. The freeze also
    matters to the server: functions-framework loads `main.py` in gunicorn's master, then
    forks the worker, where the first full collection would otherwise walk (and so copy, page
    by page) the whole inherited heap during the first request, some 60 ms more. There is no
    collection before the freeze (unlike `freeze_startup_heap`): it would cost what pausing
    saved, and imports leave next to no garbage behind.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
