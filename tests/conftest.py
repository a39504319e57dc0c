"""Shared test setup. Each area keeps its fixtures in tests/fixtures/<area>.py."""

from __future__ import annotations

import os

# Tests never read a developer's .env or data directory.
os.environ.setdefault("CONVONET_ENV", "test")
os.environ.setdefault("LOG_FORMAT", "text")
# Answers' audio leaves unpaced: pacing would wait out every answer's playback in real time.
# The tests of pacing and barge-in set VOICE_PLAYBACK_LEAD_S themselves.
os.environ.setdefault("VOICE_PLAYBACK_LEAD_S", "3600")

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.fixtures.db",
    "tests.fixtures.state",
    "tests.fixtures.events",
    "tests.fixtures.http",
    "tests.fixtures.google_calendar",
    "tests.fixtures.suitecrm",
    "tests.fixtures.llm",
    "tests.fixtures.browser",
    "tests.fixtures.kamailio",
    "tests.fixtures.speech",
    "tests.fixtures.twilio",
    "tests.fixtures.voice",
]
