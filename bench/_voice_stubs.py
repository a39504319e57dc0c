"""Fixed-latency stub providers, timed per turn, for the voice benches (not a bench itself).

The model is a ScriptedChatModel, STT and TTS are convonet.speech.fixed engines; the StateStore
is the local SQLite adapter and events go to the in-process bus. Each stub adds the time it
really took (a 50 ms sleep wakes late by timer slack and scheduling: that is the provider's
time, not Convonet's) to the turn's `ProviderTime`, so a bench subtracts exactly that:

- the model until each response's first event (once without a tool call, twice with one);
- the TTS until the first byte of the turn's first sentence.

Shared by bench/voice_turn.py (sessions in the bench's own process) and bench/_voice_server.py
(the gateway in a child process, for voice_load and voice_soak).
"""

from __future__ import annotations

import contextvars
import json
import os
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the load generator imports this module without Convonet
    from convonet.llm.scripted import ScriptedChatModel
    from convonet.speech.fixed import FixedTextToSpeech

PROMPT = "which extension is support"
ANSWER = "Your support line is extension 2001. Is there anything else?"
TOOL_ANSWER = "Support is on extension 2001."
# How long the user speaks before each measured turn's final transcript, in bench/voice_turn.py
# and bench/_peer_pipecat.py alike: every turn then starts from a loop that has been idle, as a
# real one does (the user was talking), and neither framework is measured hot from the turn
# before while the other is not.
USER_SPEAKS_S = 0.005


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def line(label: str, samples: list[float]) -> dict[str, float]:
    """Print one row of percentiles and return them."""
    p50, p95, p99 = percentiles(samples)
    print(f"{label:<46} p50 {p50:7.2f}  p95 {p95:7.2f}  p99 {p99:7.2f} ms  (n={len(samples)})")
    return {"p50": p50, "p95": p95, "p99": p99}


@dataclass
class ProviderTime:
    """The stub providers' time on the way to one turn's first audio."""

    model_s: float = 0.0
    tts_s: float | None = None

    def ms(self) -> float:
        return 1000 * (self.model_s + (self.tts_s or 0.0))


# A turn's tasks inherit the context of the coroutine that started it, so a bench sets a fresh
# record where the turn begins; turns started where none was set share this one.
SPENT: contextvars.ContextVar[ProviderTime] = contextvars.ContextVar("spent")
SHARED = ProviderTime()


def _spent() -> ProviderTime:
    return SPENT.get(SHARED)


class TimedModel:
    """The scripted model, timed until each response's first event."""

    def __init__(self, inner: ScriptedChatModel) -> None:
        self.inner, self.provider, self.model = inner, inner.provider, inner.model

    async def stream(self, messages: Any, tools: Any, **options: Any) -> AsyncIterator[Any]:
        self.inner.calls.clear()  # the stub's request log would keep every history alive
        started, first = time.perf_counter(), True
        async for event in self.inner.stream(messages, tools, **options):
            if first:
                _spent().model_s += time.perf_counter() - started
                first = False
            yield event


class TimedTts:
    """The fixed TTS, timed until the first byte of a turn's first sentence."""

    def __init__(self, inner: FixedTextToSpeech) -> None:
        self.inner, self.name, self.sample_rate = inner, inner.name, inner.sample_rate

    @property
    def mime_type(self) -> str:
        return self.inner.mime_type

    async def synthesize_stream(self, text: str, **options: Any) -> AsyncIterator[bytes]:
        self.inner.spoken.clear()
        started, spent = time.perf_counter(), _spent()
        async for chunk in self.inner.synthesize_stream(text, **options):
            if spent.tts_s is None:
                spent.tts_s = time.perf_counter() - started
            yield chunk


def install(model: ScriptedChatModel, latency_s: float) -> None:
    """Make every new session use the timed stubs."""
    from convonet.agent import turn as turn_module
    from convonet.speech.fixed import FixedSpeechToText, FixedTextToSpeech
    from convonet.voice.pipeline import SpeechFactories, set_speech_factories

    timed_model = TimedModel(model)
    turn_module.set_model_factory(lambda _req, _user: ("scripted", timed_model))
    tts = TimedTts(FixedTextToSpeech(latency_s=latency_s, chunk_ms=200))
    stt = FixedSpeechToText(PROMPT, latency_s=latency_s)
    set_speech_factories(SpeechFactories(stt=lambda _n: stt, tts=lambda _n: tts))


def scripted(tool: bool, latency_s: float) -> ScriptedChatModel:
    """The model's answer to PROMPT, with or without one tool call first."""
    from convonet.llm.scripted import ScriptedChatModel, call_tool, say

    if tool:
        script = [call_tool("get_available_departments", {}, "c1"), say(TOOL_ANSWER)]
    else:
        script = [say(ANSWER)]
    return ScriptedChatModel(script, latency_s=latency_s, cycle=True)


def prepare(workdir: Path) -> str:
    """A migrated SQLite database with one user, local state, in-process events; returns an
    access token for that user."""
    # Audio leaves as fast as it is made: pacing it to playback is the listener's time, not
    # Convonet's, and a turn would otherwise last as long as its answer plays. With 0 ms stubs
    # one session takes over 100 turns a second, past VOICE_MAX_MESSAGES_PER_S: a message the
    # limiter refused would leave its turn unanswered (the client is told `rate_limited`), so
    # the limit is raised out of the way.
    os.environ.update(
        DATA_DIR=str(workdir),
        CONVONET_ENV="test",
        LOG_LEVEL="ERROR",
        VOICE_PLAYBACK_LEAD_S="3600",
        VOICE_MAX_MESSAGES_PER_S="100000",
    )
    from convonet.auth.tokens import issue_user_token
    from convonet.config import reset_settings
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.db.models import User
    from convonet.events import set_event_bus
    from convonet.events.local import LocalEventBus
    from convonet.state import set_state_store
    from convonet.state.local import LocalStateStore

    reset_settings()
    upgrade()
    with session_scope() as db:
        user = User(email="bench@example.com", password_hash="-", display_name="Bench")  # noqa: S106 - never signs in
        db.add(user)
        db.flush()
        user_id = user.id
    set_state_store(LocalStateStore(workdir / "state.db"))
    set_event_bus(LocalEventBus())
    return issue_user_token(user_id, ["user"], [], "access").token


async def recv_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Read server frames until one satisfies `done`; returns it."""
    while True:
        frame: dict[str, Any] = json.loads(await ws.recv())
        if done(frame):
            return frame
