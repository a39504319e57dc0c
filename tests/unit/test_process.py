"""The startup heap freeze: what exists when it runs leaves the collector's view for good, the
serving thresholds apply from then on, and a function's imports run with the collector paused."""

from __future__ import annotations

import gc

import pytest
from convonet.config import reset_settings
from convonet.process import freeze_startup_heap, function_imports


class _Node:
    def __init__(self) -> None:
        self.peer: _Node | None = None


def test_objects_alive_at_the_freeze_are_no_longer_scanned() -> None:
    startup = _Node()
    startup.peer = startup  # a cycle: the collector would walk it on every full collection
    before = gc.get_freeze_count()

    frozen = freeze_startup_heap()

    assert frozen > before
    tracked = {id(o) for o in gc.get_objects()}
    assert id(startup) not in tracked
    later = _Node()
    assert id(later) in {id(o) for o in gc.get_objects()}


def test_the_serving_thresholds_apply_once_startup_is_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    previous = gc.get_threshold()
    monkeypatch.setenv("GC_SERVING_THRESHOLDS", "[900, 12, 250]")
    reset_settings()
    try:
        freeze_startup_heap()
        assert gc.get_threshold() == (900, 12, 250)
    finally:
        gc.set_threshold(*previous)
        monkeypatch.delenv("GC_SERVING_THRESHOLDS")
        reset_settings()


def test_function_imports_pause_the_collector_then_freeze_what_they_built() -> None:
    before = gc.get_freeze_count()

    with function_imports():
        assert not gc.isenabled()
        built = _Node()
        built.peer = built

    assert gc.isenabled()
    assert gc.get_freeze_count() > before
    assert id(built) not in {id(o) for o in gc.get_objects()}


def test_function_imports_leave_a_paused_collector_paused() -> None:
    gc.disable()
    try:
        with function_imports():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
