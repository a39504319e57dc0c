"""Pipecat 1.14's own overhead per turn, in-process, beyond its stub providers' fixed time.

Why: a same-machine reference for the figures our issues quote ("Pipecat 1.14 measured the
in-process way on this machine kind takes 2.2 ms p95 with its extras off and 13.5 ms p95 with
its defaults (no tool call)"). bench/voice_turn.py measures Convonet the same way, so the two
can be run on one machine and set side by side. Standalone: stdlib, Pipecat and
bench/_voice_stubs.py (no Convonet), no network.

One pipeline and worker per case, kept for all its turns like a session, turns one after
another: user context aggregator -> stub LLM -> stub TTS -> sink (where the output transport
would be) -> assistant context aggregator, the pair built the standard way
(`LLMContextAggregatorPair`), run by a `WorkerRunner` on asyncio's default loop. The user turn
is delimited the way an STT service with its own turn detection does it (Deepgram Flux in
Pipecat): `ProposedUserStartedSpeakingFrame` when the user starts (its interruption has gone
through the pipeline and 5 ms of "speech" have passed before t0), then the final
`TranscriptionFrame` and `ProposedUserStoppedSpeakingFrame`, resolved by
`ExternalUserTurnStrategies`. Pipecat's default strategies need audio (Silero VAD and the Smart
Turn model), and a text-only stop strategy would wait out its own timers.

- t0: the final `TranscriptionFrame` is queued into the pipeline (the transcript is available);
- t1: the turn's first `TTSAudioRawFrame` reaches the sink (audio ready to send).

Overhead = t1 - t0 - the providers' time on that path, as the stubs really took it (perf_counter
around each sleep: a 50 ms sleep wakes late by timer slack, which is the provider's time): the
LLM until its first output event, once without a tool call and twice with one (a function call,
then the answer after the tool result), and the TTS until the first audio of the first sentence.
The stub LLM is an `LLMService` that streams `LLMTextFrame`s inside LLMFullResponseStart/End, or
calls `lookup_extension` through Pipecat's own function calling (`register_function`,
`run_function_calls`, the result callback, the assistant aggregator pushing the context back
up). Like our ScriptedChatModel it stands in for the provider's request and stream, so it does
not convert the context to a provider format. The stub TTS is a `TTSService` in the shape of
Pipecat's HTTP services (OpenAI's): `run_tts` yields 3 x 20 ms of 16 kHz PCM16 silence per text,
and the base class adds TTSStartedFrame/TTSStoppedFrame and does its default sentence
aggregation. Both report metrics as real services do (`can_generate_metrics`).

Configurations:
- "extras off": `PipelineWorker` (what `PipelineTask` is a deprecated alias of since 1.3) with
  metrics, usage metrics, heartbeats and the initial empty metrics frame off in `PipelineParams`,
  and RTVI (its processor and observer), turn tracking (its observer), tracing, the idle timeout
  (its observer and monitor task) and any observers off;
- "defaults": `PipelineWorker(pipeline, params=PipelineParams(enable_metrics=True,
  enable_usage_metrics=True))`, the worker `pipecat init` writes for a cascade bot: RTVI, turn
  tracking and the 300 s idle timeout on by default, metrics and usage metrics on. Tracing is
  off by default (and OpenTelemetry is not installed), heartbeats are off by default. RTVI is
  most of the difference: its observer turns the turn's frames into client messages, and each
  is pushed down every processor after the RTVIProcessor at the pipeline's head.
Both use `WorkerRunner(handle_sigint=False)`.

Both run with loguru at WARNING on stderr: Pipecat logs at DEBUG by default, but our own bench
logs at ERROR, and the comparison is of frameworks, not of logging. Pipecat formats its debug and
trace f-strings before loguru drops them, so that part of its logging stays in the figures.

The conversation context grows over a case's turns as in a session; nothing on the measured path
walks it (the aggregators append, RTVI reads the last message), so it is not reset.
Figures and percentiles only; nothing here asserts on time. The whole run takes about 3 minutes
on a slow 2-core VM, most of it the 50 ms cases' sleeps (three a turn, whole answers spoken).

    .venv-pipecat/bin/python bench/_peer_pipecat.py [--turns 200] [--warmup 20]

bench/voice_turn.py runs it (installed by `make bench` into .venv-pipecat) and prints
Convonet's figures against these; percentiles are cut by bench/_voice_stubs.py's `line`,
which needs nothing of Convonet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from _voice_stubs import ANSWER, PROMPT, TOOL_ANSWER, USER_SPEAKS_S, line
from loguru import logger
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    Frame,
    FunctionCallFromLLM,
    InterruptionFrame,
    LLMContextAssistantTimestampFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
)
from pipecat.metrics.metrics import LLMTokenUsage
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams, LLMService
from pipecat.services.settings import LLMSettings, TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from pipecat.utils.time import time_now_iso8601
from pipecat.workers.runner import WorkerRunner

PIPECAT_VERSION = version("pipecat-ai")

TOOL_NAME = "lookup_extension"
TOOL_ARGUMENTS = {"department": "support"}
TOOL_RESULT = {"extension": "2001"}
USER_ID = "bench-user"

SAMPLE_RATE = 16_000
AUDIO_CHUNK = bytes(SAMPLE_RATE * 20 // 1000 * 2)  # 20 ms of 16-bit mono silence
AUDIO_CHUNKS_PER_TEXT = 3
WORDS_PER_TOKEN = 3  # the stub LLM streams its answer a few words per LLMTextFrame
TURN_TIMEOUT_S = 10.0

LOOKUP_SCHEMA = FunctionSchema(
    name=TOOL_NAME,
    description="The phone extension of a department.",
    properties={"department": {"type": "string", "description": "The department's name."}},
    required=["department"],
)


def stub_llm_settings() -> LLMSettings:
    """Every field set, as a service's __init__ must (Pipecat logs an error for any unset)."""
    return LLMSettings(
        model="stub-llm",
        system_instruction=None,
        temperature=None,
        max_tokens=None,
        top_p=None,
        top_k=None,
        frequency_penalty=None,
        presence_penalty=None,
        seed=None,
        filter_incomplete_user_turns=False,
        user_turn_completion_config=None,
    )


@dataclass
class Turn:
    """One turn's times, and the stub providers' time on the way to its first audio."""

    started: float = 0.0
    first_audio: float | None = None
    llm_s: float = 0.0
    tts_s: float | None = None
    user_turn_open: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def overhead_ms(self) -> float:
        """t1 - t0, less what the providers took of it."""
        if self.first_audio is None:
            raise RuntimeError("the turn ended without audio")
        provider_s = self.llm_s + (self.tts_s or 0.0)
        return (self.first_audio - self.started - provider_s) * 1000


class Conversation:
    """The current turn, shared by the stubs and the sink of one pipeline, and the pipeline's
    end as the bench sees it (a turn's start went through, a turn's answer is in context)."""

    def __init__(self) -> None:
        self.turn = Turn()
        self.started = asyncio.Event()

    def new_turn(self) -> Turn:
        self.turn = Turn()
        return self.turn

    def watch(self, worker: PipelineWorker) -> None:
        worker.set_reached_downstream_filter((InterruptionFrame, LLMContextAssistantTimestampFrame))
        worker.add_event_handler("on_frame_reached_downstream", self._reached_end)
        worker.add_event_handler("on_pipeline_started", self._pipeline_started)

    async def _reached_end(self, _worker: PipelineWorker, frame: Frame) -> None:
        if isinstance(frame, InterruptionFrame):
            self.turn.user_turn_open.set()
        else:
            self.turn.done.set()

    async def _pipeline_started(self, _worker: PipelineWorker, _frame: StartFrame) -> None:
        self.started.set()


async def provider_wait(latency_s: float) -> float:
    """Wait as a provider of fixed latency would; returns the time it really took."""
    started = time.perf_counter()
    if latency_s:
        await asyncio.sleep(latency_s)
    return time.perf_counter() - started


def tokens(text: str) -> list[str]:
    """The text in the pieces an LLM would stream, a few words each, spaces kept."""
    words = text.split(" ")
    pieces = [
        " ".join(words[i : i + WORDS_PER_TOKEN]) for i in range(0, len(words), WORDS_PER_TOKEN)
    ]
    return [pieces[0], *(" " + piece for piece in pieces[1:])]


def answers_tool_result(context: LLMContext) -> bool:
    """Whether the context ends with a tool's result, which the model now answers."""
    messages = context.get_messages()
    return bool(messages) and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool"


class StubLLM(LLMService):
    """An LLM of fixed latency, on the frame path of Pipecat's OpenAI service: it answers every
    LLMContextFrame, calling the tool first when `calls_tool` and the tool has not answered."""

    def __init__(self, conversation: Conversation, latency_s: float, calls_tool: bool) -> None:
        super().__init__(settings=stub_llm_settings())
        self._conversation = conversation
        self._latency_s = latency_s
        self._calls_tool = calls_tool
        self._tool_calls = 0

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self.push_frame(LLMFullResponseStartFrame())
            await self.start_processing_metrics()
            try:
                await self._respond(frame.context)
            finally:
                await self.stop_processing_metrics()
                await self.push_frame(LLMFullResponseEndFrame())
        else:
            await self.push_frame(frame, direction)

    async def _respond(self, context: LLMContext) -> None:
        await self.start_ttfb_metrics()
        self._conversation.turn.llm_s += await provider_wait(self._latency_s)
        await self.stop_ttfb_metrics()
        if self._calls_tool and not answers_tool_result(context):
            await self.stop_ttfat_metrics()
            await self.run_function_calls([self._lookup_call(context)])
        else:
            for token in tokens(TOOL_ANSWER if self._calls_tool else ANSWER):
                await self._push_llm_text(token)
        await self.start_llm_usage_metrics(
            LLMTokenUsage(prompt_tokens=100, completion_tokens=12, total_tokens=112)
        )

    def _lookup_call(self, context: LLMContext) -> FunctionCallFromLLM:
        self._tool_calls += 1
        return FunctionCallFromLLM(
            function_name=TOOL_NAME,
            tool_call_id=f"call_{self._tool_calls}",
            arguments=TOOL_ARGUMENTS,
            context=context,
        )


async def lookup_extension(params: FunctionCallParams) -> None:
    """The tool: answers at once, through Pipecat's result callback."""
    await params.result_callback(TOOL_RESULT)


class StubTTS(TTSService):
    """A TTS of fixed latency in the shape of Pipecat's HTTP services: audio for each text after
    the latency; the base class opens and closes the audio context around it."""

    def __init__(self, conversation: Conversation, latency_s: float) -> None:
        super().__init__(
            sample_rate=SAMPLE_RATE,
            push_start_frame=True,
            push_stop_frames=True,
            settings=TTSSettings(model="stub-tts", voice="stub", language=None),
        )
        self._conversation = conversation
        self._latency_s = latency_s

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        waited = await provider_wait(self._latency_s)
        turn = self._conversation.turn
        if turn.tts_s is None:
            turn.tts_s = waited
        await self.start_tts_usage_metrics(text)
        for _ in range(AUDIO_CHUNKS_PER_TEXT):
            await self.stop_ttfb_metrics()
            yield TTSAudioRawFrame(
                audio=AUDIO_CHUNK,
                sample_rate=self.sample_rate,
                num_channels=1,
                context_id=context_id,
            )


class FirstAudioSink(FrameProcessor):
    """Stands where the output transport would and notes when a turn's first audio gets there."""

    def __init__(self, conversation: Conversation) -> None:
        super().__init__()
        self._conversation = conversation

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        arrived = time.perf_counter()
        await super().process_frame(frame, direction)
        turn = self._conversation.turn
        if isinstance(frame, TTSAudioRawFrame) and turn.first_audio is None:
            turn.first_audio = arrived
        await self.push_frame(frame, direction)


@dataclass(frozen=True)
class Case:
    """One configuration of Pipecat, one stub latency, with or without the tool call."""

    config: str
    latency_s: float
    tool: bool

    @property
    def label(self) -> str:
        tool = "one tool" if self.tool else "no tool"
        return f"{self.config}, {int(self.latency_s * 1000)} ms stubs, {tool}"


def extras_off_worker(pipeline: Pipeline) -> PipelineWorker:
    """Everything optional that Pipecat 1.14 lets a worker switch off, off."""
    params = PipelineParams(
        enable_metrics=False,
        enable_usage_metrics=False,
        enable_heartbeats=False,
        send_initial_empty_metrics=False,
    )
    return PipelineWorker(
        pipeline,
        params=params,
        enable_rtvi=False,
        enable_turn_tracking=False,
        enable_tracing=False,
        idle_timeout_secs=None,
        observers=[],
    )


def defaults_worker(pipeline: Pipeline) -> PipelineWorker:
    """The worker `pipecat init` writes for a cascade bot: defaults, plus metrics."""
    return PipelineWorker(
        pipeline, params=PipelineParams(enable_metrics=True, enable_usage_metrics=True)
    )


WORKERS: dict[str, Callable[[Pipeline], PipelineWorker]] = {
    "extras off": extras_off_worker,
    "defaults": defaults_worker,
}


def build_pipeline(conversation: Conversation, case: Case) -> Pipeline:
    """STT's place is the bench's; the rest is a cascade bot's pipeline with stub services."""
    context = LLMContext(tools=ToolsSchema(standard_tools=[LOOKUP_SCHEMA]))
    user, assistant = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(user_turn_strategies=ExternalUserTurnStrategies()),
    )
    llm = StubLLM(conversation, case.latency_s, calls_tool=case.tool)
    llm.register_function(TOOL_NAME, lookup_extension)
    tts = StubTTS(conversation, case.latency_s)
    return Pipeline([user, llm, tts, FirstAudioSink(conversation), assistant])


async def take_turn(worker: PipelineWorker, conversation: Conversation) -> float:
    """One turn's overhead in ms, once its answer is in the context."""
    turn = conversation.new_turn()
    await worker.queue_frame(ProposedUserStartedSpeakingFrame())
    await asyncio.wait_for(turn.user_turn_open.wait(), TURN_TIMEOUT_S)
    await asyncio.sleep(USER_SPEAKS_S)
    final = TranscriptionFrame(
        text=PROMPT, user_id=USER_ID, timestamp=time_now_iso8601(), finalized=True
    )
    turn.started = time.perf_counter()
    await worker.queue_frames([final, ProposedUserStoppedSpeakingFrame()])
    await asyncio.wait_for(turn.done.wait(), TURN_TIMEOUT_S)
    return turn.overhead_ms()


async def run_case(case: Case, turns: int, warmup: int) -> list[float]:
    """A session of `warmup + turns` turns on one long-lived worker; the measured ones."""
    conversation = Conversation()
    worker = WORKERS[case.config](build_pipeline(conversation, case))
    conversation.watch(worker)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    samples: list[float] = []
    try:
        await asyncio.wait_for(conversation.started.wait(), TURN_TIMEOUT_S)
        for n in range(warmup + turns):
            overhead_ms = await take_turn(worker, conversation)
            if n >= warmup:
                samples.append(overhead_ms)
        await worker.stop_when_done()
    except BaseException:
        await runner.cancel(reason="bench failed")
        raise
    finally:
        await running
    return samples


async def run_all(turns: int, warmup: int) -> dict[str, dict[str, float]]:
    """Every case in turn, printing each one's row as it finishes."""
    figures = {}
    for config in WORKERS:
        for latency_s in (0.0, 0.05):
            for tool in (False, True):
                case = Case(config, latency_s, tool)
                label = f"pipecat {PIPECAT_VERSION} {case.label}"
                figures[case.label] = line(label, await run_case(case, turns, warmup))
    return figures


def quiet_pipecat_logging() -> None:
    """Pipecat logs to stderr at DEBUG by default; warnings and errors are enough here."""
    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    quiet_pipecat_logging()
    figures: dict[str, Any] = asyncio.run(run_all(args.turns, args.warmup))
    print(json.dumps({"pipecat_version": PIPECAT_VERSION, "figures": figures}))


if __name__ == "__main__":
    main()
