"""The agent monitor: interaction records with their latency waterfall, statistics, live feed."""

from __future__ import annotations

from convonet.monitor.records import mark_interrupted, merge_voice_timing, store_interaction

__all__ = ["mark_interrupted", "merge_voice_timing", "store_interaction"]
