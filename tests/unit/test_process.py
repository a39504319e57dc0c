"""The startup heap freeze: what exists when it runs leaves the collector's view for good."""

from __future__ import annotations

import gc

from convonet.process import freeze_startup_heap


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
